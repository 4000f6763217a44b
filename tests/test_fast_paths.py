"""The app's fast paths against the truth and against the definitions written out by hand.

The Share page sums (model, group) pairs straight into its top N, the Families page keeps the
parts of a family table that do not depend on the growth window, periods come from a per-day
table, cells are summed by a packed sort, ids are found by binary search and the model count
comes from the snapshot. Each is checked here against the simulator's truth or against a plain
Python computation of the same definition, never against its own output.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FakeClock, SimData
from helpers import crawl
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.analytics import ShareQuery, share_table
from lineage.analytics.cells import cell_sums
from lineage.analytics.groups import NOT_ON_HUB
from lineage.analytics.ranking import OTHER, group_order, top_overall
from lineage.analytics.share import PERIODS, _period_labels, share_data
from lineage.analytics.summary import family_parts
from lineage.families import default_registry
from lineage.graph import Lineage, snapshot
from lineage.graph.ids import IdColumn
from lineage.records import RELATIONS
from lineage.sim.server import SimHub
from lineage.store import open_store

FIELDS = ("models", "share", "downloads", "downloads_share")


@pytest.fixture(scope="module")
def lin(sim20k_store: Path) -> Lineage:
    return Lineage.load(sim20k_store)


# -- Share: the top N from the pairs ------------------------------------------------------------------
def reference_top(
    rows: list[dict[str, Any]], n: int, focus: Iterable[str] = ()
) -> tuple[list[str], list[Any]]:
    """The top N over the range, written out: the ``n`` largest groups (or those in ``focus``),
    then the parents not on the Hub, then everything else summed per period as "(other)"."""
    totals: dict[str, float] = defaultdict(float)
    for r in rows:
        totals[r["group"]] += r["models"]
    ranked = sorted((g for g in totals if g != NOT_ON_HUB), key=lambda g: (-totals[g], g))
    wanted = [g for g in dict.fromkeys(focus) if g in totals and g != NOT_ON_HUB]
    keep = set(wanted or ranked[:n])
    groups = [g for g in ranked if g in keep] + ([NOT_ON_HUB] if NOT_ON_HUB in totals else [])
    cells: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        group = r["group"] if r["group"] in groups else OTHER
        cell = cells.setdefault((r["period"], group), dict.fromkeys(FIELDS, 0.0))
        for k in FIELDS:
            cell[k] += r[k]
    if any(g == OTHER for _, g in cells):
        groups.append(OTHER)
    rank = {g: k for k, g in enumerate(groups)}
    ordered = sorted(cells, key=lambda pg: (pg[0], rank[pg[1]]))
    return groups, [(p, g, cells[(p, g)]) for p, g in ordered]


QUERIES = [
    ShareQuery(unlisted=True),
    ShareQuery(population="all", period="week", by="org", unlisted=True),
    ShareQuery(attribution="any", by="region", unlisted=True),
    ShareQuery(scope="direct"),
    ShareQuery(bulk="exclude", period="quarter", unlisted=True, since="2024-01-01"),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.population}-{q.period}-{q.by}-{q.scope}")
def test_the_top_n_summed_from_pairs_equals_the_definition_on_share_rows(
    lin: Lineage, query: ShareQuery
) -> None:
    rows = share_table(lin, query, downloads=True).rows  # checked against the truth in test_definitions
    data = share_data(lin, query, downloads=True)
    assert rows, "the query must select models"
    for n, focus in ((10, ()), (3, ()), (5, ("Qwen", "Llama", "nobody"))):
        groups, cells = reference_top(rows, n, focus)
        top = top_overall(data, n, focus)
        assert top.groups == groups
        assert [(r["period"], r["group"]) for r in top.rows] == [(p, g) for p, g, _ in cells]
        for r, (_, _, want) in zip(top.rows, cells, strict=True):
            assert [r[k] for k in FIELDS] == pytest.approx([want[k] for k in FIELDS], rel=1e-9, abs=1e-12)
    order = [g for g in sorted({r["group"] for r in rows}, key=lambda g: (g == NOT_ON_HUB, g))]
    totals: dict[str, float] = defaultdict(float)
    for r in rows:
        totals[r["group"]] += r["models"]
    order.sort(key=lambda g: (g == NOT_ON_HUB, -totals[g], g))
    assert group_order(data) == order and group_order(data, limit=4) == order[:4]


def test_share_rows_from_pairs_are_the_rows_of_the_definition(lin: Lineage) -> None:
    """share_table (pairs summed per cell) against a plain sum over every model's groups."""
    query = ShareQuery(population="all", by="org", period="year")
    rows = share_table(lin, query).rows
    data = share_data(lin, query)
    groups_of: dict[int, list[int]] = defaultdict(list)
    for node, group in zip(data.node.tolist(), data.group.tolist(), strict=True):
        groups_of[node].append(group)
    want: dict[tuple[str, str], float] = defaultdict(float)
    for node, groups in groups_of.items():
        for group in groups:
            want[(data.periods[int(data.period_of[node])], data.groups[group])] += 1 / len(groups)
    assert {(r["period"], r["group"]): r["models"] for r in rows} == pytest.approx(dict(want))


