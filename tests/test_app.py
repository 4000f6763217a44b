"""The Streamlit explorer, headless, through ``AppTest``: store states and the Explore page
(search, view options, the model panel), plus the pure drawing parts (subgraph selection, the
graph page, escaping).

Stores are built in the tests: a small simulated hub crawled through HTTP (``app_demo_store``)
and a hand-written store whose ids and card fields carry HTML/JS payloads (``xss_store``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from apptest import (
    BIG,
    ROOT,
    TIMEOUT,
    accounted,
    app,
    clusters,
    explore,
    graph_data,
    lin,
    models,
    param,
    summary,
    texts,
)
from streamlit.testing.v1 import AppTest

from lineage.analytics.panel import top_roots
from lineage.analytics.view import ViewSpec, family_labels, select_view
from lineage.app.network import build_network, legend, network_html
from lineage.app.text import hub_url, md
from lineage.families import default_registry
from lineage.graph import Lineage
from lineage.records import RELATIONS

__all__ = ["app", "lin"]  # fixtures, imported


# -- store states ------------------------------------------------------------------------------------
def test_missing_store_says_what_to_run(app: Callable[..., AppTest], tmp_path: Path) -> None:
    at = app(tmp_path / "nowhere.sqlite")
    text = texts(at) + "\n".join(c.value for c in at.code)
    assert "lineage crawl" in text and "lineage demo" in text
    assert not at.get("iframe")


def test_not_a_store_file(app: Callable[..., AppTest], tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database")
    at = app(bad)
    assert "not a lineage store" in texts(at)


def test_empty_store_says_what_to_run(app: Callable[..., AppTest], tmp_path: Path) -> None:
    from lineage.store import open_store

    path = tmp_path / "empty.sqlite"
    open_store(path).close()
    at = app(path)
    assert "holds no models" in texts(at) and "lineage crawl" in texts(at)


def test_simulated_banner_on_every_page(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    for page in (None, "share", "families", "export", "quality"):
        at = app(app_demo_store, page)
        assert any("SIMULATED" in w.value for w in at.warning), page


def test_no_banner_for_crawled_data(
    app: Callable[..., AppTest], xss_store: tuple[Path, dict[str, str]]
) -> None:
    at = app(xss_store[0])
    assert not any("SIMULATED" in w.value for w in at.warning)


def test_root_app_py_runs_the_same_app(monkeypatch: pytest.MonkeyPatch, app_demo_store: Path) -> None:
    monkeypatch.setenv("LINEAGE_STORE", str(app_demo_store))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Explore"


# -- Explore ---------------------------------------------------------------------------------------------
def test_first_page_suggests_popular_models(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store)
    pick = at.selectbox(key="ex_pick")
    assert pick.label == "Most downloaded models" and len(pick.options) >= 5
    assert not at.get("iframe")
    landing = at.dataframe[0].value  # the most downloaded models, as a table and a chart
    assert landing["model"].tolist() == pick.options[: len(landing)]
    assert at.get("vega_lite_chart")
    from lineage.app import data

    state = data.store_state(app_demo_store)
    data.graph_loader(state.path, state.key).result()  # type: ignore[arg-type]
    at.run()
    assert at.slider(key="down")  # the view options are there once the graph is loaded
    pick.select(pick.options[0]).run()
    assert param(at, "model") == pick.options[0]
    assert at.get("iframe")


def test_search_exact_id_draws_the_tree(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    at = app(app_demo_store)
    at.text_input(key="ex_query").set_value(BIG.lower()).run()  # letter case does not matter
    assert param(at, "model") == BIG
    nodes, edges = graph_data(at)
    centre = [n for n in nodes if n.get("model") == BIG]
    assert centre and centre[0]["relation"] == "centre"
    within = {lin.ids[i] for i in lin.descendants(lin.index[BIG], 2)}
    assert models(at) - {BIG} <= within | {lin.ids[i] for i in lin.ancestors(lin.index[BIG], 2)}
    assert accounted(at) == len(within)  # every descendant drawn or counted in a box
    assert [e for e in edges if "relation" in e] and all(
        e["relation"] in RELATIONS for e in edges if "relation" in e
    )
    assert f"{len(within):,} descendants within 2 levels" in summary(at)


def test_partial_text_opens_the_first_match_and_lists_the_others(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    at = app(app_demo_store)
    at.text_input(key="ex_query").set_value("qwen2").run()  # Enter
    pick = at.selectbox(key="ex_pick")
    assert pick.label == "Matching models" and len(pick.options) > 1
    assert all("qwen2" in o.lower() for o in pick.options)
    matches = [m for m in lin.ids if "qwen2" in m.lower() and not lin.placeholder[lin.index[m]]]
    most = max(matches, key=lambda m: (int(lin.downloads[lin.index[m]]), [-ord(c) for c in m]))
    assert param(at, "model") == most == pick.options[0]  # the most downloaded match, on Enter
    assert at.text_input(key="ex_query").value == "qwen2"  # the others stay listed beside
    pick.select(pick.options[1]).run()
    assert param(at, "model") == pick.options[1]
    assert at.text_input(key="ex_query").value == pick.options[1]
    assert pick.options[1] in models(at)


@pytest.mark.parametrize(
    "typed",
    [
        "https://huggingface.co/{id}",
        "https://huggingface.co/{id}/tree/main",
        "https://huggingface.co/{id}/blob/main/config.json?x=1",
        "  hf.co/{lower}  ",
        "{upper}",
    ],
)
def test_search_accepts_hub_urls_and_any_case(
    app: Callable[..., AppTest], app_demo_store: Path, typed: str
) -> None:
    at = app(app_demo_store)
    text = typed.format(id=BIG, lower=BIG.lower(), upper=BIG.upper())
    at.text_input(key="ex_query").set_value(text).run()
    assert param(at, "model") == BIG
    assert at.text_input(key="ex_query").value == BIG  # the id, as stored


def test_unknown_model_is_a_message_not_a_traceback(
    app: Callable[..., AppTest], app_demo_store: Path
) -> None:
    at = app(app_demo_store)
    at.text_input(key="ex_query").set_value("nobody/no-such-model-xyz").run()
    assert not at.exception
    assert "lineage crawl" in texts(at) and not at.get("iframe")
    at = app(app_demo_store, model="nobody/no-such-model-xyz")
    assert "is not in this store" in texts(at) and "lineage crawl" in texts(at)
    # A simulated store is not told to crawl (that would fetch huggingface.co into it).
    assert "This store is simulated: `lineage demo` builds a new one" in texts(at)
    # A typo in the name: the closest id of the owner is offered (before, none was).
    typo = BIG.replace("Qwen1.5", "Qwen1.6")
    at = app(app_demo_store, model=typo)
    assert f"Similar ids: {md(BIG)}" in texts(at), texts(at)
    pick = at.selectbox(key="ex_pick")  # not the unknown id offered as its own match
    assert pick.label == "Did you mean" and typo not in pick.options and BIG in pick.options
    # Typed in the search box: the similar ids are the options beside it.
    at = app(app_demo_store)
    at.text_input(key="ex_query").set_value(typo).run()
    pick = at.selectbox(key="ex_pick")
    assert pick.label == "Did you mean" and pick.options[0] == BIG, (pick.label, pick.options)
    assert "Pick one of the similar ids beside" in texts(at)
    # From an unknown id in the URL, another miss typed in the box: one warning, not two.
    at = app(app_demo_store, model=typo)
    at.text_input(key="ex_query").set_value("zzzzqqqq").run()
    assert md(typo) not in texts(at)  # (AppTest does not report a deleted query parameter)
    assert "No model id containing “zzzzqqqq”" in texts(at)


def test_an_unknown_model_s_similar_ids_are_worked_out_once_not_on_every_rerun(
    app: Callable[..., AppTest], app_demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every rerun of Explore on an unknown id compared it with the store again, twice (the
    search box and the warning): a LIKE scan of every id and difflib over the owner's ids,
    about half a second each at 3M models."""
    from lineage.store.reads import Reads

    calls: list[list[str]] = []
    real = Reads.suggest

    def counted(self: Reads, model_ids: list[str], limit: int = 8) -> list[str]:
        calls.append(list(model_ids))
        return real(self, model_ids, limit)

    monkeypatch.setattr(Reads, "suggest", counted)
    typo = BIG.replace("Qwen1.5", "Qwen1.7")  # asked by no other test: not cached yet
    at = app(app_demo_store, model=typo)
    assert f"Similar ids: {md(BIG)}" in texts(at), texts(at)
    first = len(calls)
    at.run()
    at.run()
    assert first >= 1 and len(calls) == first, calls
    assert f"Similar ids: {md(BIG)}" in texts(at)


