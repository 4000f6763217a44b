"""``python -m lineage.app.launch run ENTRY [options]``: ``streamlit run``, with the first page's
imports done while the server starts.

Between starting the server and the first page run there is about 0.7 s in which the server
waits for the browser to load Streamlit's own code. The explorer's first page would then pay
about 0.5 s for imports (pandas, Streamlit's emoji table for the favicon, the page modules).
Here a background thread does them in that gap, so the first page only runs the page.
The imports start once Streamlit's runtime exists: not to slow the server's own start, and
because the page modules' cached functions expect the runtime.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

__all__ = ["main", "preload"]

log = logging.getLogger("lineage.app")

#: Imported at once (no Streamlit runtime needed).
LIBRARIES = ("pandas", "pyarrow", "streamlit.emojis", "lineage.analytics", "lineage.graph", "lineage.store")
#: Imported once the runtime exists (they define cached functions).
PAGES = ("lineage.app.data", "lineage.app.explore", "lineage.app.panel")
#: How long to wait for the runtime before giving up on the page modules.
RUNTIME_WAIT = 30.0


def preload(libraries: tuple[str, ...] = LIBRARIES, pages: tuple[str, ...] = PAGES) -> None:
    """Import ``libraries``, then ``pages`` once Streamlit's runtime exists. A failure is logged
    and left for the page run, which imports the module again and shows the error."""
    from streamlit import runtime

    deadline = time.monotonic() + RUNTIME_WAIT
    while not runtime.exists():  # after the server's own start (not to slow it down)
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    for name in (*libraries, *pages):
        _import(name)


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # pragma: no cover - the page run imports it again and reports it
        log.debug("preloading %s failed", name, exc_info=True)


def main() -> None:
    """Start the preloading thread, then Streamlit's command line (arguments from ``sys.argv``)."""
    threading.Thread(target=preload, name="lineage-preload", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")  # as `python -m streamlit`


if __name__ == "__main__":
    main()
