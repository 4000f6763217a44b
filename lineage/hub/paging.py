"""The pagination loop guard: a listing whose next links make no progress ends with an error.

The listing ends only where a page has no ``rel="next"`` link (a short or even empty page is
not the end). A server that keeps answering empty pages with a next link, or whose next link
leads back to a page already fetched, would otherwise be crawled forever (seen: 26,776
requests in 20 s). :class:`LoopGuard` is told about every page fetched and

* lets a few empty pages in a row through (the Hub may answer one spuriously; the simulated
  hub's ``empty`` fault answers ``[]`` with a next link to the same page), backing off
  before each next request: ``backoff_base``, doubled each time, at most ``backoff_max``
  (the crawler caps it at 10 s: 20 empty pages cost about 3 minutes, like 8 failed retries);
* stops after ``max_empty`` empty pages in a row;
* stops at once when a page's next link leads to a page already fetched in this run, except
  an empty page linking to itself (the retry above).

It raises :class:`~lineage.hub.endpoint.CrawlError`; the crawler has committed every page before
it, so ``lineage crawl`` resumes at the page where the loop showed.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from lineage.hub.endpoint import CrawlError

__all__ = ["LoopGuard"]

log = logging.getLogger("lineage.hub")


class LoopGuard:
    """Counts empty pages in a row and remembers the queries fetched in this run.

    >>> guard = LoopGuard(max_empty=2, backoff_base=1.0, backoff_max=60.0)
    >>> guard.check("/p1", 2, "/p2"), guard.check("/p2", 0, "/p2"), guard.check("/p2", 0, "/p2")
    (0.0, 1.0, 2.0)
    >>> guard.check("/p2", 0, "/p2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lineage.hub.endpoint.CrawlError: 3 empty pages in a row, each with a next link: ...
    >>> guard.check("/p?cursor=3", 5, "/p2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lineage.hub.endpoint.CrawlError: the listing loops: the next link of cursor 3 leads back to a page ...
    """

    def __init__(self, max_empty: int = 20, *, backoff_base: float = 1.0, backoff_max: float = 60.0) -> None:
        self.max_empty = max_empty
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.empty_in_a_row = 0
        self._fetched: set[str] = set()

    def check(self, query: str, items: int, next_query: str | None) -> float:
        """After fetching ``query`` (``items`` items, next link ``next_query``): the seconds
        to wait before the next request. Raises :class:`CrawlError` when the listing loops."""
        self._fetched.add(query)
        if next_query is None:
            return 0.0
        empty_retry = items == 0 and next_query == query
        if next_query in self._fetched and not empty_retry:
            raise CrawlError(
                f"the listing loops: the next link of {_page(query)} leads back to a page already "
                f"fetched ({_page(next_query)}). Everything before it is saved: run `lineage crawl` "
                "later to resume"
            )
        if items:
            self.empty_in_a_row = 0
            return 0.0
        self.empty_in_a_row += 1
        if self.empty_in_a_row > self.max_empty:
            raise CrawlError(
                f"{self.empty_in_a_row} empty pages in a row, each with a next link: the listing "
                "makes no progress. Everything before is saved: run `lineage crawl` later to resume"
            )
        wait = float(min(self.backoff_max, self.backoff_base * 2 ** (self.empty_in_a_row - 1)))
        log.warning(
            "empty page %d/%d in a row (with a next link); next request in %.1f s",
            self.empty_in_a_row,
            self.max_empty,
            wait,
        )
        return wait


def _page(query: str) -> str:
    """A page for a message: its cursor, shortened (queries carry a dozen expand fields).

    >>> _page("/api/models?limit=2&expand=tags&cursor=eyJzIjoiY3JlYXRlZEF0In0")
    'cursor eyJzIjoiY3JlYXRlZEF0In0'
    >>> _page("/api/models?limit=1000&sort=createdAt")
    'the first page'
    """
    cursor = parse_qs(urlsplit(query).query).get("cursor", [None])[0]
    if cursor is None:
        return "the first page"
    return f"cursor {cursor[:40]}" + ("..." if len(cursor) > 40 else "")
