"""Issue 19, `finops ask` evidence through the real CLI (in-process: tests/cli.py): one line per tool by default (tool,
statements, rows, ms, data freshness, where to see the SQL), `--evidence full` prints every statement as
SQL that runs as-is in DuckDB (parameters inlined safely), `--json` keeps everything. Expected values come
from independent SQL on the demo store."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli import Ran, finops_cli
from tests.conftest import duckdb_connect
from tools.runnable_sql import inline, literal

QUESTION = "How much did we spend last month by team?"


def finops(demo_db: Path, *args: str) -> Ran:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["FINOPS_DB"] = str(demo_db)
    return finops_cli("ask", *args, env=env, cwd=Path(__file__).parents[2])


@pytest.fixture(scope="module")
def bill_end(demo_db: Path) -> str:
    with duckdb_connect(str(demo_db), read_only=True) as con:
        last = con.execute("SELECT max(ChargePeriodEnd) FROM focus_charges").fetchone()[0]
    return (last - timedelta(days=1)).date().isoformat() if last.hour == 0 else last.isoformat(sep=" ")[:16]


def test_default_evidence_is_one_line_per_tool(demo_db: Path, bill_end: str) -> None:
    p = finops(demo_db, QUESTION)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "SELECT" not in out and "params=" not in out            # no SQL wall by default
    block = out[out.index("\nEvidence"):].strip().splitlines()
    assert "--evidence full" in block[0]
    doc = json.loads(finops(demo_db, QUESTION, "--json").stdout)
    assert len(block) == 1 + len(doc["tool_calls"])                # the header, then one line per tool
    ev = doc["evidence"][0]
    rows = sum(run["rows"] for run in ev["sql"])
    assert re.fullmatch(rf"- {ev['tool']}: {len(ev['sql'])} SQL statements?, {rows} rows?, \d+ ms; "
                        rf"data: billing through {bill_end}", block[1]), block[1]


def test_full_evidence_sql_runs_as_printed(demo_db: Path) -> None:
    p = finops(demo_db, QUESTION, "--evidence", "full")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    heads = [i for i, line in enumerate(lines) if re.match(r"- SQL \d+/\d+ \(", line)]
    assert heads
    doc = json.loads(finops(demo_db, QUESTION, "--json").stdout)
    runs = [run for ev in doc["evidence"] for run in ev["sql"]]
    assert len(heads) == len(runs)
    with duckdb_connect(str(demo_db), read_only=True) as con:
        for head, run in zip(heads, runs):
            body: list[str] = []
            for line in lines[head + 1:]:
                if line.startswith("- "):
                    break
                body.append(line)
            sql = "\n".join(body)
            assert "?" not in sql.replace("'?'", "")               # every parameter inlined
            got = con.execute(sql).fetchall()                      # copied as printed, it runs
            assert len(got) == run["rows"]
        # And it answers the question: the rows' billed sum is last month's bill by independent SQL.
        month = doc["results"][0]["period"]
        expected = con.execute("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? "
                               "AND ChargePeriodStart < ?", [month["start"], month["end"]]).fetchone()[0]
        cols = [d[0] for d in con.execute(sql).description]
        billed = sum((Decimal(str(r[cols.index("billed")])) for r in got if r[cols.index("billed")] is not None),
                     Decimal(0))
        assert billed == Decimal(str(expected))
    assert "- freshness: billing (FOCUS): data through" in p.stdout


def test_json_keeps_the_sql_and_parameters(demo_db: Path) -> None:
    doc = json.loads(finops(demo_db, QUESTION, "--json").stdout)
    run = doc["evidence"][0]["sql"][0]
    assert "?" in run["sql"] and run["params"] and doc["evidence"][0]["freshness"]


def test_bad_evidence_value_is_an_error(demo_db: Path) -> None:
    p = finops(demo_db, QUESTION, "--evidence", "some")
    assert p.returncode == 2 and "--evidence must be short or full" in p.stderr


def test_inlined_parameters_stay_literals(tmp_path: Path) -> None:
    hostile = "x'); DROP TABLE t; -- ?"
    sql = inline("SELECT ? AS v, '?' AS q, ? AS n, ? AS l -- a ? in a comment\n", [hostile, 3, "['a', 'b']"])
    assert literal("O'Brien") == "'O''Brien'" and literal(None) == "NULL" and literal(True) == "TRUE"
    with duckdb_connect(str(tmp_path / "t.duckdb")) as con:
        con.execute("CREATE TABLE t (x INT)")
        assert con.execute(sql).fetchone() == (hostile, "?", 3, ["a", "b"])
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0   # the table is still there
    with pytest.raises(ValueError):
        inline("SELECT ?, ?", [1])
    with pytest.raises(ValueError):
        inline("SELECT ?", [1, 2])
