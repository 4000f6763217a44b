"""The published definitions side by side: each option's output equals the simulator's truth
computed under that definition, from the truth dicts alone.

* ``--scope direct``: a new model counts for the families that uploaded one of its parents
  (the truth's ``first_party`` models), and models without such a parent are left out;
* ``lineage downloads --population first-party``: only the downloads of the families' own
  uploads (ATOM's count), now and per crawl snapshot;
* ``--scope tree`` and ``--population family`` are today's behaviour (tests/test_analytics.py).

The simulator's named families (:data:`lineage.sim.generate.FAMILIES`) are its labs; a root of
any other org (an independent user, a deleted parent) is a family named after its org, whose
own models are the org's.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SimData
from test_analytics import assert_table

from lineage.analytics import ShareQuery, downloads_by_group, downloads_over_time, share_table
from lineage.cli import cli
from lineage.graph import Lineage
from lineage.sim.generate import FAMILIES
from lineage.store import open_store

NAMED = {f.name for f in FAMILIES}
REGION = {f.name: f.region for f in FAMILIES}


@pytest.fixture(scope="module")
def lin20k(sim20k_store: Path) -> Lineage:
    return Lineage.load(sim20k_store)


def _org(model_id: str) -> str:
    return model_id.split("/")[0]


def own_groups(sim: SimData, model_id: str, by: str) -> set[str]:
    """The groups ``model_id`` is a first-party model of, from the truth alone: a lab's own model
    (``first_party``) for its family, a model of an org that is not a lab for the org's family
    (named after it), and for ``org``, a model of the org of one of its roots."""
    t = sim.truth.get(model_id)
    org = _org(model_id)
    if t is None:  # a deleted parent: its own root, of its org's family, region unknown
        return {"unknown" if by == "region" else org}
    if by == "org":
        return {org} & {_org(r) for r in t["roots"]}
    own = [f for f in t["families"] if (t["first_party"] and f in NAMED) or (f not in NAMED and f == org)]
    return {f if by == "family" else REGION.get(f, "unknown") for f in own}


def truth_direct(
    sim: SimData, by: str, attribution: str, keep: Any = lambda t: True
) -> dict[tuple[str, str], float]:
    cells: dict[tuple[str, str], float] = defaultdict(float)
    totals: Counter[str] = Counter()
    for t in sim.truth.values():
        if t["legacy"] or not t["parents"] or not keep(t):
            continue
        groups = set().union(*(own_groups(sim, p, by) for p, _ in t["parents"]))
        if not groups:
            continue
        month = t["created_at"][:7]
        totals[month] += 1
        for g in groups:
            cells[(month, g)] += 1 / len(groups) if attribution == "fractional" else 1
    return {k: v / totals[k[0]] for k, v in cells.items()}


@pytest.mark.parametrize(
    ("by", "attribution"),
    [("family", "fractional"), ("family", "any"), ("region", "fractional"), ("org", "any")],
)
def test_scope_direct_equals_truth(lin20k: Lineage, sim20k: SimData, by: str, attribution: str) -> None:
    table = share_table(lin20k, ShareQuery(by=by, attribution=attribution, scope="direct"))
    assert_table(table.rows, truth_direct(sim20k, by, attribution))
    assert any("without a first-party parent left out" in n for n in table.notes)
    assert "Scope direct" in table.method and "Scope direct" not in ShareQuery().method()


def test_scope_direct_with_a_relation_filter_equals_truth(lin20k: Lineage, sim20k: SimData) -> None:
    q = ShareQuery(scope="direct", relations=("finetune",))
    expected = truth_direct(
        sim20k, "family", "fractional", lambda t: any(r == "finetune" for _, r in t["parents"])
    )
    assert_table(share_table(lin20k, q).rows, expected)


def test_direct_children_are_fewer_than_the_tree(lin20k: Lineage) -> None:
    """A family's direct children are part of its tree: never more models, in any month."""
    tree = {(r["period"], r["group"]): r["models"] for r in share_table(lin20k, attribution="any").rows}
    direct = share_table(lin20k, ShareQuery(attribution="any", scope="direct")).rows
    assert direct and all(r["models"] <= tree[(r["period"], r["group"])] + 1e-9 for r in direct)


def truth_first_party_downloads(sim: SimData, by: str, key: str) -> dict[str, float]:
    items = {i["id"]: i for i in sim.items}
    out: dict[str, float] = defaultdict(float)
    for mid in sim.truth:
        groups = own_groups(sim, mid, by)
        item = items[mid]
        value = item["downloads"] if key == "downloads" else item.get("downloadsAllTime", item["downloads"])
        for g in groups:
            out[g] += value / len(groups)
    return {g: v for g, v in out.items()}


@pytest.mark.parametrize("by", ["family", "region", "org"])
def test_downloads_first_party_equals_truth(lin20k: Lineage, sim20k: SimData, by: str) -> None:
    table = downloads_by_group(lin20k, by, population="first-party")
    for column, key in (("downloads_30d", "downloads"), ("downloads_all_time", "downloadsAllTime")):
        expected = truth_first_party_downloads(sim20k, by, key)
        got = {r["group"]: r[column] for r in table.rows}
        assert set(got) == set(expected), set(got) ^ set(expected)
        bad = {
            g: (got[g], expected[g]) for g in got if abs(got[g] - expected[g]) > 1e-6 * max(1.0, expected[g])
        }
        assert not bad, list(bad.items())[:5]
    assert "Population first-party" in table.method
    assert "Population family" in downloads_by_group(lin20k, by).method


