"""Hostile Hub data in every page of the explorer, in a real Chromium (issue 14).

The store (:mod:`hostile`) carries ``<script>``, ``</script>``, ``<img onerror>``, ``<svg onload>``,
``javascript:`` URLs, Markdown links and images pointing at a local beacon server, KaTeX and
terminal escapes in model ids, namespaces and card fields. Every page and place that shows them
is loaded once; after the page has settled (every script run done, every image loaded or
failed) no payload may have run (``window.__pwned`` in any frame, a dialog), loaded anything (a
request to the beacon), or become an element or a link; and the text must still be shown,
escaped and readable: read from the DOM, the graph's data, the Vega tooltips, and what a table
gives its own "Download as CSV" (the grid itself is a canvas).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from browser import COUNT_RUNS, FRAME, SELECTED, browser, node_point, serve, settled, shot, wait_graph
from hostile import ESC, Beacon, Payloads, build_store
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lineage.app.text import hub_url

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, imported

# A table's "Download as CSV" writes through the File System Access API: capture what it writes.
CAPTURE_CSV = """
window.__csv = [];
window.showSaveFilePicker = async () => ({createWritable: async () => {
  const parts = [];
  return {write: async (d) => { parts.push(typeof d === "string" ? d : new TextDecoder().decode(d)); },
          close: async () => { window.__csv.push(parts.join("")); }};
}});
"""
# Elements and links a payload would have made, in one frame.
INJECTED = """([beacon]) => ({
  pwned: window.__pwned !== undefined,
  handlers: document.querySelectorAll("[onerror], [onload], [onclick], [onmouseover]").length,
  beaconRefs: [...document.querySelectorAll("[src], [href]")]
    .filter(e => (e.getAttribute("src") || e.getAttribute("href") || "").includes(beacon))
    .map(e => e.outerHTML.slice(0, 300)),
  links: [...document.querySelectorAll("a[href]")].map(a => a.href),
})"""


def visible(text: str) -> str:
    """How text with control characters must read: each as ``\\xNN``."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in text)


SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")


@dataclass
class Hostile:
    url: str
    p: Payloads
    beacon: Beacon


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    beacon = Beacon()
    payloads = Payloads(beacon.url)
    path = build_store(tmp_path_factory.mktemp("hostile") / "hostile.sqlite", payloads)
    try:
        with serve(path, "hostile") as url:
            yield Hostile(url, payloads, beacon)
    finally:
        beacon.close()


class Page:
    """A fresh page on the app, recording dialogs; :meth:`clean` checks that nothing ran."""

    def __init__(self, browser: Any, h: Hostile) -> None:
        self.h = h
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        self.page.add_init_script(COUNT_RUNS)
        self.page.add_init_script(CAPTURE_CSV)
        self.dialogs: list[str] = []
        self.hits = len(h.beacon.hits)  # the beacon's requests before this page
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, path: str, heading: str | None = None) -> Any:
        self.page.goto(self.h.url + path)
        settled(self.page, 0, heading)
        # The graph's arrival reruns the page once: wait for that run too.
        self.page.get_by_text("Graph ready", exact=False).wait_for()
        self.page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
        return self.page

    def clean(self, where: str) -> None:
        """No payload ran, loaded, or became an element or a link (in any frame)."""
        page, beacon = self.page, self.h.beacon.url
        settled_frames(page)
        assert not self.dialogs, (where, self.dialogs)
        assert not page.get_by_test_id("stException").count(), (where, "an exception is shown")
        for frame in page.frames:
            found = frame.evaluate(INJECTED, [beacon])
            assert not found["pwned"] and not found["handlers"] and not found["beaconRefs"], (where, found)
            odd = [u for u in found["links"] if not u.startswith((self.h.url, "https://huggingface.co/"))]
            assert not odd, (where, "links out of the app that are not the Hub's", odd)
        assert not self.h.beacon.hits[self.hits :], (where, self.h.beacon.hits[self.hits :])

    def table_csv(self, table: Any) -> str:
        """What a table (``stDataFrame``) gives its "Download as CSV": the text it shows."""
        before = self.page.evaluate("() => window.__csv.length")
        table.hover()
        table.get_by_role("button", name="Download as CSV").dispatch_event("click")
        self.page.wait_for_function("([n]) => window.__csv.length > n", arg=[before])
        return str(self.page.evaluate("() => window.__csv[window.__csv.length - 1]"))


