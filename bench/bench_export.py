"""Whole-store export of a 1,000,000-model graph: time and peak memory per format.

Run (from the repository root)::

    .venv/bin/python bench/bench_export.py               # 1M models, graphml and parquet
    .venv/bin/python bench/bench_export.py --models 100000 --formats graphml,parquet,csv,json,gexf,cypher
    .venv/bin/python bench/bench_export.py --baseline    # and networkx.write_graphml of the whole graph

The store is built once and cached under ``bench/out/`` (``bench.common.simulated_store``:
simulate, serve on 127.0.0.1, crawl; a few minutes for 1M). Each export runs in a fresh
subprocess, so every peak RSS is that export's own: ``lineage.export.export_store`` streams
the store in keyset-paginated chunks and never builds a networkx graph. ``--baseline`` runs
the naive route (``load_graph`` then ``networkx.write_graphml``) for comparison.
Results are printed and written to ``bench/out/export-<models>.json``. ``--store-path PATH``
benchmarks an existing store instead (e.g. one without an index on ``links.parent``, where
SQLite sorts the edges once, in a temporary file).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import OUT, machine, peak_rss_mb, simulated_store


def one(fmt: str, store: Path, out: Path, baseline: bool) -> dict[str, Any]:
    """Run one export in this process and measure it."""
    import lineage.export as ex

    rss_before = peak_rss_mb()
    start = time.perf_counter()
    if baseline:
        import networkx as nx

        from lineage.graph import load_graph

        g = load_graph(store)
        nx.write_graphml(g, out)
        nodes, edges, paths = g.number_of_nodes(), g.number_of_edges(), [out]
    else:
        res = ex.export_store(store, fmt, out, overwrite=True)
        nodes, edges, paths = res.nodes, res.edges, res.paths
    seconds = time.perf_counter() - start
    return {
        "format": fmt + (" (networkx baseline)" if baseline else ""),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
        "nodes": nodes,
        "edges": edges,
        "bytes": sum(p.stat().st_size for p in paths),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--formats", default="graphml,parquet")
    ap.add_argument("--store-path", type=Path, help="benchmark this store instead of a simulated one")
    ap.add_argument("--baseline", action="store_true", help="also time networkx.write_graphml of the graph")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child mode: one format
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--baseline-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.store, args.out, args.baseline_child)))
        return

    store = args.store_path or simulated_store(args.models, args.seed)
    work = OUT / f"export-{args.store_path.stem if args.store_path else args.models}"
    work.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, bool]] = [(f, False) for f in args.formats.split(",") if f]
    if args.baseline:
        runs.append(("graphml", True))
    print(f"export of {args.models:,} models ({machine()}); store {store}", flush=True)
    print(f"{'format':<30} {'seconds':>8} {'peak RSS MB':>12} {'nodes':>10} {'edges':>10} {'MB written':>11}")
    results = []
    for fmt, baseline in runs:
        ext = {"csv": "", "parquet": ""}.get(fmt, f".{fmt}")
        out = work / (f"baseline{ext}" if baseline else f"all{ext}" if ext else f"all-{fmt}")
        cmd = [sys.executable, __file__, "--one", fmt, "--store", str(store), "--out", str(out)]
        if baseline:
            cmd.append("--baseline-child")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{fmt}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"{r['format']:<30} {r['seconds']:>8.1f} {r['peak_rss_mb']:>12.0f} {r['nodes']:>10,} "
            f"{r['edges']:>10,} {r['bytes'] / 1e6:>11.1f}",
            flush=True,
        )
    report = {"models": args.models, "machine": machine(), "results": results}
    name = args.store_path.stem if args.store_path else str(args.models)
    (OUT / f"export-{name}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
