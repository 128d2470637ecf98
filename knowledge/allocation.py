"""Allocation materialised: the owner of every billed resource is computed when its inputs change, not on
every question.

`resource_owners` (what `charges_allocated`, who-owns and the team breakdowns read) is a view over the
table `resource_owners_table`, which `refresh` rebuilds from `resource_owners_live` (the rule: an
ownership rule first, then endpoint metadata, then the GPU job that ran on the resource) when a signature
of its inputs changed: the charges (row count and ingest runs), the ownership rules, the endpoints and the
GPU jobs (a hash of every row). Writers call it when they finish (`knowledge.store`), so a question never
pays for a DISTINCT over the whole bill. `meta.allocation_refreshed_at` says when it last ran. A refresh
also sets the tag columns (knowledge.tag_columns) of charge rows inserted without them, and rebuilds what
ownership reads of each resource's charges (knowledge.resource_facts) when the charges changed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from knowledge import lake, resource_facts, tag_columns

TABLE = "resource_owners_table"
LIVE = "resource_owners_live"
_SIG_KEY = "allocation_signature"
REFRESHED_KEY = "allocation_refreshed_at"
_SMALL_INPUTS = ("ownership", "endpoints", "gpu_jobs")


def signature(con: duckdb.DuckDBPyConnection) -> str:
    """One string that changes when any input of the owners table changes."""
    parts = list(resource_facts.SIGNATURE_PARTS)
    parts += [f"(SELECT count(*) || '/' || coalesce(sum(hash(t)), 0)::VARCHAR FROM {name} t)" for name in _SMALL_INPUTS]
    row = con.execute("SELECT " + " || ' ' || ".join(parts)).fetchone()
    return str(row[0]) if row else ""


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM main.meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT INTO main.meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value])


def refresh(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Rebuild the owners table and the resources' ownership facts (knowledge.resource_facts) when their
    inputs changed (or `force`); returns whether the owners table was rebuilt."""
    sig = signature(con)
    owners = force or _meta(con, _SIG_KEY) != sig
    facts = force or resource_facts.stale(con)
    if not (owners or facts):
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        tag_columns.fill(con, lake.main_table(con))     # rows some path inserted without their tag columns
        if facts:
            resource_facts.rebuild(con)
        if owners:
            con.execute(f"DELETE FROM main.{TABLE}")
            con.execute(f"INSERT INTO main.{TABLE} SELECT * FROM {LIVE}")
            _set_meta(con, _SIG_KEY, sig)
            _set_meta(con, REFRESHED_KEY, datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return owners


def refreshed_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    value = _meta(con, REFRESHED_KEY)
    return datetime.fromisoformat(value) if value else None