def settled_frames(page: Any) -> None:
    for frame in page.frames:
        frame.wait_for_function("() => [...document.images].every(img => img.complete)")


@pytest.fixture
def app(browser: Any, hostile: Hostile) -> Iterator[Page]:
    page = Page(browser, hostile)
    yield page
    page.page.close()


def _model(h: Hostile, key: str, extra: str = "") -> str:
    return f"/?model={quote(h.p.ids[key], safe='')}{extra}"


def test_beacon_counts_a_request_made_from_the_page(app: Page, hostile: Hostile) -> None:
    """The detector works: a request from the page reaches the beacon (then the count restarts)."""
    page = app.open("/")
    page.evaluate("([u]) => fetch(u + '/probe', {mode: 'no-cors'}).catch(() => null)", [hostile.beacon.url])
    page.wait_for_function("() => true")
    for _ in range(50):
        if hostile.beacon.hits:
            break
        page.wait_for_timeout(100)
    assert hostile.beacon.hits == ["/probe"]
    hostile.beacon.hits.clear()


def test_closing_script_tag_in_graph_data_does_not_end_the_graph_script(app: Page, hostile: Hostile) -> None:
    """``</script>`` in an id embedded in the graph page's JSON: the page keeps its two script
    elements, vis-network gets every node, and the id is drawn as its full label."""
    h = hostile
    page = app.open(_model(h, "close"))
    wait_graph(page, h.p.ids["close"])
    srcdoc = page.locator(FRAME).get_attribute("srcdoc")
    assert srcdoc is not None and len(re.findall(r"</script[\s/>]", srcdoc, re.I)) == 2
    graph = page.frame_locator(FRAME)
    assert graph.locator("script").count() == 2
    assert graph.locator("body *:not(div, canvas, aside, ul, li, span, script)").count() == 0
    labels = page.evaluate(f"""() => document.querySelector("{FRAME}").contentWindow.nodes.get()
                               .map(n => [n.model, n.label])""")
    assert [h.p.ids["close"], h.p.ids["close"]] in labels  # the centre: its full id, as text
    shot(page, "hostile-graph-close-script")
    app.clean("graph with </script>")


@pytest.mark.parametrize("key", ["markdown", "katex", "img", "js_url"])
def test_markdown_in_a_centred_id_is_shown_not_rendered(app: Page, hostile: Hostile, key: str) -> None:
    """A Markdown link and image (to the beacon), KaTeX with ``\\href{javascript:}``, a
    ``:red[]`` directive, ``<img onerror>``: the view's summary and the panel's title show the
    id as typed, with no link, image, formula or colour made of it."""
    h = hostile
    mid = h.p.ids[key]
    page = app.open(_model(h, key))
    wait_graph(page, mid)
    summary = page.get_by_test_id("stMarkdown").filter(has_text="descendants within").first
    assert summary.inner_text().replace("\u2060", "").startswith(f"{mid}: ")
    assert summary.locator("a, img, svg, .katex, span[class*=color], [style*=color]").count() == 0
    headings = [t.replace("\u2060", "") for t in page.get_by_test_id("stHeading").all_inner_texts()]
    assert mid in headings
    assert page.locator(".katex, [data-testid=stMarkdown] img").count() == 0
    shot(page, f"hostile-explore-{key}")
    app.clean(f"explore centred on {key}")


