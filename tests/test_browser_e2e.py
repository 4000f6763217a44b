"""The explorer end to end in a real browser: Debian's chromium driven by playwright.

``streamlit run`` serves the app on 127.0.0.1 over a store built in the test; the tests search a
model, check that vis-network really holds the nodes, click and double-click in the graph, change
a filter, download an export, and check that HTML/JS payloads in model ids and card fields show
as text and run nothing (in the graph, its legend, the model panel and its tables). Screenshots,
the server log, the downloaded file and timings go to ``test-artifacts/``.

Needs ``/usr/bin/chromium`` (``make browser``); playwright never downloads a browser here.
``LINEAGE_SKIP_BROWSER=1`` skips these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
import pytest
from browser import (
    ARTIFACTS,
    COUNT_RUNS,
    FRAME,
    IDLE,
    SELECTED,
    SHOWS,
    Timer,
    browser,
    node_point,
    runs,
    serve,
    settled,
    shot,
    wait_graph,
)

from lineage.analytics.view import ViewSpec, select_view
from lineage.graph import Lineage

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, imported

BIG = "Qwen/Qwen1.5-7B"  # as in test_app.py


def test_explore_filter_and_export(browser: Any, app_demo_store: Path) -> None:
    lin = Lineage.load(app_demo_store)
    big = lin.index[BIG]
    timer = Timer()
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with serve(app_demo_store, "e2e") as url:
        with timer("first page"):
            page.goto(url)
            page.get_by_text("Most downloaded models", exact=True).wait_for()
        assert page.get_by_text("SIMULATED data", exact=True).is_visible()
        shot(page, "e2e-01-first-page")

        with timer("search a model -> graph drawn"):
            box = page.get_by_role("textbox", name="Model id", exact=True)
            box.fill(BIG)
            box.press("Enter")
            expected = select_view(lin, big, ViewSpec())
            g = wait_graph(page, BIG, models=len(expected.nodes))
        assert g["count"] > 0 and g["models"] == len(expected.nodes)
        assert page.evaluate(f"""() => document.querySelector("{FRAME}").contentWindow.nodes.get()
                                 .some(n => n.model === {json.dumps(BIG)})""")
        assert page.evaluate("() => new URLSearchParams(location.search).get('model')") == BIG
        shot(page, "e2e-02-graph")

        drawn = [int(v) for v, lvl in zip(expected.nodes, expected.level, strict=True) if lvl == 1]
        child = lin.ids[max(drawn, key=lambda c: (len(lin.children(c)), c))]
        with timer("click a node -> details"):
            page.mouse.click(*node_point(page, child))
            page.wait_for_function(
                "([m]) => new URLSearchParams(location.search).get('node') === m", arg=[child]
            )
            page.wait_for_function(SELECTED, arg=[child])  # the details panel shows it
        shot(page, "e2e-03-node-details")

        with timer("double-click a node -> re-centred"):
            page.mouse.dblclick(*node_point(page, child))
            g = wait_graph(page, child)
        assert g["models"] == len(select_view(lin, lin.index[child], ViewSpec()).nodes)
        shot(page, "e2e-04-recentred")

        box.fill(BIG)
        box.press("Enter")
        wait_graph(page, BIG, models=len(expected.nodes))
        with timer("change a filter (min downloads)"):
            mindl = page.get_by_label("Minimum downloads (30 days)", exact=True)
            mindl.fill("1000")
            mindl.press("Enter")
            filtered = select_view(lin, big, ViewSpec(min_downloads=1000))
            g = wait_graph(page, BIG, models=len(filtered.nodes))
        assert len(filtered.nodes) < len(expected.nodes)
        shot(page, "e2e-05-filtered")

        with timer("change depth (descendant levels)"):
            slider = page.get_by_role("slider", name="Descendant levels")
            slider.focus()
            slider.press("ArrowLeft")
            one = select_view(lin, big, ViewSpec(down=1, min_downloads=1000))
            wait_graph(page, BIG, models=len(one.nodes))
        slider.press("ArrowRight")
        wait_graph(page, BIG, models=len(filtered.nodes))

        with timer("switch page (Export)"):
            page.get_by_role("link", name="Export").click()
            button = page.get_by_test_id("stDownloadButton").filter(has_text="graphml")
            button.wait_for()
        shot(page, "e2e-06-export")
        with timer("download GraphML"), page.expect_download() as download:
            button.click()
        path = ARTIFACTS / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix == ".graphml"
        g_ml = nx.read_graphml(path)
        assert set(g_ml.nodes) == {lin.ids[int(i)] for i in filtered.nodes}
        assert g_ml.number_of_edges() == len(filtered.edges)

        for name in ("Share", "Families", "Data quality"):
            with timer(f"switch page ({name})"):
                page.get_by_role("link", name=name).click()
                page.get_by_role("heading", name={"Share": "Share of new models"}.get(name, name)).wait_for()
                page.wait_for_function(IDLE)
            assert not page.get_by_test_id("stException").count(), name
            shot(page, f"e2e-07-{name.lower().replace(' ', '-')}")
    assert not errors, errors
    (ARTIFACTS / "e2e-timings.json").write_text(json.dumps(timer.figures, indent=2))


def test_payloads_show_as_text_and_run_nothing(browser: Any, xss_store: tuple[Path, dict[str, str]]) -> None:
    path, ids = xss_store
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(COUNT_RUNS)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def assert_clean(where: str) -> None:
        assert not dialogs, (where, dialogs)
        assert page.evaluate("() => window.__pwned") is None, where
        for frame in page.frames:
            assert frame.evaluate(
                "() => window.__pwned === undefined && !document.querySelector('img[src=\"x\"]')"
            ), (where, frame.url)

    with serve(path, "security") as url:
        for key in ("script", "img", "markdown"):
            payload = ids[key]
            page.goto(f"{url}/?model={quote(payload, safe='')}")
            wait_graph(page, payload)
            summary = page.get_by_test_id("stMarkdown").filter(has_text=payload)
            assert summary.count() >= 1, f"{key}: the id is not shown as text"
            page.mouse.move(*node_point(page, payload))
            tooltip = page.frame_locator(FRAME).locator("div.vis-tooltip")
            tooltip.wait_for(state="visible")
            assert payload in tooltip.inner_text()
            assert tooltip.locator(":not(br)").count() == 0  # plain text (innerText makes line breaks <br>)
            details = page.get_by_test_id("stDataFrame").first
            details.wait_for()
            settled(page, 0)  # the first run (the page was loaded fresh)
            shot(page, f"security-{key}")
            assert_clean(key)
        # The model panel, its table of derivatives and the graph's legend show them as text too.
        page.goto(f"{url}/?model={quote(ids['base'], safe='')}&list=children%3Aall")
        wait_graph(page, ids["base"])
        page.get_by_role("heading", name="direct children of").wait_for()
        counts = page.get_by_test_id("stMarkdown").filter(has_text="Derivatives:").first.inner_text()
        assert "3 direct" in counts  # the three payload ids
        legend = page.frame_locator(FRAME).locator("#lineage-legend").inner_text()
        assert ids["img"] not in legend and "Qwen (" in legend
        assert not page.locator("a[href^='javascript:']").count()
        shot(page, "security-panel-table")
        assert_clean("panel and table")
        page.goto(f"{url}/?model={quote(ids['org_root'], safe='')}")
        wait_graph(page, ids["org_root"])
        legend = page.frame_locator(FRAME).locator("#lineage-legend").inner_text()
        assert ids["org_root"].split("/")[0] in legend  # a payload family name, shown as text
        page.get_by_test_id("stMarkdown").filter(has_text="Lineage").first.wait_for()
        assert_clean("legend")
        # Suggestions list the payload ids as plain options.
        page.goto(url)
        box = page.get_by_role("textbox", name="Model id", exact=True)
        box.fill("evil/")
        box.press("Enter")
        page.get_by_text("Matching models", exact=True).wait_for()
        page.get_by_test_id("stSelectbox").filter(has_text="Matching models").click()
        option = page.get_by_role("option", name=ids["script"], exact=True)
        option.wait_for()
        shot(page, "security-suggestions")
        option.click()
        wait_graph(page, ids["script"])
        assert_clean("suggestions")
        for name, title in (
            ("Share", "Share of new models"),
            ("Families", "Families"),
            ("Data quality", None),
        ):
            before = runs(page)
            page.get_by_role("link", name=name).click()
            settled(page, before, title or name)
            if name == "Share":  # every new model, by org: a payload org is a group (legend, tooltips)
                for label, value in (("Population", "all"), ("Group by", "org")):
                    select = page.get_by_test_id("stSelectbox").filter(has_text=label)
                    select.click()
                    before = runs(page)
                    page.get_by_role("option", name=value, exact=True).click()
                    page.wait_for_function(SHOWS, arg=[label, value])
                    settled(page, before)
                page.get_by_test_id("stVegaLiteChart").first.wait_for()
                assert page.get_by_test_id("stVegaLiteChart").count() == 3  # a legend, two charts
                labels = page.evaluate(
                    "() => [...document.querySelectorAll('.role-legend-label text')].map(t => t.textContent)"
                )
                org = ids["org_root"].split("/")[0]
                assert any(x == org or (x.endswith("…") and org.startswith(x[:-1])) for x in labels)
            assert not page.get_by_test_id("stException").count(), name
            shot(page, f"security-{name.lower().replace(' ', '-')}")
            assert_clean(name)
