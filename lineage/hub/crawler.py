"""Crawl the Hub's model listing into the store.

One request per 1000 models (``GET /api/models?limit=1000&expand=...``), following the
``Link: rel="next"`` cursor; the requests themselves (timeouts, retries, pacing, parsing) are
:mod:`lineage.hub.http`'s. What this module adds for a multi-hour crawl of 3M models:

* **a page generator**: :meth:`Crawler._pages` yields each page's records (prefetching the
  next page of a full crawl while this one is stored); :meth:`Crawler._store_pages` commits them;
* **a loop guard** (:mod:`lineage.hub.paging`): empty pages in a row are retried with backoff,
  then reported, and a next link back to a page already fetched stops the crawl at once;
* **resumable**: pages, their repairs, their snapshot rows and the next cursor commit in
  one store transaction (every few pages); a crawl killed at any instant resumes from its
  last committed page;
* **incremental**: after a complete crawl, the next one lists by ``lastModified`` (newest
  first) and stops once it is past the last watermark minus a safety overlap;
* ``--full`` reconciles: models a complete full crawl no longer lists are tombstoned.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from lineage import times
from lineage.families import default_registry
from lineage.hub.config import EXPAND_FIELDS, CrawlConfig, CrawlProgress, CrawlSummary
from lineage.hub.endpoint import CrawlError
from lineage.hub.http import Clock, FetchedPage, HubClient, SystemClock
from lineage.hub.paging import LoopGuard
from lineage.records import ModelRecord, Repair, normalize_item
from lineage.store import CrawlState, Store

__all__ = ["EXPAND_FIELDS", "CrawlConfig", "CrawlProgress", "CrawlSummary", "Crawler"]

log = logging.getLogger("lineage.hub")


@dataclass
class _Page:
    """One listing page as records, and where the listing goes next."""

    records: list[ModelRecord]
    repairs: list[Repair]
    skipped: int
    requests: int
    retries: int
    next_query: str | None  # None: this page ends the crawl


@dataclass
class _Batch:
    """Pages fetched but not yet committed."""

    records: list[ModelRecord] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    pages: int = 0
    skipped: int = 0
    requests: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, page: _Page) -> None:
        self.records.extend(page.records)
        self.repairs.extend(page.repairs)
        self.pages += 1
        self.skipped += page.skipped
        self.requests += page.requests
        self.retries += page.retries


class Crawler:
    """Runs one crawl into ``store``. See the module docstring for the guarantees."""

    def __init__(
        self,
        store: Store,
        config: CrawlConfig | None = None,
        *,
        clock: Clock | None = None,
        on_page: Callable[[CrawlProgress], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config or CrawlConfig()
        self.clock = clock or SystemClock()
        self.on_page = on_page
        cfg = self.config
        self.client = HubClient(
            cfg.endpoint,
            timeout=cfg.timeout,
            max_retries=cfg.max_retries,
            max_rate_limit_waits=cfg.max_rate_limit_waits,
            backoff_base=cfg.backoff_base,
            backoff_max=cfg.backoff_max,
            token=cfg.token,
            trust_endpoint=cfg.trust_endpoint,
            clock=self.clock,
        )
        self.endpoint = self.client.endpoint

    @property
    def simulated(self) -> bool | None:
        """Whether the server said it is lineage's simulated hub (None: no answer yet)."""
        return self.client.simulated

    # -- public -------------------------------------------------------------------------
    def run(
        self,
        mode: str = "auto",
        *,
        since: str | None = None,
        limit: int | None = None,
        restart: bool = False,
    ) -> CrawlSummary:
        """Run (or resume) a crawl. ``mode``: ``auto`` (incremental if a complete crawl
        exists, else full), ``full`` or ``incremental``; ``since`` forces an incremental crawl
        from that date."""
        # One writer per store: a second crawl is refused at once, naming the first.
        with self.store.writer(f"a crawl of {self.endpoint}"):
            return self._run(mode, since, limit, restart)

    def _run(self, mode: str, since: str | None, limit: int | None, restart: bool) -> CrawlSummary:
        started = self.clock.time()
        crawl, resumed = self._begin(mode, since, limit, restart)
        self._aliases = default_registry().aliases
        self._origin = self.store.simulation() if self.store.has_models(include_deleted=True) else "unknown"
        progress = CrawlProgress(
            crawl.id,
            crawl.mode,
            pages=crawl.pages,
            models=crawl.models,
            new=crawl.new_models,
            updated=crawl.updated_models,
            duplicates=crawl.duplicates,
            skipped=crawl.skipped,
            requests=crawl.requests,
            retries=crawl.retries,
            expected_total=(self.store.count_models() or None) if crawl.mode == "full" else None,
        )
        stop_before = None
        if crawl.mode == "incremental" and crawl.since:
            stop_before = crawl.since
        try:
            complete = self._store_pages(crawl, progress, stop_before)
            if complete and crawl.mode == "full" and crawl.model_limit is None:
                self._tombstone(crawl)
        except KeyboardInterrupt:
            self.store.update_crawl(crawl.id, status="interrupted")
            raise
        except CrawlError as exc:
            self.store.update_crawl(crawl.id, status="failed", error=str(exc))
            raise
        self.store.settle_links(self._aliases)
        # A limited crawl saw only part of the hub: it sets no watermark.
        no_watermark = {} if crawl.model_limit is None else {"watermark": None}
        self.store.update_crawl(
            crawl.id, status="done", finished_at=times.iso(self.clock.time()), next_query=None, **no_watermark
        )
        final = self.store.crawl(crawl.id)
        assert final is not None
        return CrawlSummary(
            crawl_id=crawl.id,
            mode=crawl.mode,
            endpoint=self.endpoint,
            complete=complete,
            resumed=resumed,
            pages=final.pages,
            models=final.models,
            new=final.new_models,
            updated=final.updated_models,
            deleted=final.deleted_models,
            duplicates=final.duplicates,
            skipped=final.skipped,
            requests=final.requests,
            retries=final.retries,
            rate_limit_waits=progress.rate_limit_waits,
            links=self.store.count_links(),
            repairs=self.store.repair_counts(),
            resolution=_in_order(self.store.resolution_counts()),
            watermark=final.watermark,
            seconds=round(self.clock.time() - started, 3),
        )

    def _origin_meta(self) -> dict[str, str] | None:
        """The store's ``simulated`` flag once the server said what it is: ``true`` while
        every crawl came from a simulated hub, ``false`` while every one came from a real hub,
        ``mixed`` once both wrote to the store (it is then never replaced as a demo store)."""
        if self.simulated is None:
            return None
        mine = "simulated" if self.simulated else "real"
        origin = mine if self._origin in ("unknown", mine) else "mixed"
        return {"simulated": {"simulated": "true", "real": "false", "mixed": "mixed"}[origin]}

    def _tombstone(self, crawl: CrawlState) -> None:
        """After a complete full crawl: mark what it did not list as deleted — unless that is
        most of the store, which means a wrong endpoint or a broken listing, not the Hub."""
        cfg = self.config
        unseen, live = self.store.count_unseen(crawl.id), self.store.count_models()
        if unseen > max(cfg.mass_delete_min, cfg.mass_delete_fraction * live) and not cfg.allow_mass_delete:
            raise CrawlError(
                f"{self.endpoint} listed {crawl.models:,} models, so this full crawl would mark {unseen:,} "
                f"of the store's {live:,} models deleted. Nothing was deleted. If the Hub really lost "
                "them, run `lineage crawl --full --allow-mass-delete`; otherwise check the endpoint."
            )
        self.store.tombstone_unseen(crawl.id)

    def refresh(self, limit: int) -> CrawlSummary:
        """Keep a store fresh: an incremental crawl when a complete crawl exists, else (a first
        run, or its resumption) a full crawl of the newest ``limit`` models."""
        if self.store.has_complete_full_crawl():
            return self.run("auto")
        return self.run("full", limit=limit)

    # -- begin or resume ---------------------------------------------------------------------
    def _begin(
        self, mode: str, since: str | None, limit: int | None, restart: bool
    ) -> tuple[CrawlState, bool]:
        if mode not in ("auto", "full", "incremental"):
            raise ValueError(f"unknown crawl mode {mode!r}: use auto, full or incremental")
        unfinished = self.store.unfinished_crawl()
        if unfinished is not None and not restart:
            if unfinished.endpoint != self.endpoint:
                raise CrawlError(
                    f"crawl #{unfinished.id} of {unfinished.endpoint} is unfinished; resume it with "
                    f"--endpoint {unfinished.endpoint}, or pass --restart to abandon it"
                )
            wanted = "incremental" if since else mode
            if wanted not in ("auto", unfinished.mode):
                raise CrawlError(
                    f"crawl #{unfinished.id} ({unfinished.mode}) is unfinished; run `lineage crawl` "
                    f"to resume it, or pass --restart to abandon it and start a {wanted} crawl"
                )
            log.info(
                "resuming crawl %d (%s) after %d pages", unfinished.id, unfinished.mode, unfinished.pages
            )
            self.store.update_crawl(unfinished.id, status="running", error=None)
            return unfinished, True
        if unfinished is not None:
            self.store.update_crawl(
                unfinished.id, status="abandoned", finished_at=times.iso(self.clock.time())
            )
        watermark = self.store.last_watermark() if self.store.has_complete_full_crawl() else None
        if since:
            since = _normalize_date(since)
            mode = "incremental"
        elif mode == "auto":
            mode = "incremental" if watermark else "full"
        elif mode == "incremental" and not watermark:
            raise CrawlError(
                "no complete crawl yet, so there is nothing to update incrementally: "
                "run `lineage crawl --full` first (or pass --since DATE)"
            )
        stop = None
        if mode == "incremental":
            stop = since or _minus_seconds(watermark or "", self.config.overlap_seconds)
        sort = "createdAt" if mode == "full" else "lastModified"
        params: list[tuple[str, str | int]] = [("limit", self.config.page_size), ("sort", sort)]
        params += [("expand", f) for f in self.config.expand]
        query = "/api/models?" + urlencode(params)
        crawl = self.store.start_crawl(
            mode=mode,
            endpoint=self.endpoint,
            sort=sort,
            since=stop,
            model_limit=limit,
            first_query=query,
            started_at=times.iso(self.clock.time()),
        )
        return crawl, False

    # -- pages -> store ----------------------------------------------------------------------
    def _store_pages(self, crawl: CrawlState, progress: CrawlProgress, stop_before: str | None) -> bool:
        """Commit the pages :meth:`_pages` yields. True if the crawl is complete."""
        batch = _Batch()
        cursor = crawl.next_query  # where the listing goes on after the last page fetched
        pages = self._pages(crawl, progress, stop_before, taken=lambda: progress.models + len(batch.records))
        with contextlib.closing(pages):
            while True:
                try:
                    page = next(pages, None)
                except (CrawlError, KeyboardInterrupt):
                    if batch.pages:  # keep what was fetched: resume at the page that failed
                        self._commit(crawl, progress, batch, cursor)
                    raise
                if page is None:
                    break
                batch.add(page)
                cursor = page.next_query
                if page.records:
                    last = page.records[-1]
                    progress.last_date = last.created_at if crawl.sort == "createdAt" else last.last_modified
                # Commit every few pages (and at the end): each commit is a durable point with
                # the cursor of its last page; a crash loses at most the uncommitted pages,
                # which are fetched again on resume.
                if (
                    cursor is None
                    or batch.pages >= self.config.pages_per_commit
                    or time.monotonic() - batch.started >= self.config.commit_seconds
                ):
                    self._commit(crawl, progress, batch, cursor)
                    batch = _Batch()
        if batch.pages:
            self._commit(crawl, progress, batch, cursor)
        limit = crawl.model_limit
        return not (limit is not None and progress.models >= limit)

    def _pages(
        self,
        crawl: CrawlState,
        progress: CrawlProgress,
        stop_before: str | None,
        *,
        taken: Callable[[], int],
    ) -> Generator[_Page, None, None]:
        """Yield the listing's pages as records, from the crawl's cursor to the end of the
        listing, the model limit (``taken()``: models stored or waiting to be) or, for an
        incremental crawl, the first page older than ``stop_before``."""
        query = crawl.next_query
        limit = crawl.model_limit
        # Full crawls fetch page k+1 in a background thread while page k is parsed and
        # stored (requests stay sequential, so pacing is unchanged). Incremental crawls don't:
        # they stop after a handful of pages and a prefetch would cost a request.
        prefetch = self.config.prefetch and stop_before is None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lineage-fetch") if prefetch else None
        pending: Future[FetchedPage] | None = None
        cfg = self.config
        guard = LoopGuard(
            cfg.max_empty_pages, backoff_base=cfg.backoff_base, backoff_max=min(cfg.backoff_max, 10.0)
        )
        self.client.stop_event.clear()
        try:
            while query is not None:
                already = taken()
                if limit is not None and already >= limit:
                    return
                if pending is not None:
                    fetched, pending = pending.result(), None
                else:
                    fetched = self.client.fetch(query, progress)
                items, next_query = fetched.items, fetched.next_query
                more = limit is None or already + len(items) < limit
                if pool is not None and next_query is not None and more:
                    self._no_loop(guard, query, len(items), next_query, progress)
                    pending = pool.submit(self.client.fetch, next_query, progress)
                records: list[ModelRecord] = []
                repairs: list[Repair] = []
                skipped = 0
                for item in items:
                    rec, reps = normalize_item(item)
                    repairs.extend(reps)
                    if rec is None:
                        skipped += 1
                    else:
                        records.append(rec)
                if limit is not None and len(records) > limit - already:
                    records = records[: limit - already]
                    next_query = None
                if stop_before is not None and records:
                    oldest = min((r.last_modified or "" for r in records), default="")
                    if oldest and oldest < stop_before:
                        next_query = None
                if pending is None and next_query is not None:  # not checked before a prefetch
                    self._no_loop(guard, query, len(items), next_query, progress)
                yield _Page(records, repairs, skipped, fetched.requests, fetched.retries, next_query)
                query = next_query
        finally:
            self.client.stop_event.set()  # wakes a prefetch thread waiting out a rate-limit window
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _no_loop(
        self, guard: LoopGuard, query: str, items: int, next_query: str, waits: CrawlProgress
    ) -> None:
        """Before following ``next_query``: stop a listing that loops, back off after empty pages."""
        wait = guard.check(query, items, next_query)
        if wait:
            self.client.sleep(wait)
            waits.waited_seconds += wait

    def _commit(
        self, crawl: CrawlState, progress: CrawlProgress, batch: _Batch, next_query: str | None
    ) -> None:
        # The newest lastModified of the first commit is (within the overlap) at most the
        # crawl's start: the next incremental crawl starts there minus the overlap. Only the
        # first commit sets it (write_page keeps an existing watermark).
        page = self.store.write_page(
            crawl.id,
            batch.records,
            batch.repairs,
            next_query=next_query,
            skipped=batch.skipped,
            requests=batch.requests,
            retries=batch.retries,
            pages=batch.pages,
            watermark=max((r.last_modified for r in batch.records if r.last_modified), default=None),
            resolve=True,  # every commit leaves the graph complete: readers see no pending links
            aliases=self._aliases,
            # Recorded with the page that proved it, so a crawl resumed after its last page knows.
            meta=self._origin_meta(),
        )

        progress.pages += batch.pages
        progress.models += page.models
        progress.new += page.new
        progress.updated += page.updated
        progress.duplicates += page.duplicates
        progress.skipped += batch.skipped
        progress.repairs += page.repairs
        progress.requests += batch.requests
        progress.retries += batch.retries
        log.debug("committed %d pages: %d models (%d new)", batch.pages, page.models, page.new)
        if self.on_page is not None:
            self.on_page(progress)


def _in_order(counts: dict[str, int]) -> dict[str, int]:
    """Links by resolution, in the order resolution tries them (pending ones, if any, last)."""
    order = ("exact", "case", "alias", "unresolved", "cycle", "pending")
    return {k: counts.get(k, 0) for k in order if k in counts or k != "pending"}


def _minus_seconds(iso: str, seconds: float) -> str:
    try:
        return times.shift(iso, -seconds)
    except ValueError as exc:
        raise CrawlError(f"bad watermark {iso!r} in the store; run `lineage crawl --full`") from exc


def _normalize_date(value: str) -> str:
    """``2025-10-01`` or any ISO date-time -> ``2025-10-01T00:00:00.000Z`` (UTC)."""
    try:
        return times.normalize(value)
    except ValueError as exc:
        raise CrawlError(f"--since {value!r} is not a date: use YYYY-MM-DD or an ISO date-time") from exc
