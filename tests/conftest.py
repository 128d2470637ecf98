"""Shared fixtures: stores on disk (never in memory), built once per session and copied for writers."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from knowledge.connection import THREADS_ENV
from knowledge.store import Store, open_store

# pytest-xdist runs one worker per core; DuckDB would start a thread per core in every database each worker
# opens on top of that, oversubscribing the cores (whole suite on 2 cores: 189.5 -> 173 s, worker CPU -15%).
# One DuckDB thread per worker here; subprocesses inherit it unless a test gives them their own environment.
# tests/integration/test_demo.py checks that answers on a multi-row-group store do not depend on the count.
os.environ.setdefault(THREADS_ENV, "1")


def duckdb_connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Plain DuckDB (no finops code: expected values come from here), on one thread like the product here."""
    con = duckdb.connect(database, read_only=read_only)
    con.execute("SET threads = 1")
    return con

DATA = Path(__file__).parent / "data"
FOCUS_SAMPLE = DATA / "focus_sample_1000.csv.gz"

# The longest files run first: `pytest -n auto --dist loadfile` hands out whole files, and a long one handed
# out late keeps one worker busy after the others are done (longest first evens the workers' ends).
LONGEST_FIRST = ("tests/integration/test_engines_differential.py", "tests/integration/test_evals_run.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = str(item.path).replace("\\", "/")
        return next((i for i, f in enumerate(LONGEST_FIRST) if path.endswith(f)), len(LONGEST_FIRST))

    items.sort(key=rank)   # stable: every other test keeps its order


def pytest_collection_finish(session: pytest.Session) -> None:
    """Take what collection imported (the product, langgraph, textual, pyspark, …: hundreds of thousands of
    long-lived objects) out of the cyclic garbage collector's sight, and let the young generation grow larger
    before a pass. A worker otherwise re-walks those objects at every full collection: ~5% of its CPU
    (gc callbacks over a 268-test run: 1.29 s of 24.8 s; frozen: 0.37 s). Reference counting frees as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "empty.duckdb")
    yield store
    store.close()


def copy_store(src: Path, dst_dir: Path, name: str = "copy.duckdb") -> Path:
    dst = dst_dir / name
    shutil.copy(src, dst)
    return dst


def catalog_store(path: Path, teams: str) -> Path:
    """A small store at `path`: the shipped price catalogs and the rows `teams` (an SQL VALUES list:
    team, cost centre, channel, owner, Slack approvers), for a module to build once and copy per test."""
    from knowledge.prices import load_catalogs

    with open_store(path) as store:
        load_catalogs(store.con)
        store.con.execute(f"INSERT INTO teams VALUES {teams}")
    return path


# -- the demo company, built once and shared by every worker and session ------------------------------
DEMO_AS_OF = "2026-11-25"
DEMO_SEED = 7


def demo_key() -> str:
    """What the demo store's bytes depend on: its seed and date, the DuckDB version, and every file of the
    `knowledge` package (the builder, the schema, the catalogs). A change to any of them builds anew."""
    import knowledge

    digest = hashlib.sha256(f"{DEMO_AS_OF}|{DEMO_SEED}|duckdb {duckdb.__version__}".encode())
    root = Path(knowledge.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def _cache_dir(config: pytest.Config) -> Path:
    """`FINOPS_TEST_CACHE`, else pytest's cache directory (.pytest_cache), else the system temp dir."""
    named = os.environ.get("FINOPS_TEST_CACHE")
    if named:
        path = Path(named)
    elif getattr(config, "cache", None) is not None:
        path = config.cache.mkdir("finops-demo-stores")
    else:
        path = Path(tempfile.gettempdir()) / "finops-demo-stores"
    path.mkdir(parents=True, exist_ok=True)
    return path


def built_demo(config: pytest.Config) -> Path:
    """The demo store for this code version, built by the first process that needs it; the others (xdist
    workers, later sessions) wait on the lock and reuse the file. Never opened for writing: see demo_db."""
    from datetime import date

    from filelock import FileLock

    from knowledge.demo import build_demo

    cache = _cache_dir(config)
    path = cache / f"demo-{demo_key()}.duckdb"
    with FileLock(str(path) + ".lock", timeout=900):
        if not path.exists():
            partial = cache / f"{path.name}.{os.getpid()}.building"
            partial.unlink(missing_ok=True)
            build_demo(partial, as_of=date.fromisoformat(DEMO_AS_OF), seed=DEMO_SEED)
            os.replace(partial, path)     # atomic: a reader sees the whole store or none
            for old in cache.glob("demo-*.duckdb"):   # other code versions' stores, unused for a day
                if old != path and time.time() - old.stat().st_mtime > 86400:
                    old.unlink(missing_ok=True)
    return path


@pytest.fixture(scope="session")
def demo_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Path of this worker's copy of the demo store (built once, see built_demo). Open it read-only, or
    copy it (writable_demo) to write: a copy per worker keeps DuckDB's file lock out of parallel runs.

    One read-only connection stays open for the session, as a long-running reader (the Slack bot, the TUI)
    holds one: DuckDB keeps a file's database instance while any connection to it is open, so each of the
    ~1,500 read-only opens of this file in a run costs ~0.3 ms instead of loading the catalog anew (~13 ms).
    The product's open_store runs unchanged; a writable open of this file fails, as the rule above says."""
    path = copy_store(built_demo(request.config), tmp_path_factory.mktemp("demo"), "demo.duckdb")
    held = duckdb_connect(str(path), read_only=True)
    try:
        yield path
    finally:
        held.close()


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


def db_rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of one query on the store file `db`, read by plain DuckDB (no finops code)."""
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# A pre-launch manifest the estimate tests share: 64 H100 for 72 h on demand in us-east-1, team search.
MANIFEST = """\
name: llama-70b-sft
team: search
kind: training
gpu_type: H100
gpu_count: 64
hours: 72
region: us-east-1
pricing: on-demand
budget: 40000
ttl_hours: 96
"""


def clarifies(answer: Any, *quoted: str) -> None:
    """The answer asks back: a clarification that states no figure and quotes each of `quoted`."""
    assert answer.kind == "did_you_mean" and "$" not in answer.text, answer.text
    for word in quoted:
        assert word in answer.text, answer.text


def usd(value: Any, places: int = 2) -> str:
    """Money as the answers print it ($1,234.56), for asserting a figure appears in an answer's text."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    return f"-${abs(d):,}" if d < 0 else f"${d:,}"


@pytest.fixture(scope="module")
def sql(demo_db: Path) -> Iterator[Callable[..., Any]]:
    """One value from an independent SQL query over the demo store: sql("SELECT ... WHERE x = ?", x)."""
    con = duckdb_connect(str(demo_db), read_only=True)
    yield lambda query, *params: con.execute(query, list(params)).fetchone()[0]
    con.close()


@pytest.fixture(scope="module")
def facts(demo_db: Path) -> dict[str, Any]:
    """The planted facts (module scope, for module-scoped fixtures; `demo_facts` is the per-test one)."""
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        return {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM demo_facts").fetchall()}
    finally:
        con.close()


_HOLDING_READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute(sys.argv[2]).fetchone()[0], flush=True)
sys.stdin.readline()                      # hold the read-only connection until told to go on
print(con.execute(sys.argv[2]).fetchone()[0], flush=True)
"""


@contextmanager
def reader_holding(db: Path, sql: str) -> Iterator[tuple[str, Callable[[], str]]]:
    """Another process that opens `db` read-only and holds it open for the block: its first answer to `sql`,
    and a call that lets it go on and returns its second answer (from the snapshot it holds)."""
    reader = subprocess.Popen([sys.executable, "-c", _HOLDING_READER, str(db), sql], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdin is not None
        out, into = reader.stdout, reader.stdin

        def again() -> str:
            into.write("go\n")
            into.flush()
            return out.readline().strip()

        yield out.readline().strip(), again
    finally:
        reader.kill()
        reader.wait()
