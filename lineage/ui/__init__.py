"""The Streamlit explorer (``lineage app``): widgets and caching over the library.

Layout: :mod:`.streamlit_app` is the entry script (navigation, store checks, the simulated
banner); :mod:`.explore`, :mod:`.share`, :mod:`.families`, :mod:`.export` and :mod:`.quality`
render one page each (``views/*.py`` are the page scripts Streamlit runs); :mod:`.data` holds
the cached graph and store access. :mod:`.subgraph` (which part of the graph a view shows) and
:mod:`.network` (the pyvis drawing) have no Streamlit dependency and are tested directly.
"""