# -- Families: every growth window from the same parts --------------------------------------------------
def truth_families(sim: SimData, unlisted: bool) -> tuple[dict[str, list[str]], dict[str, str]]:
    """From the simulator's truth alone: each model's groups, and each root's group (roots that
    are not on the Hub included). ``unlisted``: such a root is "(parent not on the Hub)" unless
    the registry names its family, as in the app."""
    truth = sim.truth
    named = {rule.family for rule in default_registry().rules}
    root_family = {m: t["families"][0] for m, t in truth.items() if not t["parents"]}
    changed = True
    while changed:  # a parent not on the Hub: the family its descendants owe to it alone
        changed = False
        for t in truth.values():
            unknown = [r for r in t["roots"] if r not in root_family]
            rest = set(t["families"]) - {root_family[r] for r in t["roots"] if r in root_family}
            if len(unknown) == 1 and len(rest) == 1:
                root_family[unknown[0]] = rest.pop()
                changed = True
    if unlisted:
        for r, f in list(root_family.items()):
            if r not in truth and f not in named:
                root_family[r] = NOT_ON_HUB
    groups = {m: sorted({root_family[r] for r in t["roots"]}) for m, t in truth.items()}
    return groups, root_family


@pytest.mark.parametrize("unlisted", [False, True], ids=["cli", "app"])
def test_family_table_equals_the_truth_for_every_growth_window(
    lin: Lineage, sim20k: SimData, unlisted: bool
) -> None:
    items = {i["id"]: i for i in sim20k.items}
    truth = sim20k.truth
    groups, root_family = truth_families(sim20k, unlisted)
    derived = [m for m, t in truth.items() if t["parents"]]
    when = {m: int(np.datetime64(truth[m]["created_at"][:19], "s").astype(np.int64)) for m in derived}
    dated = {m: w for m, w in when.items() if not truth[m]["legacy"]}
    end = max(dated.values()) + 1
    models: dict[str, float] = defaultdict(float)
    downloads: dict[str, float] = defaultdict(float)
    bases: dict[str, int] = defaultdict(int)
    mix: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(RELATIONS, 0.0))
    for m in truth:
        for f in groups[m]:
            downloads[f] += items[m]["downloads"] / len(groups[m])
    for f in root_family.values():
        bases[f] += 1
    for m in derived:
        for f in groups[m]:
            models[f] += 1 / len(groups[m])
            for _, relation in truth[m]["parents"]:
                mix[f][relation] += 1 / len(groups[m]) / len(truth[m]["parents"])
    parts = family_parts(lin, unlisted=unlisted)
    for window in (7, 30, 365):
        new: dict[str, float] = defaultdict(float)
        before: dict[str, float] = defaultdict(float)
        for m, w in dated.items():
            for f in groups[m]:
                if end - window * 86400 <= w < end:
                    new[f] += 1 / len(groups[m])
                elif end - 2 * window * 86400 <= w < end - window * 86400:
                    before[f] += 1 / len(groups[m])
        rows = parts.table(top=None, window_days=window).rows
        got = {r["group"]: r for r in rows if r["derivatives"]}
        assert set(got) == set(models)
        for f, count in models.items():
            row = got[f]
            assert row["derivatives"] == pytest.approx(count)
            assert row["base_models"] == bases[f]
            assert row["downloads_30d"] == pytest.approx(downloads[f])
            assert row["new_last_window"] == pytest.approx(new[f], abs=1e-9)
            if before[f]:
                assert row["growth"] == pytest.approx(new[f] / before[f] - 1)
            else:
                assert row["growth"] is None
            for r in RELATIONS:
                assert row[f"{r}_share"] == pytest.approx(mix[f][r] / count, abs=1e-9)
        order = sorted(models, key=lambda f: (-round(models[f], 6), f))  # ties by name
        assert [r["group"] for r in rows if r["derivatives"]] == order
    regions = {r["group"]: r["region"] for r in parts.table(top=None).rows}
    assert regions["Qwen"] == "china" and regions["Llama"] == "us"


# -- periods and cells -----------------------------------------------------------------------------------
def calendar_label(t: int, period: str) -> str:
    d = datetime.fromtimestamp(t, tz=UTC).date()
    if period == "week":
        iso = d.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return {"month": f"{d.year}-{d.month:02d}", "quarter": f"{d.year}-Q{(d.month - 1) // 3 + 1}"}.get(
        period, str(d.year)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 7_258_118_400), min_size=1, max_size=40), st.sampled_from(PERIODS))
