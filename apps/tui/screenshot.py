"""Save a screenshot of the chat after asking some questions (docs/tui.png is made with it).

    finops demo --db /tmp/demo.duckdb --as-of 2026-11-25
    python -m apps.tui.screenshot --db /tmp/demo.duckdb --size 80x24 --png docs/tui.png \
        "How much did each team spend last month?"

The SVG is Textual's own; `--png` also renders it with a headless Chromium (`chromium` on PATH, or
`FINOPS_CHROMIUM`) at the SVG's size. Look at the result before committing it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

from apps.tui.app import ChatApp


async def capture(db: Path, questions: list[str], size: tuple[int, int], out: Path, session_id: str) -> None:
    app = ChatApp(db=db, session_id=session_id, planner="offline")
    async with app.run_test(size=size) as pilot:
        for question in questions:
            app.ask(question)
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
        app.save_screenshot(out.name, path=str(out.parent))


def svg_to_png(svg: Path, png: Path) -> None:
    """Render `svg` to `png` at its own size with a headless Chromium."""
    browser = os.environ.get("FINOPS_CHROMIUM") or next(
        (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        raise SystemExit("no chromium on PATH (set FINOPS_CHROMIUM) to render the PNG; the SVG is at " + str(svg))
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text(encoding="utf-8"))
    if box is None:
        raise SystemExit(f"{svg} has no viewBox")
    width, height = (int(float(n)) + 1 for n in box.groups())
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png.resolve()}", f"--window-size={width},{height}", str(svg.resolve())],
                   check=True, capture_output=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="+")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("tui.svg"))
    parser.add_argument("--size", default="100x32", help="WIDTHxHEIGHT in cells")
    parser.add_argument("--session", default="docs")
    parser.add_argument("--png", type=Path, help="also render the screenshot to this PNG")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    asyncio.run(capture(args.db, args.questions, (width, height), args.out.resolve(), args.session))
    print(args.out)
    if args.png:
        svg_to_png(args.out, args.png)
        print(args.png)


if __name__ == "__main__":
    main()
