"""The app's access to the store and the graph: cheap checks per rerun, heavy work cached.

* :func:`store_state` runs on every rerun: is there a store, where its data came from
  (simulated, real or mixed), its *key* — path, file identity and the crawl history — which
  changes exactly when a crawl starts or finishes or the store is rebuilt, and its
  ``data_version`` (bumped by every write transaction: every page a running crawl commits).
  It reads through :class:`Reader`, one read-only connection per store file kept open
  (``st.cache_resource``) so SQLite's page cache stays warm; in WAL mode it sees every
  committed crawl page.
* :func:`graph_loader` (``st.cache_resource``, one per key) loads the :class:`Lineage` in a
  background thread, so the first page renders while millions of models load; pages that
  draw or count call :func:`require_graph`, which waits with a spinner. After loading, the
  default tables are computed in the background too, so opening a page is quick.
* Cheap facts (:func:`store_info`: model counts, "holds no models yet") are cached per
  ``data_version``, so a reload during a crawl shows its progress; the whole graph stays keyed
  per crawl state (see :func:`graph_loader`).
* Tables are memoised per store version (:class:`Memo` on the loader and the graph), small
  derived things with ``st.cache_data``.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import numpy as np
import streamlit as st

from lineage.analytics import BY, PERIODS, ShareQuery, Table
from lineage.analytics.licenses import dropped_terms_below, edge_license_status, node_license_classes
from lineage.analytics.panel import (
    Derivatives,
    RelationCounts,
    derivatives,
    most_downloaded,
    relation_counts,
    top_roots,
)
from lineage.analytics.quality import quality_report
from lineage.analytics.ranking import TopGroups, group_order, top_overall
from lineage.analytics.share import ShareData, share_data
from lineage.analytics.summary import family_parts
from lineage.analytics.view import View, ViewSpec, select_view
from lineage.app.network import LicenseColours
from lineage.families import Registry, default_registry
from lineage.graph import UNKNOWN_TIME, Lineage
from lineage.store import Store, StoreError, open_store, store_to_read
from lineage.times import day_of

__all__ = [
    "PAGES",
    "Graph",
    "GraphLoader",
    "Memo",
    "Reader",
    "StoreKey",
    "StoreState",
    "graph_loader",
    "popular_models",
    "popular_rows",
    "quality",
    "reader",
    "require_graph",
    "search_models",
    "store_info",
    "store_state",
    "timed",
]

T = TypeVar("T")
StoreKey = tuple[Any, ...]
log = logging.getLogger("lineage.app")

#: The folder of the page scripts run by ``st.navigation`` (one module per page).
PAGES = Path(__file__).resolve().parent
#: Tables kept per store version (least recently used dropped first).
MEMO_SIZE = 128
#: Share computations kept (their pairs: about 60 MB each at 3M models); their results stay in
#: the main memo.
SHARE_MEMO_SIZE = 4
#: Groups the Share page offers to focus on (the largest over the range).
SHARE_GROUPS = 300
#: Rows of the Families page's table at most (its "Top" slider).
FAMILIES_TOP = 60


class Memo:
    """A small thread-safe LRU memo: concurrent callers of one key wait for the first."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def __call__(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return cast(T, self._values[key])
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return cast(T, self._values[key])
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
                self._key_locks.pop(key, None)
        return value


class Reader:
    """A read-only connection to one store file, used by one thread at a time."""

    def __init__(self, path: str) -> None:
        self._store = open_store(path, readonly=True)
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[Store]:
        with self._lock:
            yield self._store


@st.cache_resource(show_spinner=False, max_entries=4)
def _reader(path: str, dev: int, ino: int) -> Reader:
    return Reader(path)


