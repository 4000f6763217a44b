"""A simulated Hugging Face Hub model API, served on 127.0.0.1, with fault injection.

:class:`SimHub` serves a set of Hub listing items (dicts shaped like the items of the Hub's
``/api/models``) over HTTP so that the crawler and the real ``huggingface_hub.HfApi(endpoint=url)``
can be tested without the network. It mirrors what the client relies on:

* ``GET /api/models`` with ``limit`` (default and maximum 1000), ``sort`` (``createdAt``,
  ``lastModified``, ``downloads``, ``likes``, ``id``; also ``created_at``/``last_modified``),
  ``direction`` (``-1`` by default, ``1`` ascending), keyset cursor pagination through a
  ``Link: <...cursor=...>; rel="next"`` header, ``expand``/``expand[]`` field selection, the
  default field set, ``full`` and ``cardData``, and the ``search``, ``author``, ``filter``,
  ``pipeline_tag`` and ``library`` filters;
* ``GET /api/models/{repo_id}`` with ``expand[]=baseModels`` and ``expand[]=childrenModelCount``;
  an unknown id is a 404 with ``X-Error-Code: RepoNotFound``;
* the ``RateLimit``/``RateLimit-Policy`` headers and HTTP 429 of a fixed-window quota.

Faults (:class:`FaultSpec`) are injected on the listing endpoint only: HTTP 429/500/502/503/504,
stalls, cut connections (``truncate``), spurious empty pages (``empty``) and a model repeated
on two pages (``dup``), either at a rate (``503:0.05``, reproducible from ``seed``) or on
given listing-request numbers (``truncate@2,5``).

Memory: each model is kept as its orjson-serialized bytes plus compact per-sort-key arrays; a
page whose requested fields cover every stored key is served by joining the stored bytes.

>>> hub = SimHub([{"_id": "1", "id": "a/b", "createdAt": "2025-01-01T00:00:00.000Z", "tags": []}])
>>> len(hub), str(FaultSpec.parse("503@2,4,quota=10"))
(1, '503@2,4,quota=10')
"""

from __future__ import annotations

import base64
import bisect
import collections
import contextlib
import math
import random
import socket
import socketserver
import threading
import time
import traceback
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson

from lineage.records import parse_base_model_tag

__all__ = [
    "DEFAULT_LIST_FIELDS",
    "FAULT_KINDS",
    "LISTING_ONLY_REJECTED_EXPAND",
    "SORT_KEYS",
    "FaultRule",
    "FaultSpec",
    "RequestLogEntry",
    "SimHub",
]

#: Fault kinds, in the order of precedence used when several are drawn for one request
#: (``stall`` combines with any other; of the rest only the first applies).
FAULT_KINDS: tuple[str, ...] = ("stall", "429", "500", "502", "503", "504", "truncate", "empty", "dup")
_STATUS_FAULTS: tuple[str, ...] = ("429", "500", "502", "503", "504")
_SETTINGS: tuple[str, ...] = ("quota", "window", "stall_seconds", "retry_after")

#: Accepted ``sort`` values and the stored key each one sorts by.
SORT_KEYS: dict[str, str] = {
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "downloads": "downloads",
    "likes": "likes",
    "id": "id",
}
_NUMERIC_SORTS: tuple[str, ...] = ("createdAt", "lastModified", "downloads", "likes")
_DATE_SORTS = frozenset({"createdAt", "lastModified"})

#: Fields of a listing item when neither ``expand`` nor ``full`` is given (plus ``modelId``).
DEFAULT_LIST_FIELDS: frozenset[str] = frozenset(
    {"_id", "id", "likes", "private", "downloads", "tags", "pipeline_tag", "library_name", "createdAt"}
)
#: ``expand`` values the real Hub accepts only on ``/api/models/{repo_id}``, not on listings.
LISTING_ONLY_REJECTED_EXPAND: frozenset[str] = frozenset({"baseModels", "childrenModelCount", "usedStorage"})

_RELATIONS: tuple[str, ...] = ("finetune", "adapter", "quantized", "merge")
_REL_INDEX = {rel: i for i, rel in enumerate(_RELATIONS)}
_MISSING = -(2**63)  # sort value of a missing or unusable field: first ascending, last descending
_MAX_INT = 2**63 - 1
_ID_KEYS = frozenset({"_id", "id"})
_JSON = "application/json; charset=utf-8"
_FORMS = (
    "accepted forms: KIND:RATE (RATE in 0..1, e.g. 503:0.05), KIND@N[,N...] (1-based listing request "
    "numbers, e.g. truncate@2,5), quota=Q, window=SECONDS, stall_seconds=SECONDS, retry_after=SECONDS; "
    "kinds: " + ", ".join(FAULT_KINDS)
)


