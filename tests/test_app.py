"""The Streamlit explorer, headless: every page and widget path through ``AppTest``, plus the
pure parts (subgraph selection, the pyvis page, escaping) directly.

Stores are built in the tests: a small simulated hub crawled through HTTP (``app_demo_store``)
and a hand-written store whose ids and card fields carry HTML/JS payloads (``xss_store``).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from streamlit.testing.v1 import AppTest

from lineage.analytics.view import ViewSpec, family_labels, select_view, top_roots
from lineage.app.network import build_network, legend, network_html
from lineage.app.text import hub_url, md
from lineage.families import default_registry
from lineage.graph import Lineage
from lineage.records import RELATIONS

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "lineage" / "app" / "main.py"
TIMEOUT = 60

# A Qwen base model with many derivatives (some quantized) in the simulated hub of app_demo_store.
BIG = "Qwen/Qwen1.5-7B"


# -- helpers ---------------------------------------------------------------------------------------
@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """``app(store, page=None, **query)``: a run AppTest of the entry script on ``store``."""

    def make(store: Path | str, page: str | None = None, **query: str) -> AppTest:
        monkeypatch.setenv("LINEAGE_STORE", str(store))
        at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
        at.query_params.update(query)
        at.run()
        if page is not None:
            at.switch_page(f"{page}.py").run()
        assert not at.exception, at.exception
        return at

    yield make


def graph_data(at: AppTest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vis nodes and edges in the Explore page's iframe."""
    frames = at.get("iframe")
    assert len(frames) == 1
    page = frames[0].proto.srcdoc  # type: ignore[attr-defined]
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page).group(1))  # type: ignore[union-attr]
    edges = json.loads(re.search(r"edges = new vis\.DataSet\((\[.*?\])\);", page).group(1))  # type: ignore[union-attr]
    return nodes, edges


def models(at: AppTest) -> set[str]:
    return {n["model"] for n in graph_data(at)[0] if "model" in n}


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "descendant" in m.value)


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def explore(app: Callable[..., AppTest], store: Path, model: str = BIG) -> AppTest:
    at = app(store)
    at.text_input(key="ex_query").set_value(model).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def lin(app_demo_store: Path) -> Lineage:
    return Lineage.load(app_demo_store)


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
    assert at.slider(key="ex_down")  # the view options are there once the graph is loaded
    pick.select(pick.options[0]).run()
    assert at.session_state["ex_centre"] == pick.options[0]
    assert at.get("iframe")


