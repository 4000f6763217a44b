"""Page script run by st.navigation (see lineage/ui/quality.py)."""

from lineage.ui.quality import render

render()
