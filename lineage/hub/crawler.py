"""Crawl the Hub's model listing into the store: the only module that talks to the Hub.

One request per 1000 models (``GET /api/models?limit=1000&expand=...``), following the
``Link: rel="next"`` cursor. Everything that makes a multi-hour crawl of 3M models safe:

* **bounded requests**: every request has a timeout (huggingface_hub's ``list_models`` has
  none: a stalled server would hang it forever), so we page ourselves through
  huggingface_hub's HTTP session, headers (``HF_TOKEN``) and rate-limit parser;
* **retries** with exponential backoff on 408/429/5xx, timeouts, cut connections and
  truncated JSON — the first page included;
* **pacing**: the ``RateLimit``/``RateLimit-Policy`` headers say how many requests are left
  in the current window; when none are left we sleep until the window resets instead of
  provoking 429s, and a 429 is answered by waiting ``Retry-After`` (or the reset);
* **resumable**: each page, its repairs, its snapshot rows and the next cursor commit in
  one store transaction; a crawl killed at any instant resumes from its last committed page;
* **incremental**: after a complete crawl, the next one lists by ``lastModified`` (newest
  first) and stops once it is past the last watermark minus a safety overlap;
* ``--full`` reconciles: models a complete full crawl no longer lists are tombstoned.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import httpx2
import orjson
from huggingface_hub import constants

# Public, documented helpers (huggingface_hub "Utilities" reference); its lazy __init__ hides
# them from mypy's explicit-export check.
from huggingface_hub.utils import (  # type: ignore[attr-defined]
    build_hf_headers,
    get_session,
    parse_ratelimit_headers,
)

from lineage import times
from lineage.errors import LineageError
from lineage.families import default_registry
from lineage.records import ModelRecord, Repair, normalize_item
from lineage.store import CrawlState, Store
from lineage.store.resolve import ResolveStats

__all__ = [
    "EXPAND_FIELDS",
    "Clock",
    "CrawlConfig",
    "CrawlError",
    "CrawlProgress",
    "CrawlSummary",
    "Crawler",
    "SystemClock",
    "hub_reachable",
    "resolve_endpoint",
]

log = logging.getLogger("lineage.hub")

#: Fields requested per model: everything lineage uses and nothing more.
EXPAND_FIELDS: tuple[str, ...] = (
    "author",
    "cardData",
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "gated",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "tags",
)
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


class CrawlError(LineageError, RuntimeError):
    """The crawl cannot go on; the message says why and what to do. State is saved."""


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time and real sleeps."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class CrawlConfig:
    """Knobs of a crawl. Defaults suit the real Hub."""

    endpoint: str | None = None  # None: HF_ENDPOINT or https://huggingface.co
    page_size: int = 1000
    timeout: float = 60.0  # seconds per request (connect, read, write, pool)
    max_retries: int = 8  # per page, for errors other than 429
    max_rate_limit_waits: int = 50  # per page, for 429s
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    overlap_seconds: float = 6 * 3600  # incremental crawls re-read this much before the watermark
    expand: tuple[str, ...] = EXPAND_FIELDS
    token: str | bool | None = None  # None: HF_TOKEN / the saved login, as huggingface_hub does
    prefetch: bool = True  # full crawls fetch the next page while storing this one
    # A durable point every N pages or every few seconds, whichever comes first: a crash
    # re-fetches at most the pages since (a few seconds of work); bigger commits are cheaper.
    pages_per_commit: int = 20
    commit_seconds: float = 2.0


@dataclass
class CrawlProgress:
    """Counters passed to the progress callback after each page."""

    crawl_id: int
    mode: str
    pages: int = 0
    models: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    repairs: int = 0
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    expected_total: int | None = None
    last_date: str | None = None


@dataclass
class CrawlSummary:
    """What a crawl did, for the CLI summary and ``--format json``."""

    crawl_id: int
    mode: str
    endpoint: str
    complete: bool
    resumed: bool
    pages: int
    models: int
    new: int
    updated: int
    deleted: int
    duplicates: int
    skipped: int
    requests: int
    retries: int
    rate_limit_waits: int
    links: int
    repairs: dict[str, int] = field(default_factory=dict)
    resolution: dict[str, int] = field(default_factory=dict)
    watermark: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def resolve_endpoint(endpoint: str | None) -> str:
    """The endpoint to crawl: the argument, else ``HF_ENDPOINT``, else the public Hub.

    Raises :class:`CrawlError` for a URL that is not ``http(s)://host[:port][/path]`` or that
    carries credentials (those belong in ``HF_TOKEN``, never in a URL that gets displayed).
    """
    url = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise CrawlError(f"the endpoint {url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"the endpoint {url!r} is not an http(s) URL, e.g. https://huggingface.co")
    if parts.username or parts.password:
        raise CrawlError("the endpoint URL must not contain credentials: put a token in HF_TOKEN")
    return url


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
        self.endpoint = resolve_endpoint(self.config.endpoint)
        self._headers = build_hf_headers(token=self.config.token, library_name="lineage")
        self._headers["Accept"] = "application/json"
        self._window_empty_until: float | None = None
        self.simulated: bool | None = None  # the server said it is lineage's simulated hub
        self._stop = threading.Event()

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
        started = self.clock.time()
        crawl, resumed = self._begin(mode, since, limit, restart)
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
            complete = self._pages(crawl, progress, stop_before)
        except KeyboardInterrupt:
            self.store.update_crawl(crawl.id, status="interrupted")
            raise
        except CrawlError as exc:
            self.store.update_crawl(crawl.id, status="failed", error=str(exc))
            raise
        if complete and crawl.mode == "full" and crawl.model_limit is None:
            self.store.tombstone_unseen(crawl.id)
        stats: ResolveStats = self.store.resolve_links(default_registry().aliases)
        if self.simulated is not None:
            self.store.set_meta("simulated", "true" if self.simulated else "false")
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
            resolution={
                "exact": stats.exact,
                "case": stats.case,
                "alias": stats.alias,
                "unresolved": stats.unresolved,
                "cycle": stats.cycle,
            },
            watermark=final.watermark,
            seconds=round(self.clock.time() - started, 3),
        )

    def refresh(self, limit: int) -> CrawlSummary:
        """Keep a store fresh: an incremental crawl when a complete crawl exists, else (a first
        run, or its resumption) a full crawl of the newest ``limit`` models."""
        if self.store.has_complete_full_crawl():
            return self.run("auto")
        return self.run("full", limit=limit)

    # -- internals -------------------------------------------------------------------------
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

    def _pages(self, crawl: CrawlState, progress: CrawlProgress, stop_before: str | None) -> bool:
        """Fetch and store pages until the listing ends. True if the crawl is complete."""
        query = crawl.next_query
        # Full crawls fetch page k+1 in a background thread while page k is parsed and
        # stored (requests stay sequential, so pacing is unchanged). Incremental crawls don't:
        # they stop after a handful of pages and a prefetch would cost a request.
        prefetch = self.config.prefetch and stop_before is None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lineage-fetch") if prefetch else None
        pending: Future[tuple[list[Any], str | None, int, int]] | None = None
        try:
            self._stop.clear()
            return self._page_loop(crawl, progress, stop_before, query, pool, pending)
        finally:
            self._stop.set()  # wakes a prefetch thread waiting out a rate-limit window
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _page_loop(
        self,
        crawl: CrawlState,
        progress: CrawlProgress,
        stop_before: str | None,
        query: str | None,
        pool: ThreadPoolExecutor | None,
        pending: Future[tuple[list[Any], str | None, int, int]] | None,
    ) -> bool:
        limit = crawl.model_limit
        batch = _Batch()
        while query is not None:
            taken = progress.models + len(batch.records)
            if limit is not None and taken >= limit:
                break
            try:
                if pending is not None:
                    items, next_query, requests, retries = pending.result()
                    pending = None
                else:
                    items, next_query, requests, retries = self._fetch(query, progress)
            except (CrawlError, KeyboardInterrupt):
                if batch.pages:  # keep what was fetched: resume at the page that failed
                    self._commit(crawl, progress, batch, query)
                raise
            if pool is not None and next_query is not None and (limit is None or taken + len(items) < limit):
                pending = pool.submit(self._fetch, next_query, progress)
            records: list[ModelRecord] = []
            for item in items:
                rec, reps = normalize_item(item)
                batch.repairs.extend(reps)
                if rec is None:
                    batch.skipped += 1
                else:
                    records.append(rec)
            if limit is not None and len(records) > limit - taken:
                records = records[: limit - taken]
                next_query = None
            done = next_query is None
            if stop_before is not None and records:
                oldest = min((r.last_modified or "" for r in records), default="")
                if oldest and oldest < stop_before:
                    done = True
            batch.add(records, requests, retries)
            if records:
                progress.last_date = (
                    records[-1].created_at if crawl.sort == "createdAt" else records[-1].last_modified
                )
            # Commit every few pages (and at the end): each commit is a durable point with
            # the cursor of its last page; a crash loses at most the uncommitted pages, which
            # are fetched again on resume.
            if (
                done
                or batch.pages >= self.config.pages_per_commit
                or time.monotonic() - batch.started >= self.config.commit_seconds
            ):
                self._commit(crawl, progress, batch, None if done else next_query)
                batch = _Batch()
            if done:
                break
            query = next_query
        if batch.pages:
            self._commit(crawl, progress, batch, query)
        return not (limit is not None and progress.models >= limit)

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

    def _fetch(self, query: str, progress: CrawlProgress) -> tuple[list[Any], str | None, int, int]:
        """GET one page with timeouts, retries and pacing. Returns items, next query, counts."""
        url = self.endpoint + query
        requests = retries = 0
        failures = rate_waits = 0
        delay = self.config.backoff_base
        while True:
            self._pace(progress)
            requests += 1
            problem: str
            wait: float | None = None
            try:
                response = get_session().get(
                    url, headers=self._headers, timeout=self.config.timeout, follow_redirects=True
                )
                self._note_rate_limit(response.headers)
                self.simulated = response.headers.get("X-Lineage-Simulated") == "true"
                status = response.status_code
                if status == 200:
                    try:
                        items = _parse_page(response.content)
                    except ValueError as exc:
                        problem = f"truncated or invalid JSON ({exc})"
                    else:
                        if not isinstance(items, list):
                            problem = f"expected a JSON list of models, got {type(items).__name__}"
                        else:
                            return items, _next_query(response), requests, retries
                elif status == 429:
                    rate_waits += 1
                    progress.rate_limit_waits += 1
                    wait = self._rate_limit_wait(response.headers)
                    if rate_waits > self.config.max_rate_limit_waits:
                        raise CrawlError(
                            f"still rate limited after {rate_waits} waits on {query}; "
                            "the crawl is saved — run `lineage crawl` later to resume"
                        )
                    log.warning("rate limited (429); waiting %.0f s", wait)
                    self._sleep(wait)
                    progress.waited_seconds += wait
                    retries += 1
                    continue
                elif status in _RETRY_STATUS:
                    problem = f"HTTP {status}"
                    retry_after = _retry_after(response.headers)
                    if retry_after is not None:
                        wait = retry_after
                elif status in (401, 403):
                    raise CrawlError(
                        f"the Hub refused the request (HTTP {status}). Check the token in HF_TOKEN "
                        "(or unset it to crawl anonymously); the crawl is saved and can be resumed."
                    )
                else:
                    raise CrawlError(
                        f"unexpected HTTP {status} from {self.endpoint}{query[:80]}: {response.text[:200]}"
                    )
            except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
                raise CrawlError(f"cannot request {self.endpoint}: {exc}") from exc
            except (httpx2.TimeoutException, httpx2.TransportError) as exc:
                problem = f"{type(exc).__name__}: {exc}"[:200]
            failures += 1
            if failures > self.config.max_retries:
                raise CrawlError(
                    f"giving up on a page after {failures} failed attempts (last: {problem}). "
                    "Everything before it is saved: run `lineage crawl` again to resume."
                )
            sleep = min(self.config.backoff_max, wait if wait is not None else delay)
            log.warning("%s; retry %d/%d in %.1f s", problem, failures, self.config.max_retries, sleep)
            self._sleep(sleep)
            progress.waited_seconds += sleep
            delay = min(self.config.backoff_max, delay * 2)
            retries += 1

    def _sleep(self, seconds: float) -> None:
        """Wait (backoff, rate limit); real waits end early when the crawl stops (Ctrl-C)."""
        if not isinstance(self.clock, SystemClock):
            self.clock.sleep(seconds)
        elif self._stop.wait(max(0.0, seconds)):
            raise CrawlError("the crawl was stopped")

    def _note_rate_limit(self, headers: Any) -> None:
        info = parse_ratelimit_headers(headers)
        if info is None:
            return
        if info.remaining <= 0:
            self._window_empty_until = self.clock.time() + info.reset_in_seconds + 1
        else:
            self._window_empty_until = None

    def _pace(self, progress: CrawlProgress) -> None:
        """Before a request: if the server said the window is used up, sleep until it resets."""
        if self._window_empty_until is None:
            return
        wait = self._window_empty_until - self.clock.time()
        self._window_empty_until = None
        if wait > 0:
            log.info("rate-limit window used up; waiting %.0f s for the next one", wait)
            progress.rate_limit_waits += 1
            progress.waited_seconds += wait
            self._sleep(wait)

    def _rate_limit_wait(self, headers: Any) -> float:
        info = parse_ratelimit_headers(headers)
        if info is not None and info.remaining <= 0:
            return float(info.reset_in_seconds) + 1
        retry_after = _retry_after(headers)
        if retry_after is not None:
            return retry_after
        return 60.0


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

    def add(self, records: list[ModelRecord], requests: int, retries: int) -> None:
        self.records.extend(records)
        self.pages += 1
        self.requests += requests
        self.retries += retries


def _parse_page(content: bytes) -> Any:
    """Parse a listing page. orjson is strict about lone UTF-16 surrogates (``"\\ud83d"``),
    which JSON's grammar allows and the Hub may send inside card text: such a page is parsed
    with the standard library and the lone surrogates become U+FFFD."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        import json

        try:
            page = json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(str(exc)) from exc
        log.warning("a page carried invalid unicode (lone surrogates); replaced with U+FFFD")
        return _fix_surrogates(page)


def _fix_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    return value


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _next_query(response: httpx2.Response) -> str | None:
    """The ``rel="next"`` link as path + query (the host is always our endpoint)."""
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def hub_reachable(endpoint: str | None = None, timeout: float = 5.0) -> bool:
    """True if the Hub answers a one-model listing within ``timeout`` seconds."""
    url = resolve_endpoint(endpoint) + "/api/models?limit=1"
    try:
        response = get_session().get(url, headers=build_hf_headers(library_name="lineage"), timeout=timeout)
    except (httpx2.TimeoutException, httpx2.TransportError):
        return False
    return response.status_code == 200


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
