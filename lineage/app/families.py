"""The Families page: top families (or orgs, or regions) and a click through to Explore.

The table is :func:`lineage.analytics.family_summary` (``lineage families``, placeholder roots
grouped as "(parent not on the Hub)"): derivatives, base models, 30-day downloads, growth and the
relation mix, memoised per store version. Bars are coloured like everywhere else (a family's
colour, the relations' colours and order); every option is bound to a query parameter.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt
import pandas as pd
import streamlit as st

from lineage.analytics import BY
from lineage.app import data
from lineage.app.charts import SVG, colour_scale, legend_strip, relation_scale, show
from lineage.app.tables import FAMILIES_TOP
from lineage.app.text import md_note
from lineage.records import RELATIONS

__all__ = ["render"]

EXPLORE = "explore.py"
PARAM: Final = "query-params"
BAR = 24  # pixels per bar: every label has room


def _charts(
    rows: list[dict[str, Any]], by: str, graph: data.Graph
) -> tuple[alt.LayerChart, alt.Chart, alt.Chart]:
    """The derivatives per group and, beside them row for row, how they derive (and its
    legend, drawn apart: both plots get the same height)."""
    order = [r["group"] for r in rows]
    height = BAR * len(rows)
    frame = pd.DataFrame({"group": order, "derivatives": [round(r["derivatives"]) for r in rows]})
    y = alt.Y(
        "group:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=170, labelPadding=6)
    )
    y_bare = alt.Y("group:N", sort=order, title=None, axis=None)  # beside the first chart, same rows
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("derivatives:Q", title="derivatives"),
            color=alt.Color("group:N", scale=colour_scale(order, by, graph.registry), legend=None),
            tooltip=[alt.Tooltip("group:N", title=by), alt.Tooltip("derivatives:Q", format=",")],
        )
    )
    text = bars.mark_text(align="left", dx=4, fontSize=11, color="#374151").encode(
        text=alt.Text("derivatives:Q", format=","), color=alt.value("#374151")
    )
    size = alt.LayerChart(layer=[bars, text], height=height, usermeta=SVG)
    relations = [r for r in RELATIONS if any(row[f"{r}_share"] for row in rows)]
    long = pd.DataFrame(
        [
            {"group": r["group"], "relation": rel, "share": r[f"{rel}_share"], "rank": k}
            for r in rows
            for k, rel in enumerate(relations)
        ]
    )
    mix: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=y_bare,
            x=alt.X("share:Q", stack="normalize", title="how they derive", axis=alt.Axis(format="%")),
            color=alt.Color(
                "relation:N",
                scale=relation_scale(relations),
                sort=relations,
                legend=None,  # drawn under it (legend_strip): inside, it would shrink the rows
            ),
            order=alt.Order("rank:Q"),
            tooltip=[alt.Tooltip("group:N", title=by), "relation:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=height, usermeta=SVG)
    )
    return size, mix, legend_strip(relations, "relation", scale=relation_scale(relations), columns=2)


def _selected_rows(event: Any) -> list[int]:
    """Row positions selected in a dataframe selection event (an attribute-dict or a dict)."""
    selection: Any = (
        event.get("selection", {}) if isinstance(event, dict) else getattr(event, "selection", {})
    )
    rows = selection.get("rows") if isinstance(selection, dict) else getattr(selection, "rows", None)
    return [int(r) for r in rows or []]


def _table(rows: list[dict[str, Any]], columns: list[str], by: str, window: int) -> Any:
    df = pd.DataFrame(rows, columns=columns)
    for col in ("derivatives", "new_last_window"):
        df[col] = df[col].round(0).astype("int64")
    df["downloads_30d"] = df["downloads_30d"].round(0).astype("int64")
    df["growth"] = (df["growth"] * 100).round(1)
    # The relation mix is the chart beside (and in the CLI's table): the table stays narrow.
    df = df.drop(
        columns=[c for c in columns if c.endswith("_share")] + (["region"] if by == "region" else [])
    )
    config: dict[str, Any] = {
        "group": st.column_config.TextColumn(by, pinned=True),
        "region": st.column_config.TextColumn(width="small"),
        "derivatives": st.column_config.NumberColumn(format="localized"),
        "base_models": st.column_config.NumberColumn(
            "bases", format="localized", width="small", help="base models (roots) of the group"
        ),
        "downloads_30d": st.column_config.NumberColumn(
            "downloads", format="localized", help="of the group's models, last 30 days"
        ),
        "new_last_window": st.column_config.NumberColumn(f"new ({window} d)", format="localized"),
        "growth": st.column_config.NumberColumn(
            format="%+.0f%%",
            width="small",
            help=f"new in the last {window} days vs the {window} before (None: none before, so no rate)",
        ),
    }
    # A new grouping is a new table: no row stays ticked on the wrong group.
    return st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        key=f"fa_table_{by}",
        on_select="rerun",
        selection_mode="single-row",
        column_config=config,
        height=35 * (min(len(df), 25) + 1) + 3,
    )


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
    by = str(a.selectbox("Group by", BY, key="fam_by", bind=PARAM))
    top = int(b.slider("Top", 5, FAMILIES_TOP, 20, key="fam_top", bind=PARAM))
    window = int(
        c.number_input(
            "Growth window (days)",
            min_value=7,
            max_value=730,
            value=90,
            step=7,
            key="window",
            bind=PARAM,
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
    size, mix, mix_legend = _charts(rows, by, graph)
    left, right = st.columns([3, 2], gap="small")
    show(left, size, "fa_size")
    show(right, mix, "fa_mix")
    show(right, mix_legend, "fa_mix_legend")
    event = _table(rows, table.columns, by, window)
    ss = st.session_state
    picked = _selected_rows(event)
    if picked != ss.get("_fa_picked"):  # a row was (de)selected: it chooses the family
        ss["_fa_picked"] = picked
        if picked and picked[0] < len(rows):
            ss["family"] = rows[picked[0]]["group"]
    for note in table.notes:
        st.caption(f"Note: {md_note(note)}")

    st.subheader("Open a family tree")
    roots = graph.top_roots(by)
    groups = [r["group"] for r in rows if roots.get(r["group"])]
    if not groups:
        st.caption("None of these groups has a base model with derivatives in the store.")
        return
    if ss.get("family") not in groups:
        ss["family"] = groups[0]
    left, right = st.columns(2)
    group = left.selectbox(
        "Family" if by == "family" else by.capitalize(),
        groups,
        key="family",
        bind=PARAM,
        help="Or select a row of the table.",
    )
    ids = [graph.lin.ids[i] for i in roots[str(group)]]
    if ss.get("base") not in ids:
        ss["base"] = ids[0]
    root = right.selectbox("Base model (most derivatives first)", ids, key="base", bind=PARAM)
    if st.button("Open in Explore", icon=":material/account_tree:", key="fa_open"):
        st.switch_page(data.PAGES / EXPLORE, query_params={"model": str(root)})


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import families as page

    with data.timed("families"):
        page.render()
