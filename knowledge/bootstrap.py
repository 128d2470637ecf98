"""First use: when a question finds no store (or one holding no data), build the demo company there.

`ensure_store` returns the store path and a one-line notice to show the person (None when the store was
already there). Question-answering surfaces call it before opening the store read-only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from knowledge.store import resolve_db_path

# Tables that hold a person's data; a store with none of them filled counts as empty.
# (meta and the price catalogs do not count: they are filled by the store itself.)
DATA_TABLES = (
    "focus_charges", "llm_calls", "gpu_jobs", "endpoints", "endpoint_usage_daily", "teams", "ownership",
    "budgets", "prompts", "approvals", "ingest_runs", "quarantine", "demo_facts",
)


def store_has_data(path: Path) -> bool:
    """True when `path` holds a store with a row in any data table (or is not a store we can read:
    then it is not ours to replace)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
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
    """The store path, and a one-line notice when the demo had to be built there (else None)."""
    from knowledge.demo import build_demo

    path = resolve_db_path(db)
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
