"""The Streamlit explorer (``lineage app``): widgets and caching over the library.

Layout: :mod:`.main` is the entry script (navigation, store checks, the simulated banner);
one module per page (:mod:`.explore`, :mod:`.share`, :mod:`.families`, :mod:`.export`,
:mod:`.quality`), each the script ``st.navigation`` runs, with a ``render()``; :mod:`.panel` is
Explore's model panel; :mod:`.data` holds the store access and the cached graph, :mod:`.tables`
the graph's memoised tables; :mod:`.layout` places a view's items and :mod:`.network` draws them
with vis-network; :mod:`.charts` holds the fixed colour scales; :mod:`.viewurl` writes a view as
query parameters; :mod:`.serve` starts Streamlit (through :mod:`.launch`).
What a view shows is chosen by :mod:`lineage.analytics.view` (no Streamlit there); colours come
from :mod:`lineage.render.palette`. Every page keeps its state in the URL (widgets bound to query
parameters). Only this package imports Streamlit.
"""

from __future__ import annotations

from lineage.app.serve import ENTRY, streamlit_command

__all__ = ["ENTRY", "streamlit_command"]
