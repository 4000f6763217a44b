"""The explorer on a big simulated store, timed in a real browser (Debian chromium + playwright).

    python bench/bench_app.py [--models N] [--seed S] [--store PATH]

Builds (once, cached under bench/out/) a crawled simulated hub of N models (default 1,000,000),
starts ``streamlit run lineage/app/main.py`` on it, and measures with playwright:

* first page: from starting ``streamlit run`` to the Explore page rendered in chromium;
* graph ready: until the whole graph is loaded (in the background) and the default tables are
  prepared (the sidebar says "Graph ready");
* each interaction, from the action to its result on screen: search the biggest base (its
  tree drawn, its panel counted), open the table of all its descendants, open one of its
  clusters in place, search another model, paste a Hub URL, change the depth, change a filter,
  change the colouring (by relation, by licence class), click a node (its panel), double-click
  (re-centre), switch to every page (What changed included) and back, and change options on
  Share (bulk uploads included) and Families.

Figures are printed and written to bench/out/bench_app.json. The store is cached under
bench/out/ (``store-<N>-<seed>.sqlite``; copy one there to skip building it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, free_port, machine, simulated_store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FRAME = "iframe[title^='Lineage graph']"
GRAPH = f"""() => {{
  const f = document.querySelector("{FRAME}");
  const w = f && f.contentWindow;
  if (!w || !w.network || !w.nodes || !w.document.body.getAttribute("data-lineage-ready")) {{ return null; }}
  const all = w.nodes.get();
  const c = all.find(n => n.relation === "centre");
  return {{centre: c ? c.model : null, models: all.filter(n => n.model !== undefined).length,
           colour: c ? all.filter(n => n.model !== undefined && n.relation !== "centre").map(n => n.color)
                              .slice(0, 50).join() : ""}};
}}"""
IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


def wait_graph(page: Any, centre: str, models: int | None = None, timeout: float = 60_000) -> dict[str, Any]:
    cond = "true" if models is None else f"g.models === {models}"
    page.wait_for_function(
        f"([c]) => {{ const g = ({GRAPH})(); return !!g && g.centre === c && {cond}; }}",
        arg=[centre],
        timeout=timeout,
    )
    return page.evaluate(GRAPH)  # type: ignore[no-any-return]


def node_point(page: Any, model: str) -> tuple[float, float]:
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
    return box["x"] + pos["x"], box["y"] + pos["y"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", type=Path, help="Use this store instead of a simulated one.")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from lineage.analytics.view import ViewSpec, select_view
    from lineage.app import streamlit_command
    from lineage.graph import Lineage

    store = args.store or simulated_store(args.models, args.seed)
    print(f"machine: {machine()}\nstore: {store}", flush=True)
    lin = Lineage.load(store)
    hub = int(lin.out_degree.argmax())  # the model with the most derivatives
    mid_sized = [int(i) for i in lin.descendants(hub, 1).tolist() if 3 <= lin.out_degree[i] <= 40]
    small, other = mid_sized[:2]
    hub_id, small_id, other_id = lin.ids[hub], lin.ids[small], lin.ids[other]
    total = len(lin.descendants(hub))

    def drawn(node: int, **spec: Any) -> int:
        return len(select_view(lin, node, ViewSpec(**spec)).nodes)

    figures: dict[str, float] = {}

    def timed(label: str, action: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = action()
        figures[label] = took = time.perf_counter() - start
        print(f"{label:<48} {took:8.3f} s", flush=True)
        return out

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(OUT / "bench_app-streamlit.log", "w")  # noqa: SIM115 - closed after the server stops
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        proc = subprocess.Popen(
            streamlit_command(port, "--server.fileWatcherType", "none"),
            env={**os.environ, "LINEAGE_STORE": str(store), "LINEAGE_TIMING": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.05)
            page.goto(url)
            page.get_by_text("Most downloaded models", exact=True).wait_for(timeout=120_000)
            page.get_by_test_id("stVegaLiteChart").wait_for(timeout=120_000)  # the landing table and chart
            page.get_by_test_id("stDataFrame").wait_for(timeout=120_000)
            figures["first page (from `streamlit run`)"] = first = time.perf_counter() - start
            print(f"{'first page (from `streamlit run`)':<48} {first:8.3f} s", flush=True)
            page.get_by_text("Graph ready", exact=False).wait_for(timeout=300_000)
            figures["graph loaded + tables ready (background)"] = ready = time.perf_counter() - start
            print(f"{'graph loaded + tables ready (background)':<48} {ready:8.3f} s", flush=True)
            # The app reruns once the graph is in (the sidebar's view options appear): let it settle.
            page.get_by_role("slider", name="Descendant levels").wait_for(timeout=60_000)
            page.wait_for_function(IDLE)
            page.wait_for_timeout(1000)

            box = page.get_by_role("textbox", name="Model id", exact=True)

            def search(model: str, node: int, centre: str | None = None) -> None:
                box.fill(model)
                box.press("Enter")
                wait_graph(page, centre or model, drawn(node))

            timed(
                f"search the biggest base ({hub_id}, {lin.out_degree[hub]:,} children)",
                lambda: search(hub_id, hub),
            )
            page.locator(".st-key-pl_descendants_all button").first.wait_for(timeout=60_000)

            def table() -> None:
                page.locator(".st-key-pl_descendants_all button").first.click()
                page.get_by_role("heading", name=f"{total:,} descendants of").wait_for(timeout=60_000)
                page.get_by_test_id("stDataFrame").last.wait_for()
                page.wait_for_function(IDLE, timeout=60_000)

            timed(f"its panel: open the table of all {total:,} descendants", table)

            box_label = f"""() => {{ const f = document.querySelector("{FRAME}");
                const w = f && f.contentWindow;
                if (!w || !w.nodes) {{ return null; }}
                const c = w.nodes.get().find(n => n.cluster && n.expand);
                return c ? c.label : null; }}"""

            def expand() -> None:  # the box's count goes down: its models are drawn
                before = page.evaluate(box_label)
                page.evaluate(
                    f"""() => {{ const w = document.querySelector("{FRAME}").contentWindow;
                    const c = w.nodes.get().find(n => n.cluster && n.expand);
                    w.network.emit("doubleClick", {{nodes: [c.id], edges: []}}); }}"""
                )
                page.wait_for_function(
                    f"([b]) => {{ const l = ({box_label})(); return l !== null && l !== b; }}",
                    arg=[before],
                    timeout=60_000,
                )

            timed("double-click a cluster -> drawn in place", expand)
            timed(f"search another model ({small_id})", lambda: search(small_id, small))
            timed(
                "paste a Hub URL",
                lambda: search(f"https://huggingface.co/{other_id}/tree/main", other, other_id),
            )
            search(hub_id, hub)
            slider = page.get_by_role("slider", name="Descendant levels")

            def depth() -> None:
                slider.focus()
                slider.press("ArrowRight")
                wait_graph(page, hub_id, drawn(hub, down=3))

            timed("change depth (descendant levels 2 -> 3)", depth)

            def min_downloads() -> None:
                field = page.get_by_label("Minimum downloads (30 days)", exact=True)
                field.fill("1000")
                field.press("Enter")
                wait_graph(page, hub_id, drawn(hub, down=3, min_downloads=1000))

            timed("change a filter (min downloads 1000)", min_downloads)

            def colour() -> None:
                before = page.wait_for_function(  # once drawn (not while the iframe is redrawn)
                    f"() => {{ const g = ({GRAPH})(); return g ? g.colour : null; }}", timeout=60_000
                ).json_value()
                page.get_by_text("relation", exact=True).first.click()
                page.wait_for_function(
                    f"([b]) => {{ const g = ({GRAPH})(); return !!g && g.colour !== b; }}", arg=[before]
                )

            timed("colour by relation", colour)

            def licence() -> None:
                before = page.wait_for_function(  # once drawn (not while the iframe is redrawn)
                    f"() => {{ const g = ({GRAPH})(); return g ? g.colour : null; }}", timeout=60_000
                ).json_value()
                page.get_by_text("license", exact=True).first.click()
                page.wait_for_function(
                    f"([b]) => {{ const g = ({GRAPH})(); return !!g && g.colour !== b; }}", arg=[before]
                )

            timed("colour by licence class (drift links in red)", licence)
            child = lin.ids[int(select_view(lin, hub, ViewSpec(down=3, min_downloads=1000)).nodes[1])]

            def click() -> None:
                page.mouse.click(*node_point(page, child))
                page.wait_for_function(
                    """([m]) => [...document.querySelectorAll("[data-testid=stSelectbox] input")]
                    .some(i => i.getAttribute("aria-label") === "Model" && i.value === m)""",
                    arg=[child],
                )

            timed("click a node -> details", click)
            timed(
                "double-click a node -> re-centred",
                lambda: (page.mouse.dblclick(*node_point(page, child)), wait_graph(page, child)),
            )
            headings = {
                "Share": "Share of new models",
                "Families": "Families",
                "Export": "Export",
                "Data quality": "Data quality",
                "What changed": "What changed",
                "Explore": "Explore",
            }
            marks = {
                "Share": "stVegaLiteChart",
                "Families": "stVegaLiteChart",
                "Export": "stDownloadButton",
                "Data quality": "stMetric",
                "What changed": "stMetric",  # or, with fewer than two complete crawls, stCode
                "Explore": "stIFrame",
            }
            for name in ("Share", "Families", "Export", "Data quality", "What changed", "Explore"):

                def switch(name: str = name) -> None:
                    page.get_by_role("link", name=name).click()
                    page.get_by_role("heading", name=headings[name], exact=True).wait_for(timeout=60_000)
                    mark = page.get_by_test_id(marks[name])
                    if name == "What changed":
                        mark = mark.or_(page.get_by_test_id("stCode"))
                    mark.first.wait_for(timeout=60_000)
                    page.wait_for_function(IDLE, timeout=60_000)

                timed(f"switch page ({name})", switch)
            page.get_by_role("link", name="Share").click()
            page.get_by_test_id("stVegaLiteChart").first.wait_for()
            page.wait_for_function(IDLE)

            def period() -> None:
                page.get_by_test_id("stSelectbox").filter(has_text="Period").click()
                page.get_by_role("option", name="quarter", exact=True).click()
                page.wait_for_function("() => document.body.innerText.includes('-Q')", timeout=60_000)
                page.wait_for_function(IDLE, timeout=60_000)

            timed("Share: period month -> quarter", period)

            # Options whose tables are not prepared in the background: computed on the whole graph.
            def population() -> None:
                page.get_by_test_id("stSelectbox").filter(has_text="Population").click()
                page.get_by_role("option", name="all", exact=True).click()
                page.wait_for_function(
                    "() => document.body.innerText.includes('all models, roots included')", timeout=60_000
                )
                page.wait_for_function(IDLE, timeout=60_000)

            timed("Share: population all (computed on demand)", population)

            def bulk() -> None:
                page.get_by_test_id("stSelectbox").filter(has_text="Bulk uploads").click()
                page.get_by_role("option", name="exclude", exact=True).click()
                page.wait_for_function(
                    "() => document.body.innerText.includes('Bulk uploads exclude')", timeout=60_000
                )
                page.wait_for_function(IDLE, timeout=60_000)

            timed("Share: bulk uploads exclude (computed on demand)", bulk)
            page.get_by_role("link", name="Families").click()
            page.get_by_test_id("stVegaLiteChart").first.wait_for()
            page.wait_for_function(IDLE)

            def window() -> None:
                field = page.get_by_label("Growth window (days)", exact=True)
                field.fill("30")
                field.press("Enter")
                page.wait_for_function(
                    "() => document.body.innerText.includes('in the last 30 days')", timeout=60_000
                )
                page.wait_for_function(IDLE, timeout=60_000)

            timed("Families: growth window 30 days (computed on demand)", window)
            page.screenshot(path=str(OUT / "bench_app-share.png"), full_page=True)
        finally:
            proc.terminate()
            proc.wait(20)
            browser.close()
            log.close()
    result = {"machine": machine(), "models": len(lin), "store": str(store), "seconds": figures}
    (OUT / "bench_app.json").write_text(json.dumps(result, indent=2))
    interactions = {k: v for k, v in figures.items() if not k.startswith(("first", "graph"))}
    worst = max(interactions, key=interactions.__getitem__)
    print(
        f"\nfirst page {figures['first page (from `streamlit run`)']:.2f} s; slowest interaction: "
        f"{worst} {interactions[worst]:.2f} s"
    )


if __name__ == "__main__":
    main()
