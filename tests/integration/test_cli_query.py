"""`finops query` through the real CLI on a DuckDB file: figures against hand SQL, exit codes, JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import duckdb_connect


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_query_by_service_category_prints_the_sql_total(demo_db: Path):
    res = run("query", "--db", str(demo_db), "--period", "2026-10", "--by", "service_category", "--json")
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    con = duckdb_connect(str(demo_db), read_only=True)
    gold = con.execute("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= '2026-10-01' "
                       "AND ChargePeriodStart < '2026-11-01'").fetchone()[0]
    con.close()
    assert Decimal(body["totals"]["billed_cost"]) == gold
    assert sum(Decimal(r["values"]["billed_cost"]) for r in body["rows"]) == gold
    assert body["evidence"]["sql"], "the SQL it ran is part of the answer"


def test_query_where_parses_every_operator(demo_db: Path):
    from apps.cli.commands.query import parse_where

    assert parse_where("service_category=Compute") == {"dimension": "service_category", "op": "eq", "values": ["Compute"]}
    assert parse_where("team!=search,data")["op"] == "not_in"
    assert parse_where("team=null")["op"] == "is_null"
    assert parse_where("service~kubernetes")["op"] == "contains"
    res = run("query", "--db", str(demo_db), "--where", "team", "--period", "2026-10")
    assert res.exit_code == 2 and "expected dim=value" in res.output


def test_unknown_names_exit_2_with_did_you_mean(demo_db: Path):
    res = run("query", "--db", str(demo_db), "--by", "servce_category", "--period", "2026-10")
    assert res.exit_code == 2 and "did you mean 'service_category'" in res.output
    res = run("query", "--db", str(demo_db), "--where", "team=payments", "--period", "2026-10")
    assert res.exit_code == 2 and "no team 'payments' in the data" in res.output