def test_hostile_child_tooltips_and_edge_tooltips_are_plain_text(app: Page, hostile: Hostile) -> None:
    """Around a clean base, every payload child's tooltip (vis-network's div) shows its id as
    text with no element inside; the link of an unknown relation shows ``unknown``."""
    h = hostile
    page = app.open(_model(h, "base"))
    wait_graph(page, h.p.ids["base"])
    shot(page, "hostile-graph-children")
    tooltip = page.frame_locator(FRAME).locator("div.vis-tooltip")
    for key in ("script", "close", "img", "svg", "markdown", "katex", "esc", "traversal", "js_url"):
        mid = h.p.ids[key]
        page.mouse.move(*node_point(page, mid))
        page.frame_locator(FRAME).locator("div.vis-tooltip").filter(has_text=visible(mid)).wait_for()
        assert tooltip.locator(":not(br)").count() == 0, key
        assert tooltip.inner_text().splitlines()[0] == visible(mid), key
        page.mouse.move(1, 1)
    # The link to the payload-relation child: its tooltip is the mapped relation.
    (x1, y1), (x2, y2) = node_point(page, h.p.ids["base"]), node_point(page, h.p.ids["close"])
    page.mouse.move(x1 + (x2 - x1) * 0.55, y1 + (y2 - y1) * 0.55)
    tooltip.filter(has_text="unknown").wait_for()
    assert tooltip.inner_text().strip() == "unknown"
    assert tooltip.locator(":not(br)").count() == 0
    app.clean("graph children, node and edge tooltips")


def test_hostile_family_names_in_the_legend_are_text(app: Page, hostile: Hostile) -> None:
    """A root in a payload namespace is its own (fallback) family: the legend shows the name."""
    h = hostile
    for key, org in (("root_katex", h.p.org_katex), ("root_svg", h.p.org_svg)):
        page = app.open(_model(h, key))
        wait_graph(page, h.p.ids[key])
        legend = page.frame_locator(FRAME).locator("#lineage-legend")
        assert f"{org} (1)" in legend.inner_text().splitlines()
        assert legend.locator("li *:not(span.sw)").count() == 0
        app.clean(f"legend of {key}")
    shot(page, "hostile-graph-legend")


def test_box_of_parents_of_a_hostile_model_names_it_as_text(app: Page, hostile: Hostile) -> None:
    """One row per level: the payload model's twelve parents are counted in a box whose label
    and tooltip are text, the tooltip naming the payload model."""
    h = hostile
    mid = h.p.ids["merge"]
    page = app.open(_model(h, "merge", "&rows=1&up=1"))
    wait_graph(page, mid)
    boxes = page.evaluate(f"""() => document.querySelector("{FRAME}").contentWindow.nodes.get()
                              .filter(n => n.cluster).map(n => [n.id, n.label, n.title])""")
    assert boxes and all(label.startswith("+") for _, label, _ in boxes), boxes
    title = boxes[0][2]
    assert f"of {mid} not drawn" in title
    point = page.evaluate(
        f"""([id]) => {{
      const w = document.querySelector("{FRAME}").contentWindow;
      const d = w.network.canvasToDOM(w.network.getPositions([id])[id]);
      const r = w.document.getElementById("mynetwork").getBoundingClientRect();
      return [r.left + d.x, r.top + d.y];
    }}""",
        [boxes[0][0]],
    )
    box = page.locator(FRAME).bounding_box()
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    tooltip = page.frame_locator(FRAME).locator("div.vis-tooltip")
    tooltip.filter(has_text=mid).wait_for()
    assert tooltip.locator(":not(br)").count() == 0
    shot(page, "hostile-graph-box")
    app.clean("box of parents")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _download(page: Any, button: Any) -> Any:
    with page.expect_download() as download:
        button.click()
    return download.value


