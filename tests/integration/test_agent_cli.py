"""`finops ask` as a user runs it: separate processes (so memory must survive a restart), the demo built on
first use, text and JSON output, exit codes. (Calls where the process is not the point run in-process:
tests/cli.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.answer import Answer
from apps.cli.main import app
from tests.cli import CliRunner, finops_cli
from tests.conftest import duckdb_connect, usd


def finops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FINOPS_DB")}
    return subprocess.run([sys.executable, "-m", "apps.cli.main", *args], capture_output=True, text=True,
                          env={**base, **(env or {})}, timeout=300, cwd=Path(__file__).parents[2])


def test_first_use_builds_the_demo_and_follow_ups_survive_a_restart(tmp_path: Path, instant_demo_build: None) -> None:
    """The first question in this process (the demo builder itself is test_demo.py's: instant_demo_build), the
    follow-up in a new process: the conversation is read back from the session file the first one wrote."""
    db = tmp_path / "finops" / "finops.duckdb"            # the default path (no --db, no FINOPS_DB)
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FINOPS_DB")}
    first = finops_cli("ask", "How much did the search team spend last week?", "--session", "cli-1",
                       env={**base, "XDG_DATA_HOME": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    notice = [line for line in first.stderr.splitlines() if line.strip()]
    assert len(notice) == 1 and "built the demo company" in notice[0]
    # The default Evidence is one line per tool (the SQL is behind --evidence full; --json has everything).
    assert "Evidence" in first.stdout and "- spend: " in first.stdout and "--evidence full" in first.stdout
    assert Path(str(db) + ".sessions.sqlite").exists()

    second = finops("ask", "and last month?", "--db", str(db), "--session", "cli-1", "--json")
    assert second.returncode == 0, second.stderr
    assert second.stderr.strip() == ""                              # no notice once the store exists
    answer = Answer.model_validate_json(second.stdout)
    assert answer.session_id == "cli-1" and answer.kind == "answer"
    assert [c.tool for c in answer.tool_calls] == ["spend"]
    assert answer.tool_calls[0].args["period"] == "last month" and answer.tool_calls[0].args["team"] == "search"
    with duckdb_connect(str(db), read_only=True) as con:
        as_of = con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0]
        y, m = int(as_of[:4]), int(as_of[5:7])
        start = f"{y if m > 1 else y - 1}-{(m - 2) % 12 + 1:02d}-01"
        total = con.execute("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' "
                            "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [start, f"{y}-{m:02d}-01"]).fetchone()[0]
    assert usd(total) in answer.text

    other = finops_cli("ask", "and last month?", "--db", str(db), "--session", "cli-2", "--json", env=base)
    assert Answer.model_validate_json(other.stdout).kind == "help"   # another conversation has no history


def test_a_named_store_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    typo = tmp_path / "fnops.duckdb"
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FINOPS_DB")}
    for args, env in ((["--db", str(typo)], {}), ([], {"FINOPS_DB": str(typo)})):
        p = finops_cli("ask", "How much did the search team spend last week?", *args,   # in-process: no restart here
                       env={**base, "XDG_DATA_HOME": str(tmp_path / "xdg"), **env})
        assert p.returncode == 2
        assert p.stderr.strip() == (f"error: no store at {typo}; build one with `finops demo --db {typo}` "
                                    f"or `finops ingest focus … --db {typo}`")
        assert p.stdout == ""
    assert list(tmp_path.iterdir()) == []                  # no store, no session file, no default store


def test_json_output_and_exit_codes(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["ask", "How much did the serch team spend last week?", "--db", str(demo_db), "--json"])
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["kind"] == "did_you_mean" and "search" in answer["suggestions"]

    result = runner.invoke(app, ["ask", "spend by team last week", "--db", str(demo_db), "--planner", "nope"])
    assert result.exit_code == 2 and "--planner" in result.output

    result = runner.invoke(app, ["ask", "spend for 2019-13", "--db", str(demo_db), "--planner", "model"])
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output     # the model planner needs a key
