"""HTTP to the Hub: one bounded, retried, paced GET per listing page.

The crawler pages the listing itself through huggingface_hub's shared HTTP session
(``get_session``: proxies and client factories users configure there apply) and rate-limit
parser, because ``list_models`` has no timeout. This module owns everything between a query
and a parsed page:

* **which host, which headers**: :mod:`lineage.hub.endpoint` (the endpoint's validation, the
  token policy, headers built without huggingface_hub's side request to huggingface.co);
* **bounded requests**: every request has a timeout (connect, read, write, pool);
* **retries** with exponential backoff on 408/429/5xx, timeouts, cut connections and
  truncated JSON — the first page included; a refused connection (nothing listening) or a host
  name that does not resolve (no network) is retried twice, quickly (1 s, 2 s), then reported
  as such rather than after minutes of backoff;
* **pacing**: the ``RateLimit``/``RateLimit-Policy`` headers say how many requests are left
  in the current window; when none are left we sleep until the window resets instead of
  provoking 429s, and a 429 is answered by waiting ``Retry-After`` (or the reset);
* **parsing**: orjson, with a repair for lone UTF-16 surrogates; the next page from the
  ``Link: <...>; rel="next"`` header.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import httpx2
import orjson

# Public, documented helpers (huggingface_hub "Utilities" reference); its lazy __init__ hides
# them from mypy's explicit-export check.
from huggingface_hub.utils import get_session, parse_ratelimit_headers  # type: ignore[attr-defined]

from lineage.hub.endpoint import CrawlError, hub_headers, resolve_endpoint, token_configured

__all__ = [
    "Clock",
    "CrawlError",
    "FetchedPage",
    "HubClient",
    "SystemClock",
    "WaitCounter",
    "hub_reachable",
    "resolve_endpoint",
]

log = logging.getLogger("lineage.hub")

_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: A refused connection (nothing listening) or an unresolved host name is retried this many
#: times, then reported.
_REFUSED_RETRIES = 2


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


class WaitCounter(Protocol):
    """Where waits are counted (:class:`lineage.hub.CrawlProgress` is one)."""

    rate_limit_waits: int
    waited_seconds: float


class FetchedPage(NamedTuple):
    """One listing page: its items, the next query (None: the end), and what it cost."""

    items: list[Any]
    next_query: str | None
    requests: int
    retries: int


def hub_reachable(endpoint: str | None = None, timeout: float = 5.0) -> bool:
    """True if the Hub answers a one-model listing within ``timeout`` seconds (asked anonymously)."""
    url = resolve_endpoint(endpoint)
    try:
        response = get_session().get(
            url + "/api/models?limit=1", headers=hub_headers(url, token=False), timeout=timeout
        )
    except (httpx2.TimeoutException, httpx2.TransportError):
        return False
    return response.status_code == 200


# -- the client ---------------------------------------------------------------------------------
class HubClient:
    """GETs listing pages from one endpoint with timeouts, retries and pacing.

    ``fetch`` may run in a prefetch thread while the caller stores the previous page; waits
    are interruptible through :attr:`stop_event` (set when the crawl stops).
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 8,
        max_rate_limit_waits: int = 50,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        token: str | bool | None = None,
        trust_endpoint: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_rate_limit_waits = max_rate_limit_waits
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.clock = clock or SystemClock()
        self.headers = hub_headers(self.endpoint, token=token, trust_endpoint=trust_endpoint)
        self.token_sent = "authorization" in self.headers
        self.token_withheld = not self.token_sent and token_configured(token)
        self.simulated: bool | None = None  # the server said it is lineage's simulated hub
        self.stop_event = threading.Event()
        self._window_empty_until: float | None = None

    def fetch(self, query: str, waits: WaitCounter) -> FetchedPage:
        """GET one page (``query``: path and query string). Raises :class:`CrawlError` when
        the page cannot be had; counts rate-limit waits and waited seconds in ``waits``."""
        url = self.endpoint + query
        requests = retries = 0
        failures = rate_waits = refused = 0
        delay = self.backoff_base
        while True:
            self.pace(waits)
            requests += 1
            problem: str
            wait: float | None = None
            budget = (failures + 1, self.max_retries)  # this retry, of how many (for the log)
            try:
                response = get_session().get(
                    url, headers=self.headers, timeout=self.timeout, follow_redirects=True
                )
                self._note_rate_limit(response.headers)
                self.simulated = response.headers.get("X-Lineage-Simulated") == "true"
                status = response.status_code
                if status == 200:
                    try:
                        items = parse_page(response.content)
                    except ValueError as exc:
                        problem = f"truncated or invalid JSON ({exc})"
                    else:
                        if not isinstance(items, list):
                            problem = f"expected a JSON list of models, got {type(items).__name__}"
                        else:
                            return FetchedPage(items, next_query(response), requests, retries)
                elif status == 429:
                    rate_waits += 1
                    waits.rate_limit_waits += 1
                    wait = self._rate_limit_wait(response.headers)
                    if rate_waits > self.max_rate_limit_waits:
                        raise CrawlError(
                            f"still rate limited after {rate_waits} waits on {query}; "
                            "the crawl is saved — run `lineage crawl` later to resume"
                        )
                    log.warning("rate limited (429); waiting %.0f s", wait)
                    self.sleep(wait)
                    waits.waited_seconds += wait
                    retries += 1
                    continue
                elif status in _RETRY_STATUS:
                    problem = f"HTTP {status}"
                    retry_after = _retry_after(response.headers)
                    if retry_after is not None:
                        wait = retry_after
                elif status in (401, 403):
                    if self.token_sent:
                        hint = "Check the token in HF_TOKEN (or unset it to crawl anonymously)"
                    elif self.token_withheld:
                        hint = "Your token was not sent to this endpoint: pass --trust-endpoint to send it"
                    else:
                        hint = "No token was sent: set HF_TOKEN if this endpoint needs one"
                    raise CrawlError(
                        f"the Hub refused the request (HTTP {status}). {hint}; "
                        "the crawl is saved and can be resumed."
                    )
                else:
                    raise CrawlError(
                        f"unexpected HTTP {status} from {self.endpoint}{query[:80]}: {response.text[:200]!r}"
                    )
            except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
                raise CrawlError(f"cannot request {self.endpoint}: {exc}") from exc
            except (httpx2.TimeoutException, httpx2.TransportError) as exc:
                problem = f"{type(exc).__name__}: {exc}"[:200]
                why = _unreachable(exc)
                if why is not None:
                    refused += 1
                    if refused > _REFUSED_RETRIES:
                        raise CrawlError(
                            (
                                f"nothing is listening at {self.endpoint} (connection refused, {refused} "
                                "attempts): check --endpoint / HF_ENDPOINT, or start the server."
                                if why == "refused"
                                else f"cannot reach {self.endpoint}: its host name does not resolve "
                                f"({refused} attempts): no network or DNS here, or a wrong --endpoint / "
                                "HF_ENDPOINT."
                            )
                            + " Everything fetched so far is saved: run `lineage crawl` again to resume."
                        ) from exc
                    wait = self.backoff_base * refused  # a server restarting: try again soon
                    budget = (refused, _REFUSED_RETRIES)
            failures += 1
            if failures > self.max_retries:
                raise CrawlError(
                    f"giving up on a page after {failures} failed attempts (last: {problem}). "
                    "Everything before it is saved: run `lineage crawl` again to resume."
                )
            sleep = min(self.backoff_max, wait if wait is not None else delay)
            log.warning("%s; retry %d/%d in %.1f s", problem, *budget, sleep)
            self.sleep(sleep)
            waits.waited_seconds += sleep
            delay = min(self.backoff_max, delay * 2)
            retries += 1

    def sleep(self, seconds: float) -> None:
        """Wait (backoff, rate limit); real waits end early when the crawl stops (Ctrl-C)."""
        if not isinstance(self.clock, SystemClock):
            self.clock.sleep(seconds)
        elif self.stop_event.wait(max(0.0, seconds)):
            raise CrawlError("the crawl was stopped")

    def pace(self, waits: WaitCounter) -> None:
        """Before a request: if the server said the window is used up, sleep until it resets."""
        if self._window_empty_until is None:
            return
        wait = self._window_empty_until - self.clock.time()
        self._window_empty_until = None
        if wait > 0:
            log.info("rate-limit window used up; waiting %.0f s for the next one", wait)
            waits.rate_limit_waits += 1
            waits.waited_seconds += wait
            self.sleep(wait)

    def _note_rate_limit(self, headers: Any) -> None:
        info = parse_ratelimit_headers(headers)
        if info is None:
            return
        if info.remaining <= 0:
            self._window_empty_until = self.clock.time() + info.reset_in_seconds + 1
        else:
            self._window_empty_until = None

    def _rate_limit_wait(self, headers: Any) -> float:
        info = parse_ratelimit_headers(headers)
        if info is not None and info.remaining <= 0:
            return float(info.reset_in_seconds) + 1
        retry_after = _retry_after(headers)
        if retry_after is not None:
            return retry_after
        return 60.0


