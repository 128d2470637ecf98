"""`build_demo`: build the demo company into a store file, atomically (temp file next to it, then rename)."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import BaseModel

from knowledge.demo.budgets import insert_budgets
from knowledge.demo.endpoints import insert_endpoints
from knowledge.demo.facts import compute_facts, write_facts
from knowledge.demo.focus import create_staging
from knowledge.demo.gpu import insert_jobs
from knowledge.demo.llm import insert_llm_calls
from knowledge.demo.ordinary import choose_untagged, create_resources, insert_ordinary_charges
from knowledge.demo.planted import insert_planted_charges, insert_planted_rules
from knowledge.demo.reference import (
    create_lookups,
    insert_pattern_rules,
    insert_prompts,
    insert_teams,
)
from knowledge.demo.window import DemoWindow
from knowledge.prices import load_catalogs
from knowledge.store import Store, open_store

COUNTED_TABLES = (
    "focus_charges", "llm_calls", "gpu_jobs", "endpoints", "endpoint_usage_daily", "teams", "ownership",
    "budgets", "prompts", "llm_prices", "gpu_prices", "demo_facts",
)


class DemoSummary(BaseModel):
    db_path: str
    as_of: date
    start: date
    days: int
    seed: int
    scale: int
    rows: dict[str, int]
    seconds: float
    ingest_id: str


def build_demo(db_path: Path, *, as_of: date | None = None, seed: int = 7, scale: int = 1) -> DemoSummary:
    """Build the demo company into `db_path` (replacing any file there only once the new one is complete)."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    db_path = Path(db_path)
    as_of = as_of or datetime.now(UTC).date()
    started = time.perf_counter()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.building-{os.getpid()}")
    _remove(tmp)
    try:
        with open_store(tmp) as store:
            summary_rows = _fill(store, DemoWindow.ending(as_of), int(seed), int(scale))
        _remove(Path(str(db_path) + ".wal"))   # a stale WAL must never be replayed onto the new file
        os.replace(tmp, db_path)
    finally:
        _remove(tmp)
        _remove(Path(str(tmp) + ".wal"))
    window = DemoWindow.ending(as_of)
    return DemoSummary(db_path=str(db_path), as_of=as_of, start=window.start, days=window.days, seed=seed,
                       scale=scale, rows=summary_rows, seconds=round(time.perf_counter() - started, 3),
                       ingest_id=_ingest_id(as_of, seed, scale))


def _ingest_id(as_of: date, seed: int, scale: int) -> str:
    return f"demo-{as_of.isoformat()}-s{int(seed)}-x{int(scale)}"


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _fill(store: Store, window: DemoWindow, seed: int, scale: int) -> dict[str, int]:
    con = store.con
    con.execute("SET enable_progress_bar = false")
    ingest_id = _ingest_id(window.as_of, seed, scale)
    begun = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    load_catalogs(con)
    create_lookups(con, window)
    create_staging(con)
    insert_teams(con)
    insert_prompts(con)
    insert_planted_rules(con)
    insert_pattern_rules(con, first_rule_id=100)
    insert_llm_calls(con, seed, ingest_id)
    jobs = insert_jobs(con, seed, window, ingest_id)
    insert_endpoints(con, seed, window, ingest_id)
    insert_planted_charges(con, seed, window, ingest_id)
    create_resources(con, seed, scale, window.days)
    choose_untagged(con, seed)
    insert_ordinary_charges(con, seed, ingest_id)
    insert_budgets(con, seed, window)
    write_facts(con, compute_facts(con, window, jobs, seed, scale))
    store.set_meta("as_of", window.as_of.isoformat())
    store.set_meta("demo", f"seed={seed} scale={scale}")
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED_TABLES}
    loaded = rows["focus_charges"] + rows["llm_calls"] + rows["gpu_jobs"] + rows["endpoints"]
    con.execute(
        "INSERT INTO ingest_runs (ingest_id, source, file, billing_account, billing_period, rows_read, rows_loaded, "
        "rows_quarantined, rows_replaced, status, started_at, finished_at) "
        "VALUES (?, 'demo', NULL, NULL, NULL, ?, ?, 0, 0, 'ok', ?, ?)",
        [ingest_id, loaded, loaded, begun, datetime.now(UTC).replace(tzinfo=None)],
    )
    rows["ingest_runs"] = 1
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    return rows