def test_first_party_downloads_over_time_equal_truth(
    lin20k: Lineage, sim20k: SimData, sim20k_store: Path
) -> None:
    """One crawl, one snapshot: its first-party downloads are the truth's, per family."""
    with open_store(sim20k_store, readonly=True) as store:
        rows = downloads_over_time(lin20k, store.iter_snapshots(), population="first-party").rows
    assert len({r["snapshot"] for r in rows}) == 1
    expected = truth_first_party_downloads(sim20k, "family", "downloadsAllTime")
    got = {r["group"]: r["downloads_all_time"] for r in rows}
    assert set(got) == set(expected)
    assert all(abs(got[g] - expected[g]) <= 1e-6 * max(1.0, expected[g]) for g in got)


def test_first_party_downloads_are_part_of_the_family_downloads(lin20k: Lineage) -> None:
    family = {r["group"]: r["downloads_all_time"] for r in downloads_by_group(lin20k).rows}
    own = downloads_by_group(lin20k, population="first-party").rows
    assert {"Qwen", "Llama"} <= {r["group"] for r in own}
    assert all(r["downloads_all_time"] <= family[r["group"]] + 1e-6 for r in own)


# -- golden tests on a hand-written graph ------------------------------------------------------------
EDGES = [
    ("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct", "finetune"),  # Qwen's own instruct model
    ("Qwen/Qwen2.5-7B-Instruct", "u1/chat-ft", "finetune"),  # direct child (of a first-party model)
    ("u1/chat-ft", "u2/chat-ft-GGUF", "quantized"),  # Qwen tree, not direct
    ("meta-llama/Llama-3.1-8B", "u3/llama-lora", "adapter"),  # direct child of Llama
    ("u1/chat-ft", "u4/merge", "merge"),  # merge of a Qwen derivative ...
    ("meta-llama/Llama-3.1-8B", "u4/merge", "merge"),  # ... and of Llama itself: direct for Llama
    ("someone/indie", "u5/indie-ft", "finetune"),  # a fallback family: its org's models are its own
]
CREATED = {
    m: "2025-10-0" + str(k)
    for k, m in enumerate(
        [
            "Qwen/Qwen2.5-7B-Instruct",
            "u1/chat-ft",
            "u2/chat-ft-GGUF",
            "u3/llama-lora",
            "u4/merge",
            "u5/indie-ft",
        ],
        1,
    )
}


def test_golden_scope_and_first_party_downloads() -> None:
    lin = Lineage.from_edges(EDGES, created=CREATED)
    lin.downloads[:] = [100 * (k + 1) for k in range(len(lin))]
    tree = {r["group"]: r["models"] for r in share_table(lin).rows}
    assert tree == {"Qwen": 3.5, "Llama": 1.5, "someone": 1.0}
    direct = share_table(lin, scope="direct")
    assert {r["group"]: r["models"] for r in direct.rows} == {"Qwen": 2.0, "Llama": 2.0, "someone": 1.0}
    assert {r["group"]: r["share"] for r in direct.rows} == {"Qwen": 0.4, "Llama": 0.4, "someone": 0.2}
    assert "1 models without a first-party parent left out (--scope direct)" in direct.notes
    own = {r["group"]: r["downloads_30d"] for r in downloads_by_group(lin, population="first-party").rows}
    ids = list(lin.ids)
    dl = {m: 100 * (k + 1) for k, m in enumerate(ids)}
    assert own == {
        "Qwen": dl["Qwen/Qwen2.5-7B"] + dl["Qwen/Qwen2.5-7B-Instruct"],
        "Llama": dl["meta-llama/Llama-3.1-8B"],
        "someone": dl["someone/indie"],
    }
    org = {
        r["group"]: r["downloads_30d"] for r in downloads_by_group(lin, "org", population="first-party").rows
    }
    assert org["someone"] == dl["someone/indie"] and org["Qwen"] == own["Qwen"]


def test_cli_definitions_keep_the_json_contract(sim20k_store: Path, lin20k: Lineage) -> None:
    runner = CliRunner()
    args = [
        "share",
        "--store",
        str(sim20k_store),
        "--format",
        "json",
        "--scope",
        "direct",
        "--bulk",
        "exclude",
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(set(r) == {"period", "group", "models", "share"} for r in rows)
    expected = share_table(lin20k, ShareQuery(scope="direct", bulk="exclude")).rows
    assert rows == json.loads(json.dumps(expected))
    result = runner.invoke(cli, ["share", "--store", str(sim20k_store), "--scope", "direct", "--explain"])
    assert (
        result.exit_code == 0 and "Scope direct" in result.stdout and "Bulk uploads include" in result.stdout
    )
    args = ["downloads", "--store", str(sim20k_store), "--population", "first-party", "--format", "json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and set(rows[0]) == {
        "group",
        "models",
        "downloads_30d",
        "downloads_30d_share",
        "downloads_all_time",
        "downloads_all_time_share",
    }
    result = runner.invoke(
        cli, ["downloads", "--store", str(sim20k_store), "--population", "first-party", "--explain"]
    )
    assert result.exit_code == 0 and "Population first-party" in result.stdout
