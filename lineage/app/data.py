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
* Tables are memoised per store version (:class:`~lineage.app.tables.Memo` on the loader, and
  :class:`~lineage.app.tables.Graph`, the tables of a loaded graph), small derived things with
  ``st.cache_data``.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import streamlit as st

from lineage.analytics import BY, PERIODS, ShareQuery
from lineage.analytics.panel import most_downloaded
from lineage.analytics.quality import quality_report
from lineage.app.tables import Graph, Memo
from lineage.families import default_registry
from lineage.graph import Lineage
from lineage.store import Store, StoreError, open_store, store_to_read

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
    "suggest_models",
    "timed",
]

StoreKey = tuple[Any, ...]
log = logging.getLogger("lineage.app")

#: The folder of the page scripts run by ``st.navigation`` (one module per page).
PAGES = Path(__file__).resolve().parent


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
    with _reader(path, key[1], key[2])() as store:
        lin = _fresh_snapshot(store)  # if up to date, it counts them in memory-mapped columns
        models = (
            store.count_models() if lin is None else int(np.count_nonzero(~lin.placeholder & ~lin.deleted))
        )
        done = [c for c in store.crawls() if c.status == "done"]
        return {"models": models, "last_crawl_finished": done[-1].finished_at if done else None}


def _fresh_snapshot(store: Store) -> Lineage | None:
    """The store's graph snapshot if it is up to date (a memory map), else None."""
    from lineage.graph import snapshot

    try:
        return snapshot.open_snapshot(store)
    except snapshot.SnapshotError:
        return None


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
    lin = _fresh_snapshot(store)
    nodes = None if lin is None else most_downloaded(lin, limit)
    return None if lin is None or nodes is None else [lin.ids[int(k)] for k in nodes]


@st.cache_data(show_spinner=False, max_entries=512)
def search_models(path: str, key: StoreKey, text: str, limit: int = 25) -> list[str]:
    """Model ids containing ``text`` (case-insensitive), most downloaded first."""
    with _reader(path, key[1], key[2])() as store:
        return store.search_ids(text, limit)


@st.cache_data(show_spinner=False, max_entries=64)
def suggest_models(path: str, key: StoreKey, model_id: str, limit: int = 8) -> list[str]:
    """Ids that look like ``model_id`` (not in the store): its "did you mean" (a scan of every
    id and difflib over its owner's, about half a second at 3M models: once per store state)."""
    with _reader(path, key[1], key[2])() as store:
        return store.suggest([model_id], limit)


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