def test_panel_of_a_hostile_model_shows_every_card_field_as_text(app: Page, hostile: Hostile) -> None:
    """The panel of the model whose every card field is a payload: its title, the model picker,
    the details table (task, library, gated, licence ``other`` with its name), the Hub link, and
    an (empty) derivatives table whose CSV gets a plain file name."""
    h = hostile
    mid = h.p.ids["script"]
    page = app.open(_model(h, "script", "&list=children%3Aall"))
    wait_graph(page, mid)
    page.get_by_role("heading", name="direct children of").wait_for()
    headings = [t.replace("\u2060", "") for t in page.get_by_test_id("stHeading").all_inner_texts()]
    assert mid in headings and f"0 direct children of {mid}" in headings
    page.wait_for_function(SELECTED, arg=[mid])  # the model picker shows it
    details = {r["field"]: r["value"] for r in _csv(app.table_csv(page.get_by_test_id("stDataFrame").first))}
    for name, value in h.p.fields().items():
        assert (
            details[{"pipeline_tag": "Pipeline tag", "library_name": "Library"}.get(name, name.title())]
            == value
        )
    assert details["Parents"] == f"finetune of {h.p.ids['base']}"
    assert page.get_by_role("link", name="Open on the Hub").get_attribute("href") == hub_url(mid)
    shot(page, "hostile-panel")
    download = _download(page, page.get_by_test_id("stDownloadButton").filter(has_text="Download CSV"))
    assert SAFE_FILE.fullmatch(download.suggested_filename), download.suggested_filename
    shot(page, "hostile-panel")
    app.clean("panel of a hostile model")


def test_derivatives_table_of_hostile_ids_shows_them_and_links_only_to_the_hub(
    app: Page, hostile: Hostile
) -> None:
    """The clean base's table of its payload children: every id shown (control characters as
    ``\\xNN``), each linked to its Hub page; the Hub's listings linked by relation."""
    h = hostile
    page = app.open(_model(h, "base", "&list=children%3Aall"))
    wait_graph(page, h.p.ids["base"])
    page.get_by_role("heading", name="direct children of").wait_for()
    table = page.get_by_test_id("stDataFrame").nth(1)
    rows = _csv(app.table_csv(table))
    keys = ("script", "close", "img", "svg", "markdown", "katex", "esc", "traversal", "js_url")
    assert {visible(h.p.ids[k]) for k in keys} <= {r["model"] for r in rows}
    assert rows and "hub" in rows[0], rows[:1]
    for r in rows:
        assert r["hub"].startswith("https://huggingface.co/") and ":" not in r["hub"][8:]
    listings = page.locator("a[href^='https://huggingface.co/models?other=']")
    assert listings.count() >= 4  # finetune, adapter, quantized, merge
    download = _download(page, page.get_by_test_id("stDownloadButton").filter(has_text="Download CSV"))
    assert SAFE_FILE.fullmatch(download.suggested_filename), download.suggested_filename
    shot(page, "hostile-panel-table")
    app.clean("derivatives table")


def _options(page: Any, label: str, kind: str = "stMultiSelect") -> list[str]:
    """The options a multiselect or selectbox (by label) offers, as shown."""
    select = page.get_by_test_id(kind).filter(has_text=label)
    select.scroll_into_view_if_needed()
    for _ in range(3):  # a click while the page scrolls can miss: open it again
        select.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=3000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    texts = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return [str(t) for t in texts]


def test_share_shows_hostile_orgs_as_text_in_legend_tooltips_and_table(app: Page, hostile: Hostile) -> None:
    """Every new model by its root's org: payload namespaces are groups. The legend (SVG text),
    the Vega tooltips of the points, the table's columns and the task and library pickers
    show them as text."""
    h = hostile
    orgs = {h.p.org_img, h.p.org_svg, h.p.org_katex}
    page = app.open("/share?population=all&by=org&attribution=any", "Share of new models")
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.nth(2).locator(".mark-symbol path").first.wait_for()
    labels = charts.first.locator(".role-legend-label text").all_text_contents()
    assert all(_shown_or_cut(org, labels) for org in orgs), labels
    tooltip = page.locator("#vg-tooltip-element")
    points = charts.nth(1).locator(".mark-symbol path")
    for org in orgs:  # its point of a month with one of its models (Vega's aria-label names it)
        labels = points.evaluate_all("ps => ps.map(p => p.getAttribute('aria-label'))")
        k = next(k for k, a in enumerate(labels) if f"org: {org};" in a and "models: 0.000000%" not in a)
        page.mouse.move(1, 1)
        points.nth(k).hover(force=True)
        tooltip.filter(has_text=org).wait_for(state="visible")
        assert tooltip.locator("img, svg, script, a, iframe").count() == 0, org
    header = app.table_csv(page.get_by_test_id("stDataFrame").first).lstrip("\ufeff")
    assert orgs <= set(next(csv.reader(io.StringIO(header))))
    shot(page, "hostile-share")
    assert {h.p.img, h.p.katex} <= set(_options(page, "Pipeline tags"))
    assert {h.p.script, visible(ESC)} <= set(_options(page, "Libraries"))
    app.clean("share")


