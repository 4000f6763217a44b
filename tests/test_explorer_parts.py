"""The explorer's pure parts, against independent truth: colours, the top-N cut, partial
periods, the model panel's counts and tables, what a view draws and counts, the layout's label
spacing, pasted Hub URLs, and CSV numbers."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bigstore import BIG, BIG_CHILDREN, QWEN, QWEN_INSTRUCT, BigStore, big_store

from lineage.analytics import ShareQuery, share_table
from lineage.analytics.groups import NOT_ON_HUB
from lineage.analytics.panel import derivative_rows, derivatives, relation_counts, root_chains
from lineage.analytics.ranking import OTHER, partial_periods, top_overall
from lineage.analytics.textwidth import text_width
from lineage.analytics.view import FONT, ViewSpec, select_view
from lineage.app.layout import CENTRE_FONT, layout, model_label
from lineage.app.text import model_ref
from lineage.families import RegistryError, default_registry, load_registry
from lineage.graph import Lineage
from lineage.render import render
from lineage.render.palette import REGION_COLOURS, group_colour, hashed_colour

__all__ = ["big_store"]  # the fixture, imported


@pytest.fixture(scope="module")
def lin(big_store: BigStore) -> Lineage:
    return Lineage.load(big_store.path)


# -- colours ---------------------------------------------------------------------------------------
def test_a_family_keeps_its_colour_whatever_else_is_shown() -> None:
    reg = default_registry()
    named = [f for f in reg.families if f.colour]
    assert len(named) >= 20 and len({f.colour for f in named}) == len(named)  # distinct, fixed
    assert group_colour("Qwen") == group_colour("Qwen", "org") == "#7c3aed"  # the org of a family too
    assert group_colour("meta-llama", "org") == group_colour("Llama")
    assert [group_colour(r, "region") for r in REGION_COLOURS] == list(REGION_COLOURS.values())
    for name in ("someuser", "Llama + Qwen", "ghost-3"):  # hashed, hence stable across runs
        assert group_colour(name) == hashed_colour(name) and re.fullmatch(
            r"#[0-9a-f]{6}", hashed_colour(name)
        )
    assert len({hashed_colour(f"user{k}") for k in range(200)}) > 150  # spread out


def test_a_user_registry_can_set_and_override_colours(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('[[family]]\nname = "Qwen"\norgs = ["Qwen"]\ncolour = "#123456"\n'
                    '[[family]]\nname = "Mine"\norgs = ["me"]\ncolour = "#ABCDEF"\n')  # fmt: skip
    reg = load_registry(mine)
    assert group_colour("Qwen", registry=reg) == "#123456" and group_colour("Mine", registry=reg) == "#abcdef"
    assert group_colour("Llama", registry=reg) == group_colour("Llama")  # ours stay
    bad = tmp_path / "bad.toml"
    bad.write_text('[[family]]\nname = "X"\norgs = ["x"]\ncolour = "red"\n')
    with pytest.raises(RegistryError, match="colour"):
        load_registry(bad)


# -- Share: top N over the range, placeholder roots, partial periods ---------------------------------
def test_top_n_is_chosen_over_the_whole_range(lin: Lineage, big_store: BigStore) -> None:
    table = share_table(lin, ShareQuery(unlisted=True), downloads=True)
    totals: dict[str, float] = {}
    for r in table.rows:
        totals[r["group"]] = totals.get(r["group"], 0.0) + r["models"]
    top = top_overall(table.rows, 5)
    expected = sorted((g for g in totals if g != NOT_ON_HUB), key=lambda g: -totals[g])[:5]
    assert top.groups == [*expected, NOT_ON_HUB, OTHER]  # at most N + 2, whatever the periods
    assert not any(g.startswith("ghost-user") for g in totals)  # placeholder roots: one group
    periods = {r["period"] for r in table.rows}
    for p in periods:  # nothing lost: per period the cut rows add up to the full rows
        for field in ("models", "share", "downloads", "downloads_share"):
            full = sum(r[field] for r in table.rows if r["period"] == p)
            assert sum(r[field] for r in top.rows if r["period"] == p) == pytest.approx(full)
    assert top_overall(table.rows, 5, focus=["Qwen", "Gemma"]).groups[:2] == sorted(
        ["Qwen", "Gemma"], key=lambda g: -totals[g]
    )
    dl = {p: sum(r["downloads_share"] for r in table.rows if r["period"] == p) for p in periods}
    assert all(v == pytest.approx(1.0) for v in dl.values() if v)


def test_placeholder_roots_are_not_families_in_the_app_but_stay_so_in_the_cli(lin: Lineage) -> None:
    app = {r["group"] for r in share_table(lin, ShareQuery(unlisted=True)).rows}
    cli = {r["group"] for r in share_table(lin, ShareQuery()).rows}
    ghosts = {f"ghost-user{k}" for k in range(40)}
    assert NOT_ON_HUB in app and not ghosts & app
    assert ghosts <= cli and NOT_ON_HUB not in cli  # `lineage share` output unchanged


def test_partial_periods() -> None:
    assert partial_periods(["2025-09", "2025-10"], "month", as_of="2025-10-07") == ["2025-10"]
    assert partial_periods(["2025-09", "2025-10"], "month", as_of="2025-10-31") == []
    assert partial_periods(["2025-Q3", "2025-Q4"], "quarter", as_of="2025-10-07", since="2025-08-15") == [
        "2025-Q3",
        "2025-Q4",
    ]
    assert partial_periods(["2025-W40", "2025-W41"], "week", as_of="2025-10-07") == ["2025-W41"]
    assert partial_periods(["2024", "2025"], "year", as_of="2025-12-31") == []


# -- the model panel -----------------------------------------------------------------------------------
def test_panel_counts_equal_the_listing_items(lin: Lineage, big_store: BigStore) -> None:
    for model in (BIG, QWEN, QWEN_INSTRUCT):
        c = relation_counts(lin, lin.index[model])
        assert c.children == {r: len(m) for r, m in big_store.children(model).items()}, model
        deep = big_store.descendants(model)
        assert c.descendants == {r: len(m) for r, m in deep.items()}, model
        assert c.total_descendants == len(set().union(*deep.values()))
    assert relation_counts(lin, lin.index[BIG]).children == BIG_CHILDREN


def test_panel_tables_list_exactly_the_counted_models(lin: Lineage, big_store: BigStore) -> None:
    node = lin.index[BIG]
    for scope, truth in (("children", big_store.children(BIG)), ("descendants", big_store.descendants(BIG))):
        for rel, models in truth.items():
            d = derivatives(lin, node, scope, rel)
            assert {lin.ids[int(i)] for i in d.nodes} == models, (scope, rel)
    d = derivatives(lin, node, "children", "finetune")
    rows, matching, families = derivative_rows(lin, d, text="-FI-1", sort="downloads", limit=50)
    hits = [m for m in big_store.children(BIG)["finetune"] if "-fi-1" in m.lower()]
    assert matching == len(hits) and len(rows) == 50 and families == {"FLUX": len(d.nodes)}
    assert [r["downloads"] for r in rows] == sorted((r["downloads"] for r in rows), reverse=True)
    top = sorted((int(lin.downloads[lin.index[m]]) for m in hits), reverse=True)[:50]
    assert [r["downloads"] for r in rows] == top
    assert set(rows[0]) == {"model", "downloads", "likes", "created", "relation", "depth", "family"}
    rows, _, _ = derivative_rows(lin, derivatives(lin, lin.index[QWEN], "descendants"), sort="depth", limit=5)
    depth, frontier = 0, {QWEN}  # the depth of the deepest descendant, from the items
    while frontier:
        frontier = {c for c, links in big_store.parents.items() if any(p in frontier for p, _ in links)}
        depth += bool(frontier)
    assert [r["depth"] for r in rows] == [depth] * 5 and depth >= 3  # the deepest first


def test_chains_up_to_the_roots() -> None:
    lin = Lineage.from_edges(
        [("a", "b", "finetune"), ("b", "m", "merge"), ("c", "m", "merge"), ("x", "c", "adapter")]
    )
    chains = [[(lin.ids[n], r) for n, r in ch] for ch in root_chains(lin, lin.index["m"])]
    assert chains == [
        [("a", ""), ("b", "finetune"), ("m", "merge")],
        [("x", ""), ("c", "adapter"), ("m", "merge")],
    ]
    assert root_chains(lin, lin.index["a"]) == [[(lin.index["a"], "")]]


# -- what a view draws and counts ---------------------------------------------------------------------
def _within(lin: Lineage, node: int, depth: int, keep: Any = None) -> set[int]:
    """Descendants within ``depth`` by a plain BFS (``keep``: a node filter that prunes)."""
    seen, frontier = {node}, [node]
    for _ in range(depth):
        frontier = [int(c) for m in frontier for c in lin.children(m) if int(c) not in seen]
        frontier = [c for c in dict.fromkeys(frontier) if keep is None or keep(c)]
        seen.update(frontier)
    return seen - {node}


@pytest.mark.parametrize("model,down,rows", [(BIG, 2, 3), (BIG, 3, 1), (QWEN, 4, 2), (QWEN_INSTRUCT, 2, 6)])
def test_every_model_is_drawn_or_counted_once(lin: Lineage, model: str, down: int, rows: int) -> None:
    node = lin.index[model]
    view = select_view(lin, node, ViewSpec(down=down, rows=rows))
    truth = _within(lin, node, down)
    drawn = {int(v) for v, lvl in zip(view.nodes, view.level, strict=True) if lvl > 0}
    assert drawn <= truth and len(drawn) + sum(c.total for c in view.clusters if c.level > 0) == len(truth)
    assert view.descendants == len(truth) and len(drawn) <= 20 * rows * down
    assert all(c.direct > 0 and c.lines()[0].startswith(f"+{c.direct:,} ") for c in view.clusters)


def test_left_out_counts_add_up_over_all_depths(lin: Lineage) -> None:
    node = lin.index[QWEN]
    spec = ViewSpec(down=3, min_downloads=20)
    view = select_view(lin, node, spec)
    kept = _within(lin, node, 3, keep=lambda c: lin.downloads[c] >= 20)
    assert view.descendants == len(kept)
    assert view.filtered == len(_within(lin, node, 3)) - len(kept)  # not only direct children


def test_opening_a_cluster_draws_its_models(lin: Lineage) -> None:
    node = lin.index[BIG]
    view = select_view(lin, node, ViewSpec())
    box = next(c for c in view.clusters if c.relation == "finetune")
    opened = select_view(lin, node, ViewSpec(expand=((BIG, "finetune"),)))
    finetunes = {int(c) for c in lin.children(node)} & {
        int(lin.child[e])
        for e in lin.child_edges(node)
        if lin.relation_labels[int(lin.relation[e])] == "finetune"
    }
    before = len(set(view.nodes.tolist()) & finetunes)
    after = len(set(opened.nodes.tolist()) & finetunes)
    assert after > before + 3
    assert next(c for c in opened.clusters if c.relation == "finetune").direct == box.direct - (
        after - before
    )
    both = select_view(lin, node, ViewSpec(expand=((BIG, "finetune"), (BIG, "quantized"))))
    level_one = [(int(e), int(lvl)) for e, lvl in zip(both.via, both.level, strict=True) if lvl == 1]
    drawn = [lin.relation_labels[int(lin.relation[e])] for e, _ in level_one]
    quantized = sum(
        1 for e, lvl in zip(view.via, view.level, strict=True) if lvl == 1 and lin.relation[e] == 2
    )
    assert drawn.count("finetune") > before + 3 and drawn.count("quantized") > quantized + 3  # both opened


@pytest.mark.parametrize("model,down", [(BIG, 2), (QWEN, 4)])
def test_labels_are_spaced_by_their_width(lin: Lineage, model: str, down: int) -> None:
    node = lin.index[model]
    spec = ViewSpec(down=down)
    view = select_view(lin, node, spec)
    place = layout(lin, view, spec)
    boxes = []
    for v, (x, y) in place.models.items():
        centre = v == view.centre
        w = text_width(model_label(lin, v, centre), CENTRE_FONT if centre else FONT, bold=centre)
        boxes.append((x - w / 2, x + w / 2, y))
    for k, (x, y) in place.clusters.items():
        w = max(text_width(t, FONT) for t in view.clusters[k].lines())
        boxes.append((x - w / 2, x + w / 2, y))
    rows: dict[float, list[tuple[float, float]]] = {}
    for left, right, y in boxes:
        rows.setdefault(y, []).append((left, right))
    for row in rows.values():
        row.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(row)), row


# -- search and CSV ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed,ref",
    [
        ("https://huggingface.co/Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B/tree/main", "Qwen/Qwen2.5-7B"),
        ("huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json", "Qwen/Qwen2.5-7B"),
        ("https://hf.co/gpt2", "gpt2"),
        ("https://huggingface.co/gpt2/discussions", "gpt2"),
        ("https://huggingface.co/models/org/m?library=x#card", "org/m"),
        ("  qwen/QWEN2.5-7b ", "qwen/QWEN2.5-7b"),
        ("gguf", "gguf"),
    ],
)
def test_pasted_hub_urls(typed: str, ref: str) -> None:
    assert model_ref(typed) == ref


def test_csv_numbers_carry_no_float_noise_and_json_keeps_them(lin: Lineage) -> None:
    table = share_table(lin, ShareQuery(by="region"), downloads=True)
    text = render(table.rows, "csv", table.columns)
    for row in csv.DictReader(io.StringIO(text)):
        assert re.fullmatch(r"\d+(\.\d{1,3})?", row["models"]), row
        assert re.fullmatch(r"(0|1)(\.\d{1,6})?", row["share"]), row
        assert re.fullmatch(r"\d+", row["downloads"]), row
    rows = json.loads(render(table.rows, "json", table.columns))
    assert rows[0]["share"] == table.rows[0]["share"]  # full precision in JSON
    assert float(next(csv.DictReader(io.StringIO(text)))["share"]) == pytest.approx(
        rows[0]["share"], abs=1e-6
    )


def test_region_grouping_counts_unlisted_parents_once(lin: Lineage) -> None:
    table = share_table(lin, ShareQuery(by="region", unlisted=True))
    assert {r["group"] for r in table.rows} <= {*REGION_COLOURS, NOT_ON_HUB}
    weights = np.array([r["share"] for r in table.rows])
    assert weights.min() >= 0 and weights.max() <= 1
