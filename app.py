"""``streamlit run app.py``: the lineage explorer (the same app as ``lineage app``).

The store is ``$LINEAGE_STORE`` or the default per-user store; see lineage/app/main.py.
"""

from lineage.app.main import main

main()