def test_period_codes_follow_the_calendar(times: list[int], period: str) -> None:
    """Spans of a few days to two centuries: the per-day table and the direct conversion."""
    codes, labels = _period_labels(np.array(times, dtype=np.int64), period)
    assert [labels[int(c)] for c in codes] == [calendar_label(t, period) for t in times]
    assert labels == sorted(set(labels))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 1000)), min_size=1, max_size=120), st.booleans()
)
def test_cell_sums_equal_a_sum_per_cell(entries: list[tuple[int, int]], narrow: bool) -> None:
    """A narrow range (counted densely) and a wide one (the packed sort)."""
    keys = np.array([k % 40 if narrow else k for k, _ in entries], dtype=np.int64)
    weights = np.array([w / 8 for _, w in entries], dtype=float)
    cells, (sums,) = cell_sums(keys, [weights])
    want: dict[int, float] = defaultdict(float)
    for k, w in zip(keys.tolist(), weights.tolist(), strict=True):
        want[k] += w
    assert cells.tolist() == sorted(want)
    assert sums.tolist() == pytest.approx([want[k] for k in sorted(want)])


# -- ids and counts -------------------------------------------------------------------------------------
def test_an_exact_look_up_does_not_fall_back_to_another_letter_case() -> None:
    ids = IdColumn.build(["Qwen/Qwen3-8B", "a/b", "Zed/M"])
    assert ids.find("qwen/qwen3-8b") == 0 and ids.find("qwen/qwen3-8b", exact=True) is None
    assert ids.find("Zed/M", exact=True) == 2 and ids.find("zed/m") == 2 and ids.find("nope") is None


def test_the_app_counts_live_models_like_the_store_when_some_are_deleted(
    sim5k: SimData, tmp_path: Path
) -> None:
    from lineage.app import data

    path = tmp_path / "s.sqlite"
    clock = FakeClock(start=1_795_000_000.0)
    with SimHub(sim5k.items, clock=clock) as hub:
        crawl(path, hub.url, clock)
        for item in sim5k.items[100:103]:
            hub.delete(item["id"])
        assert crawl(path, hub.url, clock, mode="full").deleted == 3
    Lineage.load(path)  # writes the snapshot, as `lineage crawl` does
    with open_store(path, readonly=True) as store:
        expected = store.count_models()
        assert snapshot.open_snapshot(store).deleted.sum() == 3  # up to date, so the app uses it
    stat = os.stat(path)
    info = data._store_info(str(path), (str(path), stat.st_dev, stat.st_ino, ("deleted",)), -1)
    assert info["models"] == expected == len(sim5k.items) - 3


# -- the app server's start -----------------------------------------------------------------------------
def test_the_app_server_keeps_freed_memory_where_libc_is_glibc() -> None:
    import platform
    import subprocess
    import sys

    code = "from lineage.app.launch import keep_freed_memory; print(keep_freed_memory())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(platform.libc_ver()[0] == "glibc")


def test_preloading_waits_for_the_server_before_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage.app import launch

    done: list[str] = []
    monkeypatch.setattr(launch, "_import", done.append)
    monkeypatch.setattr(launch, "RUNTIME_WAIT", 0.1)
    launch.preload(("json",), ("lineage.app.explore",))  # no Streamlit runtime in this process
    assert done == []  # nothing imported (a page run imports what it needs)
    monkeypatch.setattr(launch, "_serving", lambda runtime: True)
    launch.preload(("json",), ("lineage.app.explore",))
    assert done == ["json", "lineage.app.explore"]


def test_a_hub_tree_reads_only_the_ids_it_can_show() -> None:
    """The 40,000 children of a hub were all decoded to break download ties (100 MB of the id
    column paged in at 3M models, over the 300 MB target); now only the tied candidates are."""
    from lineage.render.tree import render_tree

    kids = [f"u{k:04d}/m" for k in range(2000)]
    lin = Lineage.from_edges(
        [("base/hub", kid, "adapter" if k % 3 else "finetune") for k, kid in enumerate(kids)]
    )
    lin.downloads = np.array([0 if m == "base/hub" else 5 + int(m[1:5]) % 7 for m in lin.ids], dtype=np.int64)
    read: list[int] = []
    ids = lin.ids

    class Counting(list[str]):
        def __getitem__(self, k: Any) -> Any:
            read.append(k)
            return ids[k]

    lin.ids = Counting(ids)
    text = render_tree(lin, lin.find("base/hub"), up=0, down=1, max_children=3, counts=False)
    top = sorted(kids, key=lambda m: (-(5 + int(m[1:5]) % 7), m))[:3]  # most downloads, then by id
    assert [line.split("  ")[1] for line in text.splitlines()[1:4]] == top
    relation = {kid: "adapter" if k % 3 else "finetune" for k, kid in enumerate(kids)}
    rest = [relation[m] for m in kids if m not in top]
    mix = f"{rest.count('adapter'):,} adapter, {rest.count('finetune'):,} finetune"
    assert f"└── ... and 1,997 more ({mix})" in text
    assert len(read) < 2000 // 7 + 20  # the candidates tied at the cut, not every child