def _shown_or_cut(text: str, labels: list[str]) -> bool:
    """``text`` is one of ``labels``, whole or cut to the label width (``…``)."""
    return any(x == text or (x.endswith("…") and text.startswith(x[:-1])) for x in labels)


def test_families_shows_hostile_orgs_as_text_in_bars_table_and_pickers(app: Page, hostile: Hostile) -> None:
    """Families by org: the payload namespaces (roots without derivatives) are rows of the
    table and bars of the chart, shown as text; the pickers list a group, then its base models,
    among them the placeholder parent whose id is as odd as a valid id gets."""
    h = hostile
    orgs = {h.p.org_img, h.p.org_svg, h.p.org_katex}
    page = app.open("/families?fam_by=org&family=%28parent+not+on+the+Hub%29", "Families")
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.locator(".mark-rect path").first.wait_for()
    groups = {r["group"] for r in _csv(app.table_csv(page.get_by_test_id("stDataFrame").first))}
    assert orgs | {"Qwen"} <= groups, groups
    axis = chart.locator(".role-axis-label text").all_text_contents()
    assert all(_shown_or_cut(org, axis) for org in orgs), axis
    assert h.p.ids["placeholder"] in _options(page, "Base model", "stSelectbox")
    shot(page, "hostile-families")
    app.clean("families")


@pytest.mark.parametrize("key", ["traversal", "esc", "js_url", "close"])
def test_export_of_a_hostile_model_downloads_plainly_named_files(
    app: Page, hostile: Hostile, key: str
) -> None:
    """The Export page of a view centred on a payload id: the id shown as text, every format's
    file name plain ASCII (no path, no leading dot, no control or markup characters)."""
    h = hostile
    mid = h.p.ids[key]
    page = app.open(f"/export?model={quote(mid, safe='')}", "Export")
    text = page.get_by_test_id("stMarkdown").filter(has_text="Subgraph around").inner_text()
    assert f"Subgraph around {visible(mid)}:" in text.replace("\u2060", "")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stDownloadButton]').length >= 6")
    names = []
    buttons = page.get_by_test_id("stDownloadButton")
    for k in range(buttons.count()):
        name = _download(page, buttons.nth(k)).suggested_filename
        assert SAFE_FILE.fullmatch(name) and ".." not in name, name
        names.append(name)
    assert len(set(names)) == buttons.count() >= 6
    shot(page, f"hostile-export-{key}")
    app.clean(f"export of {key}")


def test_data_quality_shows_payload_repairs_as_text(app: Page, hostile: Hostile) -> None:
    """The repairs' examples (a payload as a date, as a relation, as declared parents, as model
    ids) are shown as text in the repairs table."""
    h = hostile
    page = app.open("/quality", "Data quality")
    repairs = {
        r["kind"]: r["examples"] for r in _csv(app.table_csv(page.get_by_test_id("stDataFrame").nth(1)))
    }
    assert f"createdAt='{h.p.img}'" in repairs["bad_date"].replace("\\'", "'")
    assert h.p.svg in repairs["unknown_relation"]
    assert h.p.md_image in repairs["invalid_id"] and h.p.script in repairs["invalid_id"]
    assert h.p.ids["traversal"] in repairs["unusual_model_id"]
    assert visible(h.p.ids["esc"]) in repairs["unusual_model_id"]  # terminal escapes, visible
    shot(page, "hostile-quality")
    app.clean("data quality")