@dataclass(frozen=True)
class StoreState:
    """What every rerun needs to know about the store, cheaply."""

    path: str
    key: StoreKey | None  # None when there is no usable store
    simulated: bool = False
    problem: str | None = None  # why there is no usable store
    origin: str = "unknown"  # Store.simulation(): simulated, real, mixed or unknown
    data_version: int = 0  # bumped by every write transaction (each page a crawl commits)
    crawl_status: str | None = None  # a crawl running or stopped part-way (Store.crawl_status)


def store_path() -> Path:
    """``$LINEAGE_STORE``, else the default per-user store (the demo store when it is the only one)."""
    return store_to_read(None)[0]


def store_state(path: str | os.PathLike[str] | None = None) -> StoreState:
    """The store's identity and flags; never raises."""
    p = str(path if path is not None else store_path())
    try:
        stat = os.stat(p)
        r = _reader(p, stat.st_dev, stat.st_ino)
    except OSError:
        return StoreState(
            p,
            None,
            problem=f"No lineage store at {p}. Run `lineage crawl` (or `lineage demo` "
            "for an offline simulated hub) first, or pass --store PATH.",
        )
    except StoreError as exc:
        return StoreState(p, None, problem=str(exc))
    with r() as store:
        crawls = tuple((c.id, c.status, c.started_at, c.finished_at) for c in store.crawls())
        return StoreState(
            p,
            (p, stat.st_dev, stat.st_ino, crawls),
            simulated=store.is_simulated(),
            origin=store.simulation(),
            data_version=store.data_version(),
            crawl_status=store.crawl_status(),
        )


def reader(state: StoreState) -> Reader:
    """The open connection of ``state``'s store."""
    assert state.key is not None
    return _reader(state.path, state.key[1], state.key[2])


def store_info(state: StoreState) -> dict[str, Any]:
    """What the pages need of ``Store.info()`` — ``models`` (live models) and
    ``last_crawl_finished`` — as the store is now: cached per ``data_version``, so while a
    crawl runs a reload shows the models it has committed so far."""
    assert state.key is not None
    return _store_info(state.path, state.key, state.data_version)


@st.cache_data(show_spinner=False, max_entries=8)
def _store_info(path: str, key: StoreKey, data_version: int) -> dict[str, Any]:
    from lineage.graph import snapshot

    with _reader(path, key[1], key[2])() as store:
        try:  # an up-to-date snapshot counts them in memory-mapped columns (0.2 s less at 3M)
            lin = snapshot.open_snapshot(store)
            models = int(np.count_nonzero(~lin.placeholder & ~lin.deleted))
        except snapshot.SnapshotError:
            models = store.count_models()
        done = [c for c in store.crawls() if c.status == "done"]
        return {"models": models, "last_crawl_finished": done[-1].finished_at if done else None}


#: Most downloaded models offered as starting points.
POPULAR = 12


def popular_models(path: str, key: StoreKey) -> list[str]:
    """The most downloaded models, as starting points."""
    return [r["model"] for r in popular_rows(path, key)]


def popular_rows(path: str, key: StoreKey) -> list[dict[str, Any]]:
    """The :data:`POPULAR` most downloaded models with their downloads, task and creation date."""
    return _popular_rows(path, key, POPULAR)  # one cache entry, however it is called


@st.cache_data(show_spinner=False, max_entries=8)
def _popular_rows(path: str, key: StoreKey, limit: int) -> list[dict[str, Any]]:
    """From the graph snapshot when it is up to date (a memory map: the first page does not wait
    for a sort of the whole table, 0.8 s at 3M models), else from the store."""
    with _reader(path, key[1], key[2])() as store:
        ids = _popular_from_snapshot(store, limit)
        if ids is None:
            ids = store.search_ids("", limit)
        rows = []
        for mid in ids:
            row = store.model(mid) or {}
            rows.append(
                {
                    "model": mid,
                    "downloads (30 d)": row.get("downloads", 0),
                    "pipeline tag": row.get("pipeline_tag") or "",
                    "created": (row.get("created_at") or "")[:10],
                }
            )
    return rows


