"""Page script run by st.navigation (see lineage/ui/families.py)."""

from lineage.ui.families import render

render()
