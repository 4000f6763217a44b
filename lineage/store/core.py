"""The embedded store: one SQLite database file in WAL mode.

Why SQLite: it is transactional and crash-safe (a page of the crawl, its repairs, its
snapshot rows and the crawl cursor commit together or not at all, so ``kill -9`` at any
instant loses nothing and duplicates nothing); in WAL mode readers (the CLI, the app, a
notebook) see a consistent snapshot while a crawl writes; it ships with Python; and it scans
millions of rows per second. Analytics read whole columns at once into numpy
(:meth:`Store.columns`) and never go row by row.

Tables
------
``models``     one row per model ever seen (tombstoned with ``deleted_at`` when a full crawl no
               longer lists it — never erased).
``links``      declared parent links after per-record cleaning: ``child``, ``ref`` (the id as
               declared), ``relation``, ``source``; and after cross-record resolution
               (:mod:`lineage.store.resolve`): ``parent`` (the canonical id, or ``ref`` when the parent
               is not in the store) and ``resolution`` (exact, case, alias, unresolved, cycle).
``snapshots``  downloads/likes of each model at each crawl that saw it (adoption over time).
``repairs``    what cleaning repaired or skipped, per model, for ``lineage quality``.
``crawls``     one row per crawl: mode, cursor, watermark, counters, status.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from platformdirs import user_data_dir

from lineage.errors import LineageError
from lineage.records import ModelRecord, Repair
from lineage.times import now_iso

__all__ = [
    "CrawlState",
    "Store",
    "StoreError",
    "default_store_path",
    "delete_store",
    "open_store",
]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS crawls (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    sort TEXT NOT NULL,
    since TEXT,
    model_limit INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    next_query TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    models INTEGER NOT NULL DEFAULT 0,
    new_models INTEGER NOT NULL DEFAULT 0,
    updated_models INTEGER NOT NULL DEFAULT 0,
    deleted_models INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    max_last_modified TEXT,
    watermark TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,
    author TEXT,
    created_at TEXT,
    last_modified TEXT,
    downloads INTEGER NOT NULL DEFAULT 0,
    downloads_all_time INTEGER,
    likes INTEGER NOT NULL DEFAULT 0,
    pipeline_tag TEXT,
    library_name TEXT,
    license TEXT,
    gated TEXT,
    legacy_date INTEGER NOT NULL DEFAULT 0,
    first_seen_crawl INTEGER,
    last_seen_crawl INTEGER,
    deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS links (
    child TEXT NOT NULL,
    ref TEXT NOT NULL,
    relation TEXT NOT NULL,
    source TEXT NOT NULL,
    parent TEXT,
    resolution TEXT,
    PRIMARY KEY (child, ref)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    crawl_id INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    downloads INTEGER NOT NULL,
    downloads_all_time INTEGER,
    likes INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, model_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS repairs (
    model_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    n INTEGER NOT NULL,
    crawl_id INTEGER,
    PRIMARY KEY (model_id, kind, detail)
) WITHOUT ROWID;
"""


class StoreError(LineageError, RuntimeError):
    """A store that cannot be opened or used, with a message that says what to do."""


def default_store_path() -> Path:
    """``$LINEAGE_STORE`` if set, else ``<user data dir>/lineage/lineage.sqlite``."""
    env = os.environ.get("LINEAGE_STORE")
    if env:
        return Path(env)
    return Path(user_data_dir("lineage", appauthor=False)) / "lineage.sqlite"


@dataclass(frozen=True)
class CrawlState:
    """A row of the ``crawls`` table."""

    id: int
    mode: str
    endpoint: str
    sort: str
    since: str | None
    model_limit: int | None
    started_at: str
    finished_at: str | None
    status: str
    next_query: str | None
    pages: int
    models: int
    new_models: int
    updated_models: int
    deleted_models: int
    duplicates: int
    skipped: int
    requests: int
    retries: int
    max_last_modified: str | None
    watermark: str | None
    error: str | None


@dataclass(frozen=True)
class PageResult:
    """What writing one page changed."""

    models: int  # distinct models not already listed earlier in this crawl
    new: int
    updated: int
    duplicates: int
    links: int
    repairs: int


