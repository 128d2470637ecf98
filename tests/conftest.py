"""Shared fixtures: stores on disk (never in memory), built once per session and copied for writers."""

from __future__ import annotations

import shutil
from pathlib import Path

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
