"""Issue 16, data integrity: a mistyped or missing store path never turns into the demo company.

The demo is built on first use only at the default path (no --db, no FINOPS_DB). A path the person named
that holds no store is "no store at PATH" with the next step, exit 2, and nothing is created. A summary
of the demo company (shown or posted) says it is demo data. All through the real CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes.slack_api import FakeSlackApi

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

runner = CliRunner()
DEMO_AS_OF = "2026-11-25"


def expected_error(path: Path) -> str:
    return f"no store at {path}; build one with `finops demo --db {path}` or `finops ingest focus … --db {path}`"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No FINOPS_DB, no model key, and the default path under tmp_path/xdg (so a stray build would show)."""
    for name in ("FINOPS_DB", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


COMMANDS = [
    ["ask", "How much did each team spend last week?"],
    ["ask", "How much did each team spend last week?", "--json"],
    ["audit", "tags"],
    ["waste"],
    ["budgets"],
    ["summary", "--week", "2026-W47"],
    ["estimate", "--gpu-type", "H100", "--gpu-count", "8", "--hours", "2", "--team", "search"],
    ["chat"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_mistyped_db_is_an_error_and_creates_nothing(isolated: Path, command: list[str]) -> None:
    typo = isolated / "data" / "finops.duckdb"          # the directory does not exist either
    res = runner.invoke(app, [*command, "--db", str(typo)])
    assert res.exit_code == 2, res.output
    shown = res.output
    if shown.lstrip().startswith("{"):                  # under --json the error is JSON (escapes decoded here)
        import json

        shown = json.loads(shown)["error"]
    assert expected_error(typo) in shown
    assert "built the demo company" not in res.output
    assert sorted(p.name for p in isolated.iterdir()) == []      # no store, no directory, no default store


@pytest.mark.parametrize("command", COMMANDS[:1] + COMMANDS[2:4], ids=lambda c: " ".join(c[:2]))
def test_a_missing_finops_db_is_an_error_too(isolated: Path, monkeypatch: pytest.MonkeyPatch,
                                             command: list[str]) -> None:
    missing = isolated / "missing.duckdb"
    monkeypatch.setenv("FINOPS_DB", str(missing))
    res = runner.invoke(app, command)
    assert res.exit_code == 2 and expected_error(missing) in res.output
    assert list(isolated.iterdir()) == []


def test_the_slack_bot_refuses_to_start_on_a_missing_named_store(isolated: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    typo = isolated / "bot.duckdb"
    res = runner.invoke(app, ["slack", "--port", "0", "--db", str(typo)])
    assert res.exit_code == 2 and expected_error(typo) in res.output
    assert list(isolated.iterdir()) == []


def test_an_existing_named_store_is_used_as_it_is(isolated: Path, demo_db: Path) -> None:
    store = isolated / "mine.duckdb"
    shutil.copy(demo_db, store)
    before = store.stat().st_size
    res = runner.invoke(app, ["audit", "tags", "--db", str(store)])
    assert res.exit_code == 0 and "built the demo company" not in res.output
    assert store.stat().st_size == before


def _strip_demo_facts(path: Path) -> None:
    con = duckdb_connect(str(path))
    try:
        con.execute("DELETE FROM demo_facts")
    finally:
        con.close()


def test_a_summary_of_the_demo_company_says_so(isolated: Path, demo_db: Path) -> None:
    demo = isolated / "demo.duckdb"
    shutil.copy(demo_db, demo)
    res = runner.invoke(app, ["summary", "--db", str(demo), "--week", "2026-W47", "--as-of", DEMO_AS_OF])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# DEMO DATA — Weekly cost summary 2026-W47")
    assert "Demo data: these figures are the made-up company" in res.stdout
    assert f"note: {demo} holds the demo company" in res.stderr

    own = isolated / "own.duckdb"                        # the same figures, but not the demo's store
    shutil.copy(demo_db, own)
    _strip_demo_facts(own)
    res = runner.invoke(app, ["summary", "--db", str(own), "--week", "2026-W47", "--as-of", DEMO_AS_OF])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# Weekly cost summary 2026-W47") and "DEMO DATA" not in res.output


def test_summary_post_never_posts_the_demo_company_unmarked(isolated: Path, demo_db: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    demo = isolated / "demo.duckdb"
    shutil.copy(demo_db, demo)
    con = duckdb_connect(str(demo))
    con.execute("UPDATE teams SET slack_channel = NULL")   # the company channel only: one summary to build
    con.close()
    with FakeSlackApi() as api:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", api.url)
        monkeypatch.setenv("FINOPS_SUMMARY_CHANNEL", "#finops-adv")
        res = runner.invoke(app, ["summary", "--post", "--db", str(demo), "--week", "2026-W47",
                                  "--as-of", DEMO_AS_OF])
        assert res.exit_code == 0, res.output
        assert "holds the demo company: the summary is marked DEMO DATA in every post" in res.stderr
        posts = api.of("chat.postMessage")
    assert len(posts) == 1
    header = posts[0].args["blocks"][0]["text"]["text"]
    assert header.startswith("DEMO DATA — Weekly cost summary 2026-W47")
    assert posts[0].args["text"].startswith("DEMO DATA — ")          # the notification text too
    assert "made-up company" in posts[0].texts()


def test_the_estimate_gate_on_the_demo_company_says_so(isolated: Path, demo_db: Path) -> None:
    demo = isolated / "demo.duckdb"
    shutil.copy(demo_db, demo)
    args = ["estimate", "--gpu-type", "H100", "--gpu-count", "8", "--hours", "1", "--team", "search", "--db", str(demo)]
    md = runner.invoke(app, args)
    assert md.exit_code in (0, 1), md.output
    assert md.stdout.startswith("> **DEMO DATA: checked against the demo company's teams and budgets")
    as_json = runner.invoke(app, [*args, "--json"])
    assert json.loads(as_json.stdout)["demo_data"] is True

    own = isolated / "own.duckdb"
    shutil.copy(demo_db, own)
    _strip_demo_facts(own)
    res = runner.invoke(app, [*args[:-1], str(own), "--json"])
    assert json.loads(res.stdout)["demo_data"] is False and "DEMO DATA" not in res.output