def test_search_exact_id_draws_the_tree(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    at = explore(app, app_demo_store, BIG.lower())  # letter case does not matter
    assert at.query_params["model"] == BIG
    nodes, edges = graph_data(at)
    centre = [n for n in nodes if n.get("model") == BIG]
    assert centre and centre[0]["relation"] == "centre"
    expected = {lin.ids[i] for i in lin.descendants(lin.index[BIG], 2)} | {BIG}
    assert models(at) == expected  # under the cap, everything within 2 levels is drawn
    assert edges and all(e["relation"] in RELATIONS for e in edges)
    assert "descendants within 2 levels" in summary(at)


def test_partial_text_suggests_matches(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store)
    at.text_input(key="ex_query").set_value("qwen2").run()
    pick = at.selectbox(key="ex_pick")
    assert pick.label == "Matching models" and pick.options
    assert all("qwen2" in o.lower() for o in pick.options)
    assert "ex_centre" not in at.session_state
    pick.select(pick.options[1]).run()
    assert at.session_state["ex_centre"] == pick.options[1]
    assert at.text_input(key="ex_query").value == pick.options[1]
    assert pick.options[1] in models(at)


def test_unknown_model_is_a_message_not_a_traceback(
    app: Callable[..., AppTest], app_demo_store: Path
) -> None:
    at = app(app_demo_store)
    at.text_input(key="ex_query").set_value("nobody/no-such-model-xyz").run()
    assert not at.exception
    assert "lineage crawl" in texts(at) and not at.get("iframe")
    at = app(app_demo_store, model="nobody/no-such-model-xyz")
    assert "is not in this store" in texts(at) and "lineage crawl" in texts(at)


def test_url_opens_a_model_and_a_node(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    child = lin.ids[int(lin.children(lin.index[BIG])[0])]
    at = app(app_demo_store, model=BIG, node=child)
    assert at.session_state["ex_centre"] == BIG
    assert at.selectbox(key="ex_node").value == child
    details = at.dataframe[0].value
    assert child in details["value"].tolist()


def test_depth_changes_the_view(app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage) -> None:
    at = explore(app, app_demo_store)
    two = models(at)
    at.slider(key="ex_down").set_value(1).run()
    one = models(at)
    assert one == {lin.ids[i] for i in lin.children(lin.index[BIG])} | {BIG}
    assert one < two
    at.slider(key="ex_down").set_value(0).run()
    assert models(at) == {BIG}
    child = lin.ids[int(lin.children(lin.index[BIG])[0])]
    at.text_input(key="ex_query").set_value(child).run()
    at.slider(key="ex_up").set_value(0).run()
    assert models(at) == {child}
    at.slider(key="ex_up").set_value(3).run()
    assert BIG in models(at)


def test_relation_filter(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = explore(app, app_demo_store)
    at.multiselect(key="ex_rel").set_value(["quantized"]).run()
    nodes, edges = graph_data(at)
    assert {n["relation"] for n in nodes} == {"centre", "quantized"}
    assert {e["relation"] for e in edges} == {"quantized"}
    at.multiselect(key="ex_rel").set_value([]).run()
    assert models(at) == {BIG}


def test_pipeline_date_and_download_filters(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    at = explore(app, app_demo_store)
    everything = models(at)
    tag = at.multiselect(key="ex_tags").options[0]
    at.multiselect(key="ex_tags").set_value([tag]).run()
    kept = models(at) - {BIG}
    assert kept < everything
    assert all(lin.pipeline_labels[lin.pipeline[lin.index[m]]] == tag for m in kept)
    at.multiselect(key="ex_tags").set_value([]).run()

    at.number_input(key="ex_mindl").set_value(1000).run()
    kept = models(at) - {BIG}
    assert kept < everything - {BIG} and all(lin.downloads[lin.index[m]] >= 1000 for m in kept)
    assert "left out by the filters" in summary(at)
    at.number_input(key="ex_mindl").set_value(0).run()

    at.date_input(key="ex_since").set_value(date(2026, 1, 1)).run()
    since = models(at) - {BIG}
    at.date_input(key="ex_until").set_value(date(2026, 6, 30)).run()
    both = models(at) - {BIG}
    assert both <= since < everything
    for m in both:
        created = str(lin.node_attributes(lin.index[m])["created_at"])[:10]
        assert "2026-01-01" <= created <= "2026-06-30"


def test_cap_summarises_the_rest(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = explore(app, app_demo_store)
    total = len(models(at))
    at.number_input(key="ex_cap").set_value(50).run()
    nodes, _ = graph_data(at)
    drawn = [n for n in nodes if "model" in n]
    assert len(drawn) == 50 < total
    more = [n for n in nodes if n.get("summary")]
    assert more and all(re.fullmatch(r"\+[\d,]+ \w+", n["label"]) for n in more)
    assert "Not drawn (limit 50)" in summary(at)


def test_colour_size_and_layout(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    from lineage.app.network import RELATION_COLOURS

    at = explore(app, app_demo_store)
    at.radio(key="ex_colour").set_value("relation").run()
    nodes, _ = graph_data(at)
    for n in nodes:
        if n.get("relation") in RELATION_COLOURS:
            assert n["color"] == RELATION_COLOURS[n["relation"]]
    at.toggle(key="ex_size").set_value(False).run()
    sizes = {n["size"] for n in graph_data(at)[0] if "model" in n and n["relation"] != "centre"}
    assert sizes == {10.0}
    at.selectbox(key="ex_layout").select("server").run()
    assert all("x" in n and "y" in n for n in graph_data(at)[0])
    at.selectbox(key="ex_layout").select("hierarchical").run()
    assert all("level" in n for n in graph_data(at)[0])
    page = at.get("iframe")[0].proto.srcdoc  # type: ignore[attr-defined]
    assert 'id="lineage-legend"' in page and "Qwen (" in page  # the colour legend, over the graph


def test_details_and_recentre(app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage) -> None:
    at = explore(app, app_demo_store)
    child = lin.ids[int(lin.children(lin.index[BIG])[0])]
    at.selectbox(key="ex_node").select(child).run()
    assert at.query_params["node"] == child
    fields = dict(zip(at.dataframe[0].value["field"], at.dataframe[0].value["value"], strict=True))
    assert fields["Model"] == child and fields["Family"] == "Qwen" and fields["Region"] == "china"
    assert BIG in fields["Parents"]
    for key in ("Created", "Downloads (30 days)", "Downloads (all time)", "Likes", "Pipeline tag"):
        assert key in fields
    link = at.get("link_button")[0]
    assert link.proto.url == hub_url(child)  # type: ignore[attr-defined]
    at.button(key="ex_recentre").click().run()
    assert at.session_state["ex_centre"] == child
    assert at.query_params["model"] == child
    assert at.button(key="ex_recentre").disabled  # already the centre


# -- Share -------------------------------------------------------------------------------------------------
def test_share_page_every_option(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store, "share")
    assert at.get("vega_lite_chart") and at.dataframe
    assert any(c.value.startswith("Method:") for c in at.caption)
    labels = {b.label for b in at.get("download_button")}
    assert labels == {"Download CSV", "Download JSON"}
    before = at.dataframe[0].value.shape
    for key, value in (("sh_period", "quarter"), ("sh_by", "region"), ("sh_pop", "all"), ("sh_attr", "any")):
        at.selectbox(key=key).select(value).run()
        assert not at.exception, key
    assert at.dataframe[0].value.shape != before
    assert set(at.dataframe[0].value.columns) <= {"china", "us", "eu", "other", "unknown", "(other)"}
    assert "Attribution any" in next(c.value for c in at.caption if c.value.startswith("Method:"))
    at.date_input(key="sh_since").set_value(date(2025, 1, 1)).run()
    at.date_input(key="sh_until").set_value(date(2026, 6, 30)).run()
    periods = at.dataframe[0].value.index.tolist()
    assert periods and all("2025-Q1" <= p <= "2026-Q2" for p in periods)
    at.multiselect(key="sh_rel").set_value(["quantized", "merge"]).run()
    at.multiselect(key="sh_tags").set_value([at.multiselect(key="sh_tags").options[0]]).run()
    at.multiselect(key="sh_libs").set_value([at.multiselect(key="sh_libs").options[0]]).run()
    at.number_input(key="sh_top").set_value(1).run()
    assert not at.exception
    at.date_input(key="sh_since").set_value(date(2030, 1, 1)).run()
    assert "No models match" in texts(at) and not at.exception


def test_share_downloads_match_the_cli(app_demo_store: Path, lin: Lineage) -> None:
    from click.testing import CliRunner

    from lineage.analytics import ShareQuery, share_table, top_groups
    from lineage.app.share import _downloads
    from lineage.cli import cli

    table = share_table(lin, ShareQuery(by="region"))
    csv_text, json_text = _downloads.__wrapped__(top_groups(table.rows, 10), table.columns)  # type: ignore[attr-defined]
    out = CliRunner().invoke(
        cli, ["share", "--store", str(app_demo_store), "--by", "region", "--top", "10", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(json_text) == json.loads(out.output)
    assert csv_text.splitlines()[0] == "period,group,models,share"


def test_share_custom_registry(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store, "share")
    toml = b'[[family]]\nname = "TongyiFamily"\norgs = ["Qwen"]\n'
    at.file_uploader(key="sh_registry").set_value(("mine.toml", toml, "application/toml")).run()
    assert "Using your registry" in texts(at)
    assert "TongyiFamily" in at.dataframe[0].value.columns
    at.file_uploader(key="sh_registry").set_value(
        ("bad.toml", b"[[family]]\nname = 3\n", "application/toml")
    ).run()
    assert "Your registry was not used" in texts(at) and not at.exception


# -- Families -----------------------------------------------------------------------------------------------
def test_families_page_and_click_through(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store, "families")
    table = at.dataframe[0].value
    assert table["group"].iloc[0] == "Qwen" and {"derivatives", "growth", "finetune_share"} <= set(
        table.columns
    )
    at.slider(key="fa_top").set_value(5).run()
    assert len(at.dataframe[0].value) == 5
    at.number_input(key="fa_window").set_value(30).run()
    assert "new (last 30 d)" not in at.dataframe[0].value.columns  # the label is a display name
    at.selectbox(key="fa_by").select("region").run()
    assert set(at.dataframe[0].value["group"]) <= {"china", "us", "eu", "other", "unknown"}
    at.selectbox(key="fa_by").select("family").run()
    third = at.dataframe[0].value["group"].iloc[2]
    at.session_state["fa_table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()  # selecting a table row picks that family
    assert at.selectbox(key="fa_group").value == third
    at.selectbox(key="fa_group").select("Llama").run()
    root = at.selectbox(key="fa_root").options[0]
    at.selectbox(key="fa_root").select(root).run()
    at.button(key="fa_open").click().run()
    assert not at.exception
    assert at.title[0].value == "Explore"
    assert at.session_state["ex_centre"] == root
    assert root in models(at)


# -- Export ------------------------------------------------------------------------------------------
def test_export_needs_a_view_first(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store, "export")
    assert "Open a model on the Explore page first" in texts(at)


def test_export_offers_every_format(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    from lineage.export import FORMATS  # type: ignore[import-not-found,unused-ignore]

    at = explore(app, app_demo_store)
    at.switch_page("export.py").run()
    assert not at.exception
    assert {b.label for b in at.get("download_button")} == set(FORMATS)
    at.radio(key="xp_scope").set_value("matched").run()
    assert {b.label for b in at.get("download_button")} == set(FORMATS)


def test_export_files_parse(app_demo_store: Path, lin: Lineage) -> None:
    from lineage.app import data
    from lineage.app.export import _producer, export_module

    module = export_module()
    assert module is not None, "lineage.export is missing"
    graph = data.Graph(lin, default_registry())
    spec = ViewSpec(down=1)
    centre = lin.index[BIG]
    expected = {lin.ids[i] for i in lin.children(centre)} | {BIG}
    graphml = _producer(graph, module, centre, spec, "drawn", "graphml")()
    g = nx.read_graphml(io.BytesIO(graphml))
    assert set(g.nodes) == expected
    assert all(d.get("relation") in RELATIONS for _, _, d in g.edges(data=True))
    for fmt in module.FORMATS:
        payload = _producer(graph, module, centre, spec, "drawn", fmt)()
        assert payload, fmt
        if fmt in ("csv", "parquet"):
            assert zipfile.ZipFile(io.BytesIO(payload)).namelist()


def test_export_too_many_models(
    app: Callable[..., AppTest], app_demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lineage.app.export as page

    monkeypatch.setattr(page, "MATCHED_MAX", 10)
    at = explore(app, app_demo_store)
    at.switch_page("export.py").run()
    at.radio(key="xp_scope").set_value("matched").run()
    assert "more than this page exports" in texts(at) and not at.get("download_button")


def test_graph_load_failure_is_a_message(
    app: Callable[..., AppTest], app_demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import lineage.app.data as data

    copy = tmp_path / "copy.sqlite"  # a store version of its own: no cached graph
    shutil.copy(app_demo_store, copy)

    def broken(*args: Any, **kwargs: Any) -> Lineage:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(data.Lineage, "load", broken)
    at = app(copy, model=BIG)
    assert "Could not load the lineage graph: disk on fire" in texts(at)
    assert "lineage crawl" in texts(at) and not at.exception


def test_export_unavailable_message(
    app: Callable[..., AppTest], app_demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lineage.app.export as page

    monkeypatch.setattr(page, "export_module", lambda: None)
    at = app(app_demo_store, "export")
    assert "Export is unavailable" in texts(at)


# -- Data quality ------------------------------------------------------------------------------------
def test_quality_page(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store, "quality")
    assert [m.label for m in at.metric] == ["Models", "Parent links", "Crawls", "Repairs and skips"]
    assert at.metric[0].value == "20,000"  # the models of app_demo_store
    repairs = at.dataframe[1].value
    assert {"kind", "count", "meaning", "examples"} <= set(repairs.columns) and len(repairs)
    assert "exact" in at.dataframe[2].value["resolution"].tolist()


# -- untrusted text ------------------------------------------------------------------------------------------
def test_payloads_are_escaped_everywhere(
    app: Callable[..., AppTest], xss_store: tuple[Path, dict[str, str]]
) -> None:
    path, ids = xss_store
    for key in ("script", "img", "markdown"):
        at = app(path, model=ids[key])
        assert at.session_state["ex_centre"] == ids[key]
        assert md(ids[key]) in summary(at)  # shown escaped, as text
        page = at.get("iframe")[0].proto.srcdoc  # type: ignore[attr-defined]
        assert "<img src=x" not in page and "<script>alert(1)" not in page
        assert ids[key] in models(at)
    for page_name in ("share", "families", "quality"):
        at = app(path, page_name)
        assert not at.exception
    at = app(path, "share")
    at.selectbox(key="sh_pop").select("all").run()
    at.selectbox(key="sh_by").select("org").run()
    assert ids["org_root"].split("/")[0] in at.dataframe[0].value.columns  # data, shown in a table


# -- pure parts ----------------------------------------------------------------------------------------------
def test_select_view_cap_and_filters() -> None:
    edges = [("base", f"q{k}", "quantized") for k in range(30)] + [
        ("base", f"f{k}", "finetune") for k in range(5)
    ]
    edges += [("f0", "f0-child", "merge"), ("top", "base", "finetune")]
    lin = Lineage.from_edges(edges)
    base = lin.index["base"]
    view = select_view(lin, base, ViewSpec(up=1, down=2, cap=10))
    assert len(view.nodes) == 10 and view.ancestors == 1 and view.descendants == 36
    assert view.hidden_total == 36 + 1 - 9 and sum(n for _, _, n in view.more) <= view.hidden_total
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
    assert "cdn.jsdelivr.net" not in page and "cdnjs" not in page  # everything inline
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in csp.group(1) and "script-src 'nonce-" in csp.group(1)
    nonce = re.search(r"'nonce-([0-9a-f]+)'", csp.group(1)).group(1)  # type: ignore[union-attr]
    tags = re.findall(r"(?m)^\s*<script([^>]*)>", page)
    assert tags and all(f'nonce="{nonce}"' in t for t in tags)
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
    page = network_html(build_network(lin, view, labels), legend(labels, "family"))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert [text for text, _ in legend(labels, "relation")][1:] == [
        f"{r} (link to its parent in view)" for r in RELATIONS
    ]


def test_top_roots_by_org(lin: Lineage) -> None:
    roots = top_roots(lin, default_registry(), "org", per_group=3)
    assert roots["Qwen"] and all(lin.ids[r].startswith("Qwen/") for r in roots["Qwen"])
    assert all(len(v) <= 3 for v in roots.values())
