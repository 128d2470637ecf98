"""A write whose load spilled to disk still commits: DuckDB keeps the temporary directory it has spilled to,
and the writer's refresh after the load (allocation, name index) runs under the same memory bounds
(knowledge.ingest.session.bounded_memory). Setting the directory a second time failed every ingest that
spilled ("Cannot switch temporary directory after the current one has been used"): a 1M-row CSV under 700 MB,
the 10M-row CSV of benchmarks/scale.py under the default limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.ingest.session import bounded_memory
from knowledge.store import open_store_for_write
from tests.conftest import db_rows

pytestmark = pytest.mark.integration

# Sorting a few million hashed strings needs more than 64 MB: DuckDB spills it to the temporary directory.
_SPILLING = "CREATE OR REPLACE TEMP TABLE sorted AS SELECT md5(range::VARCHAR) AS h FROM range(3000000) ORDER BY h"


def test_a_write_that_spilled_in_its_load_refreshes_and_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_INGEST_MEMORY", "64MB")
    db = tmp_path / "s.duckdb"
    with open_store_for_write(db) as store:
        with bounded_memory(store.con, store.path):          # the load's block, as the ingest runs it
            store.con.execute(_SPILLING)
            spilled = store.con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()
            assert spilled is not None and spilled[0] > 0
            store.con.execute("DROP TABLE sorted")
        store.con.execute("INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, "
                          "ProviderName, ServiceName, ResourceId, ResourceName, Tags) VALUES (12.5, 12.5, "
                          "'2026-10-03', '2026-10-04', 'AWS', 'EC2', 'i-spilled', 'after-a-spill', MAP {'team': 'search'})")
        with bounded_memory(store.con, store.path):          # a second block in the same database spills too
            store.con.execute(_SPILLING)
    # The writer's own refresh ran (a third block) and the write committed, its names and facts with it.
    assert db_rows(db, "SELECT BilledCost FROM focus_charges WHERE ResourceId = 'i-spilled'") == [(12.5,)]
    assert db_rows(db, "SELECT name FROM name_index WHERE name = 'after-a-spill'") == [("after-a-spill",)]
    assert db_rows(db, "SELECT team FROM resource_facts WHERE ResourceId = 'i-spilled'") == [("search",)]
    assert not any(p.name.endswith(".spill") for p in tmp_path.iterdir())   # the writer removed the spill
