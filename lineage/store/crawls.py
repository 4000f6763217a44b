"""Writing crawls: the ``crawls`` rows, a page of models with its links, repairs and
snapshot rows in one transaction, and tombstones after a complete full crawl."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.records import ModelRecord, Repair
from lineage.store.core import sqlite_errors
from lineage.store.history import OldModel, record_page, record_tombstones
from lineage.store.resolve import ResolveStats, resolve_page
from lineage.times import now_iso

__all__ = ["CrawlRows", "CrawlState", "PageResult"]


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
    resolved: ResolveStats | None = None  # how the page's links were resolved (``resolve=True``)


class CrawlRows:
    """The crawl side of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection
    path: Path

    if TYPE_CHECKING:  # provided by Connection

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

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
        with sqlite_errors(self.path):
            self.conn.execute(f"UPDATE crawls SET {cols} WHERE id = ?", (*fields.values(), crawl_id))

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
        resolve: bool = False,
        aliases: Mapping[str, str] | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> PageResult:
        """Upsert listing page(s) and advance the crawl cursor, in one transaction.

        Links of a model are replaced only when they changed, so an unchanged model keeps its
        resolved links. With ``resolve``, the page's new links are resolved in the same
        transaction (:func:`~lineage.store.resolve.resolve_page`, with ``aliases``): every
        commit leaves the graph complete, and a reader never sees half-resolved lineage.
        ``meta`` entries are written in the same transaction, and so are the page's events
        (links added and removed, models added, restored or relicensed:
        :mod:`lineage.store.history`).
        """
        # A page may list the same model twice; the last occurrence wins.
        by_id: dict[str, ModelRecord] = {}
        for rec in records:
            by_id[rec.id] = rec
        ids = list(by_id)
        with self.transaction() as conn:
            existing: dict[str, OldModel] = {}
            for chunk in _chunks(ids, 900):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    f"SELECT id, last_modified, last_seen_crawl, deleted_at, license, license_name, "
                    f"first_seen_crawl FROM models WHERE id IN ({marks})",
                    chunk,
                ):
                    existing[row[0]] = OldModel(*row[1:])
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
                "first_seen_crawl, last_seen_crawl, deleted_at, license_name) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) "
                "ON CONFLICT (id) DO UPDATE SET author = excluded.author, "
                "created_at = excluded.created_at, last_modified = excluded.last_modified, "
                "downloads = excluded.downloads, downloads_all_time = excluded.downloads_all_time, "
                "likes = excluded.likes, pipeline_tag = excluded.pipeline_tag, "
                "library_name = excluded.library_name, license = excluded.license, "
                "license_name = excluded.license_name, "
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
                        r.license_name,
                    )
                    for r in by_id.values()
                ],
            )
            # Only models seen before can have old links and repairs to replace, and only links
            # that changed are replaced (the others keep their resolution).
            old_ids = [(i,) for i in ids if i in existing]
            before = _links_of(conn, [i for i in ids if i in existing])
            after = {i: _link_set(r) for i, r in by_id.items()}
            changed = [i for i in ids if before.get(i, frozenset()) != after[i]]
            # What the page changed, recorded with it (before the links are replaced).
            record_page(
                conn,
                crawl_id,
                existing,
                by_id,
                {i: _keys(before.get(i, frozenset())) for i in changed},
                {i: _keys(after[i]) for i in changed},
            )
            conn.executemany("DELETE FROM links WHERE child = ?", [(i,) for i in changed if i in existing])
            link_rows = [(i, p.parent, p.relation, p.source) for i in changed for p in by_id[i].parents]
            conn.executemany(
                "INSERT OR REPLACE INTO links (child, ref, relation, source) VALUES (?, ?, ?, ?)",
                link_rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)",
                [(crawl_id, r.id, r.downloads, r.downloads_all_time, r.likes) for r in by_id.values()],
            )
            conn.executemany("DELETE FROM repairs WHERE model_id = ?", old_ids)
            # A model listed twice in the batch repeats its repairs: count one listing's worth.
            listings = Counter(r.id for r in records)
            counted = Counter((rp.model_id, rp.kind, rp.detail) for rp in repairs)
            for key, n in counted.items():
                counted[key] = max(1, n // listings.get(key[0], 1))
            conn.executemany(
                "INSERT INTO repairs VALUES (?, ?, ?, ?, ?) ON CONFLICT (model_id, kind, detail) "
                "DO UPDATE SET n = excluded.n, crawl_id = excluded.crawl_id",
                [(m, k, d, n, crawl_id) for (m, k, d), n in counted.items()],
            )
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list((meta or {}).items()))
            resolved = (
                resolve_page(conn, changed, [i for i in ids if i not in existing], aliases)
                if resolve
                else None
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
        return PageResult(fresh, new, updated, dups, len(link_rows), len(repairs), resolved)

    def count_unseen(self, crawl_id: int) -> int:
        """Live models that the crawl ``crawl_id`` did not list (what tombstoning would mark)."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM models WHERE deleted_at IS NULL AND "
                "(last_seen_crawl IS NULL OR last_seen_crawl < ?)",
                (crawl_id,),
            ).fetchone()[0]
        )

    def tombstone_unseen(self, crawl_id: int) -> int:
        """Mark models that a complete full crawl did not list as deleted (kept, not erased)."""
        with self.transaction() as conn:
            record_tombstones(conn, crawl_id)
            cur = conn.execute(
                "UPDATE models SET deleted_at = ? WHERE deleted_at IS NULL AND "
                "(last_seen_crawl IS NULL OR last_seen_crawl < ?)",
                (now_iso(), crawl_id),
            )
            n = cur.rowcount
            conn.execute("UPDATE crawls SET deleted_models = deleted_models + ? WHERE id = ?", (n, crawl_id))
        return n


def _chunks(seq: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for k in range(0, len(seq), size):
        yield seq[k : k + size]


def _link_set(record: ModelRecord) -> frozenset[tuple[str, str, str]]:
    """A record's links as the ``links`` table keeps them (one per declared id: the last)."""
    by_ref = {p.parent: (p.relation, p.source) for p in record.parents}
    return frozenset((ref, rel, src) for ref, (rel, src) in by_ref.items())


def _keys(links: frozenset[tuple[str, str, str]]) -> frozenset[tuple[str, str]]:
    """Links as history keys them: ``(ref, relation)``, whatever their source."""
    return frozenset((ref, rel) for ref, rel, _ in links)


def _links_of(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, frozenset[tuple[str, str, str]]]:
    """The stored links of ``ids``, as :func:`_link_set` gives them."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for chunk in _chunks(ids, 900):
        marks = ",".join("?" * len(chunk))
        for child, ref, rel, src in conn.execute(
            f"SELECT child, ref, relation, source FROM links WHERE child IN ({marks})", chunk
        ):
            out.setdefault(str(child), set()).add((str(ref), str(rel), str(src)))
    return {k: frozenset(v) for k, v in out.items()}
