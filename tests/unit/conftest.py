"""Unit tests: pure functions of the product (period grammar, grounding, the semantic model's declarations,
Slack rendering). They open no store: a DuckDB connection here is a test in the wrong directory (move it
to tests/integration/, where the demo store fixtures live)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

import duckdb
import pytest


@pytest.fixture(autouse=True)
def no_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise AssertionError("a unit test opened a DuckDB store: it belongs in tests/integration/")

    monkeypatch.setattr(duckdb, "connect", refuse)
    yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/unit/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.unit)
