"""Crawl throughput against a local simulated hub (no faults), and peak memory.

    python bench/bench_crawl.py [--models 1000000]

Serves a simulated hub with `lineage simhub --data` in its own process (as the real Hub is
another machine), crawls it into a fresh store, and prints models/s end to end and for the
client alone (parse + store of pre-fetched pages, no HTTP): the client must never be the
bottleneck next to the Hub's quota (about 1000 models per request, a few requests a second).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import orjson
from common import OUT, free_port, machine, peak_rss_mb, simulated_hub

from lineage.hub import CrawlConfig, Crawler
from lineage.records import normalize_item
from lineage.store import delete_store, open_store


def fresh(path: Path) -> Path:
    delete_store(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=1_000_000)
    args = ap.parse_args()
    data = simulated_hub(args.models)  # (re)written when the generator changed
    port = free_port()
    hub = subprocess.Popen(
        [sys.executable, "-m", "lineage", "simhub", "--data", str(data), "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx2

        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx2.get(url + "/api/models?limit=1", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.5)
        store_path = fresh(OUT / "bench-crawl.sqlite")
        with open_store(store_path) as store:
            start = time.perf_counter()
            summary = Crawler(store, CrawlConfig(endpoint=url)).run("full")
            took = time.perf_counter() - start
        e2e_rss = peak_rss_mb()
    finally:
        hub.terminate()
        hub.wait()
    print(f"machine: {machine()}")
    print(
        f"crawl {summary.models:,} models over HTTP ({summary.requests} requests, {summary.links:,} links): "
        f"{took:.1f} s = {summary.models / took:,.0f} models/s end to end; crawler peak RSS {e2e_rss:,.0f} MB"
    )

    # The client alone: the same pages, already fetched, parsed and stored.
    pages = []
    with (data / "models.jsonl").open("rb") as f:
        chunk: list[bytes] = []
        for line in f:
            chunk.append(line)
            if len(chunk) == 1000:
                pages.append(b"[" + b",".join(chunk) + b"]")
                chunk = []
    if chunk:
        pages.append(b"[" + b",".join(chunk) + b"]")
    n = args.models
    with open_store(fresh(OUT / "bench-client.sqlite")) as store:
        crawl = store.start_crawl(
            mode="full",
            endpoint="bench",
            sort="createdAt",
            since=None,
            model_limit=None,
            first_query="/api/models",
        )
        per_commit = CrawlConfig().pages_per_commit
        start = time.perf_counter()
        batch: list = []
        repairs: list = []
        for k, page in enumerate(pages, 1):
            for item in orjson.loads(page):
                rec, reps = normalize_item(item)
                repairs.extend(reps)
                if rec is not None:
                    batch.append(rec)
            if k % per_commit == 0 or k == len(pages):  # as the crawler commits
                store.write_page(crawl.id, batch, repairs, next_query="q", pages=per_commit)
                batch, repairs = [], []
        took = time.perf_counter() - start
    print(
        f"client only (JSON parse + normalize + store of the same {n:,} models, no HTTP): "
        f"{took:.1f} s = {n / took:,.0f} models/s"
    )
    os.environ.pop("X", None)


if __name__ == "__main__":
    main()
