"""The connection to the store: one SQLite database file in WAL mode.

Why SQLite: it is transactional and crash-safe (a page of the crawl, its repairs, its
snapshot rows and the crawl cursor commit together or not at all, so ``kill -9`` at any
instant loses nothing and duplicates nothing); in WAL mode readers (the CLI, the app, a
notebook) see a consistent snapshot while a crawl writes; it ships with Python; and it scans
millions of rows per second. The tables are in :mod:`lineage.store.schema`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from platformdirs import user_data_dir

from lineage.errors import LineageError
from lineage.store.schema import SCHEMA, SCHEMA_VERSION

__all__ = [
    "Connection",
    "StoreError",
    "default_demo_path",
    "default_store_path",
    "delete_store",
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


class Connection:
    """An open store file: the connection, transactions and the ``meta`` table.

    ``readonly`` opens an existing store without ever writing to it; ``streaming`` (read-only)
    uses a small page cache and spills sorts to temporary files, for one pass over millions of
    rows (exports, the Neo4j push) with flat memory.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, readonly: bool = False, streaming: bool = False
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            if not self.path.exists():
                raise StoreError(
                    f"No lineage store at {self.path}. Run `lineage crawl` (or `lineage demo` "
                    "for an offline simulated hub) first, or pass --store PATH."
                )
            # A file: URI with the path percent-encoded, so '#', '?' and '%' in names are safe.
            uri = self.path.resolve().as_uri() + "?mode=ro"
            try:
                self.conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open {self.path} ({exc}); pass another --store PATH") from exc
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(
                    f"cannot create a store at {self.path} ({exc}); pass another --store PATH"
                ) from exc
        try:
            self.conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                # NORMAL in WAL mode: every commit survives a process crash (kill -9); only
                # an OS crash or power loss could lose the last commits, never corrupt.
                self.conn.execute("PRAGMA synchronous = NORMAL")
                # Checkpoint the WAL in bigger steps: fewer syncs during a crawl.
                self.conn.execute("PRAGMA wal_autocheckpoint = 20000")
                self.conn.executescript(SCHEMA)
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            if streaming:  # one pass: a big cache gains nothing; sorts spill to disk, not memory
                self.conn.execute("PRAGMA cache_size = -16000")
                self.conn.execute("PRAGMA temp_store = FILE")
            else:
                self.conn.execute("PRAGMA cache_size = -400000")  # up to 400 MB of page cache
                self.conn.execute("PRAGMA mmap_size = 1073741824")
                self.conn.execute("PRAGMA temp_store = MEMORY")
            self.conn.execute("SELECT count(*) FROM models").fetchone()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(
                f"{self.path} is not a lineage store ({exc}). Pass another --store PATH."
            ) from exc

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
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