def _popular_from_snapshot(store: Store, limit: int) -> list[str] | None:
    from lineage.graph import snapshot

    try:
        lin = snapshot.open_snapshot(store)
    except snapshot.SnapshotError:
        return None
    nodes = most_downloaded(lin, limit)
    return None if nodes is None else [lin.ids[int(k)] for k in nodes]


@st.cache_data(show_spinner=False, max_entries=512)
def search_models(path: str, key: StoreKey, text: str, limit: int = 25) -> list[str]:
    """Model ids containing ``text`` (case-insensitive), most downloaded first."""
    with _reader(path, key[1], key[2])() as store:
        return store.search_ids(text, limit)


class Graph:
    """A loaded graph with the registry, and a table memo."""

    def __init__(self, lin: Lineage, registry: Registry) -> None:
        self.lin = lin
        self.registry = registry
        self.memo = Memo()
        self.share_memo = Memo(SHARE_MEMO_SIZE)

    def share(self, query: ShareQuery, registry: Registry | None = None, registry_id: str = "") -> ShareData:
        """:func:`share_data` with downloads (placeholder roots grouped: ``query.unlisted``).
        Kept for the last few queries only (at 3M models one is about 60 MB of pairs); what the
        pages show of it is kept longer (:meth:`share_notes`, :meth:`share_top`, ...)."""
        reg = registry or self.registry
        return self.share_memo(
            ("share", query, registry_id), lambda: share_data(self.lin, query, reg, downloads=True)
        )

    def share_notes(
        self, query: ShareQuery, registry: Registry | None = None, registry_id: str = ""
    ) -> tuple[list[str], str]:
        """The notes and the method text of :meth:`share`."""

        def notes() -> tuple[list[str], str]:
            data = self.share(query, registry, registry_id)
            return data.notes, data.method

        return self.memo(("share notes", query, registry_id), notes)

    def share_groups(
        self, query: ShareQuery, registry: Registry | None = None, registry_id: str = "",
        limit: int = SHARE_GROUPS,
    ) -> list[str]:  # fmt: skip
        """The ``limit`` largest groups of :meth:`share` over the whole range, largest first."""
        return self.memo(
            ("share groups", query, registry_id, limit),
            lambda: group_order(self.share(query, registry, registry_id), limit=limit),
        )

    def share_page(self, query: ShareQuery) -> None:
        """Everything the Share page shows for ``query`` (the top 10, its group list, its notes),
        computed now: the background warm-up calls it."""
        self.share_notes(query)
        self.share_groups(query)
        self.share_top(query, 10)

    def share_top(
        self, query: ShareQuery, n: int, focus: tuple[str, ...] = (), registry: Registry | None = None,
        registry_id: str = "",
    ) -> TopGroups:  # fmt: skip
        """:meth:`share` cut to the top ``n`` groups over the range (or ``focus``) and "(other)"."""
        return self.memo(
            ("share top", query, registry_id, n, focus),
            lambda: top_overall(self.share(query, registry, registry_id), n, focus),
        )

    def families(self, by: str, window_days: int) -> Table:
        """The Families table (:data:`FAMILIES_TOP` rows); its window-free parts are kept per
        grouping, so another growth window is one pass over the derivatives."""

        def table() -> Table:
            parts = self.memo(("family parts", by), lambda: family_parts(self.lin, by, self.registry, True))
            return parts.table(FAMILIES_TOP, window_days)

        return self.memo(("families", by, window_days), table)

    def top_roots(self, by: str) -> dict[str, list[int]]:
        return self.memo(("top_roots", by), lambda: top_roots(self.lin, self.registry, by))

    def newest_day(self) -> str | None:
        """The creation day of the newest dated model (where the data stops)."""

        def newest() -> str | None:
            lin = self.lin
            dated = lin.created[(lin.created != UNKNOWN_TIME) & ~lin.legacy]
            return day_of(int(dated.max())) if len(dated) else None

        return self.memo("newest_day", newest)

    def view(self, node: int, spec: ViewSpec) -> View:
        return self.memo(("view", node, spec), lambda: select_view(self.lin, node, spec, self.registry))

    def counts(self, node: int) -> RelationCounts:
        """Children and descendants of ``node`` per relation (the model panel)."""
        return self.memo(("counts", node), lambda: relation_counts(self.lin, node))

    def licences(self) -> LicenseColours:
        """Every node's licence class and every link's licence status (the licence view)."""
        return self.memo(
            "licences", lambda: LicenseColours(node_license_classes(self.lin), edge_license_status(self.lin))
        )

    def dropped_terms(self, node: int) -> tuple[int, int]:
        """Live direct children and descendants of ``node`` dropping its licence terms."""

        def count() -> tuple[int, int]:
            below = self.derivatives(node, "descendants", None).nodes
            return dropped_terms_below(self.lin, node, below, self.licences().classes)

        return self.memo(("dropped terms", node), count)

    def derivatives(self, node: int, scope: str, relation: str | None) -> Derivatives:
        return self.memo(
            ("derivatives", node, scope, relation), lambda: derivatives(self.lin, node, scope, relation)
        )


