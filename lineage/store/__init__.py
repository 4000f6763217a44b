"""The store: one SQLite file. Every SQL statement of the package lives in this package.

:class:`Store` is the connection (:mod:`.core`) plus one set of queries per concern:

    crawls.py    writing crawls: crawl rows, pages of models/links/repairs/snapshots, tombstones
    resolve.py   cross-record resolution of declared parents (case, aliases, cycles)
    history.py   what each crawl changed: link and model events, written with the page
    reads.py     counts, one model, id search, links, repairs, snapshots, a summary
    graphdata.py the columns the graph is built from
    streams.py   sorted, chunked streams of models and links for exports and the Neo4j push
    sync.py      what changed since a Neo4j push
    bulk.py      bulk-upload flags (detection is in lineage.analytics.bulk)
    lock.py      one writer at a time (an flock on <store>.lock)
    schema.py    the tables and the migrations between schema versions
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from lineage.store.bulk import BulkRows
from lineage.store.core import (
    Connection,
    StoreBusyError,
    StoreError,
    StoreFullError,
    default_demo_path,
    default_store_path,
    delete_store,
    store_to_read,
)
from lineage.store.crawls import CrawlRows, CrawlState, PageResult
from lineage.store.graphdata import GraphData
from lineage.store.history import History
from lineage.store.lock import is_locked, writer_lock
from lineage.store.reads import Reads
from lineage.store.resolve import Resolution, ResolveStats
from lineage.store.streams import Streams
from lineage.store.sync import Sync

__all__ = [
    "CrawlState",
    "PageResult",
    "ResolveStats",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreFullError",
    "default_demo_path",
    "default_store_path",
    "delete_store",
    "is_locked",
    "open_store",
    "store_to_read",
]


class Store(Connection, CrawlRows, Resolution, Reads, GraphData, Streams, Sync, BulkRows, History):
    """The embedded store. Open with :func:`open_store`; use as a context manager."""

    def writer(self, purpose: str) -> AbstractContextManager[None]:
        """Hold the store's write lock for ``purpose`` (one writer at a time; see
        :mod:`lineage.store.lock`), or raise :class:`StoreBusyError` naming the holder."""
        return writer_lock(self.path, purpose)


def open_store(
    path: str | os.PathLike[str] | None = None, *, readonly: bool = False, streaming: bool = False
) -> Store:
    """Open (creating if needed, unless ``readonly``) the store at ``path`` or the default.

    ``streaming`` (read-only) suits one pass over the whole store: a small page cache, and
    sorts that spill to temporary files instead of memory (exports, the Neo4j push)."""
    return Store(
        path if path is not None else default_store_path(),
        readonly=readonly or streaming,
        streaming=streaming,
    )
