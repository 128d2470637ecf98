"""A big FOCUS file is staged in a scratch database file instead of a temp table (a 100M-row Parquet file
ran out of memory in the temp table: knowledge/ingest/stage_place.py). FINOPS_INGEST_STAGE_ROWS=0 sends
every staged FOCUS file there and FINOPS_INGEST_DIRECT=0 stages every FOCUS file (one whose every row loads
is otherwise loaded straight from the file), so the ingest tests below run again, unchanged, on that path:
the README totals, each format, quarantine with physical lines and raw text, re-ingest replacing, parts of
one export, refusals. Then the place itself: the scratch file exists while the load runs and is gone
afterwards, the search path as it was, on success and on failure."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from knowledge.ingest import IngestError, ingest
from knowledge.ingest.stage_place import SCRATCH, stage_place
from tests.conftest import db_rows as table
from tests.integration.test_ingest_focus import (  # noqa: F401  (collected here again, on the scratch stage)
    SAMPLE,
    test_bad_rows_go_to_quarantine_with_physical_line_reason_and_raw_text,
    test_each_format_loads_the_same_rows,
    test_parts_of_one_export_load_together_and_reload_cleanly,
    test_reingest_replaces_and_never_double_counts,
    test_restated_provider_period_replaces_only_its_own_rows,
    test_sample_loads_unchanged_with_the_readme_totals,
    test_wrong_columns_are_refused_and_nothing_changes,
)


@pytest.fixture(autouse=True)
def _every_focus_file_is_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_INGEST_STAGE_ROWS", "0")
    monkeypatch.setenv("FINOPS_INGEST_DIRECT", "0")


def test_the_scratch_database_holds_the_stage_only_while_the_block_runs(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute("CREATE TABLE focus_charges (a INTEGER)")
    con.execute("SET temp_directory = ?", [str(spill)])
    before = con.execute("SELECT current_setting('search_path')").fetchone()
    with stage_place(con, "focus", 1) as place:
        assert place.scratch is not None and place.scratch.parent == spill and place.scratch.exists()
        con.execute(f"CREATE {place.create} AS SELECT range AS a FROM range(5)")
        # unqualified names: the stage from the scratch database, the store's tables from the store
        assert con.execute("SELECT count(*), max(rowid) FROM _ingest_stage").fetchone() == (5, 4)
        con.execute("INSERT INTO focus_charges SELECT a FROM _ingest_stage")
    assert not any(spill.iterdir())
    assert con.execute("SELECT current_setting('search_path')").fetchone() == before
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [SCRATCH]).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM focus_charges").fetchone() == (5,)
    with pytest.raises(RuntimeError), stage_place(con, "focus", 1):
        raise RuntimeError("a load that fails")
    assert not any(spill.iterdir())
    # an LLM-calls load writes prices to the store while checking: its stage stays a temp table
    with stage_place(con, "llm-calls", 10**9) as place:
        assert place.scratch is None and place.create.startswith("TEMP TABLE")
    con.close()


def test_a_failed_big_load_leaves_no_scratch_file_and_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    cut = tmp_path / "cut.csv.gz"
    data = SAMPLE.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 5])          # a truncated download: staged, then refused
    with pytest.raises(IngestError, match="damaged gzip"):
        ingest(db, "focus", [cut])
    spill = tmp_path / ".s.duckdb.spill"
    assert not spill.exists() or not list(spill.glob("stage-*"))
    assert table(db, "SELECT count(*), count(DISTINCT x_ingest_id) FROM focus_charges") == [(1000, 1)]
