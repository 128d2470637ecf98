"""The summary's files: one self-contained HTML file that opens in headless Chromium (screenshot taken
and checked), and markdown with its PNG charts beside it. Both through the real `finops` command."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.cli import CliRunner
from tests.conftest import DEMO_AS_OF

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def finops(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("finops")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "apps.cli.main"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "FINOPS_TODAY": ""})


def assert_real_png(data: bytes, min_colours: int = 8) -> Image.Image:
    assert data[:8] == PNG_SIGNATURE
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.width >= 200 and image.height >= 150
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) >= min_colours, "blank image"
    top = max(colours)[0] / (image.width * image.height)
    assert top < 0.97, "one colour covers almost the whole image"
    return image


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="Debian package `chromium` is not installed")
def test_html_is_self_contained_and_renders_in_headless_chromium(demo_db: Path, tmp_path: Path):
    out = tmp_path / "summary.html"
    run = finops("summary", "--db", str(demo_db), "--week", "2026-W47", "--as-of", DEMO_AS_OF,
                 "--format", "html", "--out", str(out))
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Weekly cost summary 2026-W47" in html
    # Self-contained: no script, nothing fetched from elsewhere; the three charts embedded as PNG.
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)=["'](?!data:|#)""", html)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3
    import base64

    for data in images:
        assert_real_png(base64.b64decode(data))

    shot = tmp_path / "screenshot.png"
    profile = tmp_path / "chromium-profile"
    browser = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
         "--window-size=1000,1400", out.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert browser.returncode == 0, browser.stderr[-2000:]
    image = assert_real_png(shot.read_bytes(), min_colours=50)
    assert image.size == (1000, 1400)


def test_markdown_file_with_png_charts_beside_it(demo_db: Path, tmp_path: Path):
    from apps.cli.main import app

    out = tmp_path / "docs" / "summary-2026-W47.md"
    r = CliRunner().invoke(app, ["summary", "--db", str(demo_db), "--week", "2026-W47", "--as-of", DEMO_AS_OF,
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    md = out.read_text(encoding="utf-8")
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert linked == ["summary-2026-W47-daily.png", "summary-2026-W47-movers.png", "summary-2026-W47-llm.png"]
    for name in linked:
        assert_real_png((out.parent / name).read_bytes())
    assert "```text" not in md, "a file gets images, not text charts"
