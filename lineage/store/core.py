"""The connection to the store: one SQLite database file in WAL mode.

Why SQLite: it is transactional and crash-safe (a page of the crawl, its repairs, its
snapshot rows and the crawl cursor commit together or not at all, so ``kill -9`` at any
instant loses nothing and duplicates nothing); in WAL mode readers (the CLI, the app, a
notebook) see a consistent snapshot while a crawl writes; it ships with Python; and it scans
millions of rows per second. The tables are in :mod:`lineage.store.schema`.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from platformdirs import user_data_dir

from lineage import __version__
from lineage.errors import LineageError
from lineage.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, TABLES

__all__ = [
    "Connection",
    "StoreBusyError",
    "StoreError",
    "StoreFullError",
    "default_demo_path",
    "default_store_path",
    "delete_store",
    "sqlite_errors",
    "store_to_read",
]


class StoreError(LineageError, RuntimeError):
    """A store that cannot be opened or used, with a message that says what to do."""


def default_store_path() -> Path:
    """``$LINEAGE_STORE`` if set, else ``<user data dir>/lineage/lineage.sqlite``."""
    env = os.environ.get("LINEAGE_STORE")
    if env:
        return Path(env)
    return Path(user_data_dir("lineage", appauthor=False)) / "lineage.sqlite"


def default_demo_path() -> Path:
    """``demo.sqlite`` beside the default store: where ``lineage demo`` and ``make run`` (offline)
    put their simulated store, so it never replaces a crawled one."""
    return default_store_path().with_name("demo.sqlite")


def store_to_read(path: str | os.PathLike[str] | None = None) -> tuple[Path, str | None]:
    """The store a reading command uses, and a note when it is not the one asked for.

    ``path`` if given; else the default store (``$LINEAGE_STORE`` or the per-user one); but
    when no path was given, ``$LINEAGE_STORE`` is unset, the default store does not exist and
    the demo store does (after ``make run`` offline), the demo store — with a note saying so.
    """
    if path is not None:
        return Path(path), None
    default = default_store_path()
    demo = default_demo_path()
    if not os.environ.get("LINEAGE_STORE") and not default.exists() and demo.exists():
        return demo, f"No store at {default}; using the demo store at {demo} (simulated data)."
    return default, None


def delete_store(path: str | os.PathLike[str]) -> None:
    """Remove a store file and its WAL companions (``-wal``, ``-shm``), if present."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{os.fspath(path)}{suffix}").unlink(missing_ok=True)


#: How much of the file a whole-table read (or a writer) memory-maps: 1 GB.
BULK_MMAP = 1 << 30

_BUMP_DATA_VERSION = (
    "INSERT INTO meta VALUES ('data_version', '1') "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
)


class StoreBusyError(StoreError):
    """Another process holds the store's write lock (a crawl, a demo build)."""


class StoreFullError(StoreError):
    """The disk holding the store is full."""


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's and the OS's errors about ``path`` into :class:`StoreError`s that say what
    to do: a full disk, a lock held too long; anything else is a damaged or foreign file."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "full" in text:
            raise StoreFullError(
                f"the disk holding {path} is full: free some space and run the command again "
                "(committed work is kept; a crawl resumes where it stopped)"
            ) from exc
        if "locked" in text or "busy" in text:
            raise StoreBusyError(
                f"{path} is busy: another process has held its write lock for more than 30 s "
                "(a crawl? see `lineage info`); try again when it finishes"
            ) from exc
        raise StoreError(f"{path}: {exc}") from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StoreFullError(
                f"the disk holding {path} is full: free some space and run the command again "
                "(committed work is kept; a crawl resumes where it stopped)"
            ) from exc
        raise


