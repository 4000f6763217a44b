"""The Streamlit explorer (``lineage app``): widgets and caching over the library.

Layout: :mod:`.main` is the entry script (navigation, store checks, the simulated banner);
one module per page (:mod:`.explore`, :mod:`.share`, :mod:`.families`, :mod:`.export`,
:mod:`.quality`), each the script ``st.navigation`` runs, with a ``render()``; :mod:`.data` holds
the cached graph and store access; :mod:`lineage.analytics.view` chooses what a view shows and
:mod:`.network` (the pyvis drawing) have no Streamlit dependency and are tested directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["ENTRY", "streamlit_command"]

#: The entry script ``streamlit run`` executes (``app.py`` at the repository root calls the same main).
ENTRY = Path(__file__).resolve().parent / "main.py"


def streamlit_command(port: int, *options: str) -> list[str]:
    """``python -m streamlit run`` of the app on 127.0.0.1:``port`` (headless, no usage stats);
    ``options`` are extra ``--name value`` flags. Used by ``lineage app``, the browser test and
    the app benchmark, so all three serve the app the same way."""
    return [
        sys.executable, "-m", "streamlit", "run", str(ENTRY),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", *options,
    ]  # fmt: skip
