"""Opening the DuckDB store: default location, forward migrations, read-only connections.

The connection is passed around explicitly (a `Store`); nothing here is global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from knowledge.schema import MIGRATIONS, SCHEMA_VERSION


class StoreError(Exception):
    """The store cannot be opened or is not a finops store."""


def default_db_path() -> Path:
    """`FINOPS_DB`, else `$XDG_DATA_HOME/finops/finops.duckdb` (~/.local/share/finops/finops.duckdb)."""
    env = os.environ.get("FINOPS_DB")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "finops" / "finops.duckdb"


def resolve_db_path(db: str | Path | None) -> Path:
    return Path(db).expanduser() if db else default_db_path()


@dataclass
class Store:
    """An open store: the DuckDB connection and where it lives."""

    con: duckdb.DuckDBPyConnection
    path: Path
    read_only: bool

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def today(self) -> date:
        """The reference 'today' for relative periods ("last week").

        `FINOPS_TODAY` (ISO date) wins; else the store's `as_of` (set by the demo builder, so a demo
        built for a date answers as of that date); else the real UTC date.
        """
        env = os.environ.get("FINOPS_TODAY")
        if env:
            return date.fromisoformat(env)
        as_of = self.meta("as_of")
        if as_of:
            return date.fromisoformat(as_of)
        return datetime.now(timezone.utc).date()


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        return 0
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the missing migrations in one transaction; returns the resulting version."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"this store has schema version {current}, newer than this finops ({SCHEMA_VERSION}); upgrade finops"
        )
    if current == SCHEMA_VERSION:
        return current
    con.execute("BEGIN TRANSACTION")
    try:
        for sql in MIGRATIONS[current:]:
            con.execute(sql)
        con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(SCHEMA_VERSION)],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def open_store(db: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open (and, when writable, create and migrate) the store at `db` or the default path."""
    path = resolve_db_path(db)
    if read_only:
        if not path.exists():
            raise StoreError(f"no store at {path}; run `finops demo` or `finops ingest` first")
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
        version = schema_version(con)
        if version != SCHEMA_VERSION:
            con.close()
            # An older store: migrate it once with a writable connection, then reopen read-only.
            if version < SCHEMA_VERSION:
                with open_store(path) as _:
                    pass
                return open_store(path, read_only=True)
            raise StoreError(f"{path} has schema version {version}; this finops supports {SCHEMA_VERSION}")
        return Store(con, path, True)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    migrate(con)
    return Store(con, path, False)


def open_memory_store() -> Store:
    con = duckdb.connect(":memory:")
    migrate(con)
    return Store(con, Path(":memory:"), False)
