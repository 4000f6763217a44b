"""``streamlit run app.py``: the lineage explorer (the same app as ``lineage app``).

The store is ``$LINEAGE_STORE`` or the default per-user store; see lineage/ui/streamlit_app.py.
"""

from lineage.ui.streamlit_app import main

main()