# --------------------------------------------------------------------------------------------
# Fault specification


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault kind, injected at ``rate`` (independently per listing request) or ``at`` the
    given 1-based listing-request numbers (every request counts, retries included)."""

    kind: str
    rate: float = 0.0
    at: frozenset[int] = frozenset()

    def __str__(self) -> str:
        if self.at:
            return f"{self.kind}@" + ",".join(str(n) for n in sorted(self.at))
        return f"{self.kind}:{self.rate:g}"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Parsed fault configuration (immutable); build it with :meth:`parse`.

    ``quota`` requests per fixed ``window`` (seconds) on ``/api/models*`` (None: no quota and no
    rate-limit headers); ``stall_seconds`` of real time for ``stall``; ``retry_after`` seconds
    announced by injected 429s.
    """

    rules: tuple[FaultRule, ...] = ()
    quota: int | None = None
    window: int = 300
    stall_seconds: float = 5.0
    retry_after: int = 1

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse ``"503:0.05,truncate@2,5,stall:0.01,quota=100,window=300,stall_seconds=3"``.

        Items are comma-separated; a bare number continues the schedule before it. ``None`` or
        an empty string means no faults. Raises :class:`ValueError` naming the bad item.

        >>> [str(rule) for rule in FaultSpec.parse("dup@1,3,empty:0.5,retry_after=0").rules]
        ['dup@1,3', 'empty:0.5']
        """
        if spec is None:
            return cls()
        if not isinstance(spec, str):
            raise ValueError(f"fault spec must be a string, not {type(spec).__name__}; {_FORMS}")
        rules: list[FaultRule] = []
        settings: dict[str, str] = {}
        open_schedule: int | None = None  # index in rules of a schedule that bare numbers extend
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            if item.isdigit() and open_schedule is not None:
                rule = rules[open_schedule]
                rules[open_schedule] = FaultRule(rule.kind, 0.0, rule.at | {_ordinal(item, item)})
                continue
            open_schedule = None
            if "=" in item:
                name, _, value = (part.strip() for part in item.partition("="))
                if name not in _SETTINGS:
                    raise ValueError(f"bad fault spec item {item!r}: unknown setting {name!r}; {_FORMS}")
                if name in settings:
                    raise ValueError(f"bad fault spec item {item!r}: {name} given twice; {_FORMS}")
                settings[name] = value
            elif "@" in item:
                kind, _, at = (part.strip() for part in item.partition("@"))
                _check_kind(kind, item)
                rules.append(FaultRule(kind, 0.0, frozenset({_ordinal(at, item)})))
                open_schedule = len(rules) - 1
            elif ":" in item:
                kind, _, rate_s = (part.strip() for part in item.partition(":"))
                _check_kind(kind, item)
                try:
                    rate = float(rate_s)
                except ValueError:
                    why = f"rate {rate_s!r} is not a number"
                    raise ValueError(f"bad fault spec item {item!r}: {why}; {_FORMS}") from None
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"bad fault spec item {item!r}: rate must be between 0 and 1; {_FORMS}")
                rules.append(FaultRule(kind, rate))
            else:
                raise ValueError(
                    f"bad fault spec item {item!r}: not KIND:RATE, KIND@N or NAME=VALUE; {_FORMS}"
                )
        quota = _setting_int(settings, "quota", None, 1)
        window = _setting_int(settings, "window", 300, 1)
        retry_after = _setting_int(settings, "retry_after", 1, 0)
        stall_s = settings.get("stall_seconds")
        stall_seconds = 5.0
        if stall_s is not None:
            try:
                stall_seconds = float(stall_s)
            except ValueError:
                stall_seconds = -1.0
            if not 0.0 <= stall_seconds < math.inf:
                raise ValueError(
                    f"bad fault spec item 'stall_seconds={stall_s}': must be a number >= 0; {_FORMS}"
                )
        assert window is not None and retry_after is not None
        return cls(tuple(rules), quota, window, stall_seconds, retry_after)

    def __str__(self) -> str:
        parts = [str(rule) for rule in self.rules]
        if self.quota is not None:
            parts.append(f"quota={self.quota}")
        if self.window != 300:
            parts.append(f"window={self.window}")
        if self.stall_seconds != 5.0:
            parts.append(f"stall_seconds={self.stall_seconds:g}")
        if self.retry_after != 1:
            parts.append(f"retry_after={self.retry_after}")
        return ",".join(parts)

    def select(self, ordinal: int, draws: list[float]) -> set[str]:
        """Kinds drawn for listing request number ``ordinal``; ``draws`` holds one uniform
        number per rate rule, in order (see :meth:`n_draws`)."""
        chosen: set[str] = set()
        i = 0
        for rule in self.rules:
            if rule.at:
                if ordinal in rule.at:
                    chosen.add(rule.kind)
            else:
                if draws[i] < rule.rate:
                    chosen.add(rule.kind)
                i += 1
        return chosen

    @property
    def n_draws(self) -> int:
        """How many random numbers :meth:`select` consumes per listing request."""
        return sum(1 for rule in self.rules if not rule.at)


def _check_kind(kind: str, item: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"bad fault spec item {item!r}: unknown fault kind {kind!r}; {_FORMS}")


def _ordinal(value: str, item: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"bad fault spec item {item!r}: {value!r} is not a request number >= 1; {_FORMS}")
    return int(value)


def _setting_int(settings: dict[str, str], name: str, default: int | None, minimum: int) -> int | None:
    value = settings.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"bad fault spec item '{name}={value}': must be an integer >= {minimum}; {_FORMS}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Model table


class RequestLogEntry(NamedTuple):
    """One HTTP request as served: clock time at arrival, path, raw query, status, fault."""

    time: float
    path: str
    query: str
    status: int
    fault: str | None


def _date_ms(value: Any) -> int:
    if not isinstance(value, str):
        return _MISSING
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return _MISSING
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _ONE_MS


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC) - _EPOCH


def _compact(blob: bytes) -> bytes:
    """An exact-size copy: orjson's result keeps a buffer of about 4 KiB whatever its length."""
    return bytes(memoryview(blob))


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(_MISSING + 1, min(_MAX_INT, value))
    if isinstance(value, float) and math.isfinite(value):
        return max(_MISSING + 1, min(_MAX_INT, int(value)))
    return _MISSING