_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lineage-graph")


class GraphLoader:
    """Loads a store's graph in the background, then warms the default tables."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.memo = Memo()
        self.started = time.monotonic()
        self.loaded_at: float | None = None
        self.warmed_at: float | None = None
        self._future: Future[Graph] = _POOL.submit(self._load)
        self._future.add_done_callback(lambda f: None if f.exception() else _POOL.submit(self._warm))

    def _load(self) -> Graph:
        lin = Lineage.load(self.path)
        # Once, here, not on a click. Not ``lin.index`` (a dict of every id: 2 s at 3M models
        # holding the interpreter while the first page runs): ``lin.find`` searches the snapshot.
        _ = lin.root_pairs, lin.in_degree, lin.out_degree
        if len(lin):
            lin.children(0), lin.parent_edges(0)  # the CSR adjacency the details panel reads
        graph = Graph(lin, default_registry())
        self.loaded_at = time.monotonic()
        log.info("graph of %s loaded in %.1f s", self.path, self.loaded_at - self.started)
        return graph

    def _warm(self) -> None:
        graph = self._future.result()
        _when_idle(FIRST_PAGE_QUIET)  # the first page renders before the tables take the interpreter
        try:
            for module in (
                "altair",
                "pandas",
                "lineage.app.share",
                "lineage.app.families",
                "lineage.app.explore",
                "lineage.app.changes",
            ):
                importlib.import_module(module)
            importlib.import_module("lineage.app.network")._vis_js()  # read once, not on the first view
            for by in BY:  # each page's default view, under each grouping
                graph.families(by, 90)
                graph.top_roots(by)
                graph.share_page(ShareQuery(by=by, unlisted=True))
            self.quality()
        except Exception:  # pragma: no cover - a page computes it again and shows the error
            log.exception("warming the tables failed")
        finally:
            self.warmed_at = time.monotonic()
            log.info(
                "tables of %s ready %.1f s after loading", self.path, self.warmed_at - (self.loaded_at or 0)
            )
        # Then, each while nobody waits for a page, the options users most often pick next.

        def default_diff() -> None:
            importlib.import_module("lineage.app.changes").warm(self.path, graph)

        steps: list[tuple[str, Callable[[], object]]] = [
            ("What changed: the default diff", default_diff),
            ("Families: 30-day window", partial(graph.families, "family", 30)),
        ]
        for period in PERIODS[1:]:
            for by in BY:
                query = ShareQuery(period=period, by=by, unlisted=True)
                steps.append((f"Share: {period} by {by}", partial(graph.share_page, query)))
        for period in PERIODS:
            everything = ShareQuery(period=period, population="all", unlisted=True)
            steps.append((f"Share: {period}, population all", partial(graph.share_page, everything)))
        no_bulk = ShareQuery(bulk="exclude", unlisted=True)
        steps.append(("Share: bulk uploads excluded", partial(graph.share_page, no_bulk)))
        for label, step in steps:
            _when_idle()
            start = time.perf_counter()
            try:
                step()
            except Exception:  # pragma: no cover - a page computes it again and shows the error
                log.exception("preparing %s failed", label)
            _report(f"background: {label}", time.perf_counter() - start)

    def quality(self) -> dict[str, Any]:
        """:func:`lineage.analytics.quality.quality_report` of the store (once per store version)."""

        def report() -> dict[str, Any]:
            with open_store(self.path, readonly=True) as store:
                return quality_report(store)

        return self.memo("quality", report)

    @property
    def status(self) -> str:
        """``loading``, ``failed``, ``warming`` (tables in the background) or ``ready``."""
        if not self._future.done():
            return "loading"
        if self._future.exception() is not None:
            return "failed"
        return "ready" if self.warmed_at is not None else "warming"

    def result(self, timeout: float | None = None) -> Graph:
        return self._future.result(timeout)


@st.cache_resource(show_spinner=False, max_entries=2)
def graph_loader(path: str, key: StoreKey) -> GraphLoader:
    """The (background) graph load of one store version; starts it on first call.

    Keyed per crawl state (``key``), deliberately NOT per ``data_version``: a running crawl
    bumps the version with every page it commits (every second or so), and reloading millions
    of models on each would keep the app loading forever. The graph is the store as it was
    when the crawl state last changed; the cheap facts (:func:`store_info`) follow each page."""
    return GraphLoader(path)


#: When a page last ran (background work waits for a quiet moment: it would slow the page down).
_LAST_RUN = [0.0]
#: Seconds without a page run before background work goes on (a user reading a page).
QUIET = 5.0


#: Seconds without a page run before the default tables are prepared (the first page is out).
FIRST_PAGE_QUIET = 0.5


def _when_idle(quiet: float = QUIET) -> None:
    while time.monotonic() - _LAST_RUN[0] < quiet:
        time.sleep(min(0.25, quiet / 2))


@contextmanager
def timed(what: str) -> Iterator[None]:
    """A page run: noted (see :func:`_when_idle`), and with ``$LINEAGE_TIMING`` set, how long it
    took is printed (benchmarks read it)."""
    start = time.perf_counter()
    _LAST_RUN[0] = time.monotonic()
    try:
        yield
    finally:
        _LAST_RUN[0] = time.monotonic()
        _report(what, time.perf_counter() - start)


def _report(what: str, seconds: float) -> None:
    """With ``$LINEAGE_TIMING`` set, print how long ``what`` took (benchmarks read it)."""
    if os.environ.get("LINEAGE_TIMING"):
        print(f"timing {what} {seconds:.3f} s", flush=True)


def quality(state: StoreState) -> dict[str, Any]:
    """The data-quality report of ``state``'s store (memoised per store version)."""
    assert state.key is not None
    with st.spinner("Reading the data-quality report…"):
        return graph_loader(state.path, state.key).quality()


def require_graph(state: StoreState) -> Graph:
    """The loaded graph, waiting for it with a spinner; stops the page if loading failed."""
    assert state.key is not None
    loader = graph_loader(state.path, state.key)
    try:
        if loader.status == "loading":
            with st.spinner("Loading the lineage graph (once per store version)…"):
                return loader.result()
        return loader.result()
    except Exception as exc:
        _load_failed(exc)


def _load_failed(exc: BaseException) -> NoReturn:
    from lineage.app.text import md

    st.error(
        f"Could not load the lineage graph: {md(exc)}. Run `lineage crawl` to repair the store, "
        "or `lineage demo` for an offline simulated one."
    )
    st.stop()
