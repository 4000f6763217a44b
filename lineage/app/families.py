"""The Families page: top families (or orgs, or regions) and a click through to Explore.

The table is :func:`lineage.analytics.family_summary` (``lineage families``): derivatives,
base models, 30-day downloads, growth and the relation mix, memoised per store version.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lineage.analytics import BY
from lineage.app import data
from lineage.app.text import md
from lineage.records import RELATIONS

__all__ = ["render"]

EXPLORE = "explore.py"


def _chart(rows: list[dict[str, Any]], by: str) -> alt.Chart:
    long = [
        {"group": r["group"], "relation": rel, "derivatives": r["derivatives"] * r[f"{rel}_share"]}
        for r in rows
        for rel in RELATIONS
    ]
    order = [r["group"] for r in rows]
    chart: alt.Chart = (
        alt.Chart(pd.DataFrame(long))
        .mark_bar()
        .encode(
            y=alt.Y("group:N", sort=order, title=by),
            x=alt.X("derivatives:Q", title="derivatives (weighted)", stack="zero"),
            color=alt.Color("relation:N", sort=list(RELATIONS)),
            tooltip=["group:N", "relation:N", alt.Tooltip("derivatives:Q", format=",.1f")],
        )
        .properties(height=max(160, 22 * len(rows)))
    )
    return chart


def _selected_rows(event: Any) -> list[int]:
    """Row positions selected in a dataframe selection event (an attribute-dict or a dict)."""
    selection: Any = (
        event.get("selection", {}) if isinstance(event, dict) else getattr(event, "selection", {})
    )
    rows = selection.get("rows") if isinstance(selection, dict) else getattr(selection, "rows", None)
    return [int(r) for r in rows or []]


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("Families")
    st.caption(
        "The families new models build on: derivatives (split over a merge's families), base "
        "models, downloads, growth and how they derive (the options of `lineage families`)."
    )
    graph = data.require_graph(state)
    a, b, c = st.columns(3)
    by = str(a.selectbox("Group by", BY, key="fa_by"))
    top = int(b.slider("Top", 5, 100, 20, key="fa_top"))
    window = int(
        c.number_input(
            "Growth window (days)",
            min_value=7,
            max_value=730,
            value=90,
            step=7,
            key="fa_window",
            help="New derivatives in the last N days vs the N days before.",
        )
    )
    with st.spinner(f"Summarising families over {len(graph.lin):,} models…"):
        table = graph.families(by, window)
    rows = table.rows[:top]
    if not rows:
        st.info(
            "No derivatives in this store yet: the table fills once models with a `base_model` are "
            "crawled (`lineage crawl`)."
        )
        return
    df = pd.DataFrame(rows, columns=table.columns)
    shares = {f"{r}_share": st.column_config.NumberColumn(f"{r} %", format="percent") for r in RELATIONS}
    event = st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        key="fa_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "derivatives": st.column_config.NumberColumn(format="%.1f"),
            "downloads_30d": st.column_config.NumberColumn("downloads (30 d)", format="localized"),
            "new_last_window": st.column_config.NumberColumn(f"new (last {window} d)", format="%.1f"),
            "growth": st.column_config.NumberColumn(format="percent"),
            **shares,
        },
    )
    picked = _selected_rows(event)
    if picked != st.session_state.get("_fa_picked"):  # a row was (de)selected: it chooses the family
        st.session_state["_fa_picked"] = picked
        if picked and picked[0] < len(rows):
            st.session_state["fa_group"] = rows[picked[0]]["group"]
    for note in table.notes:
        st.caption(f"Note: {md(note)}")
    st.altair_chart(_chart(rows, by), width="stretch")

    st.subheader("Open a family tree")
    roots = graph.top_roots(by)
    groups = [r["group"] for r in rows if roots.get(r["group"])]
    if not groups:
        st.caption("None of these groups has a base model with derivatives in the store.")
        return
    if st.session_state.get("fa_group") not in groups:
        st.session_state["fa_group"] = groups[0]
    left, right = st.columns(2)
    group = left.selectbox(
        "Family" if by == "family" else by.capitalize(),
        groups,
        key="fa_group",
        help="Or select a row of the table.",
    )
    ids = [graph.lin.ids[i] for i in roots[str(group)]]
    if st.session_state.get("fa_root") not in ids:
        st.session_state["fa_root"] = ids[0]
    root = right.selectbox("Base model (most derivatives first)", ids, key="fa_root")
    if st.button("Open in Explore", icon=":material/account_tree:", key="fa_open"):
        st.switch_page(data.PAGES / EXPLORE, query_params={"model": str(root)})


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import families as page

    page.render()
