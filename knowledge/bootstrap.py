"""First use: the demo company is built for a question only at the default store path, never elsewhere.

`ensure_store` returns the store path and a one-line notice to show the person (None when the store was
already there). Question-answering surfaces call it before opening the store read-only.

The rule (issue 16: a mistyped `--db` once answered, and posted to Slack, from a made-up company):

- no `--db` and no `FINOPS_DB`: the default path (~/.local/share/finops/finops.duckdb, or under
  $XDG_DATA_HOME). When no store with data is there, the demo company is built, with a one-line notice.
- a path the person named (`--db` or `FINOPS_DB`) that does not exist: NoStoreError naming the path and
  the commands that build a store there; nothing is created. An existing store there is used as it is.
- `is_demo_store` tells every surface that shows or posts figures that they are the demo's.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from knowledge.store import StoreError, connect_reading, resolve_db_path


class NoStoreError(StoreError):
    """A named store path (`--db` or FINOPS_DB) with no store: the next step is in the message."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"no store at {path}; build one with `finops demo --db {path}` or "
                         f"`finops ingest focus … --db {path}`")


def named_path(db: Path | str | None) -> bool:
    """True when the person chose the store (`--db` or FINOPS_DB), False for the default path."""
    return bool(db) or bool(os.environ.get("FINOPS_DB"))


def require_store(db: Path | str | None) -> Path:
    """The store path for a command that must not create one (estimate, slack): a named path that does not
    exist is a NoStoreError. The default path is returned as is (the caller decides)."""
    path = resolve_db_path(db)
    if named_path(db) and not path.exists():
        raise NoStoreError(path)
    return path


def is_demo_store(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds the demo company (its `demo_facts` table has rows)."""
    try:
        return con.execute("SELECT 1 FROM demo_facts LIMIT 1").fetchone() is not None
    except duckdb.Error:
        return False

# Tables that hold a person's data; a store with none of them filled counts as empty.
# (meta and the price catalogs do not count: they are filled by the store itself.)
DATA_TABLES = (
    "focus_charges", "llm_calls", "gpu_jobs", "endpoints", "endpoint_usage_daily", "teams", "ownership",
    "budgets", "prompts", "approvals", "ingest_runs", "quarantine", "demo_facts",
)


def path_is_demo(path: Path) -> bool:
    """`is_demo_store` for a store file (False when it cannot be read now, e.g. no file)."""
    if not path.exists():
        return False
    try:
        con = connect_reading(path)
    except StoreError:
        return False
    try:
        return is_demo_store(con)
    finally:
        con.close()


def store_has_data(path: Path) -> bool:
    """True when `path` holds a store with a row in any data table (or is not a store we can read:
    then it is not ours to replace)."""
    try:
        con = connect_reading(path)
    except StoreError:
        return True
    try:
        existing = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        for table in DATA_TABLES:
            if table in existing and con.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                return True
        return False
    finally:
        con.close()


def ensure_store(db: Path | str | None) -> tuple[Path, str | None]:
    """The store path, and a one-line notice when the demo had to be built there (else None).

    Builds the demo only at the default path; a named path must hold a store (NoStoreError otherwise)."""
    from knowledge.demo import build_demo

    path = require_store(db)
    if named_path(db):
        return path, None
    missing = not path.exists()
    if not missing and store_has_data(path):
        return path, None
    summary = build_demo(path)
    what = "No store" if missing else "Empty store"
    notice = (
        f"{what} at {path}: built the demo company ({summary.days} days, as of {summary.as_of.isoformat()}) "
        f"in {summary.seconds:.1f} s. Ingest your own data with `finops ingest focus FILE`."
    )
    return path, notice
