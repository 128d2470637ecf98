"""Issue 19, Slack and Docker: the manifest's scopes, the README's setup steps, and the image's files
(.dockerignore, a non-root user, the exposed bot port, a HEALTHCHECK whose own command is run here
against the real `finops slack` server's /health, never a demo built at a named path by itself)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_manifest_has_the_scopes_the_bot_and_the_summary_use() -> None:
    manifest = yaml.safe_load((ROOT / "apps/slack/manifest.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"files:write", "chat:write", "chat:write.public", "app_mentions:read", "commands"} <= scopes


def test_readme_says_to_invite_the_bot() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    slack = readme[readme.index("## Slack"):readme.index("## Weekly summary")]
    assert "/invite @finops" in slack and "#finops" in slack and "team's channel" in slack


def test_dockerignore_keeps_stores_git_build_output_and_venvs_out() -> None:
    patterns = {ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
                if ln.strip() and not ln.startswith("#")}
    assert ".git" in patterns
    assert any(p.endswith("*.duckdb") for p in patterns)
    assert {"build/", "dist/"} <= patterns and any(p.startswith(".venv") for p in patterns)
    assert not any(p in ("pyproject.toml", "README.md", "knowledge", "apps", "tools", "agent", "evals") for p in patterns)


def test_image_runs_as_non_root_exposes_the_bot_port_and_never_builds_a_demo_by_itself() -> None:
    steps = dockerfile()
    users = [arg for word, arg in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [arg for word, arg in steps if word == "EXPOSE"] == ["3000"]
    env = " ".join(arg for word, arg in steps if word == "ENV")
    assert "FINOPS_DB=/data/finops.duckdb" in env and "PORT=3000" in env
    for word, arg in steps:
        if word in ("RUN", "CMD", "ENTRYPOINT"):
            assert "demo" not in arg.split("#")[0].replace("\"", " ").split(), (word, arg)
    readme = (ROOT / "README.md").read_text()
    assert "finops demo --db /data/finops.duckdb" in readme


def _healthcheck_command() -> list[str]:
    check = next(arg for word, arg in dockerfile() if word == "HEALTHCHECK")
    assert "/health" in check
    cmd = check.split(" CMD ", 1)[1].split(" || ")[0]
    return shlex.split(cmd)


@pytest.fixture
def bot(writable_demo: Path):
    from fakes.slack_api import FakeSlackApi

    with FakeSlackApi() as api:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-deploy-test", "SLACK_SIGNING_SECRET": "s",
               "SLACK_API_URL": api.url, "FINOPS_PLANNER": "offline"}
        env.pop("SLACK_APP_TOKEN", None)
        proc = subprocess.Popen([sys.executable, "-m", "apps.cli.main", "slack", "--port", "0", "--host", "127.0.0.1",
                                 "--db", str(writable_demo)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()
            assert "listening on http://" in line, line
            yield int(line.split("listening on http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def test_the_images_healthcheck_passes_against_the_bot_and_fails_without_it(bot: int) -> None:
    cmd = _healthcheck_command()
    assert cmd[0] == "python"
    cmd[0] = sys.executable
    ok = subprocess.run(cmd, env={**os.environ, "PORT": str(bot)}, capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    import socket

    with socket.socket() as s:        # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    down = subprocess.run(cmd, env={**os.environ, "PORT": str(free)}, capture_output=True, timeout=30)
    assert down.returncode != 0