class Store:
    """The embedded store. Open with :func:`open_store`; use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
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
                self.conn.executescript(_SCHEMA)
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
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

    def __enter__(self) -> Store:
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

    # -- crawls -----------------------------------------------------------------------
    def start_crawl(
        self,
        *,
        mode: str,
        endpoint: str,
        sort: str,
        since: str | None,
        model_limit: int | None,
        first_query: str,
        started_at: str | None = None,
    ) -> CrawlState:
        cur = self.conn.execute(
            "INSERT INTO crawls (mode, endpoint, sort, since, model_limit, started_at, status, "
            "next_query) VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
            (mode, endpoint, sort, since, model_limit, started_at or now_iso(), first_query),
        )
        crawl = self.crawl(int(cur.lastrowid or 0))
        assert crawl is not None
        return crawl

    def crawl(self, crawl_id: int) -> CrawlState | None:
        row = self.conn.execute("SELECT * FROM crawls WHERE id = ?", (crawl_id,)).fetchone()
        return CrawlState(*row) if row else None

    def crawls(self) -> list[CrawlState]:
        return [CrawlState(*r) for r in self.conn.execute("SELECT * FROM crawls ORDER BY id")]

    def unfinished_crawl(self) -> CrawlState | None:
        row = self.conn.execute(
            "SELECT * FROM crawls WHERE status IN ('running', 'interrupted', 'failed') "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        last_done = self.conn.execute(
            "SELECT max(id) FROM crawls WHERE status IN ('done', 'abandoned')"
        ).fetchone()[0]
        state = CrawlState(*row)
        return state if last_done is None or state.id > last_done else None

    def has_complete_full_crawl(self) -> bool:
        """True once a full crawl without --limit has finished (incremental crawls need one)."""
        row = self.conn.execute(
            "SELECT 1 FROM crawls WHERE status = 'done' AND mode = 'full' AND model_limit IS NULL LIMIT 1"
        ).fetchone()
        return row is not None

    def last_watermark(self) -> str | None:
        row = self.conn.execute(
            "SELECT watermark FROM crawls WHERE status = 'done' AND watermark IS NOT NULL "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])

    def update_crawl(self, crawl_id: int, **fields: Any) -> None:
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE crawls SET {cols} WHERE id = ?", (*fields.values(), crawl_id))

    def add_request_counts(self, crawl_id: int, requests: int, retries: int) -> None:
        self.conn.execute(
            "UPDATE crawls SET requests = requests + ?, retries = retries + ? WHERE id = ?",
            (requests, retries, crawl_id),
        )

    # -- writing pages ------------------------------------------------------------------
    def write_page(
        self,
        crawl_id: int,
        records: Sequence[ModelRecord],
        repairs: Sequence[Repair],
        *,
        next_query: str | None,
        skipped: int = 0,
        requests: int = 0,
        retries: int = 0,
        watermark: str | None = None,
        pages: int = 1,
    ) -> PageResult:
        """Upsert listing page(s) and advance the crawl cursor, in one transaction."""
        # A page may list the same model twice; the last occurrence wins.
        by_id: dict[str, ModelRecord] = {}
        for rec in records:
            by_id[rec.id] = rec
        ids = list(by_id)
        with self.transaction() as conn:
            existing: dict[str, tuple[str | None, int | None, str | None]] = {}
            for chunk in _chunks(ids, 900):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    f"SELECT id, last_modified, last_seen_crawl, deleted_at FROM models "
                    f"WHERE id IN ({marks})",
                    chunk,
                ):
                    existing[row[0]] = (row[1], row[2], row[3])
            new = updated = seen_before = 0
            for mid, rec in by_id.items():
                old = existing.get(mid)
                if old is None:
                    new += 1
                elif old[1] == crawl_id:
                    seen_before += 1  # listed again on a later page of the same crawl
                elif old[0] != rec.last_modified or old[2] is not None:
                    updated += 1
            dups = seen_before + len(records) - len(by_id)
            fresh = len(by_id) - seen_before
            conn.executemany(
                "INSERT INTO models (id, author, created_at, last_modified, downloads, "
                "downloads_all_time, likes, pipeline_tag, library_name, license, gated, legacy_date, "
                "first_seen_crawl, last_seen_crawl, deleted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) "
                "ON CONFLICT (id) DO UPDATE SET author = excluded.author, "
                "created_at = excluded.created_at, last_modified = excluded.last_modified, "
                "downloads = excluded.downloads, downloads_all_time = excluded.downloads_all_time, "
                "likes = excluded.likes, pipeline_tag = excluded.pipeline_tag, "
                "library_name = excluded.library_name, license = excluded.license, "
                "gated = excluded.gated, legacy_date = excluded.legacy_date, "
                "last_seen_crawl = excluded.last_seen_crawl, deleted_at = NULL",
                [
                    (
                        r.id,
                        r.author,
                        r.created_at,
                        r.last_modified,
                        r.downloads,
                        r.downloads_all_time,
                        r.likes,
                        r.pipeline_tag,
                        r.library_name,
                        r.license,
                        r.gated,
                        int(r.legacy_date),
                        crawl_id,
                        crawl_id,
                    )
                    for r in by_id.values()
                ],
            )
            # Only models seen before can have old links and repairs to replace.
            old_ids = [(i,) for i in ids if i in existing]
            conn.executemany("DELETE FROM links WHERE child = ?", old_ids)
            link_rows = [(r.id, p.parent, p.relation, p.source) for r in by_id.values() for p in r.parents]
            conn.executemany(
                "INSERT OR REPLACE INTO links (child, ref, relation, source) VALUES (?, ?, ?, ?)",
                link_rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)",
                [(crawl_id, r.id, r.downloads, r.downloads_all_time, r.likes) for r in by_id.values()],
            )
            conn.executemany("DELETE FROM repairs WHERE model_id = ?", old_ids)
            counted = Counter((rp.model_id, rp.kind, rp.detail) for rp in repairs)
            conn.executemany(
                "INSERT INTO repairs VALUES (?, ?, ?, ?, ?) ON CONFLICT (model_id, kind, detail) "
                "DO UPDATE SET n = excluded.n, crawl_id = excluded.crawl_id",
                [(m, k, d, n, crawl_id) for (m, k, d), n in counted.items()],
            )
            max_lm = max((r.last_modified for r in by_id.values() if r.last_modified), default=None)
            conn.execute(
                "UPDATE crawls SET next_query = ?, pages = pages + ?, models = models + ?, "
                "new_models = new_models + ?, updated_models = updated_models + ?, "
                "duplicates = duplicates + ?, skipped = skipped + ?, requests = requests + ?, "
                "retries = retries + ?, watermark = coalesce(watermark, ?), "
                "max_last_modified = CASE WHEN max_last_modified IS NULL OR ? > max_last_modified "
                "THEN ? ELSE max_last_modified END WHERE id = ?",
                (
                    next_query,
                    pages,
                    fresh,
                    new,
                    updated,
                    dups,
                    skipped,
                    requests,
                    retries,
                    watermark,
                    max_lm,
                    max_lm,
                    crawl_id,
                ),
            )
        return PageResult(fresh, new, updated, dups, len(link_rows), len(repairs))

    def tombstone_unseen(self, crawl_id: int) -> int:
        """Mark models that a complete full crawl did not list as deleted (kept, not erased)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE models SET deleted_at = ? WHERE deleted_at IS NULL AND "
                "(last_seen_crawl IS NULL OR last_seen_crawl < ?)",
                (now_iso(), crawl_id),
            )
            n = cur.rowcount
            conn.execute("UPDATE crawls SET deleted_models = deleted_models + ? WHERE id = ?", (n, crawl_id))
        return n

    # -- reading --------------------------------------------------------------------------
    def count_models(self, *, include_deleted: bool = False) -> int:
        where = "" if include_deleted else " WHERE deleted_at IS NULL"
        return int(self.conn.execute(f"SELECT count(*) FROM models{where}").fetchone()[0])

    def count_links(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM links").fetchone()[0])

    def model(self, model_id: str) -> dict[str, Any] | None:
        """One model's row as a dict (case-insensitive id), or None."""
        cur = self.conn.execute("SELECT * FROM models WHERE id = ?", (model_id,))
        row = cur.fetchone()
        if row is None:
            cur = self.conn.execute("SELECT * FROM models WHERE id = ? COLLATE NOCASE LIMIT 1", (model_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def search_ids(self, text: str, limit: int = 20) -> list[str]:
        """Model ids containing ``text`` (case-insensitive), most downloaded first."""
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.execute(
            "SELECT id FROM models WHERE id LIKE ? ESCAPE '\\' AND deleted_at IS NULL "
            "ORDER BY downloads DESC, id LIMIT ?",
            (like, limit),
        )
        return [r[0] for r in rows]

    def suggest(self, model_ids: Sequence[str], limit: int = 8) -> list[str]:
        """Ids in the store that look like ``model_ids`` (same name, any owner; most downloaded
        first): the "did you mean" of an unknown id."""
        per_id = max(1, limit // max(1, len(model_ids)))
        hints = [h for m in model_ids for h in self.search_ids(m.split("/")[-1], limit=max(per_id, 4))]
        return list(dict.fromkeys(hints))[:limit]

    def iter_models(self, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        where = "" if include_deleted else " WHERE deleted_at IS NULL"
        cur = self.conn.execute(f"SELECT * FROM models{where} ORDER BY id")
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))

    def iter_links(self, *, include_cycle: bool = False) -> Iterator[tuple[str, str, str, str | None]]:
        """``(child, parent, relation, resolution)`` for every link, sorted."""
        where = "" if include_cycle else " WHERE coalesce(resolution, '') != 'cycle'"
        yield from self.conn.execute(
            f"SELECT child, coalesce(parent, ref), relation, resolution FROM links{where} "
            "ORDER BY child, coalesce(parent, ref)"
        )

    def columns(self, sql: str, params: Iterable[Any] = ()) -> list[list[Any]]:
        """Run a query and return its result column by column (fast bulk reads)."""
        rows = self.conn.execute(sql, tuple(params)).fetchall()
        if not rows:
            cur = self.conn.execute(sql, tuple(params))
            return [[] for _ in cur.description]
        return [list(c) for c in zip(*rows, strict=True)]

    def repair_counts(self) -> dict[str, int]:
        """Repairs/skips by kind (from cleaning) plus link resolutions (from resolving)."""
        out: dict[str, int] = {}
        for kind, n in self.conn.execute("SELECT kind, sum(n) FROM repairs GROUP BY kind ORDER BY kind"):
            out[kind] = int(n)
        return out

    def resolution_counts(self) -> dict[str, int]:
        return {
            str(k): int(n)
            for k, n in self.conn.execute(
                "SELECT coalesce(resolution, 'pending'), count(*) FROM links GROUP BY 1 ORDER BY 1"
            )
        }

    def resolution_examples(self, resolution: str, limit: int) -> list[tuple[str, str, str]]:
        """``(child, declared parent, resolved parent)`` of the first links resolved as
        ``resolution`` (``pending``: not resolved yet), by child id."""
        rows = self.conn.execute(
            "SELECT child, ref, coalesce(parent, ref) FROM links WHERE coalesce(resolution, 'pending') = ? "
            "ORDER BY child LIMIT ?",
            (resolution, limit),
        )
        return [(str(c), str(r), str(p)) for c, r, p in rows]

    def repairs(self, kind: str | None = None, limit: int = 20) -> list[tuple[str, str, str, int]]:
        if kind is None:
            rows = self.conn.execute(
                "SELECT model_id, kind, detail, n FROM repairs ORDER BY kind, model_id LIMIT ?", (limit,)
            )
        else:
            rows = self.conn.execute(
                "SELECT model_id, kind, detail, n FROM repairs WHERE kind = ? ORDER BY model_id LIMIT ?",
                (kind, limit),
            )
        return [(str(a), str(b), str(c), int(d)) for a, b, c, d in rows]

    def snapshot_times(self) -> list[tuple[int, str]]:
        """``(crawl_id, finished_at)`` of every crawl that wrote snapshot rows."""
        return [
            (int(i), str(t))
            for i, t in self.conn.execute(
                "SELECT id, coalesce(finished_at, started_at) FROM crawls WHERE id IN "
                "(SELECT DISTINCT crawl_id FROM snapshots) ORDER BY id"
            )
        ]

    def iter_snapshots(self) -> Iterator[tuple[str, list[str], list[int], list[int | None]]]:
        """``(time, model_ids, downloads_30d, downloads_all_time)`` for each crawl snapshot."""
        for crawl_id, when in self.snapshot_times():
            rows = self.conn.execute(
                "SELECT model_id, downloads, downloads_all_time FROM snapshots WHERE crawl_id = ? "
                "ORDER BY model_id",
                (crawl_id,),
            ).fetchall()
            yield when, [r[0] for r in rows], [int(r[1]) for r in rows], [r[2] for r in rows]

    def is_simulated(self) -> bool:
        """True when the data came from a simulated hub (``lineage simulate``/``demo``)."""
        return self.get_meta("simulated") == "true"

    def info(self) -> dict[str, Any]:
        crawls = self.crawls()
        done = [c for c in crawls if c.status == "done"]
        return {
            "store": str(self.path),
            "models": self.count_models(),
            "deleted_models": self.count_models(include_deleted=True) - self.count_models(),
            "links": self.count_links(),
            "crawls": len(crawls),
            "last_crawl_finished": done[-1].finished_at if done else None,
            "last_crawl_endpoint": done[-1].endpoint if done else None,
            "watermark": self.last_watermark(),
            "simulated": self.is_simulated(),
        }


def _chunks(seq: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for k in range(0, len(seq), size):
        yield seq[k : k + size]


def delete_store(path: str | os.PathLike[str]) -> None:
    """Remove a store file and its WAL companions (``-wal``, ``-shm``), if present."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{os.fspath(path)}{suffix}").unlink(missing_ok=True)


def open_store(path: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> Store:
    """Open (creating if needed, unless ``readonly``) the store at ``path`` or the default."""
    return Store(path if path is not None else default_store_path(), readonly=readonly)


def dumps(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
