"""The store's name index (issue 17.4): kept by ingest, caught up on a stale store, and the planner and the
tools resolve names through it the same way whether a kind has few names or many."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge import name_index
from knowledge.ingest import ingest
from knowledge.ingest.progress import describe
from knowledge.ingest.session import transaction
from knowledge.naming import fold
from knowledge.store import open_store
from tests.conftest import duckdb_connect
from tools.contract import UnknownNameError
from tools.names import resolve

SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"


def test_ingest_indexes_every_resource_with_its_folded_form(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    con = duckdb_connect(str(db), read_only=True)
    expected = {r[0] for r in con.execute(
        "SELECT ResourceId FROM focus_charges WHERE ResourceId <> '' UNION SELECT ResourceName FROM focus_charges "
        "WHERE ResourceName <> ''").fetchall()}
    indexed = dict(con.execute("SELECT name, folded FROM name_index WHERE kind = 'resource'").fetchall())
    assert set(indexed) == expected
    assert all(indexed[n] == fold(n) for n in expected)
    assert name_index.ensure(con).endswith(".main")        # up to date: no private rebuild on read
    con.close()


def test_a_store_changed_by_hand_is_caught_up_on_read(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "hand.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb_connect(str(db))
    con.execute("INSERT INTO teams (team) VALUES ('zephyr-labs')")
    con.close()
    with open_store(db, read_only=True) as store:        # read-only: built privately in the temp schema
        assert resolve(store.con, "team", "Zephyr Labs") == "zephyr-labs"
        with pytest.raises(UnknownNameError) as err:
            resolve(store.con, "team", "zephyr-lab")
        assert "zephyr-labs" in err.value.suggestions


def test_big_kinds_resolve_from_the_store_as_small_ones_do(demo_store, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.entities as entities
    import tools.names as names

    con = demo_store.con
    resource = con.execute("SELECT min(ResourceName) FROM focus_charges WHERE ResourceName LIKE 'llm-serving%'").fetchone()[0]
    small = entities.extract(f"who owns {resource}?", entities.NameIndex.read(con))
    monkeypatch.setattr(entities, "BIG_KIND", 10)
    monkeypatch.setattr(names, "BIG_KIND", 10)
    index = entities.NameIndex.read(con)
    assert "resource" in index.big and "resource" not in index.by_kind
    big = entities.extract(f"who owns {resource}?", index)
    assert [(h.kind, h.name) for h in big.names] == [(h.kind, h.name) for h in small.names]
    assert resolve(con, "resource", resource.upper()) == resource
    with pytest.raises(UnknownNameError) as err:
        resolve(con, "resource", resource + "x")
    assert resource in err.value.suggestions


def test_a_failed_block_is_rolled_back(tmp_path: Path) -> None:
    con = duckdb_connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE t (i INTEGER)")
    with pytest.raises(ZeroDivisionError):
        with transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
            raise ZeroDivisionError
    with transaction(con):
        con.execute("INSERT INTO t VALUES (2)")
    assert con.execute("SELECT list(i) FROM t").fetchone()[0] == [2]


def test_progress_names_the_rate_and_the_time_left() -> None:
    assert describe("reading", 0.5, 1_000_000, 10.0) == "reading: 50,000 rows/s, about 10 s left"
    assert describe("reading", 0.0, 1_000_000, 10.0) == "reading"