def test_url_opens_a_model_and_a_node(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    child = lin.ids[int(lin.children(lin.index[BIG])[0])]
    at = app(app_demo_store, model=BIG, node=child)
    assert param(at, "model") == BIG
    assert at.selectbox(key="ex_node").value == child
    details = dict(zip(at.dataframe[0].value["field"], at.dataframe[0].value["value"], strict=True))
    assert BIG in details["Parents"] and md(child) in [h.value for h in at.subheader]  # the panel's title


def test_depth_changes_the_view(app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage) -> None:
    at = explore(app, app_demo_store)
    two = accounted(at)
    at.slider(key="down").set_value(1).run()
    one = models(at)
    children = {lin.ids[i] for i in lin.children(lin.index[BIG])}
    assert one - {BIG} <= children and accounted(at) == len(children) < two
    at.slider(key="down").set_value(0).run()
    assert models(at) == {BIG}
    child = lin.ids[int(lin.children(lin.index[BIG])[0])]
    at.text_input(key="ex_query").set_value(child).run()
    at.slider(key="up").set_value(0).run()
    assert models(at) == {child}
    at.slider(key="up").set_value(3).run()
    assert BIG in models(at)


def test_relation_filter(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = explore(app, app_demo_store)
    at.multiselect(key="rel").set_value(["quantized"]).run()
    nodes, edges = graph_data(at)
    assert {n["relation"] for n in nodes} <= {"centre", "quantized"}
    assert {e["relation"] for e in edges if "relation" in e} == {"quantized"}
    at.multiselect(key="rel").set_value([]).run()
    assert models(at) == {BIG}


def test_pipeline_date_and_download_filters(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    at = explore(app, app_demo_store)
    everything = accounted(at)
    tag = at.multiselect(key="tag").options[0]
    at.multiselect(key="tag").set_value([tag]).run()
    kept = models(at) - {BIG}
    assert accounted(at) < everything
    assert all(lin.pipeline_labels[lin.pipeline[lin.index[m]]] == tag for m in kept)
    at.multiselect(key="tag").set_value([]).run()

    at.number_input(key="min_dl").set_value(1000).run()
    kept = models(at) - {BIG}
    assert accounted(at) < everything and all(lin.downloads[lin.index[m]] >= 1000 for m in kept)
    within = len(lin.descendants(lin.index[BIG], 2))
    left_out = within - accounted(at)  # over all depths, not only direct children
    assert f"{left_out:,} descendants within 2 levels left out by the filters" in summary(at)
    at.number_input(key="min_dl").set_value(0).run()

    at.date_input(key="since").set_value(date(2026, 1, 1)).run()
    since = accounted(at)
    at.date_input(key="until").set_value(date(2026, 6, 30)).run()
    both = models(at) - {BIG}
    assert accounted(at) <= since < everything
    for m in both:
        created = str(lin.node_attributes(lin.index[m])["created_at"])[:10]
        assert "2026-01-01" <= created <= "2026-06-30"


def test_fewer_rows_draw_fewer_models_and_count_the_rest(
    app: Callable[..., AppTest], app_demo_store: Path
) -> None:
    at = explore(app, app_demo_store)
    total, drawn = accounted(at), len(models(at))
    at.slider(key="rows").set_value(1).run()
    assert len(models(at)) < drawn and accounted(at) == total
    boxes = clusters(at)
    assert boxes and all(re.fullmatch(r"\+[\d,]+ [\w ()·+-]+(\n\+[\d,]+ below)?", n["label"]) for n in boxes)
    assert "counted in" in summary(at)


def test_colour_size_and_legend(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    from lineage.render.palette import RELATION_COLOURS, group_colour

    at = explore(app, app_demo_store)
    nodes, _ = graph_data(at)
    assert all(
        n["color"] == group_colour(n["family"]) for n in nodes if "model" in n and n["relation"] != "centre"
    )
    at.radio(key="colour").set_value("relation").run()
    nodes, _ = graph_data(at)
    for n in nodes:
        if "model" in n and n.get("relation") in RELATION_COLOURS:
            assert n["color"] == RELATION_COLOURS[n["relation"]]
    at.toggle(key="size").set_value(False).run()
    sizes = {n["size"] for n in graph_data(at)[0] if "model" in n and n["relation"] != "centre"}
    assert sizes == {10.0}
    assert all("x" in n and "y" in n for n in graph_data(at)[0])  # laid out here, not by vis
    page = at.get("iframe")[0].proto.srcdoc  # type: ignore[attr-defined]
    assert '<aside id="lineage-legend">' in page and "finetune link" in page  # beside the canvas


def test_details_and_recentre(app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage) -> None:
    at = explore(app, app_demo_store)
    child = next(
        c for c in sorted(models(at)) if c != BIG and BIG in {lin.ids[p] for p in lin.parents(lin.index[c])}
    )
    at.selectbox(key="ex_node").select(child).run()
    assert param(at, "node") == child
    fields = dict(zip(at.dataframe[0].value["field"], at.dataframe[0].value["value"], strict=True))
    assert (
        at.selectbox(key="ex_node").value == child
        and fields["Family"] == "Qwen"
        and fields["Region"] == "china"
    )
    assert BIG in fields["Parents"]
    for key in ("Created", "Downloads 30 d", "Downloads, all", "Likes", "Pipeline tag"):
        assert key in fields
    assert not at.get("link_button")  # simulated ids are not on huggingface.co: no Hub link
    assert "not on huggingface.co" in texts(at)
    at.button(key="ex_recentre").click().run()
    assert param(at, "model") == child
    assert at.button(key="ex_recentre").disabled  # already the centre


def test_crawled_models_link_to_the_hub(
    app: Callable[..., AppTest], xss_store: tuple[Path, dict[str, str]]
) -> None:
    path, ids = xss_store
    at = app(path, model=ids["base"])
    assert at.get("link_button")[0].proto.url == hub_url(ids["base"])  # type: ignore[attr-defined]
    listing = [m.value for m in at.markdown if "huggingface.co/models?other=" in m.value]
    assert listing and "base_model%3Afinetune%3AQwen%2FQwen2.5-7B" in listing[0]


# -- pure parts ----------------------------------------------------------------------------------------------
def test_select_view_cap_and_filters() -> None:
    edges = [("base", f"q{k}", "quantized") for k in range(30)] + [
        ("base", f"f{k}", "finetune") for k in range(5)
    ]
    edges += [("f0", "f0-child", "merge"), ("top", "base", "finetune")]
    lin = Lineage.from_edges(edges)
    base = lin.index["base"]
    view = select_view(lin, base, ViewSpec(up=1, down=2, rows=1, width=300))
    assert view.ancestors == 1 and view.descendants == 36
    drawn_desc = int((view.level > 0).sum())
    assert 0 < drawn_desc < 36 and view.hidden_total == 36 - drawn_desc
    assert sum(c.total for c in view.clusters) == view.hidden_total  # every model drawn or counted
    assert set(view.level.tolist()) <= {-1, 0, 1, 2}
    drawn = set(view.nodes.tolist())
    assert all(int(lin.parent[e]) in drawn and int(lin.child[e]) in drawn for e in view.edges)
    view = select_view(lin, base, ViewSpec(up=0, down=2, relations=("finetune", "merge")))
    assert {lin.ids[i] for i in view.nodes} == {"base", "f0", "f1", "f2", "f3", "f4", "f0-child"}
    view = select_view(lin, base, ViewSpec(up=0, down=2, relations=("merge",)))
    assert [lin.ids[i] for i in view.nodes] == ["base"]
    view = select_view(lin, base, ViewSpec(up=1, down=2, follow_none=True))
    assert {lin.ids[i] for i in view.nodes} == {"base", "top"}


def test_network_page_is_offline_and_locked_down(xss_store: tuple[Path, dict[str, str]]) -> None:
    path, ids = xss_store
    lin = Lineage.load(path)
    view = select_view(lin, lin.index[ids["base"]], ViewSpec())
    page = network_html(build_network(lin, view, family_labels(lin, default_registry(), view.nodes)))
    assert "<link" not in page and "src=" not in page.split("<body>")[1].split("<script")[0]
    assert "cdn.jsdelivr.net" not in page and "cdnjs" not in page  # everything inline
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in csp.group(1) and "script-src 'nonce-" in csp.group(1)
    nonce = re.search(r"'nonce-([0-9a-f]+)'", csp.group(1)).group(1)  # type: ignore[union-attr]
    tags = re.findall(r"<script([^>]*)>", page.replace('"<script>"', ""))
    assert len(tags) == 2 and all(f'nonce="{nonce}"' in t for t in tags)
    assert "<img src=x" not in page and "<script>alert" not in page
    assert "popup.innerHTML" not in page  # pyvis' HTML tooltip template is never used
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page).group(1))  # type: ignore[union-attr]
    assert {ids["script"], ids["img"], ids["markdown"]} <= {n.get("model") for n in nodes}
    assert all(ids["script"] not in n["title"] or n["title"].startswith(ids["script"]) for n in nodes)


def test_legend_is_escaped() -> None:
    lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "a/ft", "finetune")])
    view = select_view(lin, 0, ViewSpec())
    evil = '"><img src=x onerror=alert(1)>'
    labels = [(evil, "unknown"), ("Qwen", "china")]
    page = network_html(build_network(lin, view, labels))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert [text for text, _, kind in legend(labels, "relation") if kind == "dot"] == list(RELATIONS)


def test_top_roots_by_org(lin: Lineage) -> None:
    roots = top_roots(lin, default_registry(), "org", per_group=3)
    assert roots["Qwen"] and all(lin.ids[r].startswith("Qwen/") for r in roots["Qwen"])
    assert all(len(v) <= 3 for v in roots.values())
