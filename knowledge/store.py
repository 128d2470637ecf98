"""Opening the DuckDB store: default location, forward migrations, read-only connections.

The connection is passed around explicitly (a `Store`); nothing here is global.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from knowledge import allocation, lake, name_index
from knowledge.connection import StoreError as StoreError  # raised here and by the settings check
from knowledge.connection import connect
from knowledge.ingest.session import bounded_memory, transaction
from knowledge.schema import MIGRATIONS, SCHEMA_VERSION


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
    """An open store: the DuckDB connection and where it lives (for a lake: its state file, and `lake` is
    the lake's directory)."""

    con: duckdb.DuckDBPyConnection
    path: Path
    read_only: bool
    lake: Path | None = None
    # A read-only store's file version (`file_version`): two stores with the same version hold the same data,
    # so facts computed on one (freshness, the name index's state) hold for the other. None: unknown.
    version: str | None = None

    def close(self) -> None:
        if not self.read_only:
            refresh_names(self.con)
        self.con.close()

    def __enter__(self) -> Store:
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
        return datetime.now(UTC).date()


def refresh_names(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the name index (knowledge.name_index) and the materialised allocation (knowledge.allocation) in
    step with the tables they read: a signature query when nothing changed, a rebuild otherwise. A
    connection in a failed state is left be."""
    try:
        allocation.refresh(con)
        name_index.refresh(con)
    except duckdb.Error:
        pass


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
    refresh_names(con)          # backfill the name index of a store made before it existed
    return SCHEMA_VERSION


def _lake_state(path: Path) -> tuple[Path, Path | None]:
    """(the DuckDB file to open, the lake directory or None) for a store path."""
    if not path.is_dir():
        return path, None
    if not lake.is_lake(path):
        raise StoreError(f"{path} is a directory but not a finops lake (no {lake.STATE_FILE} in it); "
                         f"make one with `finops lake init {path}`")
    return lake.state_path(path), path


def open_store(db: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open (and, when writable, create and migrate) the store at `db` or the default path.

    `db` may be a lake directory (knowledge.lake): its state file is opened and `focus_charges` reads the
    lake's Parquet files. Writes to a lake go through `open_store_for_write`."""
    path, root = _lake_state(resolve_db_path(db))
    if read_only:
        if not path.exists():
            raise StoreError(f"no store at {path}; run `finops demo` or `finops ingest` first")
        before = file_version(path)
        con = connect_reading(path, READ_WAIT_SECONDS)
        opened = before if before is not None and file_version(path) == before else None   # no swap meanwhile
        version = schema_version(con)
        if version != SCHEMA_VERSION:
            con.close()
            # An older store: migrate it once through the writer protocol (a private copy swapped in
            # under the writer lock, so other readers keep going), then reopen read-only.
            if version < SCHEMA_VERSION:
                with open_store_for_write(root or path):
                    pass
                return open_store(root or path, read_only=True)
            raise StoreError(f"{path} has schema version {version}; this finops supports {SCHEMA_VERSION}")
        return _attached(Store(con, path, True, root, opened))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    migrate(con)
    return _attached(Store(con, path, False, root))


# A state-only write (an approval) holds the live file for a few ms (see below): a reader opening then waits.
READ_WAIT_SECONDS = 10.0


def connect_reading(path: Path, wait_seconds: float = READ_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """A read-only connection to `path`, waiting while another process writes it (up to `wait_seconds`)."""
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    delay = 0.005
    while True:
        try:
            return connect(str(path), read_only=True)
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc) or time.monotonic() >= deadline:
                raise StoreError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def file_version(path: Path) -> str | None:
    """The identity of a store file as it is now: device, inode, mtime and size of the file and of its WAL.
    Writers swap in a new file, or (a state-only write) append to the WAL or checkpoint into the file, so
    any write changes one of them: an equal version means equal data. None when the file cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    try:
        w = Path(str(path) + ".wal").stat()
        wal = f"{w.st_ino}:{w.st_mtime_ns}:{w.st_size}"
    except FileNotFoundError:
        wal = "-"
    except OSError:
        return None
    return f"{path.resolve()}|{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}|{wal}"


def _attached(store: Store) -> Store:
    # No DuckDB progress bar in an answer or in --json output (knowledge.connection.connect turns it off; a
    # caller may have turned it on).
    store.con.execute("SET enable_progress_bar = false")
    if store.read_only and store.version is not None:
        name_index.adopt_version(store.con, store.version)
    if store.lake is not None:
        try:
            lake.attach(store.con, store.lake)
        except (lake.LakeError, duckdb.Error) as exc:
            store.con.close()
            raise StoreError(str(exc)) from exc
    return store


def open_memory_store() -> Store:
    con = connect(":memory:")
    migrate(con)
    return Store(con, Path(":memory:"), False)


# -- writing while readers stay up ----------------------------------------------------------------
# DuckDB lets one process write a file, and a writer cannot open it while another process reads it.
# So writers do not write the live file: they take the writer lock (`<store>.lock`, flock), copy the
# store to a private file beside it, write there, and atomically rename the copy over the live file.
# Readers that have the old file open keep answering from it; the next question opens the new one.
# A crash (even kill -9) leaves the live file untouched; the stale copy is removed by the next writer.
#
# A state-only write (an approval, an alert state: a few rows of the application's own) is the exception
# when no connection has the live file open: copying a 10M-charge store for one row takes most of a
# second, so the row is committed to the live file's WAL instead (DuckDB's own atomic commit; a crash
# before it leaves nothing, after it the WAL is replayed by the next connection). The writer holds the
# file for a few ms; a reader opening then waits (`connect_reading`). When a reader has the file open,
# DuckDB refuses the writable connection and the write takes the copy as above.


class StoreBusy(StoreError):
    """Another writer holds the store (another ingest, or a foreign process with a writable connection)."""


def _is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text


@contextmanager
def writer_lock(path: Path, wait_seconds: float) -> Iterator[None]:
    """Exclusive writer lock on `<store>.lock`, waiting up to `wait_seconds`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    with open(lock_path, "a+") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"the store {path} is being written by another finops process (waited {wait_seconds:g} s); "
                        "try again when it is done"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _snapshot(path: Path, copy: Path, wait_seconds: float) -> None:
    """Copy the live store to `copy` while holding a read-only connection, so no foreign writer is mid-write."""
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    delay = 0.1
    while True:
        try:
            con = connect(str(path), read_only=True)
            break
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise StoreError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"the store {path} is in use by another process (waited {wait_seconds:g} s); "
                    "try again when it is done"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        shutil.copyfile(path, copy)
        wal = Path(str(path) + ".wal")            # rows a state-only write committed in place
        if wal.exists():
            shutil.copyfile(wal, Path(str(copy) + ".wal"))
        else:
            Path(str(copy) + ".wal").unlink(missing_ok=True)
    finally:
        con.close()


@contextmanager
def open_store_for_write(db: str | Path | None = None, *, wait_seconds: float = 30.0,
                         state_only: bool = False) -> Iterator[Store]:
    """A writable store that replaces the live file atomically when the block ends without an error.

    On an exception nothing changes. Readers (the Slack bot, the TUI) stay up during a long write. For a
    lake, the copy is of the small state file only: charge rows loaded in the block are written as new
    Parquet files of their partitions when it ends (`knowledge.lake.flush`) and the manifest swaps with
    the state file.

    `state_only`: the block writes only the application's own records (approvals, estimates, alert states),
    none of the tables the name index and the allocation are built from, so neither is refreshed (their
    signatures alone were ~40 ms of a Slack approval); on a lake, charge rows written in such a block are
    refused. On a store file that no connection has open, the block runs in one transaction on the live
    file instead of a copy (see above): no copy of the billing data for one row."""
    path, root = _lake_state(resolve_db_path(db))
    with writer_lock(path, wait_seconds):
        live = _open_in_place(path) if state_only and root is None else None
        if live is not None:
            before = file_version(path)
            try:
                with transaction(live.con):
                    yield live
            finally:
                live.con.close()                # no checkpoint: the committed rows stay in the WAL
            name_index.carry_up_to_date(before, file_version(path))
            return
        for stale in path.parent.glob(f".{path.name}.writing-*"):
            stale.unlink(missing_ok=True)
        copy = path.with_name(f".{path.name}.writing-{os.getpid()}")
        wal = Path(str(path) + ".wal")
        if path.exists():
            _snapshot(path, copy, wait_seconds)     # the WAL too: opening the copy folds it in
        store = open_store(copy)
        store.lake = root
        try:
            if root is not None:
                lake.attach(store.con, root, writer=True)
            yield store
            if state_only:
                if root is not None and lake.has_pending_rows(store.con):
                    raise StoreError("charge rows were written in a state-only write; nothing was changed")
            else:
                if root is not None:
                    lake.flush(store.con, root)
                    lake.collect_garbage(store.con, root)
                    lake.attach(store.con, root)
                # Under the ingest's memory limit too: at 100M charges these passes over the whole bill ran
                # with DuckDB's default limit (most of the machine's memory) once the load's block had ended.
                with bounded_memory(store.con, copy):
                    allocation.refresh(store.con)
                    name_index.refresh(store.con)
            store.con.execute("CHECKPOINT")
        except BaseException:
            store.con.close()                   # discarded: nothing to refresh
            shutil.rmtree(copy.parent / f".{copy.name}.spill", ignore_errors=True)
            copy.unlink(missing_ok=True)
            Path(str(copy) + ".wal").unlink(missing_ok=True)
            raise
        store.con.close()                       # the names were refreshed just above
        shutil.rmtree(copy.parent / f".{copy.name}.spill", ignore_errors=True)   # a lake writer's spilled rows
        Path(str(copy) + ".wal").unlink(missing_ok=True)
        # The live WAL's rows are in the copy now. Removed first: a reader opening in between sees the file
        # as it was before them (never the new file with the old file's log).
        wal.unlink(missing_ok=True)
        os.replace(copy, path)
        store.path = path


def _open_in_place(path: Path) -> Store | None:
    """The live store file opened for a state-only write, or None when another connection has it open (a
    reader in another process, or in this one) or it needs a migration: the write then takes a copy."""
    if not path.exists():
        return None
    try:
        con = connect(str(path))
    except duckdb.Error:
        return None
    try:
        if schema_version(con) != SCHEMA_VERSION:
            con.close()
            return None
        # Closing would fold the WAL into the file: tens of ms on a big store, for one row. The WAL is
        # replayed by every connection (and folded by the next full write, or past DuckDB's threshold).
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        return _attached(Store(con, path, False))
    except BaseException:
        con.close()
        raise


def create_lake(root: Path, source: str | Path | None = None) -> Path:
    """Make `root` a lake: an empty one, or one holding a copy of the store file `source` (its charges
    as Parquet partitions, every other table in the state file). Refuses a directory that has files."""
    root = Path(root).expanduser()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise StoreError(f"{root} exists and is not an empty directory; a lake is made in a new directory")
    root.mkdir(parents=True, exist_ok=True)
    state = lake.state_path(root)
    building = root / f".{lake.STATE_FILE}.building-{os.getpid()}"
    try:
        con = connect(str(building))
        try:
            migrate(con)
            lake.mark(con)
            # Copying a store sorts all its charge rows into the partitions (lake.flush), then indexes them:
            # bounded like an ingest, spilling beside the state file (a 100M-row store took 20 GB of RAM).
            with bounded_memory(con, building):
                if source is not None:
                    _copy_tables(con, Path(source), root)
                lake.attach(con, root)
                allocation.refresh(con, force=True)
                name_index.refresh(con, force=True)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(building, state)
    except BaseException:
        building.unlink(missing_ok=True)
        shutil.rmtree(root / lake.CHARGES_DIR, ignore_errors=True)
        raise
    return root


def _copy_tables(con: duckdb.DuckDBPyConnection, source: Path, root: Path) -> None:
    """Every table of the store file `source` into `con`'s, the charges as the lake `root`'s partitions."""
    src_path, src_root = _lake_state(source)
    if src_root is not None:
        raise StoreError(f"{source} is already a lake")
    if not src_path.is_file():
        raise StoreError(f"no store at {source}")
    with open_store(src_path, read_only=True):
        pass                            # migrates an older store first, through the writer protocol
    quoted = str(src_path).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS src (READ_ONLY)")
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' AND schema_name = 'main' "
            "ORDER BY table_name").fetchall()]
        own = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()}
        for table in tables:
            if table in own and table not in (lake.CHARGES, "meta"):
                con.execute(f'DELETE FROM main."{table}"')
                con.execute(f'INSERT INTO main."{table}" BY NAME SELECT * FROM src.main."{table}"')
        con.execute("INSERT INTO main.meta SELECT * FROM src.main.meta WHERE key NOT IN (SELECT key FROM main.meta)")
        lake.flush(con, root, source=f"src.main.{lake.CHARGES}")
    finally:
        con.execute("DETACH src")
