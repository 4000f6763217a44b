"""Issue 14, the hub's part: where the token goes (S3), which hosts a crawl reaches (S4),
pagination that never ends (C2), and the minor items (control characters in the endpoint,
a refused connection, an empty ``--since``). Each test is named after its defect ID."""

from __future__ import annotations

import http.server
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
from conftest import FakeClock, SimData

from lineage.hub import CrawlConfig, Crawler
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
    """Every (host, port) a fresh process resolves or connects to while it crawls the simulated
    hub and probes it with hub_reachable: only the simulated hub's."""
    script = _RECORDER + textwrap.dedent(
        """
        from lineage.hub import CrawlConfig, Crawler, hub_reachable
        from lineage.store import open_store
        url, path = sys.argv[1], sys.argv[2]
        with open_store(path) as store:
            summary = Crawler(store, CrawlConfig(endpoint=url, timeout=30)).run()
        assert hub_reachable(url)
        print(json.dumps({"models": summary.models, "seen": seen}))
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
            [sys.executable, "-c", script, hub.url, str(tmp_path / "s.sqlite")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["models"] == 5000
    hosts = {(host, p) for _, host, p in result["seen"]}
    assert hosts == {("127.0.0.1", port)}, hosts
    assert elapsed < 30
