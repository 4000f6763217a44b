"""Share analytics against the simulator's ground truth, and golden tests on tiny graphs."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from helpers import SimData

from lineage.analytics import ShareQuery, downloads_by_group, family_summary, share_table
from lineage.graph import Lineage


@pytest.fixture(scope="module")
def lin(sim20k_store: Path) -> Lineage:
    return Lineage.load(sim20k_store)


def _period(created: str, period: str) -> str:
    from datetime import date

    d = date.fromisoformat(created[:10])
    if period == "month":
        return created[:7]
    if period == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if period == "year":
        return str(d.year)
    iso = d.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def truth_share(
    sim: SimData,
    by: str,
    attribution: str,
    period: str = "month",
    keep: Any = lambda item, truth: True,
    population: str = "derivatives",
) -> dict[tuple[str, str], float]:
    """The expected table computed from the simulator's truth alone (no lineage code)."""
    key = {"family": "families", "region": "regions", "org": "roots"}[by]
    items = {i["id"]: i for i in sim.items}
    cells: dict[tuple[str, str], float] = defaultdict(float)
    totals: Counter[str] = Counter()
    for mid, t in sim.truth.items():
        if t["legacy"] or (population == "derivatives" and not t["parents"]) or not keep(items[mid], t):
            continue
        groups = t[key] if by != "org" else sorted({r.split("/")[0] for r in t["roots"]})
        if not t["parents"] and by == "family" and population == "all":
            groups = t["families"]
        p = _period(t["created_at"], period)
        totals[p] += 1
        for g in groups:
            cells[(p, g)] += 1 / len(groups) if attribution == "fractional" else 1
    return {k: v / totals[k[0]] for k, v in cells.items()}


def assert_table(rows: list[dict[str, Any]], expected: dict[tuple[str, str], float]) -> None:
    got = {(r["period"], r["group"]): r["share"] for r in rows}
    assert set(got) == set(expected)
    bad = {k: (got[k], expected[k]) for k in got if abs(got[k] - expected[k]) > 1e-9}
    assert not bad, list(bad.items())[:5]


@pytest.mark.parametrize("by", ["family", "region", "org"])
@pytest.mark.parametrize("attribution", ["fractional", "any"])
def test_share_equals_truth(lin: Lineage, sim20k: SimData, by: str, attribution: str) -> None:
    table = share_table(lin, ShareQuery(by=by, attribution=attribution))
    assert_table(table.rows, truth_share(sim20k, by, attribution))
    if attribution == "fractional":
        per_period: dict[str, float] = defaultdict(float)
        for r in table.rows:
            per_period[r["period"]] += r["share"]
        assert all(abs(v - 1) < 1e-9 for v in per_period.values())


@pytest.mark.parametrize("period", ["quarter", "week", "year"])
def test_share_periods(lin: Lineage, sim20k: SimData, period: str) -> None:
    table = share_table(lin, ShareQuery(period=period))
    assert_table(table.rows, truth_share(sim20k, "family", "fractional", period))


def test_share_filters(lin: Lineage, sim20k: SimData) -> None:
    q = ShareQuery(pipeline_tags=("text-generation",), relations=("finetune", "merge"))
    expected = truth_share(
        sim20k,
        "family",
        "fractional",
        keep=lambda item, t: (
            item.get("pipeline_tag") == "text-generation"
            and {r for _, r in t["parents"]} & {"finetune", "merge"}
        ),
    )
    assert_table(share_table(lin, q).rows, expected)
    q = ShareQuery(libraries=("peft",), by="region", attribution="any")
    expected = truth_share(sim20k, "region", "any", keep=lambda item, t: item.get("library_name") == "peft")
    assert_table(share_table(lin, q).rows, expected)


def test_share_population_all_and_dates(lin: Lineage, sim20k: SimData) -> None:
    q = ShareQuery(population="all", since="2025-01-01", until="2025-06-30")
    expected = truth_share(
        sim20k,
        "family",
        "fractional",
        population="all",
        keep=lambda item, t: "2025-01-01" <= t["created_at"][:10] <= "2025-06-30",
    )
    table = share_table(lin, q)
    assert_table(table.rows, expected)
    assert any("legacy repos" in n for n in table.notes)  # legacy repos are roots in the simulation
    assert {r["period"] for r in share_table(lin, q).rows} == {f"2025-0{m}" for m in range(1, 7)}


def test_bad_options_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="period must be one of"):
        ShareQuery(period="decade")
    with pytest.raises(ValueError, match="attribution must be one of"):
        ShareQuery(attribution="half")


