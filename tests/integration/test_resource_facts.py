"""What ownership reads of each resource's charges, kept by the writers (knowledge.resource_facts): after the
demo, an ingest, a re-ingest and a lake it equals the charges; a store changed behind the writers' back is
read from its charges, never from a stale table; who-owns and explain a charge answer the same either way.

Expected values come from plain DuckDB over the charges (the team and owner from the `Tags` map, not the
columns), never from the tables under test."""

from __future__ import annotations

import csv
import gzip
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from knowledge.ingest import ingest
from knowledge.store import create_lake, open_store
from tests.conftest import duckdb_connect
from tools.registry import run_tool

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "focus_sample_1000.csv.gz"

_EXPECTED_FACTS = """
    SELECT ResourceId, ResourceName, SubAccountId, SubAccountName, nullif(Tags['team'], ''), nullif(Tags['owner'], ''),
           count(*), max(ChargePeriodStart), max(ChargePeriodStart) FILTER (WHERE cardinality(Tags) > 0)
    FROM {charges} WHERE ResourceId IS NOT NULL GROUP BY ALL"""
_FACTS = "SELECT ResourceId, seen_name, sub_id, sub_name, team, owner, n, last_seen, last_tagged FROM resource_facts"
# The latest non-empty tag set of each resource: its latest tagged charge's, the least as text on a tie.
_EXPECTED_TAGS = """
    SELECT ResourceId, Tags FROM (
        SELECT ResourceId, Tags, row_number() OVER (PARTITION BY ResourceId
                                                    ORDER BY ChargePeriodStart DESC, CAST(Tags AS VARCHAR)) AS k
        FROM {charges} WHERE ResourceId IS NOT NULL AND cardinality(Tags) > 0) WHERE k = 1"""


def _sorted(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def _assert_facts_match_charges(con: duckdb.DuckDBPyConnection, charges: str = "focus_charges") -> int:
    facts = _sorted(con, _FACTS)
    assert facts == _sorted(con, _EXPECTED_FACTS.format(charges=charges))
    tags = _sorted(con, "SELECT ResourceId, Tags FROM resource_latest_tags")
    assert tags == _sorted(con, _EXPECTED_TAGS.format(charges=charges))
    return len(facts)


def _sig_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """The stored signature equals one computed here from the charges' count and the ingest runs."""
    row = con.execute(
        "SELECT (SELECT value FROM meta WHERE key = 'resource_facts_signature') = "
        "(SELECT count(*) FROM focus_charges)::VARCHAR || '/' || (SELECT count(*) || '/' || "
        "coalesce(max(ingest_id), '') || '/' || coalesce(max(finished_at)::VARCHAR, '') FROM ingest_runs)").fetchone()
    return bool(row and row[0])


def test_the_demo_an_ingest_a_reingest_and_a_lake_keep_the_facts_equal_to_the_charges(writable_demo: Path,
                                                                                     tmp_path: Path) -> None:
    con = duckdb_connect(str(writable_demo), read_only=True)
    demo_rows = _assert_facts_match_charges(con)
    assert demo_rows > 1000 and _sig_is_current(con)
    assert con.execute("SELECT count(*) FROM resource_latest_tags").fetchone() == (
        con.execute("SELECT count(DISTINCT ResourceId) FROM focus_charges WHERE cardinality(Tags) > 0").fetchone())
    con.close()

    ingest(writable_demo, "focus", [SAMPLE])
    con = duckdb_connect(str(writable_demo), read_only=True)
    assert _assert_facts_match_charges(con) > demo_rows and _sig_is_current(con)
    con.close()

    # The sample again with one resource renamed: the period is replaced, the facts follow.
    with gzip.open(SAMPLE, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    rid = next(r["ResourceId"] for r in rows if r["ResourceId"] not in ("", "NULL"))
    for r in rows:
        if r["ResourceId"] == rid:
            r["ResourceName"] = "renamed-by-the-second-file"
    second = tmp_path / "sample_renamed.csv"
    with second.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ingest(writable_demo, "focus", [second])
    con = duckdb_connect(str(writable_demo), read_only=True)
    _assert_facts_match_charges(con)
    assert con.execute("SELECT DISTINCT seen_name FROM resource_facts WHERE ResourceId = ?", [rid]).fetchall() == [
        ("renamed-by-the-second-file",)]
    con.close()

    root = tmp_path / "lake"
    create_lake(root, writable_demo)
    with open_store(root, read_only=True) as store:       # the lake's charges are its Parquet files
        _assert_facts_match_charges(store.con)


def test_a_store_changed_behind_the_writers_back_is_read_from_its_charges(writable_demo: Path) -> None:
    con = duckdb_connect(str(writable_demo), read_only=True)
    rid, service, team = con.execute(
        "SELECT ResourceId, any_value(ServiceName), any_value(Tags['team']) FROM focus_charges "
        "WHERE ResourceId IS NOT NULL AND Tags['team'] <> '' GROUP BY 1 "
        "HAVING count(DISTINCT Tags['team']) = 1 ORDER BY sum(BilledCost) DESC, 1 LIMIT 1").fetchone() or ("", "", "")
    last = con.execute("SELECT max(ChargePeriodStart) FROM focus_charges WHERE ResourceId = ?", [rid]).fetchone()[0]
    con.close()
    # A charge inserted by plain SQL, an hour after the resource's last, tagged with another team: no writer
    # refreshed anything.
    con = duckdb_connect(str(writable_demo))
    con.execute("INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, ProviderName, "
                "ServiceName, ResourceId, ResourceName, Tags, x_tag_team) VALUES (98765.43, 98765.43, ? + INTERVAL 1 HOUR, "
                "? + INTERVAL 2 HOUR, 'AWS', ?, ?, 'renamed-by-hand', MAP {'team': 'retagged-by-hand'}, 'retagged-by-hand')",
                [last, last, service, rid])
    con.close()
    day = (last + timedelta(hours=1)).date().isoformat()

    with open_store(writable_demo, read_only=True) as store:
        stale = run_tool(store, "explain_charge", {"amount": 98765.43, "period": day})
        by_name = run_tool(store, "who_owns", {"resource": "renamed-by-hand"})
    assert stale.match is not None and stale.match.resource_id == rid
    assert stale.team == "retagged-by-hand"              # its latest team tag, read from the charges
    assert by_name.resource.resource_id == rid and by_name.team == "retagged-by-hand"
    for result in (stale, by_name):
        assert not any("resource_facts" in r.sql or "resource_latest_tags" in r.sql for r in result.evidence.sql)

    with open_store(writable_demo) as store:             # a writer: its close refreshes what it keeps
        pass
    with open_store(writable_demo, read_only=True) as store:
        fresh = run_tool(store, "explain_charge", {"amount": 98765.43, "period": day})
        fresh_by_name = run_tool(store, "who_owns", {"resource": "renamed-by-hand"})
    assert fresh.team == "retagged-by-hand" and fresh.owner_sources == stale.owner_sources
    assert fresh_by_name.summary() == by_name.summary()
    for result in (fresh, fresh_by_name):
        assert any("FROM resource_facts" in r.sql for r in result.evidence.sql)
    assert team != "retagged-by-hand"
