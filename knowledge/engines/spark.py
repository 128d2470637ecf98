"""Apache Spark as an engine for the tools (optional extra `[spark]`: pyspark, sqlglot; Java 17).

Spark reads the same lake as DuckDB (knowledge.lake): the FOCUS charges from the Parquet files the manifest
lists (an explicit file list; the hive partition columns are not in the files and are not added), and the
small state tables of the state file as temporary views: DuckDB copies each to a Parquet file in a staging
directory that Spark reads (not Arrow: pyspark 4 wants pyarrow >= 18, the test extra keeps pyarrow < 18). The state file's
persistent views (charges_allocated, resource_owners, ...) are transpiled from their DuckDB definitions.
Each tool statement is transpiled by `knowledge.engines.dialect` and run with `spark.sql`.

A session is local (`local[N]`) unless `master` names a cluster (`spark://...`, `yarn`) or a Spark Connect
server (`sc://host:15002`): docs/engines.md."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from knowledge import lake, tag_columns
from knowledge.engines import dialect
from knowledge.errors import FinopsError

if TYPE_CHECKING:  # pyspark is an optional extra: imported when a session is made
    from pyspark.sql import Column, DataFrame, SparkSession

CHARGES = "focus_charges"
# Base tables of the state file that are not data a tool asks about (the lake's own bookkeeping).
_SKIP = frozenset({CHARGES, "lake_files", "lake_retired"})
_SESSION_LOCK = threading.Lock()
# Settings that give DuckDB's semantics where Spark's defaults differ: naive UTC timestamps (TIMESTAMP_NTZ),
# NULL on division by zero and on a missing map key (ANSI off), a small shuffle for a small local machine.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.ansi.enabled": "false",
    # Exact decimals: Spark's default rounds a DECIMAL product wider than 38 digits to 6 places (a token
    # count x a DECIMAL(38,15) price); DuckDB keeps the scale.
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


class SparkUnavailable(FinopsError):
    """pyspark (the `[spark]` extra) or Java is missing."""


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The process's SparkSession: `master` (or FINOPS_SPARK_MASTER) `sc://...` is Spark Connect, any other
    value a master URL; by default local on every core. `conf` adds or overrides settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SparkUnavailable("the Spark engine needs the optional extra: pip install 'finops[spark]' "
                               "(pyspark, and Java 17 on the PATH)") from exc
    master = master or os.environ.get("FINOPS_SPARK_MASTER") or "local[*]"
    with _SESSION_LOCK:
        builder = SparkSession.builder.appName("finops")
        builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
        for key, value in {**SESSION_CONF, **(conf or {})}.items():
            if master.startswith("sc://") and key.startswith("spark.ui"):
                continue
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        if not master.startswith("sc://"):    # Spark Connect has no SparkContext on the client
            session.sparkContext.setLogLevel("ERROR")
        return session


def _state_db(con: duckdb.DuckDBPyConnection) -> str:
    (db,) = con.execute("SELECT current_database()").fetchone() or ("main",)
    return str(db)


def _staged_select(con: duckdb.DuckDBPyConnection, db: str, table: str) -> str:
    """SELECT of a state table with the columns Spark cannot take as they are (JSON, UUID) cast to text."""
    cols = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND "
                       "schema_name = 'main' AND table_name = ? ORDER BY column_index", [db, table]).fetchall()
    parts = [f'CAST("{c}" AS VARCHAR) AS "{c}"' if t in ("JSON", "UUID") else f'"{c}"' for c, t in cols]
    return f'SELECT {", ".join(parts)} FROM "{db}".main."{table}"'


class SparkEngine:
    """Runs the tools' SQL on Spark over a lake (`from_store`)."""

    name = "spark"

    def __init__(self, spark: SparkSession, staging: str | None = None):
        self.spark = spark
        self.registered: list[str] = []          # the names made Spark temporary views so far
        self._tables: set[str] = set()           # base tables of the state file (staged on first use)
        self._views: dict[str, str] = {}         # the state file's views: name -> DuckDB definition
        self._con: duckdb.DuckDBPyConnection | None = None
        self._db = ""
        self._files: list[str] = []
        self._lock = threading.RLock()
        # Where the state tables are staged as Parquet for Spark: a directory every executor can read
        # (FINOPS_SPARK_STAGING on a cluster; a temporary directory, removed with the engine, locally).
        self._tmp = None if staging else tempfile.TemporaryDirectory(prefix="finops-spark-")
        self.staging = Path(staging or (self._tmp.name if self._tmp else "."))

    def close(self) -> None:
        """Drop the staged state tables (the session stays: it is the process's)."""
        if self._tmp is not None:
            self._tmp.cleanup()

    @classmethod
    def from_store(cls, store: Any, *, spark: SparkSession | None = None, master: str | None = None,
                   lake_uri: str | None = None) -> SparkEngine:
        """An engine over the lake a store opened (`open_store(DIR)`): `lake_uri` (e.g. s3a://bucket/lake)
        is where Spark finds the same files when they are not at the local path."""
        root: Path | None = getattr(store, "lake", None)
        if root is None:
            raise SparkUnavailable("the Spark engine reads a Parquet lake: pass --lake DIR (finops demo --lake DIR "
                                   "or finops lake init makes one)")
        engine = cls(spark or spark_session(master), os.environ.get("FINOPS_SPARK_STAGING"))
        engine.register(store.con, root, lake_uri=lake_uri or os.environ.get("FINOPS_SPARK_LAKE_URI"))
        return engine

    # -- registration: what a statement names becomes a Spark temporary view on first use --------------
    def register(self, con: duckdb.DuckDBPyConnection, root: Path, *, lake_uri: str | None = None) -> None:
        """Read the lake's catalog: the state file's tables and views, and the manifest's charge files. Each
        becomes a Spark temporary view when a statement first names it (`ensure`)."""
        self._con, self._db = con, _state_db(con)
        self._tables = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
            "AND NOT temporary", [self._db]).fetchall() if t not in _SKIP}
        self._views = dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE database_name = ? AND "
                                       "schema_name = 'main' AND NOT internal AND NOT temporary", [self._db]).fetchall())
        self._files = [f"{lake_uri.rstrip('/')}/{rel}" if lake_uri else str(root / rel) for _, rel, _ in lake.manifest(con)]
        self.registered = []

    def ensure(self, names: set[str]) -> None:
        """Register the tables and views among `names` (and what those views read) not registered yet."""
        with self._lock:
            for name in sorted(names):
                if name not in self.registered:
                    self._register(name, ())

    def _register(self, name: str, reading: tuple[str, ...]) -> None:
        if name in self.registered or not (name == CHARGES or name in self._tables or name in self._views):
            return
        if name in reading:
            raise dialect.UnsupportedSql(f"views that read each other in a cycle: {' -> '.join((*reading, name))}")
        if name in self._views:
            import sqlglot

            body = sqlglot.parse_one(self._views[name], read=dialect.READ).expression
            for table in {t.name for t in body.find_all(sqlglot.exp.Table)}:
                self._register(table, (*reading, name))
            self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS {dialect.transpile(body.sql(dialect.READ))}")
        elif name == CHARGES:
            self._register_charges()
        else:
            self._stage(name).createOrReplaceTempView(name)
        self.registered.append(name)

    def _stage(self, table: str) -> DataFrame:
        assert self._con is not None, "register() first"
        target = self.staging / f"{table}.parquet"
        quoted = str(target).replace("'", "''")
        self._con.execute(f"COPY ({_staged_select(self._con, self._db, table)}) TO '{quoted}' (FORMAT PARQUET)")
        return self.spark.read.parquet(str(target))

    def _register_charges(self) -> None:
        from pyspark.sql import functions as F

        assert self._con is not None, "register() first"
        con, db = self._con, self._db
        state_rows = self._stage(CHARGES)    # the state file's own charge rows (none, in a lake at rest)
        frame: DataFrame = state_rows
        if self._files:
            names = [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND "
                                               "schema_name = 'main' AND table_name = ? ORDER BY column_index",
                                               [db, CHARGES]).fetchall()]
            parquet = self.spark.read.option("mergeSchema", "true").parquet(*self._files)
            # An older file lacks a column added later: NULL of the state table's type, as DuckDB's view reads it,
            # except the tag columns (knowledge.tag_columns), which such a file's rows read from their map.
            types = dict(state_rows.dtypes)
            keys = {c: k for k, c in tag_columns.TAG_COLUMNS.items()}

            def column(n: str) -> Column:
                if n in keys:
                    from_map = F.nullif(F.try_element_at(F.col("Tags"), F.lit(keys[n])), F.lit(""))
                    return F.coalesce(F.col(n), from_map).alias(n) if n in parquet.columns else from_map.alias(n)
                return F.col(n) if n in parquet.columns else F.lit(None).cast(types[n]).alias(n)

            parquet = parquet.select(*[column(n) for n in names])
            frame = parquet if con.execute(f'SELECT count(*) FROM "{db}".main.{CHARGES}').fetchone() == (0,) \
                else state_rows.unionByName(parquet)
        frame.createOrReplaceTempView(CHARGES)

    def _named(self, sql: str) -> set[str]:
        """The catalog names a statement's text mentions (a superset of the tables it reads: cheap)."""
        import sqlglot
        from sqlglot.tokens import TokenType

        known = self._tables | set(self._views) | {CHARGES}
        tokens = sqlglot.Dialect.get_or_raise(dialect.READ)().tokenize(sql)
        return {t.text for t in tokens if t.token_type in (TokenType.VAR, TokenType.IDENTIFIER) and t.text in known}

    # -- the Engine protocol ------------------------------------------------------------------------
    def transpile(self, sql: str, params: Sequence[Any] = ()) -> str:
        return dialect.transpile(sql, params, "spark")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        text = self.transpile(sql, params)
        self.ensure(self._named(sql))
        frame = self.spark.sql(text)
        return list(frame.columns), [tuple(r) for r in frame.collect()]

    def register_all(self) -> None:
        """Register every table and view now (benchmarks time queries, not first-use registration)."""
        self.ensure(self._tables | set(self._views) | {CHARGES})


def timed_session(master: str | None = None) -> tuple[SparkSession, float]:
    """A session and the seconds it took to start (benchmarks)."""
    started = time.perf_counter()
    session = spark_session(master)
    return session, time.perf_counter() - started
