"""The store's names in a table, so a name is looked up in SQL instead of read whole into Python.

`name_index(kind, name, folded, src)` holds every distinct name of every kind (team, resource, model, …)
with its folded form (`knowledge.naming.fold`) and the table it comes from; rows are kept sorted by
`folded`, so an exact or prefix lookup reads a few row groups (zone maps), whatever the number of names.
`name_words(word)` holds the letter runs of every name (a question word that is part of a name is never
"corrected" as a typo). `name_kinds(kind, n)` counts the names of each kind.

The index is kept by the writers: `refresh(con)` rebuilds the sources whose signature (row count and the
ingest runs for the big tables, a content hash of the small ones) changed since the last refresh, so an
approval or an estimate costs a signature query, not a scan. A store that a writer left stale (rows
inserted by hand) is caught by the same signature check on read: a writable connection refreshes, a
read-only one builds a private copy in its temp schema (the old cost, once per connection).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import duckdb
from cachetools import LRUCache

from knowledge.naming import fold
from knowledge.semantic.model import DIMENSIONS

__all__ = ["SOURCES", "NameTables", "ensure", "refresh"]


@dataclass(frozen=True)
class Source:
    table: str
    columns: tuple[tuple[str, str], ...]      # (kind, SQL expression yielding the name)
    big: bool                                 # signature from row count and ingest ids, not a content hash
    planner: bool = True                      # the offline planner reads it (bucket names: the tools only)


def _dim(name: str) -> str:
    return DIMENSIONS[name].sql


SOURCES: tuple[Source, ...] = (
    Source("focus_charges", (
        ("team", "x_tag_team"), ("project", _dim("project")), ("environment", _dim("env")),
        ("service", _dim("service")), ("provider", _dim("provider")), ("region", _dim("region")),
        ("account", "SubAccountName"), ("account", "SubAccountId"), ("account", "BillingAccountName"),
        ("account", "BillingAccountId"), ("resource", "ResourceId"), ("resource", "ResourceName")), big=True),
    Source("llm_calls", (("app", "app"), ("model", "model"), ("feature", "feature"), ("team", "team"),
                         ("provider", "provider"), ("prompt", "prompt_id"), ("customer", "customer_id")), big=True),
    Source("llm_usage_buckets", (("model", "model"), ("app", "project_id"), ("provider", "provider")),
           big=True, planner=False),
    Source("teams", (("team", "team"),), big=False),
    Source("ownership", (("team", "team"),), big=False),
    Source("gpu_jobs", (("team", "team"), ("project", "project"), ("environment", "environment"),
                        ("resource", "job_id"), ("resource", "name")), big=False),
    Source("endpoints", (("team", "team"), ("model", "model"), ("resource", "endpoint_id"), ("resource", "name")),
           big=False),
    Source("prompts", (("model", "model"), ("app", "app"), ("prompt", "prompt_id")), big=False),
    Source("llm_prices", (("catalog_model", "model"),), big=False),
)
PLANNER_EXCLUDED = tuple(s.table for s in SOURCES if not s.planner)

DDL = """
CREATE {temp}TABLE IF NOT EXISTS {schema}.name_index (kind VARCHAR NOT NULL, name VARCHAR NOT NULL,
                                                folded VARCHAR NOT NULL, src VARCHAR NOT NULL);
CREATE {temp}TABLE IF NOT EXISTS {schema}.name_words (word VARCHAR NOT NULL);
CREATE {temp}TABLE IF NOT EXISTS {schema}.name_kinds (kind VARCHAR NOT NULL, n BIGINT NOT NULL);
CREATE {temp}TABLE IF NOT EXISTS {schema}.name_sources (src VARCHAR NOT NULL, sig VARCHAR NOT NULL);
"""


def _replace(schema: str, table: str) -> str:
    return f"CREATE OR REPLACE TEMP TABLE {table}" if schema == TEMP else f"CREATE OR REPLACE TABLE {schema}.{table}"


TEMP = "temp.main"


def _main(con: duckdb.DuckDBPyConnection) -> str:
    """The connection's own database, fully qualified (a bare `main` may resolve to the temp catalog)."""
    row = con.execute("SELECT current_database()").fetchone()
    return f'"{row[0]}".main' if row else "main"
_FOLD_SQL = "regexp_replace(lower(name), '[^a-z0-9]', '', 'g')"


