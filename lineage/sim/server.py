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

The served models can be changed while the hub runs (:class:`~lineage.sim.models.ModelSet`:
``add``, ``update``, ``set_parents``, ``set_license``, ``remove``, ``replace``), with
``lastModified`` bumped as the Hub would. The package splits the fake Hub into
:mod:`~lineage.sim.table` (storage, orders), :mod:`~lineage.sim.listing` (parameters, cursors,
filters), :mod:`~lineage.sim.faults` and this module (HTTP). It imports nothing from the rest
of lineage: the simulated Hub must not share code with the code it tests.

A port that is busy or out of range raises :class:`SimHubError` (an :class:`OSError`) with a
one-line message naming the address.

>>> hub = SimHub([{"_id": "1", "id": "a/b", "createdAt": "2025-01-01T00:00:00.000Z", "tags": []}])
>>> len(hub), str(FaultSpec.parse("503@2,4,quota=10"))
(1, '503@2,4,quota=10')
"""

from __future__ import annotations

import collections
import contextlib
import errno
import socket
import socketserver
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson

from lineage.sim.faults import FAULT_KINDS, STATUS_FAULTS, FaultRule, FaultSpec, FaultState
from lineage.sim.listing import (
    DEFAULT_LIST_FIELDS,
    LISTING_ONLY_REJECTED_EXPAND,
    HttpError,
    detail,
    encode_cursor,
    error_body,
    parse_listing,
)
from lineage.sim.models import ModelChange, ModelSet
from lineage.sim.table import SORT_KEYS

__all__ = [
    "DEFAULT_LIST_FIELDS",
    "FAULT_KINDS",
    "LISTING_ONLY_REJECTED_EXPAND",
    "SORT_KEYS",
    "FaultRule",
    "FaultSpec",
    "ModelChange",
    "RequestLogEntry",
    "SimHub",
    "SimHubError",
]

_JSON = "application/json; charset=utf-8"


class SimHubError(OSError):
    """The simulated hub cannot serve on the address asked for (port busy, out of range, not
    permitted, unknown host): one line that names the address and what to do."""

    @classmethod
    def from_os_error(cls, address: str, exc: OSError) -> SimHubError:
        if exc.errno == errno.EADDRINUSE:
            why = "the port is already in use; choose another with --port (0 picks a free one)"
        elif exc.errno == errno.EACCES:
            why = "permission denied (ports below 1024 need privileges); choose another with --port"
        elif exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
            why = f"{exc.strerror or exc}; use a local address such as 127.0.0.1 with --host"
        else:
            why = f"{exc.strerror or exc}; choose another address with --host/--port"
        error = cls(f"cannot serve on {address}: {why}")
        error.errno = exc.errno
        return error


class RequestLogEntry(NamedTuple):
    """One HTTP request as served: clock time at arrival, path, raw query, status, fault."""

    time: float
    path: str
    query: str
    status: int
    fault: str | None


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


# --------------------------------------------------------------------------------------------
# The simulated hub


class SimHub(ModelSet):
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
        #: Sent as ``X-Lineage-Simulated``: true for synthetic data, false for a recorded hub.
        self.simulated = simulated
        self.seed = seed
        self.max_limit = max_limit
        self.scan_limit = max(scan_limit, max_limit)
        self.request_log: list[RequestLogEntry] = []
        #: Tracebacks of unexpected server-side exceptions (tests assert it stays empty).
        self.server_errors: list[str] = []
        self._fault_state = FaultState(FaultSpec.parse(None), seed)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self.url: str | None = None
        self.faults = faults
        super().__init__(items, clock=clock)

    # -- configuration -----------------------------------------------------------------------

    @property
    def faults(self) -> FaultSpec:
        """The fault configuration. Setting it (a spec or its string) restarts the listing
        request count and the random sequence, as for a new hub."""
        return self._fault_state.spec

    @faults.setter
    def faults(self, spec: FaultSpec | str | None) -> None:
        parsed = spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)
        self._fault_state.restart(parsed, self.seed)

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

    def faults_injected(self) -> collections.Counter[str]:
        """How many times each fault kind was injected (a copy)."""
        with self._lock:
            return collections.Counter(self._fault_state.injected)

    # -- serving -------------------------------------------------------------------------------

    def _make_server(self, host: str, port: int) -> _Server:
        handler = type("SimHubHandler", (_Handler,), {"hub": self})
        server_cls = _Server6 if ":" in host else _Server
        address = self._base_url(host, port)[len("http://") :]
        if not 0 <= port <= 65535:
            raise SimHubError(
                f"cannot serve on {address}: port {port} is out of range 0-65535; choose another with --port"
            )
        try:
            server = server_cls((host, port), handler)
        except OSError as exc:
            raise SimHubError.from_os_error(address, exc) from exc
        except (OverflowError, ValueError) as exc:  # port or host the socket module rejects
            raise SimHubError(
                f"cannot serve on {address}: {exc}; choose another address with --host/--port"
            ) from exc
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

    def serve_forever(
        self, host: str = "127.0.0.1", port: int = 8000, *, ready: Callable[[str], object] | None = None
    ) -> None:
        """Serve in the calling thread until Ctrl-C (or :meth:`stop` from another thread).

        ``ready`` is called with the base URL once the address is bound; an address that
        cannot be bound raises :class:`SimHubError` before that."""
        if self._server is not None:
            raise RuntimeError("this SimHub is already serving")
        self._stopping.clear()
        server = self._make_server(host, port)
        self._server = server
        self.url = self._base_url(host, server.server_port)
        if ready is not None:
            ready(self.url)
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
            response = _Response(500, error_body("internal error in SimHub"), [])
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

    def _respond(self, h: _Handler, path: str, query: str, now: float) -> _Response:
        is_api = path == "/api/models" or path.startswith("/api/models/")
        headers, over, reset = self._fault_state.rate(is_api, now)
        params = parse_qsl(query, keep_blank_values=True)
        listing = path.rstrip("/") == "/api/models"
        chosen: set[str] = set()
        if listing:
            chosen = self._fault_state.draw()
        if over:
            headers.append(("Retry-After", str(reset)))
            message = "You have exceeded the rate limit for API requests (simulated quota); retry later."
            return _Response(429, error_body(message), headers, "quota")
        if not is_api:
            return _Response(404, error_body(f"Not found: {path}"), headers)
        try:
            if listing:
                return self._listing(h, params, headers, chosen)
            with self._lock:
                body = detail(self._table, path[len("/api/models/") :], params)
            return _Response(200, body, headers)
        except HttpError as err:
            return _Response(err.status, error_body(err.message), headers + err.headers)

    def _apply(self, kind: str, applied: list[str]) -> None:
        applied.append(kind)
        self._fault_state.count(kind)

    def _listing(
        self,
        h: _Handler,
        params: list[tuple[str, str]],
        headers: list[tuple[str, str]],
        chosen: set[str],
    ) -> _Response:
        spec = self._fault_state.spec
        applied: list[str] = []
        if "stall" in chosen:
            self._apply("stall", applied)
            self._stopping.wait(spec.stall_seconds)
        for kind in STATUS_FAULTS:
            if kind in chosen:
                self._apply(kind, applied)
                status = int(kind)
                if status == 429:
                    headers.append(("Retry-After", str(spec.retry_after)))
                    message = "Too many requests (simulated: other clients used the quota)."
                else:
                    message = f"Simulated server error {status}."
                return _Response(status, error_body(message), headers, "+".join(applied))

        with self._lock:
            query = parse_listing(params, self._table, self.max_limit)
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
            cursor = encode_cursor(
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