def test_a_tree_read_from_the_store_counts_ancestors_descendants_like_the_whole_graph(
    sim20k_store: Path, lin: Lineage
) -> None:
    """While the snapshot is out of date (a crawl running) ``lineage tree`` reads the model's
    family from the store: the same tree as the whole graph. An ancestor's descendant count
    was that of the family only (a merge's parent: "1 descendant" instead of 70)."""
    from lineage.render.tree import render_tree, tree_data

    hubs = np.argsort(-lin.out_degree, kind="stable")[:3].tolist()
    merges = np.flatnonzero(lin.in_degree > 1)[:3].tolist()
    with open_store(sim20k_store, readonly=True) as store:
        for node in [*hubs, *merges]:
            found = Lineage.around(store, lin.ids[node])
            assert found is not None
            part, centre = found
            assert len(part) < len(lin)  # the family, not the store
            for up, down in ((2, 2), (3, 1)):
                assert render_tree(part, centre, up=up, down=down, max_children=4) == render_tree(
                    lin, node, up=up, down=down, max_children=4
                )
            assert tree_data(part, centre, max_children=5) == tree_data(lin, node, max_children=5)


def test_groups_tied_but_for_float_noise_are_ranked_by_name() -> None:
    """0.1 + 0.2 is 0.30000000000000004: summed in another order, a tie became a win."""
    rows = [
        {"period": "2025-01", "group": "b", "models": 0.1, "share": 0.1},
        {"period": "2025-02", "group": "b", "models": 0.2, "share": 0.2},
        {"period": "2025-01", "group": "a", "models": 0.3, "share": 0.3},
    ]
    assert top_overall(rows, 1).groups == ["a", OTHER]
    assert group_order(rows) == ["a", "b"]


def test_an_empty_not_on_hub_group_neither_shows_nor_hides_the_others() -> None:
    """A grouping can name "(parent not on the Hub)" while the population has none of them
    (a date filter): it is no group of the chart, and the others are ranked as usual."""
    from lineage.analytics.cells import ShareData

    data = ShareData(
        ["2025-01"], ["a", NOT_ON_HUB, "b"], node=np.array([0, 1, 2]), group=np.array([0, 2, 2]),
        period_of=np.array([0, 0, 0]), per_model=np.array([1, 1, 1]), fractional=True,
        period_models=np.array([3.0]),
    )  # fmt: skip
    assert top_overall(data, 5).groups == ["b", "a"] and group_order(data) == ["b", "a"]
    assert top_overall(data, 1).groups == ["b", OTHER]


def test_a_crawl_committing_during_a_tree_read_never_mixes_two_store_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Lineage.around`` read the family, then each ancestor's descendant count in a read of
    its own: a crawl committing in between gave a count newer than the family. Both now come
    from one read transaction."""
    from helpers import build_store, ingest_items

    from lineage.store import Store

    def item(mid: str, base: str | None = None) -> dict[str, Any]:
        tags = [f"base_model:finetune:{base}"] if base else []
        return {"id": mid, "createdAt": "2025-01-01T00:00:00.000Z", "downloads": 1, "tags": tags}

    path = build_store(
        tmp_path / "s.sqlite",
        [
            item("base/root"),
            item("base/mid", "base/root"),
            item("x/leaf", "base/mid"),
            item("y/other", "base/root"),
        ],
    )
    read_family = Store.graph_columns_around

    def read_then_a_crawl_commits(self: Store, model_id: str) -> Any:
        found = read_family(self, model_id)
        with open_store(path) as writer:  # another process: a crawl adds a derivative of the root
            ingest_items(writer, [item("z/new", "base/root")], mode="incremental")
        return found

    monkeypatch.setattr(Store, "graph_columns_around", read_then_a_crawl_commits)
    with open_store(path, readonly=True) as store:
        found = Lineage.around(store, "x/leaf")
    assert found is not None
    part, _ = found
    assert part.known_descendants[part.find("base/root")] == 3  # mid, leaf, other: as the family was read
    with open_store(path, readonly=True) as store:
        assert store.descendant_count("base/root") == 4  # the crawl did commit