class Connection:
    """An open store file: the connection, transactions and the ``meta`` table.

    Opening checks that the file is a lineage store before anything is written to it (another
    application's SQLite file is refused untouched), brings an older store up to date (see
    :mod:`lineage.store.schema`; a read-only open upgrades through a short-lived writable
    connection) and refuses a store written by a newer lineage.

    ``readonly`` opens an existing store without ever writing to it; ``streaming`` (read-only)
    uses a small page cache and spills sorts to temporary files, for one pass over millions of
    rows (exports, the Neo4j push) with flat memory.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, readonly: bool = False, streaming: bool = False
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly and not self.path.exists():
            raise StoreError(
                f"No lineage store at {self.path}. Run `lineage crawl` (or `lineage demo` "
                "for an offline simulated hub) first, or pass --store PATH."
            )
        self.conn = _connect(self.path, readonly)
        try:
            with sqlite_errors(self.path):
                self.conn.execute("PRAGMA busy_timeout = 30000")
                version = _check(self.conn, self.path, readonly)
                if readonly and version < SCHEMA_VERSION:
                    self.conn.close()
                    _upgrade_elsewhere(self.path, version)
                    self.conn = _connect(self.path, readonly)
                    self.conn.execute("PRAGMA busy_timeout = 30000")
                elif not readonly:
                    self.conn.execute("PRAGMA journal_mode = WAL")
                    # NORMAL in WAL mode: every commit survives a process crash (kill -9); only
                    # an OS crash or power loss could lose the last commits, never corrupt.
                    self.conn.execute("PRAGMA synchronous = NORMAL")
                    # Checkpoint the WAL in bigger steps: fewer syncs during a crawl.
                    self.conn.execute("PRAGMA wal_autocheckpoint = 20000")
                    if version < SCHEMA_VERSION:
                        _migrate(self.conn, version)
                if streaming:  # one pass: a big cache gains nothing; sorts spill to disk, not memory
                    self.conn.execute("PRAGMA cache_size = -16000")
                    self.conn.execute("PRAGMA temp_store = FILE")
                elif readonly:
                    # Readers answer point questions (tree, info, search, the app's panel): a
                    # small cache, and no memory map, so a count over 3M rows does not map the
                    # file into the process (0.07 GB instead of 0.95 GB for `lineage info` at
                    # 3M models). Whole-graph reads map it for their duration (bulk_read).
                    self.conn.execute("PRAGMA cache_size = -64000")
                    self.conn.execute("PRAGMA temp_store = MEMORY")
                else:
                    self.conn.execute("PRAGMA cache_size = -400000")  # up to 400 MB of page cache
                    self.conn.execute(f"PRAGMA mmap_size = {BULK_MMAP}")
                    self.conn.execute("PRAGMA temp_store = MEMORY")
                _check_columns(self.conn, self.path)
        except BaseException:
            self.conn.close()
            raise

    # -- context management ---------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside commits together or not at all."""
        with sqlite_errors(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute(_BUMP_DATA_VERSION)
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """One read transaction: every read inside sees the store as its first read found it,
        not a crawl that commits meanwhile (nested: the outer one counts)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @contextmanager
    def bulk_read(self) -> Iterator[None]:
        """Memory-map the file while reading whole tables (faster than reading through the
        page cache: 18 s instead of 23 s for the graph's columns at 3M models), then go back to
        the connection's setting."""
        before = int(self.conn.execute("PRAGMA mmap_size").fetchone()[0])
        self.conn.execute(f"PRAGMA mmap_size = {BULK_MMAP}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA mmap_size = {before}")

    def data_version(self) -> int:
        """A counter every write transaction increments: equal values, equal data (the graph
        snapshot records the value it was built from)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0

    # -- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with sqlite_errors(self.path):
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


# -- opening -------------------------------------------------------------------------------------
def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            # A file: URI with the path percent-encoded, so '#', '?' and '%' in names are safe.
            uri = path.resolve().as_uri() + "?mode=ro"
            return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        verb = "open" if readonly else "create a store at"
        raise StoreError(f"cannot {verb} {path} ({exc}); pass another --store PATH") from exc


def _check(conn: sqlite3.Connection, path: Path, readonly: bool) -> int:
    """The store's schema version (0: a new, empty file); refuses foreign and newer files."""
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise
        raise StoreError(f"{path} is not a lineage store ({exc}); pass another --store PATH") from exc
    if not tables and app_id in (0, APPLICATION_ID):
        if readonly:
            raise StoreError(f"{path} is an empty file, not a lineage store; pass another --store PATH")
        return 0
    ours = app_id == APPLICATION_ID or (app_id == 0 and {"meta", "crawls", "models", "links"} <= tables)
    if not ours or "meta" not in tables:
        shown = ", ".join(sorted(tables)[:6]) + (", ..." if len(tables) > 6 else "")
        raise StoreError(
            f"{path} is not a lineage store: it is another application's SQLite database "
            f"(tables: {shown or 'none'}). It was left untouched; pass another --store PATH."
        )
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        version = int(row[0]) if row else 1
    except ValueError:
        raise StoreError(f"{path} has an unreadable schema version ({row[0]!r}); it may be damaged") from None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer lineage (store schema {version}; this lineage "
            f"{__version__} reads up to {SCHEMA_VERSION}): upgrade lineage (pip install -U hf-lineage)"
        )
    return version


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a store from ``version`` (0: a new file) to :data:`SCHEMA_VERSION`, in one
    transaction: an interrupted upgrade leaves the store as it was."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version == 0:
            for statement in _statements(TABLES):
                conn.execute(statement)
            version = 1
        for v in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[v]):
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        # Names this store among all others (a new store at the same path is another store):
        # derived data such as the graph snapshot records it.
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('store_id', ?)", (uuid.uuid4().hex,))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """The statements of a DDL script (one per ``;``; no ``;`` inside them)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _upgrade_elsewhere(path: Path, version: int) -> None:
    """Upgrade an older store opened read-only, through a short-lived writable connection."""
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot upgrade {path} ({exc})") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        _migrate(conn, version)
    except sqlite3.OperationalError as exc:
        raise StoreError(
            f"{path} uses store schema {version} and this lineage needs {SCHEMA_VERSION}: it could not be "
            f"upgraded ({exc}). Open it once with write access (e.g. `lineage crawl`) to upgrade it."
        ) from exc
    finally:
        conn.close()


@functools.cache
def _expected_columns() -> dict[str, tuple[str, ...]]:
    """Every table's columns in a store of the current schema (built in memory, once)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        _migrate(conn, 0)
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: tuple(r[1] for r in conn.execute(f"PRAGMA table_info({n})")) for n in names}
    finally:
        conn.close()


def _check_columns(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a store whose tables lack a column this lineage reads (damaged, or edited)."""
    for table, columns in _expected_columns().items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        missing = [c for c in columns if c not in have]
        if missing:
            raise StoreError(
                f"{path} is damaged or from an incompatible lineage: table {table!r} lacks "
                f"{', '.join(missing)}. Pass another --store PATH (or delete it and crawl again)."
            )
