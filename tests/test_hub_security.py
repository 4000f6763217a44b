"""Issue 14, the hub's part: where the token goes (S3), which hosts a crawl reaches (S4),
pagination that never ends (C2), and the minor items (control characters in the endpoint,
a refused connection, an empty ``--since``). Each test is named after its defect ID."""

from __future__ import annotations

import http.server
import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from conftest import FakeClock, SimData, store_ids

from lineage.hub import CrawlConfig, Crawler, CrawlError, CrawlProgress
from lineage.sim.server import SimHub
from lineage.store import Store

TOKEN = "hf_s3SecretTokenNeverToLeave"


def item(n: int) -> dict[str, Any]:
    return {
        "_id": f"{n:024x}",
        "id": f"user/model-{n}",
        "createdAt": f"2025-01-{1 + n % 28:02d}T00:00:00.000Z",
        "tags": ["base_model:finetune:Qwen/Qwen3-8B"] if n % 2 else [],
    }


Reply = tuple[list[dict[str, Any]], str | None]  # items, next cursor (None: the end)


class RecordingHub:
    """A tiny listing server on 127.0.0.1: ``pages(cursor)`` gives a page's items and the next
    cursor; every request's path and headers are recorded."""

    def __init__(self, pages: Callable[[str | None], Reply]) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hub.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                cursor = parse_qs(urlsplit(self.path).query).get("cursor", [None])[0]
                items, nxt = pages(cursor)
                body = json.dumps(items).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if nxt is not None:
                    host = self.headers.get("Host")
                    self.send_header("Link", f'<http://{host}/api/models?limit=2&cursor={nxt}>; rel="next"')
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def authorizations(self) -> list[str | None]:
        return [headers.get("authorization") for _, headers in self.requests]


def two_pages(cursor: str | None) -> Reply:
    return ([item(1), item(2)], "2") if cursor is None else ([item(3)], None)


@pytest.fixture
def recording_hub() -> Iterator[RecordingHub]:
    hub = RecordingHub(two_pages)
    yield hub
    hub.close()


