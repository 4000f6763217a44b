"""The Streamlit explorer, headless, through ``AppTest``: the Share, Families, Export and Data
quality pages, every page's state restored from a URL, and untrusted text everywhere."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from apptest import (
    BIG,
    app,
    explore,
    lin,
    models,
    param,
    summary,
    texts,
)
from streamlit.testing.v1 import AppTest

from lineage.analytics.view import ViewSpec
from lineage.app.text import md
from lineage.families import default_registry
from lineage.graph import Lineage
from lineage.records import RELATIONS

__all__ = ["app", "lin"]  # fixtures, imported


# -- Share -------------------------------------------------------------------------------------------------
def test_share_page_every_option(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    at = app(app_demo_store, "share")
    assert at.get("vega_lite_chart") and at.dataframe
    assert any(c.value.startswith("Method:") for c in at.caption)
    labels = {b.label for b in at.get("download_button")}
    assert labels == {"CSV", "JSON"}
    before = at.dataframe[0].value.shape
    for key, value in (
        ("period", "quarter"),
        ("by", "region"),
        ("population", "all"),
        ("attribution", "any"),
    ):
        at.selectbox(key=key).select(value).run()
        assert not at.exception, key
    assert at.dataframe[0].value.shape != before
    assert set(at.dataframe[0].value.columns) <= {
        "china", "us", "eu", "other", "unknown", "(other)", "(parent not on the Hub)"
    }  # fmt: skip
    assert "Attribution any" in next(c.value for c in at.caption if c.value.startswith("Method:"))
    at.date_input(key="from").set_value(date(2025, 1, 1)).run()
    at.date_input(key="to").set_value(date(2026, 6, 30)).run()
    periods = [p.removesuffix(" (partial)") for p in at.dataframe[0].value.index.tolist()]
    assert periods and all("2025-Q1" <= p <= "2026-Q2" for p in periods)
    at.multiselect(key="relation").set_value(["quantized", "merge"]).run()
    at.multiselect(key="pipeline").set_value([at.multiselect(key="pipeline").options[0]]).run()
    at.multiselect(key="library").set_value([at.multiselect(key="library").options[0]]).run()
    at.number_input(key="top").set_value(1).run()
    assert not at.exception
    at.date_input(key="from").set_value(date(2030, 1, 1)).run()
    assert "No models match" in texts(at) and not at.exception


def test_share_table_agrees_with_the_cli(app: Callable[..., AppTest], app_demo_store: Path) -> None:
    from click.testing import CliRunner

    from lineage.cli import cli

    at = app(app_demo_store, "share")
    at.number_input(key="top").set_value(3).run()
    table = at.dataframe[0].value  # share of new models (%), newest period first
    out = CliRunner().invoke(cli, ["share", "--store", str(app_demo_store), "--format", "json"])
    assert out.exit_code == 0, out.output
    every = json.loads(out.output)
    totals: dict[str, float] = {}
    for r in every:
        totals[r["group"]] = totals.get(r["group"], 0.0) + r["models"]
    named = {f.name for f in default_registry().families}
    top3 = sorted((g for g in totals if g in named), key=lambda g: -totals[g])[:3]  # by hand
    assert [g for g in table.columns if g in named] == top3  # columns by overall size
    assert table.columns[-1] == "(other)" and len(table.columns) <= 3 + 2
    share = {(r["period"], r["group"]): r["share"] for r in every}
    periods = [p.removesuffix(" (partial)") for p in table.index]
    assert periods == sorted(periods, reverse=True)
    for period, (_, row) in zip(periods, table.iterrows(), strict=True):
        for g in top3:
            assert row[g] == pytest.approx(round(100 * share.get((period, g), 0.0), 1), abs=0.051)
        assert row.sum() == pytest.approx(100, abs=0.5)  # nothing lost in "(other)"


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
    assert table["group"].iloc[0] == "Qwen" and {"derivatives", "growth", "downloads_30d"} <= set(
        table.columns
    )
    assert table["derivatives"].dtype.kind == "i" and table["downloads_30d"].dtype.kind == "i"  # rounded
    at.slider(key="fam_top").set_value(5).run()
    assert len(at.dataframe[0].value) == 5
    at.number_input(key="window").set_value(30).run()
    assert "new (last 30 d)" not in at.dataframe[0].value.columns  # the label is a display name
    third = at.dataframe[0].value["group"].iloc[2]
    at.session_state["fa_table_family"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()  # selecting a table row picks that family
    assert at.selectbox(key="family").value == third
    at.selectbox(key="fam_by").select("region").run()
    assert set(at.dataframe[0].value["group"]) <= {
        "china",
        "us",
        "eu",
        "other",
        "unknown",
        "(parent not on the Hub)",
    }
    assert "fa_table_family" not in at.session_state  # the family's row is not ticked on a region
    at.selectbox(key="fam_by").select("family").run()
    at.selectbox(key="family").select("Llama").run()
    root = at.selectbox(key="base").options[0]
    at.selectbox(key="base").select(root).run()
    at.button(key="fa_open").click().run()
    assert not at.exception
    assert at.title[0].value == "Explore"
    assert param(at, "model") == root
    assert root in models(at)


# -- state in the URL ---------------------------------------------------------------------------------
def test_a_sent_link_restores_every_page(
    app: Callable[..., AppTest], app_demo_store: Path, lin: Lineage
) -> None:
    """Each page opened from a URL shows what the URL says (the browser test checks that the
    widgets write it there)."""

    def finetunes(node: int) -> list[str]:
        edges = lin.child_edges(node).tolist()
        return [
            lin.ids[int(lin.child[e])]
            for e in edges
            if lin.relation_labels[int(lin.relation[e])] == "finetune"
        ]

    child = lin.ids[max(lin.children(lin.index[BIG]).tolist(), key=lambda c: (len(finetunes(c)), -c))]
    assert len(finetunes(lin.index[child])) >= 2
    at = app(
        app_demo_store, model=BIG, node=child, list="children:finetune", down="1", up="0",
        rel=["finetune", "quantized"], min_dl="10", colour="relation", size="false", rows="1",
        find="ft", sort="likes, fewest first",
    )  # fmt: skip
    assert at.slider(key="down").value == 1 and at.slider(key="up").value == 0
    assert at.multiselect(key="rel").value == ["finetune", "quantized"]
    assert at.number_input(key="min_dl").value == 10 and at.radio(key="colour").value == "relation"
    assert at.toggle(key="size").value is False and at.slider(key="rows").value == 1
    assert at.selectbox(key="ex_node").value == child
    assert at.text_input(key="find").value == "ft" and at.selectbox(key="sort").value == "likes, fewest first"
    table = at.dataframe[1].value  # the panel's table: the child's direct finetunes matching "ft"
    expected = {m for m in finetunes(lin.index[child]) if "ft" in m.lower()}
    assert len(expected) >= 2 and set(table["model"]) == expected
    assert list(table["likes"]) == sorted(table["likes"])  # ascending, as asked

    at = app(
        app_demo_store, "share", period="quarter", by="region", population="all", attribution="any",
        top="2", focus=["china", "us"], values="new models",
    )  # fmt: skip
    assert at.selectbox(key="period").value == "quarter" and at.selectbox(key="by").value == "region"
    assert at.selectbox(key="attribution").value == "any" and at.number_input(key="top").value == 2
    assert list(at.dataframe[0].value.columns)[:2] in (["china", "us"], ["us", "china"])
    assert all("-Q" in p for p in at.dataframe[0].value.index)

    at = app(app_demo_store, "export", model=BIG, down="1", rel=["finetune"], scope="matched")
    finetunes = {
        int(lin.child[e])
        for e in lin.child_edges(lin.index[BIG])
        if lin.relation[e] == RELATIONS.index("finetune")
    }
    assert f"**{md(BIG)}**: 2 levels up, 1 down" in texts(at)
    assert at.radio(key="scope").value == "matched"
    assert any(f"all {len(finetunes) + 1:,} models" in str(c) for c in at.radio(key="scope").proto.captions)

    at = app(app_demo_store, "families", fam_by="region", fam_top="5", window="30", family="us")
    assert at.selectbox(key="fam_by").value == "region" and len(at.dataframe[0].value) <= 5
    assert at.selectbox(key="family").value == "us" and at.number_input(key="window").value == 30


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
    at.radio(key="scope").set_value("matched").run()
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
    graphml = _producer(graph, module, centre, spec, "matched", "graphml")()
    g = nx.read_graphml(io.BytesIO(graphml))
    assert set(g.nodes) == expected
    drawn = nx.read_graphml(io.BytesIO(_producer(graph, module, centre, spec, "drawn", "graphml")()))
    assert set(drawn.nodes) == {lin.ids[int(i)] for i in graph.view(centre, spec).nodes}
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
    at.radio(key="scope").set_value("matched").run()
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
        assert param(at, "model") == ids[key]
        assert md(ids[key]) in summary(at)  # shown escaped, as text
        page = at.get("iframe")[0].proto.srcdoc  # type: ignore[attr-defined]
        assert "<img src=x" not in page and "<script>alert(1)" not in page
        assert ids[key] in models(at)
    for page_name in ("share", "families", "quality"):
        at = app(path, page_name)
        assert not at.exception
    at = app(path, "share")
    at.selectbox(key="population").select("all").run()
    at.selectbox(key="by").select("org").run()
    assert ids["org_root"].split("/")[0] in at.dataframe[0].value.columns  # data, shown in a table
