"""Page script run by st.navigation (see lineage/ui/explore.py)."""

from lineage.ui.explore import render

render()