def _signature_sql(source: Source) -> str:
    if source.big:
        # Row count (no scan) and the ingest runs: a replace keeps the count but records a run. (min/max of
        # x_ingest_id would be exact per table but reads the column: 0.1 s at 10M rows, on every question.)
        return (f"(SELECT [count(*)::VARCHAR, (SELECT count(*) || '/' || coalesce(max(ingest_id), '') || '/' || "
                f"coalesce(max(finished_at)::VARCHAR, '') FROM ingest_runs)]::VARCHAR FROM {source.table})")
    cols = ", ".join(expr for _, expr in source.columns)
    return f"(SELECT [count(*)::VARCHAR, coalesce(sum(hash({cols})), 0)::VARCHAR]::VARCHAR FROM {source.table})"


def signatures(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The current signature of every source table (one query)."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database()"
    ).fetchall()}
    sources = [s for s in SOURCES if s.table in present and (not s.big or "ingest_runs" in present)]
    if not sources:
        return {}
    # One row per source, not one row of scalar subqueries: DuckDB's join-order search over 9 cross-joined
    # subqueries took ~19 ms per call; the UNION ALL ~2.6 ms (on the demo and on an empty store alike).
    rows = con.execute(" UNION ALL ".join(f"SELECT {i} AS i, {_signature_sql(s)} AS sig"
                                          for i, s in enumerate(sources))).fetchall()
    by_index = {int(i): str(sig) for i, sig in rows}
    return {s.table: by_index[i] for i, s in enumerate(sources)}


def _stored(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, str] | None:
    try:
        return dict(con.execute(f"SELECT src, sig FROM {schema}.name_sources").fetchall())
    except duckdb.CatalogException:
        return None


def _source_rows_sql(source: Source) -> str:
    """The distinct (kind, name) pairs of a source: one scan, one GROUPING SET per name column (at 10M charges
    0.8 s; unnesting every row into one row per column before a DISTINCT took 3.0 s)."""
    cols = ", ".join(f"CAST({e} AS VARCHAR) AS c{i}" for i, (_, e) in enumerate(source.columns))
    kind = " ".join(f"WHEN GROUPING(c{i}) = 0 THEN '{k}'" for i, (k, _) in enumerate(source.columns))
    name = " ".join(f"WHEN GROUPING(c{i}) = 0 THEN c{i}" for i in range(len(source.columns)))
    sets = ", ".join(f"(c{i})" for i in range(len(source.columns)))
    return (f"SELECT DISTINCT kind, name FROM (SELECT CASE {kind} END AS kind, CASE {name} END AS name "
            f"FROM (SELECT {cols} FROM {source.table}) GROUP BY GROUPING SETS ({sets})) "
            "WHERE name IS NOT NULL AND name <> ''")


