"""The simulated hub next to the published real-Hub figures (../shared/data/hub-facts/).

    python bench/calibration.py [--models 300000] [--seed 0] [--facts DIR]

Generates ``--models`` models with ``lineage.sim.generate`` and prints, in the shape of the
hub-facts CSVs, the simulator's figures beside the published ones:

* ``monthly.csv``: per month (2024-07 … 2026-02, by the child's ``createdAt``) the models that
  entered the derivation network, links in total and by relation, distinct bases used, the
  most-derived base of the month with its count and share, and the top-10 bases' share;
* ``top_parents.csv``: the most-derived bases (direct children, all relations) on the hub as
  of 2026-07-13, as a count and per million models (the published hub had 2,903,100 models;
  the simulated count is also shown scaled to that size);
* ``totals.csv``: the share of models declaring a base and the relation split (2025-10-23),
  download coverage, and the shape of the network (2026-02).

Everything is computed from the generator's ground truth (truth dicts) and listing items, with
no lineage code. ``tests/test_calibration.py`` loads :func:`measure` from this file, so the
table and the tests use one definition of each figure.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FACTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "hub-facts"
RELATIONS = ("finetune", "adapter", "quantized", "merge")
MONTHS = tuple(f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13))
FIRST, LAST = "2024-07", "2026-02"
TOP_SNAPSHOT = "2026-07-13"
TOTALS_DATE = "2025-10-23"
NETWORK_MONTH = "2026-02"


@dataclass
class Figures:
    """The simulator's figures, keyed like the hub-facts files."""

    models: int = 0
    monthly: dict[str, dict[str, Any]] = field(default_factory=dict)
    top_hub_models: int = 0
    top_parents: list[tuple[str, int]] = field(default_factory=list)
    derivatives: Counter[str] = field(default_factory=Counter)  # children per base at TOP_SNAPSHOT
    totals: dict[str, float] = field(default_factory=dict)
    bulk_by_month_base: dict[str, Counter[str]] = field(default_factory=dict)