@pytest.fixture
def hf_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A token in HF_TOKEN, no endpoint named in HF_ENDPOINT, no opt-in."""
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    for name in ("HF_ENDPOINT", "LINEAGE_TRUST_ENDPOINT", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def record_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Record every host this process resolves or connects to from now on (in this test)."""
    seen: list[tuple[str, Any]] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(("connect", address))
        real_connect(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(("resolve", (host, port)))
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return seen


def run_crawl(store: Store, url: str, clock: FakeClock | None = None, **config: Any) -> Any:
    cfg = CrawlConfig(endpoint=url, timeout=config.pop("timeout", 10.0), **config)
    return Crawler(store, cfg, clock=clock or FakeClock()).run()


# -- S3: the token goes only to the Hub or to an endpoint the user trusts ---------------------------
def test_s3_token_not_sent_to_plain_http_endpoint(
    hf_env: Any, recording_hub: RecordingHub, tmp_store: Store
) -> None:
    summary = run_crawl(tmp_store, recording_hub.url)
    assert summary.models == 3  # the crawl works, anonymously
    assert len(recording_hub.requests) == 2
    assert recording_hub.authorizations() == [None, None]
    assert all(TOKEN not in str(headers) for _, headers in recording_hub.requests)


@pytest.mark.parametrize("how", ["HF_ENDPOINT", "LINEAGE_TRUST_ENDPOINT", "trust_endpoint"])
def test_s3_token_sent_to_a_loopback_endpoint_the_user_trusts(
    hf_env: pytest.MonkeyPatch, recording_hub: RecordingHub, tmp_store: Store, how: str
) -> None:
    config: dict[str, Any] = {}
    if how == "HF_ENDPOINT":
        hf_env.setenv("HF_ENDPOINT", recording_hub.url + "/")
    elif how == "LINEAGE_TRUST_ENDPOINT":
        hf_env.setenv("LINEAGE_TRUST_ENDPOINT", "1")
    else:
        config["trust_endpoint"] = True
    run_crawl(tmp_store, recording_hub.url, **config)
    assert recording_hub.authorizations() == [f"Bearer {TOKEN}"] * 2


def test_s3_trust_endpoint_option_on_the_crawl_command(
    hf_env: Any, recording_hub: RecordingHub, tmp_path: Path
) -> None:
    from lineage.cli import cli

    store = str(tmp_path / "s.sqlite")
    runner = CliRunner()
    plain = runner.invoke(
        cli, ["crawl", "--store", store, "--endpoint", recording_hub.url, "--format", "json"]
    )
    assert plain.exit_code == 0, plain.output
    trusted = runner.invoke(
        cli, ["crawl", "--store", store, "--endpoint", recording_hub.url, "--trust-endpoint", "--full"]
    )
    assert trusted.exit_code == 0, trusted.output
    assert recording_hub.authorizations() == [None, None, f"Bearer {TOKEN}", f"Bearer {TOKEN}"]
    assert TOKEN not in plain.output + trusted.output
    assert "--trust-endpoint" in runner.invoke(cli, ["crawl", "--help"]).output


@pytest.mark.parametrize("how", ["HF_ENDPOINT", "trust_endpoint"])
def test_s3_token_never_sent_over_plain_http_to_a_remote_host(
    hf_env: pytest.MonkeyPatch, tmp_store: Store, how: str
) -> None:
    """A trusted endpoint on plain http to a host that is not loopback: refused before any
    request (the token would cross the network in clear text)."""
    remote = "http://mirror.invalid:8080"
    config: dict[str, Any] = {}
    if how == "HF_ENDPOINT":
        hf_env.setenv("HF_ENDPOINT", remote)
    else:
        config["trust_endpoint"] = True
    connections = record_connections(hf_env)
    with pytest.raises(CrawlError, match="plain http") as err:
        run_crawl(tmp_store, remote, **config)
    assert TOKEN not in str(err.value)
    assert connections == []
    # Anonymous crawls of the same endpoint are allowed (nothing to protect).
    Crawler(tmp_store, CrawlConfig(endpoint=remote, token=False, **config))


def test_s3_token_policy_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage.hub.endpoint import token_decision

    for name in ("HF_ENDPOINT", "LINEAGE_TRUST_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert token_decision("https://huggingface.co") == "send"
    assert token_decision("https://hf.co") == "send"
    assert token_decision("https://HuggingFace.co:443") == "send"
    assert token_decision("http://huggingface.co") == "withhold"  # the Hub, but in clear text
    assert token_decision("https://huggingface.co.evil.example") == "withhold"
    assert token_decision("https://huggingface.co:8443") == "withhold"
    assert token_decision("https://mirror.example") == "withhold"
    assert token_decision("http://127.0.0.1:8000") == "withhold"
    assert token_decision("https://mirror.example", trust_endpoint=True) == "send"
    assert token_decision("http://localhost:8000", trust_endpoint=True) == "send"
    assert token_decision("http://[::1]:8000", trust_endpoint=True) == "send"
    assert token_decision("http://10.0.0.5:8000", trust_endpoint=True) == "refuse"
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example/")
    assert token_decision("https://mirror.example") == "send"
    assert token_decision("https://other.example") == "withhold"


# -- S4: a crawl reaches only the host the user named --------------------------------------------
_RECORDER = """
import json, socket, sys
seen = []
_connect, _gai = socket.socket.connect, socket.getaddrinfo
def connect(self, address):
    if isinstance(address, tuple):
        seen.append(["connect", str(address[0]), address[1]])
    return _connect(self, address)
def getaddrinfo(host, port, *args, **kwargs):
    seen.append(["resolve", str(host), port])
    return _gai(host, port, *args, **kwargs)
socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
"""


def test_s4_crawl_connects_only_to_the_named_endpoint(sim5k: SimData, tmp_path: Path) -> None:
    """Every (host, port) a fresh process resolves or connects to while it runs `lineage crawl`
    against the simulated hub, then a library crawl and a hub_reachable probe: only the
    simulated hub's."""
    script = _RECORDER + textwrap.dedent(
        """
        from lineage.cli import main
        from lineage.hub import CrawlConfig, Crawler, hub_reachable
        from lineage.store import open_store
        url, path, report = sys.argv[1], sys.argv[2], sys.argv[3]
        sys.argv = ["lineage", "crawl", "--endpoint", url, "--store", path, "--format", "json"]
        try:
            main()
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        with open_store(path) as store:
            summary = Crawler(store, CrawlConfig(endpoint=url, timeout=30)).run("full")
        assert hub_reachable(url)
        with open(report, "w") as out:
            json.dump({"models": summary.models, "seen": seen}, out)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    for name in ("DO_NOT_TRACK", "DISABLE_TELEMETRY", "TRANSFORMERS_OFFLINE"):
        env.pop(name, None)
    env["HF_HOME"] = str(tmp_path / "hf-home")  # a fresh machine: nothing cached
    with SimHub(sim5k.items) as hub:
        port = urlsplit(hub.url).port
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-c", script, hub.url, str(tmp_path / "s.sqlite"), str(tmp_path / "seen.json")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads((tmp_path / "seen.json").read_text())
    assert result["models"] == 5000
    hosts = {(host, p) for _, host, p in result["seen"]}
    assert hosts == {("127.0.0.1", port)}, hosts
    assert elapsed < 30


# -- C2: pagination that never ends ----------------------------------------------------------------
def endless_guard(limit: int = 500) -> Callable[[CrawlProgress], None]:
    """An on_page callback that stops a runaway crawl (the test fails instead of hanging)."""

    def on_page(progress: CrawlProgress) -> None:
        assert progress.requests < limit, f"endless pagination: {progress.requests} requests"

    return on_page


def test_c2_empty_pages_with_a_next_link_forever_stop_with_a_clear_error(
    sim5k: SimData, tmp_store: Store
) -> None:
    clock = FakeClock()
    with SimHub(sim5k.items, faults="empty:1", clock=clock) as hub:
        crawler = Crawler(tmp_store, CrawlConfig(endpoint=hub.url, timeout=10.0), clock=clock)
        crawler.on_page = endless_guard()
        with pytest.raises(CrawlError, match="empty pages in a row") as err:
            crawler.run()
        log = list(hub.request_log)
        # Bounded, and backing off between consecutive empty pages (the simulated hub shares
        # the clock: request times show the waits).
        assert 10 <= len(log) <= 30
        gaps = [b.time - a.time for a, b in itertools.pairwise(log)]
        assert all(g > 0 for g in gaps) and gaps == sorted(gaps)
        assert "resume" in str(err.value)
        state = tmp_store.unfinished_crawl()
        assert state is not None and state.status == "failed"
        # The hub recovers: `lineage crawl` resumes and completes.
        hub.faults = None
        summary = Crawler(tmp_store, CrawlConfig(endpoint=hub.url, timeout=10.0), clock=clock).run()
    assert summary.resumed and summary.complete
    assert store_ids(tmp_store) == set(sim5k.truth)


def _looping(kind: str) -> Callable[[str | None], Reply]:
    """Listings whose next link loops: to the page itself, or back to the first page."""

    def pages(cursor: str | None) -> Reply:
        if cursor is None:
            return [item(1), item(2)], "2"
        if cursor == "2":
            return [item(3), item(4)], "3"
        return [item(5)], ("3" if kind == "self" else "2")

    return pages


@pytest.mark.parametrize("prefetch", [True, False])
@pytest.mark.parametrize("kind", ["self", "earlier"])
def test_c2_next_link_that_loops_stops_with_a_clear_error(
    tmp_store: Store, kind: str, prefetch: bool
) -> None:
    hub = RecordingHub(_looping(kind))
    try:
        clock = FakeClock()
        config = CrawlConfig(endpoint=hub.url, timeout=10.0, prefetch=prefetch)
        crawler = Crawler(tmp_store, config, clock=clock)
        crawler.on_page = endless_guard()
        with pytest.raises(CrawlError, match="loops"):
            crawler.run()
        assert len(hub.requests) <= 5
    finally:
        hub.close()
    assert store_ids(tmp_store) == {"user/model-1", "user/model-2", "user/model-3", "user/model-4"}
    state = tmp_store.unfinished_crawl()
    assert state is not None and state.status == "failed"


def test_c2_a_few_spurious_empty_pages_are_still_retried(sim5k: SimData, tmp_store: Store) -> None:
    """The guard must not stop a crawl that meets an empty page now and then (the empty:0.08
    fault), even several in a row."""
    clock = FakeClock()
    with SimHub(sim5k.items, faults="empty@2,empty@3,empty@4,empty@5,empty@9", clock=clock) as hub:
        summary = run_crawl(tmp_store, hub.url, clock=clock, page_size=500)
        injected = hub.faults_injected()
    assert injected["empty"] == 5
    assert summary.complete and summary.requests == 10 + 5
    assert store_ids(tmp_store) == set(sim5k.truth)


# -- minor items ---------------------------------------------------------------------------------
BAD_ENDPOINTS = [
    "http://127.0.0.1:8000/\r\nX-Injected: 1",
    "http://127.0.0.1:8000/api\nmore",
    "http://127.0.0.1:8000/\x1b[2Jcleared",
    "http://exa\tmple.com",
    "http://127.0.0.1:8000/a b",
    "http://127.0.0.1:8000/\x00",
]


@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
def test_minor_endpoint_with_control_characters_is_rejected(endpoint: str, tmp_path: Path) -> None:
    from lineage.cli import cli
    from lineage.hub import resolve_endpoint

    with pytest.raises(CrawlError, match="control characters") as err:
        resolve_endpoint(endpoint)
    message = str(err.value)
    assert not any(ord(c) < 32 or c == "\x7f" for c in message), repr(message)
    result = CliRunner().invoke(cli, ["crawl", "--store", str(tmp_path / "s.sqlite"), "--endpoint", endpoint])
    assert result.exit_code == 1 and "control characters" in result.output
    assert not any(ord(c) < 32 and c != "\n" for c in result.output), repr(result.output)


def test_minor_connection_refused_fails_fast_naming_the_endpoint(tmp_store: Store) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}"
    clock = FakeClock()
    started = time.monotonic()
    with pytest.raises(CrawlError, match=f"nothing is listening at {url}"):
        run_crawl(tmp_store, url, clock=clock)
    assert time.monotonic() - started < 5
    assert clock.slept <= 5  # a couple of quick retries, not minutes of backoff
    state = tmp_store.unfinished_crawl()
    assert state is not None and state.status == "failed"


def test_minor_a_host_name_that_does_not_resolve_fails_fast_not_after_minutes_of_backoff(
    tmp_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without network (a demo store's `lineage crawl`), huggingface.co does not resolve: the
    crawl retried it with backoff for about three minutes before saying anything useful."""
    import httpx2

    import lineage.hub.http as http

    calls = []

    class NoDns:
        def get(self, url: str, **_: Any) -> Any:
            calls.append(url)
            try:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            except socket.gaierror as exc:
                raise httpx2.ConnectError("[Errno -2] Name or service not known") from exc

    monkeypatch.setattr(http, "get_session", NoDns)
    clock = FakeClock()
    with pytest.raises(CrawlError, match="host name does not resolve") as err:
        run_crawl(tmp_store, "https://huggingface.co", clock=clock)
    assert "run `lineage crawl` again to resume" in str(err.value)
    assert len(calls) == 3 and clock.slept <= 5  # two quick retries, not minutes of backoff


def test_minor_empty_since_is_a_usage_error(tmp_path: Path) -> None:
    from lineage.cli import cli

    store = tmp_path / "s.sqlite"
    for value in ("", "   "):
        result = CliRunner().invoke(
            cli, ["crawl", "--store", str(store), "--endpoint", "http://127.0.0.1:9", "--since", value]
        )
        assert result.exit_code == 2, result.output
        assert "--since" in result.output
    assert not store.exists()  # refused before anything was opened or requested