def _unreachable(exc: BaseException) -> str | None:
    """``"refused"`` if ``exc`` (an httpx2 error) was caused by a refused TCP connection,
    ``"unresolved"`` if by a host name that does not resolve (no network, no DNS: retrying for
    minutes would not help), else None."""
    seen: BaseException | None = exc
    for _ in range(10):  # the chain is httpx2 -> httpcore2 -> ConnectionRefusedError / gaierror
        if seen is None:
            return None
        if isinstance(seen, ConnectionRefusedError):
            return "refused"
        if isinstance(seen, socket.gaierror):
            return "unresolved"
        seen = seen.__cause__ or seen.__context__
    return None


# -- parsing ------------------------------------------------------------------------------------
def parse_page(content: bytes) -> Any:
    """Parse a listing page. orjson is strict about lone UTF-16 surrogates (``"\\ud83d"``),
    which JSON's grammar allows and the Hub may send inside card text: such a page is parsed
    with the standard library and the lone surrogates become U+FFFD.

    >>> parse_page(b'[{"id": "a/b", "cardData": {"model_name": "half \\\\ud83d"}}]')
    [{'id': 'a/b', 'cardData': {'model_name': 'half \\ufffd'}}]
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
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


def next_query(response: httpx2.Response) -> str | None:
    """The ``rel="next"`` link as path + query: the host is always our endpoint (a next link
    naming another host cannot send the crawl, or the token, elsewhere)."""
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