def measure(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> Figures:
    """Figures of a generated hub, from ``(listing_item, truth)`` pairs in creation order."""
    fig = Figures()
    month_edges: dict[str, Counter[str]] = defaultdict(Counter)  # month -> base -> links
    month_rel: dict[str, Counter[str]] = defaultdict(Counter)
    first_month: dict[str, str] = {}  # node -> month it entered the network
    children_at_snapshot: Counter[str] = Counter()
    bulk: dict[str, Counter[str]] = defaultdict(Counter)
    hub_at_totals = with_base = 0
    rel_models: Counter[str] = Counter()
    hub_at_snapshot = 0
    dl30 = dl_all = 0
    all_time: list[int] = []
    net_nodes: set[str] = set()
    net_edges = 0
    net_parents: set[str] = set()
    parent_counts: Counter[int] = Counter()
    for item, truth in pairs:
        fig.models += 1
        created = "2022-03-02" if truth["legacy"] else truth["created_at"][:10]
        month = created[:7]
        parents = truth["parents"]
        if created <= TOTALS_DATE:
            hub_at_totals += 1
            if parents:
                with_base += 1
                rel_models[parents[0][1]] += 1
            dl30 += item.get("downloads", 0) > 0
            dl_all += item.get("downloadsAllTime", 0) > 0
            all_time.append(item.get("downloadsAllTime", 0))
        if created <= TOP_SNAPSHOT:
            hub_at_snapshot += 1
            for p in {p for p, _ in parents}:
                children_at_snapshot[p] += 1
        if not parents:
            continue
        first_month.setdefault(truth["id"], month)
        for p, rel in parents:
            first_month.setdefault(p, month)
            month_edges[month][p] += 1
            month_rel[month][rel] += 1
        if truth.get("bulk"):
            bulk[month][parents[0][0]] += 1
        if month <= NETWORK_MONTH:
            net_nodes.add(truth["id"])
            net_nodes.update(p for p, _ in parents)
            net_edges += len(parents)
            net_parents.update(p for p, _ in parents)
            parent_counts[len(parents)] += 1
    entered = Counter(first_month.values())
    for month in MONTHS:
        if not FIRST <= month <= LAST:
            continue
        edges = month_edges[month]
        total = sum(edges.values())
        top = edges.most_common(10)
        row: dict[str, Any] = {
            "month": month,
            "new_models_in_network": entered[month],
            "edges": total,
            **{rel: month_rel[month][rel] for rel in RELATIONS},
            "unknown": 0,
            "active_bases": len(edges),
            "top1_base": top[0][0] if top else "",
            "top1_count": top[0][1] if top else 0,
            "top1_share_pct": 100 * top[0][1] / total if total else 0.0,
            "top10_share_pct": 100 * sum(c for _, c in top) / total if total else 0.0,
        }
        fig.monthly[month] = row
    fig.top_hub_models = hub_at_snapshot
    fig.derivatives = children_at_snapshot
    fig.top_parents = children_at_snapshot.most_common(11)
    children = sum(parent_counts.values())
    fig.totals = {
        "models on the Hub": hub_at_totals,
        "share with a declared base": with_base / max(1, hub_at_totals),
        **{f"relation {rel}": rel_models[rel] / max(1, with_base) for rel in RELATIONS},
        "30-day downloads > 0": dl30 / max(1, hub_at_totals),
        "all-time downloads > 0": dl_all / max(1, hub_at_totals),
        "median all-time downloads": statistics.median(all_time) if all_time else 0,
        "network models": len(net_nodes),
        "network edges": net_edges,
        "network unique parents": len(net_parents),
        "single-parent share": parent_counts[1] / max(1, children),
        "most parents of one model": max(parent_counts, default=0),
    }
    fig.bulk_by_month_base = dict(bulk)
    return fig


def published(
    facts: Path = FACTS,
) -> tuple[dict[str, dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    """``(monthly by month, top_parents rows, totals rows)`` as the CSVs give them."""
    with (facts / "monthly.csv").open() as fh:
        monthly = {row["month"]: row for row in csv.DictReader(fh)}
    with (facts / "top_parents.csv").open() as fh:
        top = list(csv.DictReader(fh))
    with (facts / "totals.csv").open() as fh:
        totals = list(csv.DictReader(fh))
    return monthly, top, totals


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def report(fig: Figures, facts: Path = FACTS) -> str:
    """Markdown tables: the simulator's figures beside the published ones."""
    pub_monthly, pub_top, pub_totals = published(facts)
    real_hub = int(pub_top[0]["hub_models"])
    scale = real_hub / max(1, fig.top_hub_models)
    out: list[str] = []
    out.append(
        f"Scale: the simulated hub has {fig.top_hub_models:,} models on {TOP_SNAPSHOT}, the published one "
        f"{real_hub:,}: multiply simulated counts by {scale:.2f} to compare them. Months are the child's "
        "createdAt month (ModelRank counts a model when it first appears in a weekly snapshot). Shares "
        "and per-model degrees compare directly; distinct counts (active bases, unique parents) grow "
        "slower than the hub, so compare those at the published size (--models 3000000).\n"
    )
    out.append(f"## monthly.csv — simulated ({fig.models:,} models) vs published\n")
    out.append("Each cell: simulated / published. Counts are the simulator's own (not rescaled).\n")
    cols = [
        "new_models_in_network",
        "edges",
        "finetune",
        "adapter",
        "quantized",
        "merge",
        "active_bases",
        "top1_base",
        "top1_count",
        "top1_share_pct",
        "top10_share_pct",
    ]
    out.append("| month | " + " | ".join(cols) + " |")
    out.append("|---" * (len(cols) + 1) + "|")
    for month, row in fig.monthly.items():
        pub = pub_monthly.get(month, {})
        cells = []
        for col in cols:
            sim, real = row[col], pub.get(col, "")
            if col.endswith("_pct"):
                cells.append(f"{sim:.1f} / {float(real):.1f}" if real else f"{sim:.1f}")
            else:
                cells.append(f"{sim} / {real}")
        out.append(f"| {month} | " + " | ".join(cells) + " |")
    out.append("\nRelation split of each month's links (simulated / published, % of links):\n")
    out.append("| month | " + " | ".join(RELATIONS) + " |")
    out.append("|---" * (len(RELATIONS) + 1) + "|")
    for month, row in fig.monthly.items():
        pub = pub_monthly.get(month, {})
        total, real_total = max(1, row["edges"]), max(1, int(pub.get("edges", 1)))
        cells = [
            f"{100 * row[r] / total:.1f} / {100 * int(pub.get(r, 0)) / real_total:.1f}" for r in RELATIONS
        ]
        out.append(f"| {month} | " + " | ".join(cells) + " |")
    out.append(
        f"\n## top_parents.csv — hub as of {TOP_SNAPSHOT}: simulated {fig.top_hub_models:,} models, "
        f"published {real_hub:,}\n"
    )
    out.append(
        "| base_model | published | per M models | simulated | per M models | scaled to published hub |"
    )
    out.append("|---|---|---|---|---|---|")
    for row in pub_top:
        base, real = row["base_model"], int(row["derivatives"])
        sim = fig.derivatives.get(base, 0)
        out.append(
            f"| {base} | {real:,} | {real / real_hub * 1e6:,.0f} | {sim:,} | "
            f"{sim / max(1, fig.top_hub_models) * 1e6:,.0f} | {sim * scale:,.0f} |"
        )
    out.append("\nThe simulator's own most-derived bases:\n")
    out.append("| base_model | simulated | per M models |")
    out.append("|---|---|---|")
    for base, count in fig.top_parents:
        out.append(f"| {base} | {count:,} | {count / max(1, fig.top_hub_models) * 1e6:,.0f} |")
    out.append("\n## totals.csv — simulated vs published\n")
    out.append(f"| figure | simulated | simulated x {scale:.2f} | published |")
    out.append("|---|---|---|---|")
    t = fig.totals
    pub = {
        row["figure"]: row
        for row in pub_totals
        if row["figure"] != "models on the Hub" or row["date"] == TOTALS_DATE
    }

    def count(key: str) -> tuple[str, str]:
        return f"{t[key]:,.0f}", f"{t[key] * scale:,.0f}"

    def share(key: str) -> tuple[str, str]:
        return _pct(t[key]), ""

    lines = [
        ("models on the Hub (2025-10-23)", *count("models on the Hub"), pub["models on the Hub"]["value"]),
        (
            "share with a declared base",
            *share("share with a declared base"),
            pub["models with baseModels"]["note"],
        ),
        *(
            (
                f"relation {rel}",
                *share(f"relation {rel}"),
                pub[f"baseModels relation {rel}"]["note"].split()[0],
            )
            for rel in RELATIONS
        ),
        (
            "30-day downloads > 0",
            *share("30-day downloads > 0"),
            pub["models with 30-day downloads > 0"]["note"],
        ),
        (
            "all-time downloads > 0",
            *share("all-time downloads > 0"),
            pub["models with all-time downloads > 0"]["note"],
        ),
        (
            "median all-time downloads",
            f"{t['median all-time downloads']:.0f}",
            "",
            pub["median all-time downloads"]["value"],
        ),
        ("network models (2026-02)", *count("network models"), pub["lineage network: models"]["value"]),
        ("network edges", *count("network edges"), pub["lineage network: edges"]["value"]),
        (
            "network unique parents",
            *count("network unique parents"),
            pub["lineage network: unique parents"]["value"],
        ),
        (
            "children with a single parent",
            *share("single-parent share"),
            pub["children with a single parent"]["value"],
        ),
        (
            "most parents of one model",
            str(t["most parents of one model"]),
            "",
            pub["most parents of one model"]["value"],
        ),
    ]
    for name, sim, scaled, real in lines:
        out.append(f"| {name} | {sim} | {scaled} | {real} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--facts", type=Path, default=FACTS)
    args = ap.parse_args()
    from lineage.sim.generate import generate

    start = time.perf_counter()
    fig = measure(generate(args.models, args.seed))
    took = time.perf_counter() - start
    print(f"# Simulated hub vs published figures ({args.models:,} models, seed {args.seed}, {took:.1f} s)\n")
    print(report(fig, args.facts))


if __name__ == "__main__":
    sys.exit(main())
