"""Issue 19, output for machines and copy-paste, through the real CLI (CliRunner on apps.cli.main, and a
subprocess where a pipe matters): --json tables carry numbers with their unit in the column name, errors
under --json are JSON on stdout with a non-zero exit for every command, nothing wraps when stdout is not
a terminal, --version and -h, plurals. Expected figures come from independent SQL or the demo's facts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

runner = CliRunner()
DIGITS = re.compile(r"^-?\d+(\.\d+)?$")
UNIT_SUFFIXES = ("_usd", "_ratio", "_usd_per_day", "_usd_per_month")


def cli(*args: str):
    return runner.invoke(app, list(args))


# -- --json tables: numbers, with units in the column names ---------------------------------------------------
@pytest.mark.parametrize("command", [["waste"], ["anomalies"], ["budgets"], ["forecast"], ["remediations"],
                                     ["unit-costs"], ["audit", "tags"], ["audit", "prompts"]])
def test_json_tables_carry_numbers_not_formatted_strings(demo_db: Path, command: list[str]) -> None:
    res = cli(*command, "--db", str(demo_db), "--json")
    assert res.exit_code == 0, res.output
    table = json.loads(res.stdout)["table"]
    assert table["rows"], command
    money_cols = [i for i, c in enumerate(table["columns"]) if c.endswith(UNIT_SUFFIXES)]
    assert money_cols, table["columns"]
    for row in table["rows"]:
        assert len(row) == len(table["columns"])
        for i in money_cols:
            cell = row[i]
            assert cell is None or (isinstance(cell, str) and DIGITS.match(cell)), (table["columns"][i], cell)
        for cell in row:   # no "$1,234.56" or "-1.3%" anywhere a number stands
            if isinstance(cell, str) and DIGITS.match(cell.replace("$", "").replace(",", "").rstrip("%")):
                assert "$" not in cell and not cell.endswith("%"), cell


def test_json_waste_figures_match_the_demo_facts(demo_db: Path, demo_facts: dict) -> None:
    table = json.loads(cli("waste", "--db", str(demo_db), "--json").stdout)["table"]
    rows = [dict(zip(table["columns"], r)) for r in table["rows"]]
    idle = next(r for r in rows if r["ref"] == demo_facts["idle_endpoint"]["endpoint_id"])
    assert Decimal(idle["monthly_cost_usd"]).quantize(Decimal("0.01")) == Decimal(demo_facts["idle_endpoint"]["monthly_cost"])
    zombies = sum(Decimal(r["monthly_cost_usd"]) for r in rows if r["kind"] == "zombie_job")
    assert zombies.quantize(Decimal("0.01")) == Decimal(demo_facts["zombie_jobs"]["monthly_cost"])


def test_json_query_table_is_exact_against_sql(demo_db: Path) -> None:
    res = cli("query", "--db", str(demo_db), "--period", "2026-10", "--by", "provider", "--json")
    assert res.exit_code == 0, res.output
    table = json.loads(res.stdout)["table"]
    assert table["columns"][:2] == ["provider", "billed_cost_usd"]
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        expected = dict(con.execute(
            "SELECT ProviderName, sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= TIMESTAMP '2026-10-01' "
            "AND ChargePeriodStart < TIMESTAMP '2026-11-01' GROUP BY ProviderName").fetchall())
    finally:
        con.close()
    rows = [dict(zip(table["columns"], r)) for r in table["rows"] if not r[table["columns"].index("is_other")]]
    assert rows
    for r in rows:
        assert Decimal(r["billed_cost_usd"]) == Decimal(expected[r["provider"]])
        assert Decimal(0) < Decimal(r["share_ratio"]) <= Decimal(1)


# -- errors under --json, for every command --------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["waste", "--db", "{missing}"],
    ["anomalies", "--db", "{missing}", "--period", "last week"],
    ["unit-costs", "--db", "{demo}", "--by", "endpoint", "--name", "no-such-endpoint-xyz"],
    ["audit", "prompts", "--db", "{missing}"],
    ["query", "--db", "{missing}", "--period", "2026-10"],
    ["summary", "--db", "{demo}", "--week", "2026-W99"],
    ["summary", "--db", "{demo}", "--format", "json", "--team", "serch"],
    ["estimate", "--gpu-type", "H100", "--hours", "3"],
    ["ingest", "focus", "{missing_file}", "--db", "{missing}"],
    ["export", "focus", "--period", "2026-10"],                 # a missing option: a usage error
    ["waste", "--db", "{demo}", "--top", "many"],              # a bad option value
    ["no-such-command"],
    ["ask", "how much did we spend last week?", "--db", "{missing}"],
])
def test_errors_under_json_are_json_on_stdout_with_a_nonzero_exit(args: list[str], demo_db: Path, tmp_path: Path) -> None:
    subst = {"{missing}": str(tmp_path / "nope.duckdb"), "{demo}": str(demo_db),
             "{missing_file}": str(tmp_path / "nope.csv")}
    res = cli(*[subst.get(a, a) for a in args], "--json")
    assert res.exit_code != 0, res.output
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict) and doc.get("error"), doc
    if "exit_code" in doc:
        assert doc["exit_code"] == res.exit_code
    assert not (tmp_path / "nope.duckdb").exists()


def test_without_json_errors_stay_on_stderr(tmp_path: Path) -> None:
    res = cli("waste", "--db", str(tmp_path / "nope.duckdb"))
    assert res.exit_code == 2 and res.stdout == "" and "no store at" in res.stderr


# -- piped output is not wrapped -------------------------------------------------------------------------------
def test_remediations_piped_are_not_wrapped(demo_db: Path, demo_facts: dict) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    p = subprocess.run([sys.executable, "-m", "apps.cli.main", "remediations", "--db", str(demo_db)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    kills = [ln for ln in lines if "kubectl delete job" in ln]
    assert len(kills) >= demo_facts["zombie_jobs"]["count"]
    for job in demo_facts["zombie_jobs"]["job_ids"]:
        line = next(ln for ln in kills if f"# {job}," in ln)
        assert line.rstrip().endswith("/month"), line          # the whole command and its comment on one line
    assert max(len(ln) for ln in lines) > 80
    numbered = len([ln for ln in lines if re.match(r"^\d+\. ", ln)])
    assert lines[0].startswith(f"{numbered} action")


# -- --version, -h, plurals ------------------------------------------------------------------------------------
def test_version_and_short_help() -> None:
    res = cli("--version")
    assert res.exit_code == 0 and res.stdout.strip() == f"finops {version('finops')}"
    for args in (["-h"], ["waste", "-h"], ["audit", "prompts", "-h"], ["summary", "-h"]):
        res = cli(*args)
        assert res.exit_code == 0 and "Usage:" in res.stdout, args


def test_help_shows_flags_as_flags_and_offers_completion() -> None:
    waste = cli("waste", "-h").stdout
    assert re.search(r"--json\s+Print machine-readable", waste), "a flag is shown with no value type"
    assert "<bool>" not in waste and "<bool>" not in cli("-h").stdout
    assert "<str>" in waste or "<list[str]>" in waste             # options that take a value still show its type
    root = cli("-h").stdout
    assert "--install-completion" in root and "--show-completion" in root


def test_plurals(demo_db: Path) -> None:
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        team = con.execute("SELECT team FROM gpu_jobs WHERE ended_at IS NULL AND job_id IN "
                           "(SELECT unnest(?)) GROUP BY team HAVING count(*) = 1 ORDER BY team LIMIT 1",
                           [json.loads(con.execute("SELECT value FROM demo_facts WHERE key = 'zombie_jobs'")
                                       .fetchone()[0])["job_ids"]]).fetchone()[0]
    finally:
        con.close()
    out = " ".join(cli("remediations", "--db", str(demo_db), "--team", team, "--top", "1").stdout.split())
    assert out.startswith("1 action, ") and "1 actions" not in out
    assert "Kill or checkpoint 1 zombie job:" in out
    out = " ".join(cli("unit-costs", "--db", str(demo_db)).stdout.split())
    assert "Evidence: 1 SQL statement (see --json)" in out


def test_every_option_and_argument_has_help_text() -> None:
    """`finops <command> -h` explains every option: walk the whole command tree Typer builds."""
    from typer.main import get_command

    missing: list[str] = []

    def walk(command: Any, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])
        for param in getattr(command, "params", []):
            if param.param_type_name == "option" and not param.hidden and not param.help:
                missing.append(" ".join([*path, param.opts[0]]))

    walk(get_command(app), ["finops"])
    assert missing == []
