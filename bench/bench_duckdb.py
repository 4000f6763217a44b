"""Would DuckDB beat numpy for the whole-graph questions? Measured on the graph snapshot.

    pip install duckdb==2.0.1
    python bench/bench_duckdb.py [--models 3000000] [--repeat 5]

The same three aggregations, computed from the same arrays of the memory-mapped graph snapshot
(the columnar :class:`~lineage.graph.Lineage` of a crawled simulated hub, built once and cached in
bench/out/), once with numpy (what lineage does) and once with DuckDB over the arrays handed to it
without a copy (pyarrow tables registered as views):

* ``share cells``: the weighted count of new derivatives per (month, family): the core of
  ``lineage share``, after each model's families are known (the (model, group) pairs and their
  weights are the input of both);
* ``relation mix``: new links per (month of the child, relation): a join of the edge arrays with
  the children's creation months;
* ``top parents``: the 20 parents with the most children.

Each figure is the best of ``--repeat`` runs; both sides must give the same numbers (checked).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, simulated_store


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=3_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    try:
        import duckdb
        import pyarrow as pa
    except ImportError:
        sys.exit("This benchmark needs duckdb and pyarrow: pip install duckdb==2.0.1 pyarrow")

    from lineage.analytics.groups import node_groups
    from lineage.families import default_registry
    from lineage.graph import Lineage

    store = simulated_store(args.models)
    lin = Lineage.load(store)
    registry = default_registry()
    month = (lin.created // 86400).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    nodes = np.flatnonzero(~lin.placeholder & ~lin.deleted & ~lin.legacy & (lin.in_degree > 0))
    pos, grp, labels = node_groups(lin, nodes, "family", registry)
    weight = 1.0 / np.bincount(pos, minlength=len(nodes))[pos]
    pair_month = month[nodes][pos]
    con = duckdb.connect()
    pairs = pa.table({"month": pair_month, "grp": grp, "w": weight})
    edges = pa.table({"child": lin.child, "parent": lin.parent, "relation": lin.relation.astype(np.int16)})
    months = pa.table({"node": np.arange(len(lin), dtype=np.int64), "month": month})
    for name, table in (("pairs", pairs), ("edges", edges), ("months", months)):
        con.register(name, table)  # zero-copy views of the arrow tables
    n_groups, n_rel = len(labels), int(lin.relation.max()) + 1
    lo = int(pair_month.min())

    def np_cells() -> dict[tuple[int, int], float]:
        cell = (pair_month - lo) * n_groups + grp
        sums = np.bincount(cell, weights=weight)
        nz = np.flatnonzero(sums)
        return {(int(k // n_groups) + lo, int(k % n_groups)): float(sums[k]) for k in nz}

    def db_cells() -> dict[tuple[int, int], float]:
        rows = con.sql("SELECT month, grp, sum(w) FROM pairs GROUP BY ALL").fetchall()
        return {(int(m), int(g)): float(s) for m, g, s in rows}

    def np_mix() -> dict[tuple[int, int], int]:
        m = month[lin.child]
        cell = (m - int(m.min())) * n_rel + lin.relation
        counts = np.bincount(cell)
        nz = np.flatnonzero(counts)
        return {(int(k // n_rel) + int(m.min()), int(k % n_rel)): int(counts[k]) for k in nz}

    def db_mix() -> dict[tuple[int, int], int]:
        rows = con.sql(
            "SELECT m.month, e.relation, count(*) FROM edges e JOIN months m ON m.node = e.child GROUP BY ALL"
        ).fetchall()
        return {(int(a), int(b)): int(c) for a, b, c in rows}

    def np_top() -> list[tuple[int, int]]:
        counts = np.bincount(lin.parent, minlength=len(lin))
        top = np.argsort(-counts, kind="stable")[:20]
        return sorted((int(counts[k]), int(k)) for k in top)

    def db_top() -> list[tuple[int, int]]:
        rows = con.sql(
            "SELECT count(*) AS n, parent FROM edges GROUP BY parent ORDER BY n DESC, parent LIMIT 20"
        )
        return sorted((int(n), int(p)) for n, p in rows.fetchall())

    print(f"machine: {machine()}; store: {store.name} ({len(lin):,} nodes, {lin.n_edges:,} edges)")
    print(f"{'query':<14} {'numpy':>9} {'duckdb':>9}  same result")
    for name, a, b in (("share cells", np_cells, db_cells), ("relation mix", np_mix, db_mix),
                       ("top parents", np_top, db_top)):  # fmt: skip
        ta, ra = best(a, args.repeat)
        tb, rb = best(b, args.repeat)
        same = (
            ra.keys() == rb.keys() and all(abs(ra[k] - rb[k]) < 1e-6 for k in ra)
            if isinstance(ra, dict)
            else ra == rb
        )
        print(f"{name:<14} {ta * 1000:7.1f} ms {tb * 1000:7.1f} ms  {same}")


if __name__ == "__main__":
    main()
