"""Browser-test helpers: Debian's chromium driven by playwright, the app served by ``streamlit run``.

Needs ``/usr/bin/chromium`` (``make browser``); playwright never downloads a browser here.
``LINEAGE_SKIP_BROWSER=1`` skips the tests that use :func:`browser`. Screenshots, server logs and
timings go to ``test-artifacts/``.
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

import pytest

from lineage.app import streamlit_command

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


# The app is idle: its last script run has finished (Streamlit marks its root with the run
# state) and no status widget shows. The status widget alone is not enough: Streamlit shows it
# only some time after a run starts, so a page half drawn on a loaded machine looked idle.
IDLE = """() => document.querySelector("[data-testid=stApp]")?.getAttribute("data-test-script-state")
  === "notRunning" && !document.querySelector("[data-testid=stStatusWidget]")"""
# A selectbox (by label) shows a value.
SHOWS = """([label, v]) => [...document.querySelectorAll("[data-testid=stSelectbox] input")]
                             .some(i => i.getAttribute("aria-label") === label && i.value === v)"""
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
