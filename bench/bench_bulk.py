"""Bulk-upload detection and the published definitions at scale, on the calibrated simulated hub.

    python bench/bench_bulk.py [--models 3000000]

Uses the cached store of bench/bench_graph.py (bench/out/, built once by crawling a simulated
hub over HTTP). Times, in this process: what runs after every crawl (``lineage crawl`` ->
``refresh_snapshot``: the graph read from the store, bulk detection, the flags written, the
snapshot and root classifications saved), the same step again when nothing changed, detection
alone on the loaded graph, and the share table under each definition (``--bulk exclude``,
``--scope direct``) and first-party downloads. Then precision and recall of the stored flags
against the simulator's truth (``truth.jsonl``, read without lineage code).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
import orjson
from common import OUT, machine, peak_rss_mb, simulated_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=3_000_000)
    args = ap.parse_args()
    store_path = simulated_store(args.models)

    from lineage.analytics import BY, ShareQuery, downloads_by_group, group_index, share_table
    from lineage.analytics.bulk import detect_bulk
    from lineage.analytics.bulk_flags import bulk_codes, refresh_bulk
    from lineage.graph import snapshot
    from lineage.store import open_store

    print(f"machine: {machine()}")
    with open_store(store_path) as store:
        fresh = snapshot.status(store)
        t = time.perf_counter()
        lin, done = refresh_bulk(store)
        for by in BY:
            group_index(lin, by)
        after_crawl = time.perf_counter() - t
        t = time.perf_counter()
        _, again = refresh_bulk(store)
        noop = time.perf_counter() - t
    print(f"store: {store_path} ({len(lin):,} nodes, {lin.n_edges:,} edges; snapshot was {fresh})")
    print(
        f"  after a crawl: detect + write flags + snapshot   {after_crawl:8.2f} s "
        f"(detection {done.detect_seconds:.2f} s; {done.models:,} flagged {done.by_rule}; "
        f"flags {'written' if done.written else 'unchanged'})"
    )
    print(f"  the same again, nothing changed                 {noop:8.2f} s (written: {again.written})")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        flags = detect_bulk(lin, done.rules)
        times.append(time.perf_counter() - t)
    print(f"  detection alone on the loaded graph (best of 3) {min(times):8.2f} s")
    for label, q in (
        ("share, default", ShareQuery()),
        ("share --bulk exclude", ShareQuery(bulk="exclude")),
        ("share --scope direct", ShareQuery(scope="direct")),
        (
            "share --scope direct --relation finetune --bulk exclude",
            ShareQuery(scope="direct", relations=("finetune",), bulk="exclude"),
        ),
    ):
        t = time.perf_counter()
        rows = share_table(lin, q).rows
        print(f"  {label:<56} {time.perf_counter() - t:6.2f} s ({len(rows):,} rows)")
    for population in ("family", "first-party"):
        t = time.perf_counter()
        downloads_by_group(lin, population=population)
        print(f"  downloads --population {population:<33} {time.perf_counter() - t:6.2f} s")

    truth = OUT / f"sim-{args.models}" / "truth.jsonl"
    codes, stored = bulk_codes(lin)
    assert stored and np.array_equal(codes > 0, flags.codes(len(lin)) > 0)
    flagged = set(lin.ids.take(np.flatnonzero(codes)))
    true: set[str] = set()
    with truth.open("rb") as fh:
        for line in fh:
            if b'"bulk":true' in line:
                t_ = orjson.loads(line)
                if t_["bulk"]:
                    true.add(t_["id"])
    hit = len(flagged & true)
    print(
        f"  against the truth: {len(true):,} bulk models, {len(flagged):,} flagged, precision "
        f"{hit / max(1, len(flagged)):.4f}, recall {hit / max(1, len(true)):.4f}"
    )
    print(f"  peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
