"""Facts about a read-only store are shared by every later opening of the same file version
(knowledge.store.file_version; tools.registry's store caches; the name index's up-to-date check), and never
outlive a change of the file: a write through the writer protocol, or one made in place by someone else."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from knowledge.errors import UnknownNameError
from knowledge.ingest import ingest
from knowledge.store import file_version, open_store
from tests.conftest import duckdb_connect
from tools.registry import ToolContext, run_tool

DATA = Path(__file__).parents[1] / "data"


def _charge_rows(db: Path) -> int:
    con = duckdb_connect(str(db), read_only=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM focus_charges").fetchone() or (0,)
        return int(n)
    finally:
        con.close()


def _billing_freshness_rows(db: Path) -> int:
    with open_store(db, read_only=True) as store:
        return next(f.rows for f in ToolContext(store, "t").freshness() if f.rows and "billing" in f.source.lower())


def test_two_openings_of_one_file_share_their_facts(writable_demo: Path) -> None:
    with open_store(writable_demo, read_only=True) as a, open_store(writable_demo, read_only=True) as b:
        assert a.version is not None and a.version == b.version
        ToolContext(a, "t").freshness()
        assert ToolContext(b, "t").store_cache("freshness") is ToolContext(a, "t").store_cache("freshness")


def test_a_write_through_the_writer_protocol_is_a_new_version_with_new_facts(writable_demo: Path) -> None:
    before_version = file_version(writable_demo)
    before = _billing_freshness_rows(writable_demo)
    assert before == _charge_rows(writable_demo)
    ingest(writable_demo, "focus", [DATA / "focus12_fixture.csv"])
    assert file_version(writable_demo) != before_version
    after = _billing_freshness_rows(writable_demo)
    assert after == _charge_rows(writable_demo) and after != before


def test_a_change_made_in_place_is_a_new_version(writable_demo: Path) -> None:
    before_version = file_version(writable_demo)
    before = _billing_freshness_rows(writable_demo)
    con = duckdb_connect(str(writable_demo))          # someone else's DuckDB session, writing the live file
    con.execute("DELETE FROM focus_charges WHERE rowid IN (SELECT rowid FROM focus_charges LIMIT 10)")
    con.close()
    assert file_version(writable_demo) != before_version
    assert _billing_freshness_rows(writable_demo) == before - 10 == _charge_rows(writable_demo)


def test_a_name_added_by_a_write_resolves_on_the_next_opening(writable_demo: Path) -> None:
    """The name index of the first version was found up to date; the next version's is checked again."""
    fixture = DATA / "focus12_fixture.csv"
    (resource,) = duckdb.sql(f"SELECT ResourceId FROM read_csv('{fixture}') WHERE ResourceName = 'acme-snowflake'"
                             ).fetchone() or ("",)
    with open_store(writable_demo, read_only=True) as store:
        with pytest.raises(UnknownNameError):
            run_tool(store, "who_owns", {"resource": str(resource)})
    ingest(writable_demo, "focus", [fixture])
    with open_store(writable_demo, read_only=True) as store:
        assert str(resource) in run_tool(store, "who_owns", {"resource": str(resource)}).summary()