def _rebuild(con: duckdb.DuckDBPyConnection, schema: str, stale: list[Source], sigs: dict[str, str]) -> None:
    """Replace the rows of the `stale` sources and rewrite the tables sorted (zone maps for lookups)."""
    t = f"{schema}.name_index"
    keep = ", ".join(f"'{s.table}'" for s in stale)
    parts = [f"SELECT kind, name, folded, src FROM {t} WHERE src NOT IN ({keep})"]
    parts += [f"SELECT kind, name, {_FOLD_SQL} AS folded, '{s.table}' AS src FROM ({_source_rows_sql(s)})"
              for s in stale]
    con.execute(f"{_replace(schema, 'name_index')} AS SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY folded, kind, name")
    _fold_non_ascii(con, t)
    con.execute(f"{_replace(schema, 'name_words')} AS SELECT DISTINCT w AS word FROM "
                f"(SELECT unnest(regexp_extract_all(lower(name), '[a-z]+')) AS w FROM "
                f"(SELECT DISTINCT name FROM {t})) WHERE w <> '' ORDER BY word")
    con.execute(f"{_replace(schema, 'name_kinds')} AS "
                f"SELECT kind, count(DISTINCT name) AS n FROM {t} GROUP BY kind ORDER BY kind")
    con.execute(f"DELETE FROM {schema}.name_sources")
    # One statement, not executemany (which runs one INSERT per row), as knowledge.lake does
    con.execute(f"INSERT INTO {schema}.name_sources SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                [list(sigs), list(sigs.values())])


def _fold_non_ascii(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """SQL lower() and Python's differ outside ASCII: such names are folded by `knowledge.naming.fold` itself."""
    rows = con.execute(f"SELECT DISTINCT name FROM {table} WHERE regexp_matches(name, '[^\\x00-\\x7F]')").fetchall()
    if rows:
        con.executemany(f"UPDATE {table} SET folded = ? WHERE name = ?", [[fold(r[0]), r[0]] for r in rows])


def refresh(con: duckdb.DuckDBPyConnection, *, schema: str | None = None, force: bool = False) -> list[str]:
    """Bring the index up to date with its sources; returns the sources rebuilt (none when nothing changed)."""
    schema = schema or _main(con)
    con.execute(DDL.format(schema=schema, temp="TEMP " if schema == TEMP else ""))
    sigs = signatures(con)
    stored = {} if force else (_stored(con, schema) or {})
    stale = [s for s in SOURCES if s.table in sigs and stored.get(s.table) != sigs[s.table]]
    if stale or set(stored) != set(sigs):
        _rebuild(con, schema, stale, sigs)
    return [s.table for s in stale]


def _is_read_only_error(exc: duckdb.Error) -> bool:
    return "read-only" in str(exc).lower() or "read only" in str(exc).lower()


_ENSURED = "_name_index_ensured"
_VERSION = "_name_index_version"
# Store file versions (knowledge.store.file_version) whose own index was found up to date: a later read-only
# connection to the same version skips the signature query (a count over the bill, ~10 ms on the demo).
_UP_TO_DATE: LRUCache[str, bool] = LRUCache(maxsize=64)
_UP_TO_DATE_LOCK = threading.Lock()


def adopt_version(con: duckdb.DuckDBPyConnection, version: str) -> None:
    """Tell a read-only connection which file version it opened: its index is known up to date when an
    earlier connection found it so, else `ensure` records what it finds."""
    with _UP_TO_DATE_LOCK:
        known = _UP_TO_DATE.get(version, False)
    if known:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_ENSURED} AS SELECT ? AS schema", [_main(con)])
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_VERSION} AS SELECT ? AS version", [version])


def ensure(con: duckdb.DuckDBPyConnection) -> str:
    """The schema holding an up-to-date index for `con`: the store's own (refreshed when stale and writable),
    or the temp schema (a read-only connection on a stale store: built once per connection and reused).

    A read-only connection's store cannot change while it is open (writers swap in a new file), so its
    answer is kept in a temp table and the signatures (a count over the whole bill) are read once."""
    try:
        row = con.execute(f"SELECT schema FROM temp.main.{_ENSURED}").fetchone()
        if row:
            return str(row[0])
    except duckdb.CatalogException:
        pass
    schema = _ensure(con)
    ro = con.execute("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if ro and ro[0]:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_ENSURED} AS SELECT ? AS schema", [schema])
        if schema != TEMP:
            _remember_up_to_date(con)
    return schema


def _remember_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    try:
        row = con.execute(f"SELECT version FROM temp.main.{_VERSION}").fetchone()
    except duckdb.CatalogException:
        return                      # a connection opened without a known file version
    if row:
        with _UP_TO_DATE_LOCK:
            _UP_TO_DATE[str(row[0])] = True


def carry_up_to_date(before: str | None, after: str | None) -> None:
    """A state-only write changed the file from version `before` to `after` without touching a table the
    index is built from: what was known of the index at `before` holds at `after`."""
    if before is None or after is None:
        return
    with _UP_TO_DATE_LOCK:
        if _UP_TO_DATE.get(before, False):
            _UP_TO_DATE[after] = True


def _ensure(con: duckdb.DuckDBPyConnection) -> str:
    sigs = signatures(con)
    main = _main(con)
    if _stored(con, main) == sigs:
        return main
    if _stored(con, TEMP) == sigs:
        return TEMP
    try:
        refresh(con, schema=main)
        return main
    except duckdb.Error as exc:
        if not _is_read_only_error(exc):
            raise
    refresh(con, schema=TEMP, force=True)
    return TEMP


def _marks(values: list[str]) -> str:
    """Placeholders for a list of scalar parameters (a list bound as one parameter makes DuckDB import pandas)."""
    return ", ".join("?" for _ in values)


