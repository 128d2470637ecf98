"""The common tag keys stored as columns (knowledge.tag_columns): every path that writes charges fills them
with what the `Tags` map holds, a store or lake made before they existed reads them right, and the tools'
answers over them match independent SQL over the map.

Expected values come from plain DuckDB over the `Tags` map (never the columns under test)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from knowledge import lake
from knowledge.ingest import ingest
from knowledge.schema import MIGRATIONS
from knowledge.store import create_lake, open_store, open_store_for_write
from tests.conftest import duckdb_connect
from tools.registry import run_tool

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "focus_sample_1000.csv.gz"
KEYS = ("team", "owner", "project", "env", "app", "model")
_MISMATCHES = " + ".join(
    f"count(*) FILTER (WHERE x_tag_{k} IS DISTINCT FROM nullif(Tags['{k}'], ''))" for k in KEYS)


def _mismatches_and_filled(con: duckdb.DuckDBPyConnection, rows: str) -> tuple[int, int, int]:
    """(rows whose columns differ from their map, rows with a team column, rows with an env column)."""
    row = con.execute(f"SELECT {_MISMATCHES}, count(x_tag_team), count(x_tag_env) FROM {rows}").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _lake_files(root: Path) -> list[str]:
    state = duckdb_connect(str(root / lake.STATE_FILE), read_only=True)
    try:
        return [str(root / r[0]) for r in state.execute("SELECT file FROM lake_files ORDER BY file").fetchall()]
    finally:
        state.close()


def _spend_by_env_from_the_map(db: Path, start: str, end: str) -> dict[str | None, Decimal]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return {k: v for k, v in con.execute(
            "SELECT nullif(Tags['env'], ''), sum(BilledCost) FROM focus_charges "
            "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1", [start, end]).fetchall()}
    finally:
        con.close()


def test_the_demo_an_ingest_and_a_lake_carry_the_map_s_values_in_the_columns(demo_db: Path, tmp_path: Path) -> None:
    con = duckdb_connect(str(demo_db), read_only=True)
    bad, teams, envs = _mismatches_and_filled(con, "focus_charges")
    con.close()
    assert bad == 0 and teams > 0 and envs > 0

    db = tmp_path / "sample.duckdb"
    report = ingest(db, "focus", [SAMPLE])
    assert report.files[0].rows_loaded == 1000
    con = duckdb_connect(str(db), read_only=True)
    bad, _, envs = _mismatches_and_filled(con, "focus_charges")
    con.close()
    assert bad == 0 and envs == 42          # the sample's `env` key (its other keys stay in the map)

    root = tmp_path / "lake"
    create_lake(root, demo_db)
    con = duckdb_connect()
    bad, teams_in_files, _ = _mismatches_and_filled(
        con, f"read_parquet({_lake_files(root)!r}, hive_partitioning = false)")
    con.close()
    assert bad == 0 and teams_in_files == teams


def test_a_store_made_before_the_tag_columns_gets_them_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb_connect(str(db))
    for sql in MIGRATIONS[:10]:
        con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', '10')")
    con.execute("INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, "
                "BillingPeriodStart, BillingPeriodEnd, ProviderName, ServiceName, ResourceId, Tags) VALUES "
                "(10.50, 10.50, '2026-10-03', '2026-10-04', '2026-10-01', '2026-11-01', 'AWS', 'EC2', 'i-1', "
                "MAP {'team': 'search', 'env': 'prod'}), "
                "(4.25, 4.25, '2026-10-03', '2026-10-04', '2026-10-01', '2026-11-01', 'AWS', 'EC2', 'i-2', "
                "MAP {'env': ''}), "
                "(1.00, 1.00, '2026-10-04', '2026-10-05', '2026-10-01', '2026-11-01', 'AWS', 'S3', 'b-1', NULL)")
    con.close()

    with open_store(db, read_only=True) as store:       # migrates through the writer protocol, then reads
        result = run_tool(store, "spend", {"group_by": "env", "period": "October 2026"})
    con = duckdb_connect(str(db), read_only=True)
    assert _mismatches_and_filled(con, "focus_charges") == (0, 1, 1)
    con.close()
    expected = _spend_by_env_from_the_map(db, "2026-10-01", "2026-11-01")
    assert expected == {"prod": Decimal("10.50"), None: Decimal("5.25")}
    got = {row.key: row.billed for row in result.rows}
    assert got.get("prod") == expected["prod"]


def test_rows_written_without_their_columns_get_them_before_the_write_ends(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    with open_store_for_write(db) as store:              # a path that knows nothing of the columns
        store.con.execute("INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, "
                          "ProviderName, ServiceName, ResourceId, Tags) VALUES (7, 7, '2024-09-10', '2024-09-11', "
                          "'AWS', 'EC2', 'i-raw', MAP {'env': 'staging', 'owner': 'ana'})")
    con = duckdb_connect(str(db), read_only=True)
    assert _mismatches_and_filled(con, "focus_charges")[0] == 0
    assert con.execute("SELECT x_tag_env, x_tag_owner FROM focus_charges WHERE ResourceId = 'i-raw'").fetchall() == [
        ("staging", "ana")]
    con.close()


def test_lake_files_from_before_the_columns_read_them_from_the_map_until_rewritten(demo_db: Path,
                                                                                  tmp_path: Path) -> None:
    root = tmp_path / "lake"
    create_lake(root, demo_db)
    # Make one file look as an older finops wrote it: no tag columns, marked so in the manifest.
    target = _lake_files(root)[0]
    con = duckdb_connect()
    old = tmp_path / "old.parquet"
    con.execute(f"COPY (SELECT * EXCLUDE ({', '.join(f'x_tag_{k}' for k in KEYS)}) FROM read_parquet(?, hive_partitioning = false)) "
                f"TO '{old}' (FORMAT parquet)", [target])
    con.close()
    shutil.move(old, target)
    state = duckdb_connect(str(root / lake.STATE_FILE))
    state.execute("UPDATE lake_files SET tag_columns = false WHERE ? LIKE '%' || file", [target])
    state.close()

    period = {"group_by": "team", "period": "last 90 days"}
    with open_store(demo_db, read_only=True) as file_store, open_store(root, read_only=True) as lake_store:
        on_file = run_tool(file_store, "spend", period)
        on_lake = run_tool(lake_store, "spend", period)
        env_file = run_tool(file_store, "spend", {"group_by": "env", "period": "last 90 days"})
        env_lake = run_tool(lake_store, "spend", {"group_by": "env", "period": "last 90 days"})
    assert on_lake.model_dump(exclude={"evidence"}) == on_file.model_dump(exclude={"evidence"})
    assert env_lake.model_dump(exclude={"evidence"}) == env_file.model_dump(exclude={"evidence"})