def _sort_value(key: str, item: dict[str, Any]) -> int:
    value = item.get(key)
    return _date_ms(value) if key in _DATE_SORTS else _count(value)


def _parent_refs(item: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(parent id, relation or None)`` from the item's ``base_model:`` tags, in tag order."""
    tags = item.get("tags")
    out: list[tuple[str, str | None]] = []
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and tag.startswith("base_model:"):
                parsed = parse_base_model_tag(tag)
                if parsed is not None and parsed[0]:
                    out.append(parsed)
    return out


def _child_edges(model_id: str, item: dict[str, Any]) -> set[tuple[str, int]]:
    """``(lowercase parent id, relation index)`` this item contributes to children counts."""
    own = model_id.lower()
    edges: set[tuple[str, int]] = set()
    for parent, rel in _parent_refs(item):
        if rel in _REL_INDEX and parent.lower() != own:
            edges.add((parent.lower(), _REL_INDEX[rel]))
    return edges


class _View(NamedTuple):
    """Which stored fields a listing item shows: ``include`` (None: all) minus ``exclude``,
    plus ``modelId`` when ``model_id``."""

    include: frozenset[str] | None
    exclude: frozenset[str]
    model_id: bool


class _Page(NamedTuple):
    slots: list[int]
    more: bool  # another (possibly empty) page follows
    last_scanned: int  # slot whose key the next cursor carries (when more)


class _Table:
    """Models stored as serialized bytes with per-slot arrays; not thread-safe by itself."""

    def __init__(self) -> None:
        self.blobs: list[bytes | None] = []
        self.ids: list[str] = []
        self.ties: list[str] = []  # `_id`, the tie-breaker
        self.schema: array[int] = array("I")
        self.schemas: list[frozenset[str]] = []
        self._schema_index: dict[frozenset[str], int] = {}
        self.values: dict[str, array[int]] = {key: array("q") for key in _NUMERIC_SORTS}
        self.by_lower: dict[str, int] = {}
        self.perms: dict[str, array[int]] = {}
        self.children: dict[str, list[int]] = {}
        self.live = 0

    # -- keys ----------------------------------------------------------------------------

    def keyfunc(self, sort: str) -> Callable[[int], tuple[Any, str, str]]:
        ids, ties = self.ids, self.ties
        if sort == "id":
            return lambda slot: (ids[slot], ties[slot], ids[slot])
        values = self.values[sort]
        return lambda slot: (values[slot], ties[slot], ids[slot])

    def perm(self, sort: str) -> array[int]:
        """Live slots sorted ascending by ``(value, _id, id)``; built lazily, then maintained."""
        perm = self.perms.get(sort)
        if perm is None:
            blobs = self.blobs
            live = [slot for slot in range(len(blobs)) if blobs[slot] is not None]
            live.sort(key=self.keyfunc(sort))
            perm = self.perms[sort] = array("q", live)
        return perm

    # -- mutation --------------------------------------------------------------------------

    def upsert(self, item: dict[str, Any]) -> None:
        model_id = item.get("id")
        if not isinstance(model_id, str) or not model_id:
            raise ValueError(f"a model needs a non-empty string 'id': {str(item)[:200]}")
        slot = self.by_lower.get(model_id.lower())
        if slot is None:
            self._append(item)
        else:
            self.replace(slot, item)

    def _append(self, item: dict[str, Any]) -> None:
        blob = _compact(orjson.dumps(item))
        slot = len(self.blobs)
        self.blobs.append(None)
        self.ids.append("")
        self.ties.append("")
        self.schema.append(0)
        for arr in self.values.values():
            arr.append(_MISSING)
        self._fill(slot, item, blob)

    def replace(self, slot: int, item: dict[str, Any]) -> None:
        blob = _compact(orjson.dumps(item))
        self.remove(slot)
        self._fill(slot, item, blob)

    def remove(self, slot: int) -> None:
        blob = self.blobs[slot]
        if blob is None:
            return
        old = orjson.loads(blob)
        for sort, perm in self.perms.items():
            kf = self.keyfunc(sort)
            i = bisect.bisect_left(perm, kf(slot), key=kf)
            if i < len(perm) and perm[i] == slot:
                del perm[i]
            else:  # pragma: no cover - the key is unique, so this cannot happen
                self.perms.clear()
                break
        for parent, rel in _child_edges(self.ids[slot], old):
            counts = self.children[parent]
            counts[rel] -= 1
            if not any(counts):
                del self.children[parent]
        del self.by_lower[self.ids[slot].lower()]
        self.blobs[slot] = None
        self.ids[slot] = ""
        self.ties[slot] = ""
        self.live -= 1

    def _fill(self, slot: int, item: dict[str, Any], blob: bytes) -> None:
        model_id: str = item["id"]
        tie = item.get("_id")
        self.blobs[slot] = blob
        self.ids[slot] = model_id
        self.ties[slot] = tie if isinstance(tie, str) else ""
        keys = frozenset(item)
        index = self._schema_index.get(keys)
        if index is None:
            index = self._schema_index[keys] = len(self.schemas)
            self.schemas.append(keys)
        self.schema[slot] = index
        for key, arr in self.values.items():
            arr[slot] = _sort_value(key, item)
        self.by_lower[model_id.lower()] = slot
        for sort, perm in self.perms.items():
            bisect.insort_right(perm, slot, key=self.keyfunc(sort))
        for parent, rel in _child_edges(model_id, item):
            self.children.setdefault(parent, [0, 0, 0, 0])[rel] += 1
        self.live += 1

    # -- reading ---------------------------------------------------------------------------

    def item(self, slot: int) -> dict[str, Any]:
        blob = self.blobs[slot]
        assert blob is not None
        result: dict[str, Any] = orjson.loads(blob)
        return result

    def positions(self, sort: str | None, desc: bool, after: tuple[Any, ...] | int | None) -> Iterator[int]:
        """Live slots in listing order, strictly after the cursor key ``after``."""
        if sort is None:
            blobs = self.blobs
            start = after + 1 if isinstance(after, int) else 0
            for slot in range(max(0, start), len(blobs)):
                if blobs[slot] is not None:
                    yield slot
            return
        perm = self.perm(sort)
        kf = self.keyfunc(sort)
        if desc:
            top = len(perm) - 1 if after is None else bisect.bisect_left(perm, after, key=kf) - 1
            for i in range(top, -1, -1):
                yield perm[i]
        else:
            low = 0 if after is None else bisect.bisect_right(perm, after, key=kf)
            for i in range(low, len(perm)):
                yield perm[i]

    def cursor_key(self, sort: str | None, slot: int) -> tuple[Any, ...] | int:
        return slot if sort is None else self.keyfunc(sort)(slot)

    def page(
        self,
        sort: str | None,
        desc: bool,
        after: tuple[Any, ...] | int | None,
        limit: int,
        match: Callable[[int], bool] | None,
        budget: int,
    ) -> _Page:
        """Up to ``limit`` matching slots after ``after``, scanning at most ``budget`` slots."""
        slots: list[int] = []
        last = -1
        for scanned, slot in enumerate(self.positions(sort, desc, after)):
            if scanned >= budget:
                return _Page(slots, True, last)
            if match is None or match(slot):
                if len(slots) >= limit:  # a further match exists: the next page starts with it
                    return _Page(slots, True, last)
                slots.append(slot)
            last = slot
        return _Page(slots, False, last)

    def render(self, slots: list[int], view: _View) -> bytes:
        """The JSON array of the given models, as ``view`` shows them."""
        include, exclude, add_model_id = view
        plan: dict[int, int] = {}  # schema index -> 0 pass through, 1 add modelId bytes, 2 decode
        parts: list[bytes] = []
        blobs, ids, schema, schemas = self.blobs, self.ids, self.schema, self.schemas
        for slot in slots:
            blob = blobs[slot]
            assert blob is not None
            index = schema[slot]
            mode = plan.get(index)
            if mode is None:
                keys = schemas[index]
                covered = (include is None or keys <= include) and not (keys & exclude)
                if not covered:
                    mode = 2
                elif add_model_id and "modelId" not in keys:
                    mode = 1
                else:
                    mode = 0
                plan[index] = mode
            if mode == 0:
                parts.append(blob)
            elif mode == 1:
                parts.append(blob[:-1] + b',"modelId":' + orjson.dumps(ids[slot]) + b"}")
            else:
                item = orjson.loads(blob)
                out = {
                    k: v for k, v in item.items() if (include is None or k in include) and k not in exclude
                }
                if add_model_id:
                    out.setdefault("modelId", ids[slot])
                parts.append(orjson.dumps(out))
        return b"[" + b",".join(parts) + b"]"


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _HttpError(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


@dataclass(slots=True)
class _Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    fault: str | None = None
    truncate: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: SimHub

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (socket.getfqdn), which may block.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Quiet: clients hanging up are normal; anything else is kept for tests to inspect.
        exc = traceback.format_exc()
        if "ConnectionError" in exc or "BrokenPipe" in exc or "ConnectionReset" in exc:
            return
        self.hub.server_errors.append(exc)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SimHub/1.0"
    disable_nagle_algorithm = True
    hub: ClassVar[SimHub]

    def setup(self) -> None:
        super().setup()
        self.hub._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.hub._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no per-request logging to stderr (see :attr:`SimHub.request_log`)."""

    def do_GET(self) -> None:
        self.hub._serve(self)


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1", "yes", "")


def _encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode("ascii")


def _error_body(message: str) -> bytes:
    return orjson.dumps({"error": message})


# --------------------------------------------------------------------------------------------
# The simulated hub


class SimHub:
    """A simulated Hub API over a set of listing items; see the module docstring.

    ``faults`` is a :class:`FaultSpec` or its string form; ``clock`` gives the time used for rate
    limit windows, ``lastModified`` bumps and the request log (stalls always sleep in real
    time); ``seed`` makes rate-form faults reproducible. ``max_limit`` is the page size cap
    (the Hub's is 1000); ``scan_limit`` bounds how many models one filtered listing request
    examines before it returns a short page with a next link, as a real keyset API may.
    """

    def __init__(
        self,
        items: Iterable[dict[str, Any]] = (),
        *,
        faults: FaultSpec | str | None = None,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        max_limit: int = 1000,
        scan_limit: int = 100_000,
        simulated: bool = True,
    ) -> None:
        if max_limit < 1 or scan_limit < 1:
            raise ValueError("max_limit and scan_limit must be >= 1")
        self.clock = clock
        #: Sent as ``X-Lineage-Simulated``: true for synthetic data, false for a recorded hub.
        self.simulated = simulated
        self.seed = seed
        self.max_limit = max_limit
        self.scan_limit = max(scan_limit, max_limit)
        self.request_log: list[RequestLogEntry] = []
        #: Tracebacks of unexpected server-side exceptions (tests assert it stays empty).
        self.server_errors: list[str] = []
        self._lock = threading.RLock()
        self._table = _Table()
        self._faults = FaultSpec()
        self._rng = random.Random(seed)
        self._ordinal = 0
        self._injected: collections.Counter[str] = collections.Counter()
        self._window: tuple[int, int] = (0, 0)  # (window index, requests counted in it)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self.url: str | None = None
        self.faults = faults
        self.add(items)

    # -- configuration -----------------------------------------------------------------------

    @property
    def faults(self) -> FaultSpec:
        """The fault configuration. Setting it (a spec or its string) restarts the listing
        request count and the random sequence, as for a new hub."""
        return self._faults

    @faults.setter
    def faults(self, spec: FaultSpec | str | None) -> None:
        parsed = spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)
        with self._lock:
            self._faults = parsed
            self._rng = random.Random(self.seed)
            self._ordinal = 0

    @classmethod
    def from_dir(cls, path: str | Path, **kw: Any) -> SimHub:
        """A hub serving ``path/models.jsonl`` (one listing item per line); ``path`` may also
        be the JSONL file itself. Keyword arguments go to the constructor. The data counts as
        simulated when ``meta.json`` beside it says so (``lineage simulate`` writes it); a
        recorded hub such as the real sample does not."""
        source = Path(path)
        if source.is_dir():
            source = source / "models.jsonl"
        if "simulated" not in kw:
            meta = source.parent / "meta.json"
            kw["simulated"] = bool(meta.exists() and orjson.loads(meta.read_bytes()).get("simulated"))

        def lines() -> Iterator[dict[str, Any]]:
            with source.open("rb") as fh:
                for number, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            item = orjson.loads(line)
                        except orjson.JSONDecodeError as exc:
                            raise ValueError(f"{source}:{number}: not JSON: {exc}") from exc
                        if not isinstance(item, dict):
                            raise ValueError(f"{source}:{number}: not a JSON object")
                        yield item

        return cls(lines(), **kw)

    # -- models ------------------------------------------------------------------------------

    def add(self, items: Iterable[dict[str, Any]]) -> None:
        """Add models, or replace (by id, case-insensitively, keeping their place) existing ones."""
        with self._lock:
            for item in items:
                if not isinstance(item, dict):
                    raise ValueError(f"a model must be a dict, not {type(item).__name__}")
                self._table.upsert(item)

    def update(self, model_id: str, **fields: Any) -> None:
        """Change fields of a model; ``lastModified`` becomes the clock's now unless given.

        Giving ``id`` renames the model. Raises :class:`KeyError` for an unknown model.
        """
        with self._lock:
            table = self._table
            slot = table.by_lower.get(model_id.lower())
            if slot is None:
                raise KeyError(model_id)
            item = table.item(slot)
            item.update(fields)
            if "lastModified" not in fields:
                item["lastModified"] = datetime.fromtimestamp(self.clock(), UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z"
                )
            new_id = item.get("id")
            if not isinstance(new_id, str) or not new_id:
                raise ValueError("id must be a non-empty string")
            other = table.by_lower.get(new_id.lower())
            if other is not None and other != slot:
                raise ValueError(f"cannot rename {model_id!r} to {new_id!r}: that model exists")
            table.replace(slot, item)

    def delete(self, model_id: str) -> None:
        """Remove a model. Raises :class:`KeyError` for an unknown model."""
        with self._lock:
            slot = self._table.by_lower.get(model_id.lower())
            if slot is None:
                raise KeyError(model_id)
            self._table.remove(slot)

    def get(self, model_id: str) -> dict[str, Any] | None:
        """The stored item (a copy), looked up case-insensitively; None when absent."""
        with self._lock:
            slot = self._table.by_lower.get(model_id.lower())
            return None if slot is None else self._table.item(slot)

    def __len__(self) -> int:
        return self._table.live

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and model_id.lower() in self._table.by_lower

    def faults_injected(self) -> collections.Counter[str]:
        """How many times each fault kind was injected (a copy)."""
        with self._lock:
            return collections.Counter(self._injected)

    # -- serving -------------------------------------------------------------------------------

    def _make_server(self, host: str, port: int) -> _Server:
        handler = type("SimHubHandler", (_Handler,), {"hub": self})
        server_cls = _Server6 if ":" in host else _Server
        server = server_cls((host, port), handler)
        server.hub = self
        return server

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is not None:
            raise RuntimeError("this SimHub is already serving")
        self._stopping.clear()
        server = self._make_server(host, port)
        self._server = server
        self.url = self._base_url(host, server.server_port)
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="simhub", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving: no new requests, open connections closed, stalls cut short."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        self._close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def serve_forever(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve in the calling thread until Ctrl-C (or :meth:`stop` from another thread)."""
        if self._server is not None:
            raise RuntimeError("this SimHub is already serving")
        self._stopping.clear()
        server = self._make_server(host, port)
        self._server = server
        self.url = self._base_url(host, server.server_port)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._stopping.set()
            server.server_close()
            self._close_connections()
            self._server = None

    def __enter__(self) -> SimHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def _base_url(host: str, port: int) -> str:
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def _track(self, conn: socket.socket, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _close_connections(self) -> None:
        with self._lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    # -- request handling ----------------------------------------------------------------------

    def _serve(self, h: _Handler) -> None:
        now = self.clock()
        split = urlsplit(h.path)
        path = unquote(split.path)
        try:
            response = self._respond(h, path, split.query, now)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            response = _Response(500, _error_body("internal error in SimHub"), [])
        if self._stopping.is_set():
            h.close_connection = True
            return
        self.request_log.append(RequestLogEntry(now, path, split.query, response.status, response.fault))
        try:
            h.send_response(response.status)
            for name, value in response.headers:
                h.send_header(name, value)
            h.send_header("Content-Type", _JSON)
            # Lets a crawler label what it stored as simulated data (the app shows a banner).
            h.send_header("X-Lineage-Simulated", "true" if self.simulated else "false")
            h.send_header("Content-Length", str(len(response.body)))
            h.end_headers()
            if response.truncate:
                h.wfile.write(response.body[: len(response.body) // 2])
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
            else:
                h.wfile.write(response.body)
        except OSError:
            h.close_connection = True

    def _rate_headers(self, counted: bool, now: float) -> tuple[list[tuple[str, str]], bool, int, int]:
        """Rate-limit headers, whether this request is over quota, remaining, reset seconds."""
        spec = self._faults
        if spec.quota is None:
            return [], False, 0, 0
        index = math.floor(now / spec.window)
        with self._lock:
            window, used = self._window
            if window != index:
                used = 0
            if counted:
                used += 1
            self._window = (index, used)
        remaining = max(0, spec.quota - used)
        reset = max(1, math.ceil((index + 1) * spec.window - now))
        headers = [
            ("RateLimit", f'"api";r={remaining};t={reset}'),
            ("RateLimit-Policy", f'"fixed window";"api";q={spec.quota};w={spec.window}'),
        ]
        return headers, counted and used > spec.quota, remaining, reset

    def _respond(self, h: _Handler, path: str, query: str, now: float) -> _Response:
        is_api = path == "/api/models" or path.startswith("/api/models/")
        headers, over, _remaining, reset = self._rate_headers(is_api, now)
        params = parse_qsl(query, keep_blank_values=True)
        listing = path.rstrip("/") == "/api/models"
        chosen: set[str] = set()
        if listing:
            spec = self._faults
            with self._lock:
                self._ordinal += 1
                draws = [self._rng.random() for _ in range(spec.n_draws)]
                ordinal = self._ordinal
            chosen = spec.select(ordinal, draws)
        if over:
            headers.append(("Retry-After", str(reset)))
            message = "You have exceeded the rate limit for API requests (simulated quota); retry later."
            return _Response(429, _error_body(message), headers, "quota")
        if not is_api:
            return _Response(404, _error_body(f"Not found: {path}"), headers)
        try:
            if listing:
                return self._listing(h, params, headers, chosen)
            return self._detail(path[len("/api/models/") :], params, headers)
        except _HttpError as err:
            return _Response(err.status, _error_body(err.message), headers + err.headers)

    def _apply(self, kind: str, applied: list[str]) -> None:
        applied.append(kind)
        with self._lock:
            self._injected[kind] += 1

    def _listing(
        self,
        h: _Handler,
        params: list[tuple[str, str]],
        headers: list[tuple[str, str]],
        chosen: set[str],
    ) -> _Response:
        spec = self._faults
        applied: list[str] = []
        if "stall" in chosen:
            self._apply("stall", applied)
            self._stopping.wait(spec.stall_seconds)
        for kind in _STATUS_FAULTS:
            if kind in chosen:
                self._apply(kind, applied)
                status = int(kind)
                if status == 429:
                    headers.append(("Retry-After", str(spec.retry_after)))
                    message = "Too many requests (simulated: other clients used the quota)."
                else:
                    message = f"Simulated server error {status}."
                return _Response(status, _error_body(message), headers, "+".join(applied))

        query = self._parse_listing(params)
        with self._lock:
            table = self._table
            page = table.page(query.sort, query.desc, query.after, query.limit, query.match, self.scan_limit)
            next_key: tuple[Any, ...] | int | None = None
            if page.more:
                next_key = table.cursor_key(query.sort, page.last_scanned)
            body: bytes | None = None
            same_cursor = False
            if "truncate" not in chosen and "empty" in chosen and page.slots:
                self._apply("empty", applied)
                body, same_cursor = b"[]", True
            elif "truncate" not in chosen and "dup" in chosen and page.more and len(page.slots) >= 2:
                self._apply("dup", applied)
                next_key = table.cursor_key(query.sort, page.slots[-2])
            if body is None:
                body = table.render(page.slots, query.view)
        truncate = "truncate" in chosen
        if truncate:
            self._apply("truncate", applied)
        if same_cursor:
            headers.append(("Link", f'<{self._link(h, params, query.cursor)}>; rel="next"'))
        elif next_key is not None:
            cursor = _encode_cursor(
                {"p": next_key}
                if query.sort is None
                else {"s": query.sort, "d": -1 if query.desc else 1, "k": next_key}
            )
            headers.append(("Link", f'<{self._link(h, params, cursor)}>; rel="next"'))
        return _Response(200, body, headers, "+".join(applied) or None, truncate)

    def _link(self, h: _Handler, params: list[tuple[str, str]], cursor: str | None) -> str:
        host = h.headers.get("Host") or self._host_port(h)
        pairs = [(k, v) for k, v in params if k != "cursor"]
        if cursor is not None:
            pairs.append(("cursor", cursor))
        return f"http://{host}/api/models" + (f"?{urlencode(pairs)}" if pairs else "")

    @staticmethod
    def _host_port(h: _Handler) -> str:
        host, port = h.connection.getsockname()[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _parse_listing(self, params: list[tuple[str, str]]) -> _ListingQuery:
        single: dict[str, str] = {}
        expand: list[str] = []
        filters: list[str] = []
        for key, value in params:
            if key in ("expand", "expand[]"):
                expand.append(value)
            elif key in ("filter", "filter[]"):
                filters.append(value)
            else:
                single.setdefault(key, value)

        limit = self.max_limit
        if "limit" in single:
            try:
                limit = int(single["limit"])
            except ValueError:
                raise _HttpError(400, f"limit must be an integer, not {single['limit']!r}") from None
            if limit < 1:
                raise _HttpError(400, "limit must be >= 1")
            limit = min(limit, self.max_limit)

        sort: str | None = None
        if single.get("sort"):
            sort = SORT_KEYS.get(single["sort"])
            if sort is None:
                raise _HttpError(400, f"sort must be one of {', '.join(SORT_KEYS)}, not {single['sort']!r}")
        direction = single.get("direction", "-1")
        if direction not in ("-1", "1"):
            raise _HttpError(400, f"direction must be -1 or 1, not {direction!r}")
        desc = direction == "-1"

        cursor = single.get("cursor")
        after = self._decode_cursor(cursor, sort, desc) if cursor else None

        if expand:
            rejected = sorted(set(expand) & LISTING_ONLY_REJECTED_EXPAND)
            if rejected:
                raise _HttpError(
                    400, f"expand value(s) {', '.join(rejected)} are only accepted on /api/models/{{repo_id}}"
                )
            view = _View(frozenset(expand) | _ID_KEYS, frozenset(), False)
        elif _truthy(single.get("full")):
            card = "cardData" in single and _truthy(single["cardData"])
            view = _View(None, frozenset() if card else frozenset({"cardData"}), True)
        else:
            card = "cardData" in single and _truthy(single["cardData"])
            view = _View(DEFAULT_LIST_FIELDS | ({"cardData"} if card else set()), frozenset(), True)

        match = self._matcher(
            single.get("search"),
            single.get("author"),
            filters,
            single.get("pipeline_tag"),
            single.get("library"),
        )
        return _ListingQuery(limit, sort, desc, after, cursor, view, match)

    @staticmethod
    def _decode_cursor(cursor: str, sort: str | None, desc: bool) -> tuple[Any, ...] | int:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = orjson.loads(raw)
        except (ValueError, orjson.JSONDecodeError):
            raise _HttpError(400, "Invalid cursor") from None
        if not isinstance(data, dict):
            raise _HttpError(400, "Invalid cursor")
        if sort is None:
            slot = data.get("p")
            if set(data) != {"p"} or not isinstance(slot, int) or isinstance(slot, bool) or slot < -1:
                raise _HttpError(400, "Invalid cursor (or it belongs to a listing with another sort)")
            return slot
        key = data.get("k")
        if data.get("s") != sort or data.get("d") != (-1 if desc else 1):
            raise _HttpError(400, "Invalid cursor: it belongs to a listing with another sort or direction")
        value_type = str if sort == "id" else int
        if (
            not isinstance(key, list)
            or len(key) != 3
            or not isinstance(key[0], value_type)
            or isinstance(key[0], bool)
            or not isinstance(key[1], str)
            or not isinstance(key[2], str)
        ):
            raise _HttpError(400, "Invalid cursor")
        return tuple(key)

    def _matcher(
        self,
        search: str | None,
        author: str | None,
        filters: list[str],
        pipeline_tag: str | None,
        library: str | None,
    ) -> Callable[[int], bool] | None:
        table = self._table
        ids, blobs = table.ids, table.blobs
        checks: list[Callable[[int], bool]] = []
        if search:
            needle = search.lower()
            checks.append(lambda slot: needle in ids[slot].lower())
        if author:
            prefix = author.lower() + "/"
            checks.append(lambda slot: ids[slot][: len(prefix)].lower() == prefix)
        # Fields inside the item: a cheap bytes test first, then an exact check on the decoded item.
        needles = [orjson.dumps(v) for v in [*filters, pipeline_tag, library] if v]
        exact: list[Callable[[dict[str, Any]], bool]] = []
        if filters:
            wanted = list(filters)

            def tags_ok(item: dict[str, Any]) -> bool:
                tags = item.get("tags")
                return isinstance(tags, list) and all(tag in tags for tag in wanted)

            exact.append(tags_ok)
        if pipeline_tag:
            exact.append(lambda item: item.get("pipeline_tag") == pipeline_tag)
        if library:
            exact.append(lambda item: item.get("library_name") == library)
        if exact:

            def item_ok(slot: int) -> bool:
                blob = blobs[slot]
                if blob is None or not all(n in blob for n in needles):
                    return False
                item = orjson.loads(blob)
                return all(check(item) for check in exact)

            checks.append(item_ok)
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda slot: all(check(slot) for check in checks)

    def _detail(
        self, repo_id: str, params: list[tuple[str, str]], headers: list[tuple[str, str]]
    ) -> _Response:
        repo_id = repo_id.strip("/")
        if "/revision/" in repo_id:
            repo_id = repo_id.split("/revision/", 1)[0]
        expand = [v for k, v in params if k in ("expand", "expand[]")]
        not_found = _HttpError(404, "Repository not found", [("X-Error-Code", "RepoNotFound")])
        with self._lock:
            table = self._table
            slot = table.by_lower.get(repo_id.lower())
            if slot is None:
                raise not_found
            if not expand:
                blob = table.blobs[slot]
                assert blob is not None
                return _Response(200, blob, headers)
            item = table.item(slot)
            out: dict[str, Any] = {k: item[k] for k in ("_id", "id") if k in item}
            for field in expand:
                if field == "baseModels":
                    base = self._base_models(item)
                    if base is not None:
                        out["baseModels"] = base
                elif field == "childrenModelCount":
                    counts = table.children.get(table.ids[slot].lower(), [0, 0, 0, 0])
                    out["childrenModelCount"] = dict(zip(_RELATIONS, counts, strict=True))
                elif field in item:
                    out[field] = item[field]
        return _Response(200, orjson.dumps(out), headers)

    def _base_models(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """``{"relation": ..., "models": [{"_id", "id"}, ...]}`` of the existing parents named
        in the item's ``base_model:`` tags; None when there is none."""
        table = self._table
        own = str(item.get("id", "")).lower()
        models: list[dict[str, Any]] = []
        seen: set[int] = set()
        relation: str | None = None
        for parent, rel in _parent_refs(item):
            slot = table.by_lower.get(parent.lower())
            if slot is None or parent.lower() == own:
                continue
            if relation is None and rel in _REL_INDEX:
                relation = rel
            if slot not in seen:
                seen.add(slot)
                parent_item = table.item(slot)
                models.append({k: parent_item[k] for k in ("_id", "id") if k in parent_item})
        if not models:
            return None
        # Without a relation tag the Hub treats a declared base model as a fine-tune.
        return {"relation": relation or "finetune", "models": models}


class _ListingQuery(NamedTuple):
    limit: int
    sort: str | None
    desc: bool
    after: tuple[Any, ...] | int | None
    cursor: str | None
    view: _View
    match: Callable[[int], bool] | None
