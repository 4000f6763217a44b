"""Page script run by st.navigation (see lineage/ui/share.py)."""

from lineage.ui.share import render

render()
