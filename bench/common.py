"""Shared benchmark helpers: cached simulated stores, timing and peak-memory figures.

Stores are built once per (models, seed) under ``bench/out/`` by simulating a hub, serving it
on 127.0.0.1 and crawling it through HTTP, exactly as a user would.
"""

from __future__ import annotations

import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux's ``VmHWM`` (reset by exec, unlike ``ru_maxrss``, which a child started by a big
    parent inherits); ``ru_maxrss`` elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(label: str, results: dict[str, Any] | None = None) -> Iterator[None]:
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    print(f"{label:<55} {took:9.3f} s   peak RSS {peak_rss_mb():8.0f} MB", flush=True)
    if results is not None:
        results[label] = took


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_hub(data: Path) -> Iterator[str]:
    """Serve ``data/models.jsonl`` with ``lineage simhub`` in its own process; yield the URL."""
    import subprocess

    import httpx2

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lineage", "simhub", "--data", str(data), "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                if httpx2.get(url + "/api/models?limit=1", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait()


def simulated_hub(models: int, seed: int = 0) -> Path:
    """``bench/out/sim-<models>[-<seed>]/`` written by ``lineage simulate`` (once, cached)."""
    import orjson

    from lineage.sim.generate import GENERATOR_VERSION, write_hub

    data = OUT / (f"sim-{models}" if seed == 0 else f"sim-{models}-{seed}")
    meta = data / "meta.json"
    if not meta.exists() or orjson.loads(meta.read_bytes()).get("version") != GENERATOR_VERSION:
        print(f"simulating {models:,} models into {data} ...", file=sys.stderr)
        write_hub(data, models, seed)
    return data


def simulated_store(models: int, seed: int = 0) -> Path:
    """A store holding a crawled simulated hub of ``models`` models (built once, cached).

    The hub is served by ``lineage simhub`` in its own process and crawled over HTTP.
    """
    from lineage.hub import CrawlConfig, Crawler
    from lineage.store import delete_store, open_store

    OUT.mkdir(exist_ok=True)
    path = OUT / f"store-{models}-{seed}.sqlite"
    data = simulated_hub(models, seed)
    if path.exists() and path.stat().st_mtime >= (data / "meta.json").stat().st_mtime:
        return path  # built from the current simulated hub
    tmp = path.with_suffix(".building")
    delete_store(tmp)
    print(f"building a {models:,}-model store (serve, crawl) at {path} ...", file=sys.stderr)
    start = time.perf_counter()
    with served_hub(data) as url, open_store(tmp) as store:
        Crawler(store, CrawlConfig(endpoint=url)).run("full")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    delete_store(path)  # an older build, from another simulated hub
    tmp.rename(path)
    print(f"  built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path
