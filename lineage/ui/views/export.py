"""Page script run by st.navigation (see lineage/ui/export.py)."""

from lineage.ui.export import render

render()
