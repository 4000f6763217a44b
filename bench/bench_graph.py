"""Whole-Hub graph analytics at scale, against the naive networkx route.

    python bench/bench_graph.py [--models 3000000] [--sample 2000]

Builds (once, cached in bench/out/) a store by crawling a simulated hub of --models models
over HTTP, then times, in this process: loading the columnar graph from the store, the root
ancestors of every node, the full share table (all months x all families), descendants of
the largest family, and a 2-hop neighbourhood of the biggest hub. The networkx figures run
in a child process (their memory would otherwise hide ours): building the DiGraph, then
``nx.ancestors`` per node for --sample random nodes, extrapolated to every node (running it
for all nodes would take hours), ``nx.descendants`` of the same family, and
``nx.ego_graph(undirected=True)`` on the same hub. Targets (2-core machine): share table
< 2 s after load, neighbourhood < 100 ms, load < 30 s, peak memory < 6 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import machine, peak_rss_mb, simulated_store


def ours(store: Path) -> dict[str, float | int | str]:
    from lineage.analytics import ShareQuery, group_nodes, share_table
    from lineage.families import default_registry
    from lineage.graph import Lineage

    out: dict[str, float | int | str] = {}
    t = time.perf_counter()
    lin = Lineage.load(store)
    out["load"] = time.perf_counter() - t
    out["nodes"], out["edges"] = len(lin), lin.n_edges
    t = time.perf_counter()
    lin.root_pairs  # noqa: B018 (computes and caches)
    out["roots_all"] = time.perf_counter() - t
    out["max_level"] = int(lin.levels.max())
    reg = default_registry()
    t = time.perf_counter()
    table = share_table(lin, ShareQuery(), reg)
    out["share_first"] = time.perf_counter() - t
    t = time.perf_counter()
    table = share_table(lin, ShareQuery(attribution="any", by="region"), reg)
    out["share_again"] = time.perf_counter() - t
    out["share_rows"] = len(table.rows)
    t = time.perf_counter()
    qwen = group_nodes(lin, "Qwen", "family", reg)
    out["family_descendants"] = time.perf_counter() - t
    out["family_size"] = len(qwen)
    degree = lin.in_degree + lin.out_degree
    hub = int(np.argmax(degree))
    out["hub"], out["hub_degree"] = lin.ids[hub], int(degree[hub])
    times = []
    for _ in range(5):
        t = time.perf_counter()
        near = lin.neighbourhood(hub, 2)
        times.append(time.perf_counter() - t)
    out["neighbourhood_2hop"] = min(times)
    out["neighbourhood_size"] = len(near)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def naive(store: str, sample: int, hub_id: str) -> None:
    """Child process: the networkx route on the same store."""
    import networkx as nx

    from lineage.analytics import group_nodes
    from lineage.graph import Lineage

    lin = Lineage.load(store)
    qwen_roots = [lin.ids[int(i)] for i in group_nodes(lin, "Qwen") if lin.in_degree[int(i)] == 0]
    t = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(lin.ids)
    ids = lin.ids
    g.add_edges_from((ids[p], ids[c]) for p, c in zip(lin.parent.tolist(), lin.child.tolist(), strict=True))
    build = time.perf_counter() - t
    nodes = random.Random(1).sample(lin.ids, sample)
    t = time.perf_counter()
    for n in nodes:
        {a for a in nx.ancestors(g, n) if g.in_degree(a) == 0} or {n}
    per_node = (time.perf_counter() - t) / sample
    t = time.perf_counter()
    desc: set[str] = set(qwen_roots)
    for r in qwen_roots:
        desc |= nx.descendants(g, r)
    fam = time.perf_counter() - t
    t = time.perf_counter()
    ego = nx.ego_graph(g, hub_id, radius=2, undirected=True)
    ego_t = time.perf_counter() - t
    print(
        json.dumps(
            {
                "nx_build": build,
                "nx_ancestors_per_node": per_node,
                "nx_roots_all_extrapolated": per_node * len(lin.ids),
                "nx_family_descendants": fam,
                "nx_family_size": len(desc),
                "nx_ego_graph": ego_t,
                "nx_ego_size": ego.number_of_nodes(),
                "nx_peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=3_000_000)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--naive-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.naive_child:
        naive(args.naive_child[0], args.sample, args.naive_child[1])
        return
    store = simulated_store(args.models)
    r = ours(store)
    print(f"machine: {machine()}")
    print(f"graph: {r['nodes']:,} nodes, {r['edges']:,} edges, depth {r['max_level']}")
    print(f"  load from store                      {r['load']:8.2f} s")
    print(f"  roots of every node                  {r['roots_all']:8.2f} s")
    print(
        f"  share table, all months x families   {r['share_first']:8.2f} s (first, incl. classifying roots); "
        f"{r['share_again']:.2f} s again ({r['share_rows']:,} rows)"
    )
    print(f"  descendants of Qwen ({r['family_size']:,} nodes)    {r['family_descendants']:8.2f} s")
    print(
        f"  2-hop neighbourhood of {r['hub']} (degree {r['hub_degree']:,}, "
        f"{r['neighbourhood_size']:,} nodes) "
        f"{r['neighbourhood_2hop'] * 1000:.1f} ms"
    )
    print(f"  peak RSS                             {r['peak_rss_mb']:8.0f} MB")
    out = subprocess.run(
        [sys.executable, __file__, "--sample", str(args.sample), "--naive-child", str(store), str(r["hub"])],
        capture_output=True,
        text=True,
        check=True,
    )
    n = json.loads(out.stdout.strip().splitlines()[-1])
    print("networkx route (child process):")
    print(f"  build DiGraph                        {n['nx_build']:8.2f} s")
    print(
        f"  roots of every node via nx.ancestors {n['nx_roots_all_extrapolated']:8.0f} s "
        f"(extrapolated from {args.sample:,} nodes) -> ours is "
        f"{n['nx_roots_all_extrapolated'] / r['roots_all']:,.0f}x faster"
    )
    print(
        f"  descendants of Qwen                  {n['nx_family_descendants']:8.2f} s "
        f"({n['nx_family_size']:,} nodes) -> {n['nx_family_descendants'] / r['family_descendants']:,.1f}x"
    )
    print(
        f"  nx.ego_graph(undirected=True), 2 hops {n['nx_ego_graph']:8.2f} s ({n['nx_ego_size']:,} nodes) -> "
        f"{n['nx_ego_graph'] / r['neighbourhood_2hop']:,.0f}x"
    )
    print(f"  peak RSS                             {n['nx_peak_rss_mb']:8.0f} MB")
    assert n["nx_family_size"] == r["family_size"], "networkx and lineage disagree on the family"
    assert n["nx_ego_size"] == r["neighbourhood_size"], "networkx and lineage disagree on the neighbourhood"


if __name__ == "__main__":
    main()