class NameTables:
    """Lookups on an up-to-date index of one connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, planner: bool = False):
        self.con = con
        self.schema = ensure(con)
        self.t = f"{self.schema}.name_index"
        self.src_filter = ("AND src NOT IN (" + ", ".join(f"'{s}'" for s in PLANNER_EXCLUDED) + ")") if planner else ""

    def counts(self) -> dict[str, int]:
        return dict(self.con.execute(f"SELECT kind, n FROM {self.schema}.name_kinds").fetchall())

    def all_names(self, kinds: list[str]) -> dict[str, list[str]]:
        """Every name of each of `kinds`, sorted."""
        out: dict[str, list[str]] = {k: [] for k in kinds}
        if not kinds:
            return out
        rows = self.con.execute(
            f"SELECT DISTINCT kind, name FROM {self.t} WHERE kind IN ({_marks(kinds)}) {self.src_filter} ORDER BY kind, name",
            kinds).fetchall()
        for kind, name in rows:
            out[kind].append(name)
        return out

    def exact(self, folded: list[str], kinds: list[str] | None = None) -> list[tuple[str, str, str]]:
        """(kind, folded, name) for every name whose folded form is one of `folded`."""
        keys = sorted({f for f in folded if f})
        if not keys:
            return []
        kind_filter = f"AND kind IN ({_marks(kinds)})" if kinds else ""
        params: list[object] = [keys[0], keys[-1], *keys, *(kinds or [])]
        return [(k, f, n) for k, f, n in self.con.execute(
            f"SELECT DISTINCT kind, folded, name FROM {self.t} WHERE folded BETWEEN ? AND ? AND folded IN ({_marks(keys)}) "
            f"{kind_filter} {self.src_filter} ORDER BY kind, folded, name", params).fetchall()]

    def by_name(self, kind: str, name: str) -> bool:
        f = fold(name)
        row = self.con.execute(
            f"SELECT count(*) FROM {self.t} WHERE folded = ? AND kind = ? AND name = ? {self.src_filter}",
            [f, kind, name]).fetchone()
        assert row is not None  # count(*) always returns a row
        return bool(row[0] > 0)

    def with_prefix(self, prefix: str, kinds: list[str], limit: int = 20) -> list[tuple[str, str]]:
        """(kind, name) of names whose folded form starts with `prefix` (a range on the sorted column)."""
        if not prefix:
            return []
        rows = self.con.execute(
            f"SELECT DISTINCT kind, name FROM {self.t} WHERE folded >= ? AND folded < ? AND kind IN ({_marks(kinds)}) "
            f"{self.src_filter} ORDER BY name LIMIT ?", [prefix, prefix + "\U0010ffff", *kinds, limit]).fetchall()
        return [(k, n) for k, n in rows]

    def near(self, word: str, kinds: list[str], limit: int = 50) -> list[tuple[str, str]]:
        """A bounded candidate set for "did you mean" among many names: up to 5,000 names sharing the first
        three folded characters, best by Jaro-Winkler similarity (rapidfuzz reranks them)."""
        f = fold(word)
        if len(f) < 3:
            return []
        rows = self.con.execute(
            f"SELECT kind, name FROM (SELECT DISTINCT kind, name, folded FROM {self.t} WHERE folded >= ? AND folded < ? "
            f"AND kind IN ({_marks(kinds)}) {self.src_filter} LIMIT 5000) "
            f"ORDER BY jaro_winkler_similarity(folded, ?) DESC, name LIMIT ?",
            [f[:3], f[:3] + "\U0010ffff", *kinds, f, limit]).fetchall()
        return [(k, n) for k, n in rows]

    def containing(self, parts: list[str], kind: str, limit: int = 6) -> list[str]:
        """Names of `kind` whose folded form contains every one of the folded `parts` (a described resource)."""
        keys = [p for p in parts if p]
        if not keys:
            return []
        likes = " AND ".join("folded LIKE ?" for _ in keys)
        rows = self.con.execute(
            f"SELECT DISTINCT name FROM {self.t} WHERE kind = ? AND {likes} {self.src_filter} ORDER BY name LIMIT ?",
            [kind, *(f"%{k}%" for k in keys), limit]).fetchall()
        return [r[0] for r in rows]

    def words(self, candidates: list[str]) -> set[str]:
        """The `candidates` that are a letter run of some name."""
        keys = sorted({w for w in candidates if w and re.fullmatch(r"[a-z]+", w)})
        if not keys:
            return set()
        rows = self.con.execute(
            f"SELECT word FROM {self.schema}.name_words WHERE word BETWEEN ? AND ? AND word IN ({_marks(keys)})",
            [keys[0], keys[-1], *keys]).fetchall()
        return {r[0] for r in rows}
