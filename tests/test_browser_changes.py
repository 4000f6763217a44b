"""The What changed page and Explore's licence view in a real browser, on a store crawled four
times from a simulated hub with known changes (test_diff's scenario).

* the What changed page renders from a URL with ``from``, ``to`` and ``by``; its counts are
  those of ``lineage diff --format json``; a control changed writes the URL, and a reload and a
  sent link restore it;
* Explore with ``colour=license`` draws the links whose derivative drops its base's terms in
  red (vis-network's own edge data, read from the iframe), exactly the links where the store's
  declared licences, classed by the licence table, drop the base's terms.

Screenshots at 1400 and 1024 pixels go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import orjson
import pytest
from browser import FRAME, IDLE, browser, serve, shot, wait_graph
from click.testing import CliRunner
from test_app_changes import COUNTS, diff_store

from lineage.cli import cli
from lineage.licenses import default_licenses, drops_terms
from lineage.render.palette import DRIFT_COLOUR, LICENSE_CLASS_COLOURS
from lineage.store import open_store

pytestmark = pytest.mark.browser
__all__ = ["browser", "diff_store"]  # fixtures, imported

METRICS = """() => Object.fromEntries([...document.querySelectorAll("[data-testid=stMetric]")].map(m =>
  [m.querySelector("[data-testid=stMetricLabel]").innerText.trim(),
   m.querySelector("[data-testid=stMetricValue]").innerText.trim()]))"""
GRAPH = f"""() => {{
  const w = document.querySelector("{FRAME}").contentWindow;
  return {{nodes: w.nodes.get(), edges: w.edges.get()}};
}}"""
LEGEND = f"""() => [...document.querySelector("{FRAME}").contentDocument
  .querySelectorAll("#lineage-legend li")].map(li => li.innerText)"""


@pytest.fixture(scope="module")
def app_url(diff_store: tuple[Path, Any, Path]) -> Iterator[str]:
    with serve(diff_store[0], "changes") as url:
        yield url


def ready(page: Any, text: str) -> None:
    page.get_by_text("Graph ready", exact=False).wait_for(timeout=60_000)
    page.get_by_text(text, exact=False).first.wait_for(timeout=60_000)
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_timeout(500)


def selected(page: Any, label: str) -> str:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    return str(box.locator("input").input_value())


def settle(page: Any, label: str, value: str, timeout: float = 30.0) -> None:
    """Wait until the selectbox ``label`` shows ``value`` (the page may take another script run
    to apply the URL on a loaded machine); the assertion after it says what it shows if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and selected(page, label) != value:
        page.wait_for_timeout(200)


def test_changes_page_renders_from_a_url_and_round_trips(
    browser: Any, app_url: str, diff_store: tuple[Path, Any, Path]
) -> None:
    path = diff_store[0]
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{app_url}/changes?from=1&to=2&by=region")
    ready(page, "From crawl #1 to crawl #2")
    settle(page, "Group by", "region")
    assert selected(page, "From crawl").startswith("#1 · full · ")
    assert selected(page, "To crawl").startswith("#2 · incremental · ")
    assert selected(page, "Group by") == "region"
    out = CliRunner().invoke(
        cli, ["diff", "--store", str(path), "--from", "1", "--to", "2", "--format", "json"]
    )
    counts = orjson.loads(out.output)["counts"]
    assert page.evaluate(METRICS) == {label: f"{counts[key]:,}" for label, key in COUNTS}
    page.get_by_test_id("stVegaLiteChart").first.locator("svg .role-mark").first.wait_for()
    shot(page, "changes-1400")
    page.set_viewport_size({"width": 1024, "height": 1600})
    page.wait_for_timeout(800)
    shot(page, "changes-1024")
    # A control changed: the URL follows; a reload and a sent link restore the page.
    page.get_by_test_id("stSelectbox").filter(has_text="To crawl").first.click()
    page.get_by_role(
        "option", name=page.get_by_role("option").filter(has_text="#4 ·").first.inner_text()
    ).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('to') === '4'")
    ready(page, "From crawl #1 to crawl #4")
    state = parse_qs(urlparse(page.url).query)
    assert {k: state[k] for k in ("from", "to", "by")} == {"from": ["1"], "to": ["4"], "by": ["region"]}
    want = page.evaluate(METRICS)
    page.reload()
    ready(page, "From crawl #1 to crawl #4")
    assert page.evaluate(METRICS) == want and selected(page, "Group by") == "region"
    sent = browser.new_page(viewport={"width": 1400, "height": 1600})
    sent.goto(f"{app_url}/changes?" + "&".join(f"{k}={quote(v[0])}" for k, v in state.items()))
    ready(sent, "From crawl #1 to crawl #4")
    assert sent.evaluate(METRICS) == want
    sent.close()
    page.close()


def _licences(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Each model's declared licence key and class, from the store's rows and the licence table."""
    table = default_licenses()
    keys, classes = {}, {}
    with open_store(path, readonly=True) as store:
        for mid in store.search_ids("", 10**6):
            row = store.model(mid) or {}
            lic, name = row.get("license"), row.get("license_name")
            keys[mid] = (f"other:{name}" if lic == "other" and name else lic) or "none"
            classes[mid] = table.classify(lic, name)
    return keys, classes


def test_explore_licence_view_draws_drift_links(
    browser: Any, app_url: str, diff_store: tuple[Path, Any, Path]
) -> None:
    path = diff_store[0]
    keys, classes = _licences(path)
    base = "black-forest-labs/FLUX.1-dev"  # non-commercial, with derivatives declaring mit, apache-2.0
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{app_url}/?model={quote(base, safe='')}&colour=license")
    ready(page, "descendants within")
    wait_graph(page, base)
    g = page.evaluate(GRAPH)
    ids = {n["id"]: n["model"] for n in g["nodes"] if "model" in n}
    for n in g["nodes"]:
        if "model" in n:
            colour = n["color"]["background"] if isinstance(n["color"], dict) else n["color"]
            assert colour == LICENSE_CLASS_COLOURS[classes[n["model"]]], n["model"]
    drift = []
    for e in g["edges"]:
        if e["from"] in ids and e["to"] in ids:
            parent, child = ids[e["from"]], ids[e["to"]]
            dropped = keys[parent] != keys[child] and drops_terms(classes[parent], classes[child])
            assert bool(e.get("drift")) == dropped, (parent, child)
            if dropped:
                drift.append(e)
                assert e["color"] == DRIFT_COLOUR and e["width"] == 3
                assert e["title"].endswith(f"declares {keys[child]}, base declares {keys[parent]}")
    assert drift, "FLUX.1-dev's view shows derivatives dropping its terms"
    legend = page.evaluate(LEGEND)
    assert f"drops its base's licence terms ({len(drift)})" in legend
    assert page.get_by_role("radio", name="license").is_checked()
    page.locator(FRAME).scroll_into_view_if_needed()
    shot(page, "explore-licence-1400")
    page.set_viewport_size({"width": 1024, "height": 1400})
    page.wait_for_timeout(800)
    shot(page, "explore-licence-1024")
    page.reload()
    ready(page, "descendants within")
    wait_graph(page, base)
    assert sum(1 for e in page.evaluate(GRAPH)["edges"] if e.get("drift")) == len(drift)
    assert json.dumps(parse_qs(urlparse(page.url).query).get("colour")) == '["license"]'
    page.close()
