"""The explorer end to end in a real browser: Debian's chromium driven by playwright.

``streamlit run`` serves the app on 127.0.0.1 over a store built in the test; the tests search a
model, check that vis-network really holds the nodes, click and double-click in the graph, change
a filter, download an export, and check that HTML/JS payloads in model ids and card fields show
as text and run nothing. Screenshots, the server log, the downloaded file and timings go to
``test-artifacts/``.

Needs ``/usr/bin/chromium`` (``make browser``); playwright never downloads a browser here.
``LINEAGE_SKIP_BROWSER=1`` skips these tests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
import pytest

from lineage.analytics.view import ViewSpec, select_view
from lineage.app import streamlit_command
from lineage.graph import Lineage

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIG = "Qwen/Qwen1.5-7B"  # as in test_app.py
FRAME = "iframe[title^='Lineage graph']"

# JS run in the app's page: the graph iframe is same-origin (srcdoc), so its globals are readable.
_GRAPH = f"""() => {{
  const f = document.querySelector("{FRAME}");
  const w = f && f.contentWindow;
  if (!w || !w.network || !w.nodes || !w.document.body.getAttribute("data-lineage-ready")) {{ return null; }}
  const all = w.nodes.get();
  const centre = all.find(n => n.relation === "centre");
  return {{count: w.network.body.data.nodes.length, models: all.filter(n => n.model !== undefined).length,
           centre: centre ? centre.model : null, relations: [...new Set(all.map(n => n.relation))]}};
}}"""


# The value of the details panel's model selectbox.
SELECTED = """([m]) => [...document.querySelectorAll("[data-testid=stSelectbox] input")]
                          .some(i => i.getAttribute("aria-label") === "Model" && i.value === m)"""
# A selectbox (by label) shows a value.
SHOWS = """([label, v]) => [...document.querySelectorAll("[data-testid=stSelectbox] input")]
                             .some(i => i.getAttribute("aria-label") === label && i.value === v)"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("LINEAGE_SKIP_BROWSER") == "1":
        pytest.skip("LINEAGE_SKIP_BROWSER=1: browser tests skipped")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium), "
            "or set LINEAGE_SKIP_BROWSER=1 to skip the browser tests"
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(store: Path, name: str) -> Iterator[str]:
    """``streamlit run`` the app on ``store`` (127.0.0.1, a free port); yields its URL."""
    port = _free_port()
    log_path = ARTIFACTS / f"{name}-streamlit.log"
    cmd = streamlit_command(port, "--server.fileWatcherType", "none")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, "LINEAGE_STORE": str(store)},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not answer within 60 s: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_graph(page: Any, centre: str, timeout: float = 30_000, **expect: Any) -> dict[str, Any]:
    """Wait until the drawn graph is centred on ``centre`` (and matches ``expect``); return its figures."""
    checks = " && ".join(f"g.{k} === {json.dumps(v)}" for k, v in expect.items()) or "true"
    page.wait_for_function(
        f"([c]) => {{ const g = ({_GRAPH})(); return !!g && g.centre === c && {checks}; }}",
        arg=[centre],
        timeout=timeout,
    )
    return page.evaluate(_GRAPH)  # type: ignore[no-any-return]


def node_point(page: Any, model: str) -> tuple[float, float]:
    """Viewport coordinates of ``model``'s node in the graph (scrolled into view)."""
    page.locator(FRAME).scroll_into_view_if_needed()
    pos = page.evaluate(
        f"""([m]) => {{
      const w = document.querySelector("{FRAME}").contentWindow;
      const id = w.nodes.get().find(n => n.model === m).id;
      const d = w.network.canvasToDOM(w.network.getPositions([id])[id]);
      const r = w.document.getElementById("mynetwork").getBoundingClientRect();
      return {{x: r.left + d.x, y: r.top + d.y}};
    }}""",
        [model],
    )
    box = page.locator(FRAME).bounding_box()
    assert 0 <= pos["x"] <= box["width"] and 0 <= pos["y"] <= box["height"], (model, pos, box)
    return box["x"] + pos["x"], box["y"] + pos["y"]


# Counts the app's finished script runs (Streamlit marks its root with the run state), so a
# test can wait for the run that an action started rather than sleep.
COUNT_RUNS = """
window.__lineageRuns = 0;
new MutationObserver((changes) => {
  for (const c of changes) {
    if (c.target.getAttribute("data-test-script-state") === "notRunning" && c.oldValue !== "notRunning") {
      window.__lineageRuns += 1;
    }
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ["data-test-script-state"]});
"""


def runs(page: Any) -> int:
    """Script runs the app has finished since the page was loaded."""
    return int(page.evaluate("() => window.__lineageRuns"))


def settled(page: Any, after: int, heading: str | None = None) -> None:
    """Wait until a script run after the ``after``-th has finished (and the page shows
    ``heading``), and every image in every frame has loaded or failed, so that an ``onerror``
    payload has had its chance to run. Conditions, not sleeps."""
    page.wait_for_function("([n]) => window.__lineageRuns > n", arg=[after])
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    if heading is not None:
        page.get_by_role("heading", name=heading, exact=True).wait_for()
    for frame in page.frames:
        frame.wait_for_function("() => [...document.images].every(img => img.complete)")


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


class Timer:
    def __init__(self) -> None:
        self.figures: dict[str, float] = {}

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.figures[label] = round(time.perf_counter() - start, 3)
        print(f"{label:<40} {self.figures[label]:7.3f} s", flush=True)


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
        assert "model=" + BIG.replace("/", "%2F") in page.url
        shot(page, "e2e-02-graph")

        child = lin.ids[int(max(lin.children(big).tolist(), key=lambda c: (len(lin.children(c)), c)))]
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
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=stStatusWidget]')"
                    " || !document.body.innerText.includes('Running')"
                )
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
                page.get_by_test_id("stVegaLiteChart").wait_for()
                assert page.get_by_test_id("stVegaLiteChart").count() == 1
            assert not page.get_by_test_id("stException").count(), name
            shot(page, f"security-{name.lower().replace(' ', '-')}")
            assert_clean(name)
