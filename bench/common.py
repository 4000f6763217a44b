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
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
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


def simulated_store(models: int, seed: int = 0) -> Path:
    """A store holding a crawled simulated hub of ``models`` models (built once, cached)."""
    from lineage.crawl import CrawlConfig, Crawler
    from lineage.simhub import SimHub
    from lineage.simulate import generate
    from lineage.store import open_store

    OUT.mkdir(exist_ok=True)
    path = OUT / f"store-{models}-{seed}.sqlite"
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    print(f"building a {models:,}-model store (simulate, serve, crawl) at {path} ...", file=sys.stderr)
    start = time.perf_counter()
    with SimHub(item for item, _ in generate(models, seed)) as hub, open_store(tmp) as store:
        Crawler(store, CrawlConfig(endpoint=hub.url)).run("full")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tmp.rename(path)
    print(f"  built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path