# -- golden tests on a hand-written graph ------------------------------------------------------
EDGES = [
    ("Qwen/Qwen2.5-7B", "u1/qwen-ft", "finetune"),
    ("u1/qwen-ft", "u2/qwen-ft-GGUF", "quantized"),
    ("meta-llama/Llama-3.1-8B", "u3/llama-ft", "finetune"),
    ("u1/qwen-ft", "u4/frankenmerge", "merge"),
    ("u3/llama-ft", "u4/frankenmerge", "merge"),
    ("mistralai/Mistral-7B-v0.1", "u4/frankenmerge", "merge"),
    ("deleted-user/gone", "u5/orphan-lora", "adapter"),  # unresolved parent: placeholder root
    ("u4/frankenmerge", "u6/merge-of-merge-q", "quantized"),
]
CREATED = {
    "u1/qwen-ft": "2025-10-01",
    "u2/qwen-ft-GGUF": "2025-10-02",
    "u3/llama-ft": "2025-10-03",
    "u4/frankenmerge": "2025-10-04",
    "u5/orphan-lora": "2025-10-05",
    "u6/merge-of-merge-q": "2025-11-05",
    "Qwen/Qwen2.5-7B": "2024-09-15",
}


def test_golden_shares() -> None:
    lin = Lineage.from_edges(EDGES, created=CREATED)
    lin.placeholder[lin.index["deleted-user/gone"]] = True
    rows = share_table(lin).rows
    third = 1 / 3
    assert rows == [
        {"period": "2025-10", "group": "Qwen", "models": 2 + third, "share": (2 + third) / 5},
        {"period": "2025-10", "group": "Llama", "models": 1 + third, "share": (1 + third) / 5},
        {"period": "2025-10", "group": "deleted-user", "models": 1.0, "share": 0.2},
        {"period": "2025-10", "group": "Mistral", "models": third, "share": third / 5},
        {"period": "2025-11", "group": "Llama", "models": third, "share": third},
        {"period": "2025-11", "group": "Mistral", "models": third, "share": third},
        {"period": "2025-11", "group": "Qwen", "models": third, "share": third},
    ]
    anyrows = share_table(lin, attribution="any", by="region").rows
    assert {(r["period"], r["group"]): r["models"] for r in anyrows} == {
        ("2025-10", "china"): 3,
        ("2025-10", "us"): 2,
        ("2025-10", "eu"): 1,
        ("2025-10", "unknown"): 1,
        ("2025-11", "china"): 1,
        ("2025-11", "us"): 1,
        ("2025-11", "eu"): 1,
    }
    # Excluding quantizations changes the population: 3 of 5 October models remain.
    rows = share_table(lin, relations=("finetune", "adapter", "merge")).rows
    assert sum(r["models"] for r in rows if r["period"] == "2025-10") == 4


def test_golden_roots_and_traversals() -> None:
    lin = Lineage.from_edges(EDGES, created=CREATED)
    merge = lin.index["u4/frankenmerge"]
    assert sorted(lin.ids[r] for r in lin.roots_of(merge)) == [
        "Qwen/Qwen2.5-7B",
        "meta-llama/Llama-3.1-8B",
        "mistralai/Mistral-7B-v0.1",
    ]
    assert sorted(lin.ids[r] for r in lin.roots_of(lin.index["u6/merge-of-merge-q"])) == sorted(
        lin.ids[r] for r in lin.roots_of(merge)
    )
    qwen = lin.index["Qwen/Qwen2.5-7B"]
    assert [lin.ids[i] for i in lin.roots_of(qwen)] == ["Qwen/Qwen2.5-7B"]
    assert sorted(lin.ids[i] for i in lin.descendants(qwen)) == [
        "u1/qwen-ft",
        "u2/qwen-ft-GGUF",
        "u4/frankenmerge",
        "u6/merge-of-merge-q",
    ]
    assert sorted(lin.ids[i] for i in lin.descendants(qwen, depth=1)) == ["u1/qwen-ft"]
    assert sorted(lin.ids[i] for i in lin.neighbourhood(lin.index["u3/llama-ft"], 1)) == [
        "meta-llama/Llama-3.1-8B",
        "u3/llama-ft",
        "u4/frankenmerge",
    ]
    assert int(lin.levels[lin.index["u6/merge-of-merge-q"]]) == 3


def test_cycle_in_columnar_graph_is_reported() -> None:
    lin = Lineage.from_edges([("a/x", "b/y", "finetune"), ("b/y", "a/x", "finetune")])
    with pytest.raises(ValueError, match="cycle"):
        _ = lin.root_pairs


def test_downloads_and_family_summary(lin: Lineage, sim20k: SimData) -> None:
    items = {i["id"]: i for i in sim20k.items}
    expected: dict[str, float] = defaultdict(float)
    for mid, t in sim20k.truth.items():
        for f in t["families"]:
            expected[f] += items[mid]["downloads"] / len(t["families"])
    rows = downloads_by_group(lin).rows
    got = {r["group"]: r["downloads_30d"] for r in rows}
    assert set(got) == set(expected)
    assert all(abs(got[k] - expected[k]) < 1e-6 * max(1, expected[k]) for k in got)
    summary = family_summary(lin, top=5)
    assert summary.rows[0]["group"] == "Qwen"
    mix = summary.rows[0]
    assert (
        abs(sum(mix[f"{r}_share"] for r in ("finetune", "adapter", "quantized", "merge", "unknown")) - 1)
        < 1e-9
    )
