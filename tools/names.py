"""Name resolution shared by every tool: exact, then case/punctuation-folded, else "did you mean".

A fuzzy match is never used silently: 'serch' is not taken to mean 'search'; the user is asked.
Names are looked up in the store's name index (knowledge.name_index), not read whole into Python: a
lookup costs the same with 2K resources as with 2M.
"""

from __future__ import annotations

from typing import Literal

import duckdb

from knowledge.name_index import NameTables
from knowledge.naming import fold, suggest
from tools.contract import UnknownNameError

__all__ = ["NameTables", "candidates", "close_names", "fold", "resolve", "resolve_in", "suggest"]

NameKind = Literal["team", "model", "resource", "project", "service", "account", "app", "provider", "region", "prompt", "feature", "customer", "environment"]
KINDS: frozenset[str] = frozenset(NameKind.__args__)  # type: ignore[attr-defined]
# A kind with more names than this gets its "did you mean" from a bounded candidate set read in SQL.
BIG_KIND = 5000


def candidates(con: duckdb.DuckDBPyConnection, kind: str) -> list[str]:
    """Every known name of a kind, deduplicated, in a stable order (a kind with few names: teams, services)."""
    if kind not in KINDS:
        raise ValueError(f"unknown name kind {kind!r}")
    return NameTables(con).all_names([kind])[kind]


def resolve_in(name: str, names: list[str], kind: str) -> str:
    """Resolve `name` against `names`: exact, then folded; else raise UnknownNameError with suggestions."""
    if name in names:
        return name
    target = fold(name)
    folded_hits = [n for n in names if fold(n) == target]
    if len(folded_hits) == 1:
        return folded_hits[0]
    if len(folded_hits) > 1:
        raise UnknownNameError(kind, name, folded_hits)
    raise UnknownNameError(kind, name, suggest(name, names))


def close_names(tables: NameTables, kind: str, name: str, limit: int = 3) -> list[str]:
    """"Did you mean" for `name`: every name of a small kind scored, or a bounded candidate set of a big one."""
    if tables.counts().get(kind, 0) <= BIG_KIND:
        return suggest(name, tables.all_names([kind])[kind], limit)
    pool = {n for _, n in tables.near(name, [kind], limit=200)} | {n for _, n in tables.with_prefix(fold(name), [kind])}
    return suggest(name, sorted(pool), limit)


def resolve(con: duckdb.DuckDBPyConnection, kind: str, name: str) -> str:
    """The canonical spelling of a team/model/resource/... name in the store, or UnknownNameError."""
    if kind not in KINDS:
        raise ValueError(f"unknown name kind {kind!r}")
    name = name.strip()
    tables = NameTables(con)
    if tables.by_name(kind, name):
        return name
    folded_hits = sorted({n for _, _, n in tables.exact([fold(name)], [kind])})
    if len(folded_hits) == 1:
        return folded_hits[0]
    if len(folded_hits) > 1:
        raise UnknownNameError(kind, name, folded_hits)
    raise UnknownNameError(kind, name, close_names(tables, kind, name))
