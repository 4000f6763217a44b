"""The Streamlit explorer (``lineage app``): widgets and caching over the library.

Layout: :mod:`.main` is the entry script (navigation, store checks, the simulated banner);
one module per page (:mod:`.explore`, :mod:`.share`, :mod:`.families`, :mod:`.export`,
:mod:`.quality`), each the script ``st.navigation`` runs, with a ``render()``; :mod:`.data` holds
the cached graph and store access; :mod:`.network` draws with pyvis; :mod:`.serve` starts
Streamlit. What a view shows is chosen by :mod:`lineage.analytics.view` (no Streamlit there).
Only this package imports Streamlit.
"""

from __future__ import annotations

from lineage.app.serve import ENTRY, streamlit_command

__all__ = ["ENTRY", "streamlit_command"]
