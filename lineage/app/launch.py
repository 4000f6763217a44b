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

import ctypes
import ctypes.util
import importlib
import logging
import threading
import time
from typing import Any

__all__ = ["keep_freed_memory", "main", "preload"]

log = logging.getLogger("lineage.app")

#: Libraries the first page needs.
LIBRARIES = ("pandas", "pyarrow", "streamlit.emojis", "lineage.analytics", "lineage.graph", "lineage.store")
#: The first page's modules (they define cached functions: they need the runtime).
PAGES = ("lineage.app.data", "lineage.app.explore", "lineage.app.panel")
#: How long to wait for the server before giving up on preloading.
RUNTIME_WAIT = 30.0


def preload(libraries: tuple[str, ...] = LIBRARIES, pages: tuple[str, ...] = PAGES) -> None:
    """Import ``libraries``, then ``pages``, once Streamlit's server has started. A failure is
    logged and left for the page run, which imports the module again and shows the error."""
    from streamlit import runtime

    deadline = time.monotonic() + RUNTIME_WAIT
    while not _serving(runtime):  # after the server's own start (not to slow it down)
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    for name in (*libraries, *pages):
        _import(name)


def _serving(runtime: Any) -> bool:
    """Whether Streamlit's runtime exists and has started (its server listens)."""
    if not runtime.exists():
        return False
    return str(getattr(runtime.get_instance().state, "value", "INITIAL")) != "INITIAL"


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # pragma: no cover - the page run imports it again and reports it
        log.debug("preloading %s failed", name, exc_info=True)


def keep_freed_memory() -> bool:
    """Have glibc keep the memory numpy frees for the next arrays instead of handing it back
    to the system; False where that is not glibc (macOS, musl), which changes nothing.

    Every table of millions of models allocates arrays of tens of megabytes, and by default
    each comes from fresh pages: on this 2-core VM a Share computation at 3M models spent
    0.4 s of its 0.6 s faulting pages in (``getrusage``: 8,500 minor faults). One heap (no
    per-thread arenas: page runs happen on Streamlit's script threads), no ``mmap`` for big
    blocks and no trimming make a freed array's pages the next one's. The price: the server
    keeps the memory of its largest computation until it stops.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    # mallopt's parameters (malloc.h): M_TRIM_THRESHOLD -1, M_MMAP_MAX -4, M_ARENA_MAX -8.
    done = [mallopt(param, value) for param, value in ((-8, 1), (-4, 0), (-1, 2**31 - 1))]
    return all(done)


def main() -> None:
    """Start the preloading thread, then Streamlit's command line (arguments from ``sys.argv``)."""
    import os

    if not os.environ.get("NOMALLOPT"):
        keep_freed_memory()
    threading.Thread(target=preload, name="lineage-preload", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")  # as `python -m streamlit`


if __name__ == "__main__":
    main()
