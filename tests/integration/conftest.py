"""Integration tests: the real parts — DuckDB files on disk (the demo store built once per code version and
copied for writers: tests/conftest.py), the CLI in-process and as a subprocess, the Bolt app over signed
HTTP with a loopback Slack Web API, the Textual app under its Pilot, ChatOpenAI against a loopback
OpenAI-compatible server. `pytest -m "not integration"` runs the fast unit suite alone."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent.answer import Answer
from agent.service import ask
from tests.conftest import duckdb_connect


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def instant_demo_build(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """The builder `ensure_store` calls on first use, replaced by a copy of the session's demo store (itself made
    by the real builder, once per code version: tests/conftest.py). For tests of the first-use wiring (the
    default path, the one-line notice, the command then answering), not of the builder: test_demo.py builds for
    real (first use, the `finops demo` command, scale 2)."""
    import knowledge.demo
    from knowledge.demo import DemoSummary

    def build(db_path: Path, **_kwargs: object) -> DemoSummary:
        started = time.perf_counter()
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo_db, db_path)
        with duckdb_connect(str(db_path), read_only=True) as con:
            as_of = date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0])
        return DemoSummary(db_path=str(db_path), as_of=as_of, start=as_of - timedelta(days=90), days=90, seed=7,
                           scale=1, rows={}, seconds=time.perf_counter() - started, ingest_id="copied")

    monkeypatch.setattr(knowledge.demo, "build_demo", build)


@pytest.fixture(scope="module")
def offline(demo_db: Path) -> Iterator[Callable[..., Answer]]:
    """`offline(question, session=None)`: the offline planner's answer on the demo store, with no API key and
    the store's own date (a test module may define its own `offline`)."""
    mp = pytest.MonkeyPatch()
    mp.delenv("OPENAI_API_KEY", raising=False)
    mp.delenv("FINOPS_TODAY", raising=False)

    def run(question: str, session: str | None = None) -> Answer:
        return ask(question, db=demo_db, session_id=session, planner="offline")

    yield run
    mp.undo()
