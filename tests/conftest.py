"""Shared fixtures: stores on disk (never in memory), built once per session and copied for writers."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from knowledge.store import Store, open_store

DATA = Path(__file__).parent / "data"
FOCUS_SAMPLE = DATA / "focus_sample_1000.csv.gz"


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "empty.duckdb")
    yield store
    store.close()


def copy_store(src: Path, dst_dir: Path, name: str = "copy.duckdb") -> Path:
    dst = dst_dir / name
    shutil.copy(src, dst)
    return dst


# -- the demo company, built once per test session (knowledge.demo.build_demo) ----------------------
DEMO_AS_OF = "2026-11-25"
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a demo store built once per session. Open it read-only, or copy it to write."""
    from datetime import date

    from knowledge.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, as_of=date.fromisoformat(DEMO_AS_OF), seed=DEMO_SEED)
    return path


@pytest.fixture
def demo_store(demo_db: Path) -> Store:
    """A read-only connection to the session's demo store."""
    store = open_store(demo_db, read_only=True)
    yield store
    store.close()


@pytest.fixture
def demo_facts(demo_db: Path) -> dict:
    """The planted facts, read from the store's demo_facts table (never hard-coded in tests)."""
    with open_store(demo_db, read_only=True) as store:
        return {k: json.loads(v) for k, v in store.con.execute("SELECT key, value FROM demo_facts").fetchall()}


@pytest.fixture
def writable_demo(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store for tests that write."""
    return copy_store(demo_db, tmp_path, "demo-copy.duckdb")


def usd(value: Any, places: int = 2) -> str:
    """Money as the answers print it ($1,234.56), for asserting a figure appears in an answer's text."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    return f"-${abs(d):,}" if d < 0 else f"${d:,}"


@pytest.fixture(scope="module")
def sql(demo_db: Path) -> Iterator[Callable[..., Any]]:
    """One value from an independent SQL query over the demo store: sql("SELECT ... WHERE x = ?", x)."""
    con = duckdb.connect(str(demo_db), read_only=True)
    yield lambda query, *params: con.execute(query, list(params)).fetchone()[0]
    con.close()


@pytest.fixture(scope="module")
def facts(demo_db: Path) -> dict[str, Any]:
    """The planted facts (module scope, for module-scoped fixtures; `demo_facts` is the per-test one)."""
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        return {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM demo_facts").fetchall()}
    finally:
        con.close()
