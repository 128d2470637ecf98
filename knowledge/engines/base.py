"""The engine boundary: the one place tool SQL is executed (docs/engines.md).

Tools write SQL once, in DuckDB's dialect with `?` parameters (docs/architecture.md, "Portable SQL"). An
`Engine` runs it: DuckDB (the default: the store's own connection, unchanged) or another engine that
transpiles it first (`knowledge.engines.spark`). An engine returns the column names and the rows as
Python values (Decimal for DECIMAL, date/datetime naive UTC)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import duckdb


@runtime_checkable
class Engine(Protocol):
    """Runs one parameterised DuckDB-dialect statement and returns (columns, rows)."""

    name: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]: ...


class DuckDBEngine:
    """The store's DuckDB connection, as it always ran the tools' SQL."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql, list(params))
        cols = [d[0] for d in cur.description] if cur.description else []
        return cols, cur.fetchall()


# The engine chosen for an open store (`finops ... --engine spark`), kept beside the store (a Store is an
# unhashable dataclass: keyed by identity, dropped with it by a finalizer) so every surface that runs tools on
# that store uses it without new parameters on the way down.
_ENGINES: dict[int, Engine] = {}
_LOCK = threading.Lock()


def use_engine(store: object, engine: Engine | None) -> None:
    """Run the tools on `store` with `engine` from now on (None: back to the store's DuckDB connection)."""
    with _LOCK:
        if engine is None:
            _ENGINES.pop(id(store), None)
            return
        if id(store) not in _ENGINES:
            weakref.finalize(store, _ENGINES.pop, id(store), None)
        _ENGINES[id(store)] = engine


EngineFactory = Callable[[object], Engine]
_FACTORIES: dict[str, EngineFactory] = {}
_SELECTED: list[str] = []


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make `name` selectable (`select_engine`, FINOPS_ENGINE): `factory(store)` builds it for an open store."""
    _FACTORIES[name] = factory


def select_engine(name: str | None) -> None:
    """The engine for every store this process opens from now on (`--engine`); None: back to
    $FINOPS_ENGINE, else DuckDB."""
    _SELECTED[:] = [name] if name else []


def selected_engine() -> str:
    return _SELECTED[0] if _SELECTED else (os.environ.get("FINOPS_ENGINE") or "duckdb").strip().lower()


def engine_of(store: object) -> Engine | None:
    """The engine chosen for `store` (`use_engine`), else the one this process selected, built for the store
    once; None for the store's own DuckDB connection."""
    engine = _ENGINES.get(id(store))
    if engine is not None:
        return engine
    name = selected_engine()
    if name == "duckdb":
        return None
    with _CREATE_LOCK:
        engine = _ENGINES.get(id(store))
        if engine is None:
            factory = _FACTORIES.get(name)
            if factory is None:
                raise ValueError(f"unknown engine {name!r}; engines: duckdb, {', '.join(sorted(_FACTORIES))}")
            engine = factory(store)
            use_engine(store, engine)
        return engine


_CREATE_LOCK = threading.Lock()
