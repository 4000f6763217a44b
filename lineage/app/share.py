"""The Share page: share of new models by family, org or region over time (``lineage share``).

Every ``lineage share`` option is a widget; the table is :func:`lineage.analytics.share_table`
(memoised per store version), cut to the top groups per period like ``--top``; the method is
printed under the chart; CSV and JSON downloads are exactly ``lineage share --format csv|json``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lineage.analytics import ATTRIBUTIONS, BY, PERIODS, POPULATIONS, ShareQuery, top_groups
from lineage.app import data
from lineage.app.text import md
from lineage.families import Registry, RegistryError, load_registry
from lineage.records import RELATIONS
from lineage.render import render as render_rows

__all__ = ["render"]

FIRST_DAY, LAST_DAY = date(2015, 1, 1), date(2040, 12, 31)


@st.cache_resource(show_spinner=False, max_entries=8)
def _registry(digest: str, content: bytes) -> Registry:
    """A user's registry TOML (extending the built-in one), by content digest."""
    fd, path = tempfile.mkstemp(suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        return load_registry(path)
    finally:
        os.unlink(path)


def _options(graph: data.Graph) -> tuple[ShareQuery, int, Registry | None, str]:
    lin = graph.lin
    a, b, c, d = st.columns(4)
    period = a.selectbox("Period", PERIODS, key="sh_period")
    by = b.selectbox(
        "Group by",
        BY,
        key="sh_by",
        help="family: registry family of each root; org: the "
        "root's Hub namespace; region: the family's region.",
    )
    population = c.selectbox(
        "Population",
        POPULATIONS,
        key="sh_pop",
        help="derivatives: new models with at least one parent; all: every new model.",
    )
    attribution = d.selectbox(
        "Attribution",
        ATTRIBUTIONS,
        key="sh_attr",
        help="fractional: split a model over its families; any: count it for each.",
    )
    a, b, c, d = st.columns(4)
    since = a.date_input("Since (first day)", None, FIRST_DAY, LAST_DAY, key="sh_since")
    until = b.date_input("Until (last day)", None, FIRST_DAY, LAST_DAY, key="sh_until")
    top = c.number_input(
        "Top groups per period",
        min_value=1,
        max_value=100,
        value=10,
        key="sh_top",
        help="The rest are summed as “(other)”.",
    )
    relations = d.multiselect(
        "Relations",
        list(RELATIONS),
        key="sh_rel",
        placeholder="any",
        help="Only models linked to a parent by one of these relations.",
    )
    a, b = st.columns(2)
    tags = a.multiselect(
        "Pipeline tags", sorted(t for t in lin.pipeline_labels if t), key="sh_tags", placeholder="any"
    )
    libraries = b.multiselect(
        "Libraries", sorted(t for t in lin.library_labels if t), key="sh_libs", placeholder="any"
    )
    registry: Registry | None = None
    registry_id = ""
    with st.expander("Family registry (`--registry`)"):
        upload = st.file_uploader(
            "Your registry TOML (extends the built-in one)", type=["toml"], key="sh_registry"
        )
        if upload is not None:
            content = upload.getvalue()
            registry_id = hashlib.sha256(content).hexdigest()
            try:
                registry = _registry(registry_id, content)
                st.success("Using your registry.")
            except (RegistryError, ValueError, UnicodeDecodeError) as exc:
                st.error(f"Your registry was not used: {md(exc)}")
                registry, registry_id = None, ""
    query = ShareQuery(
        period=str(period),
        by=str(by),
        population=str(population),
        attribution=str(attribution),
        since=since.isoformat() if isinstance(since, date) else None,
        until=until.isoformat() if isinstance(until, date) else None,
        pipeline_tags=tuple(tags),
        libraries=tuple(libraries),
        relations=tuple(relations),
    )
    return query, int(top or 10), registry, registry_id


def _chart(rows: list[dict[str, Any]], by: str, fractional: bool) -> alt.Chart:
    df = pd.DataFrame(rows, columns=["period", "group", "models", "share"])
    periods = sorted(df["period"].unique())
    totals = df.groupby("group")["models"].sum().sort_values(ascending=False)
    order = [g for g in totals.index if g != "(other)"] + (["(other)"] if "(other)" in totals.index else [])
    full = (
        df.set_index(["period", "group"])
        .reindex(pd.MultiIndex.from_product([periods, order], names=["period", "group"]))
        .fillna(0.0)
        .reset_index()
    )
    full["rank"] = full["group"].map({g: k for k, g in enumerate(order)})
    chart: alt.Chart = (
        alt.Chart(full)
        .mark_area()
        .encode(
            x=alt.X("period:O", sort=periods, title=None),
            y=alt.Y(
                "share:Q",
                stack="zero",
                axis=alt.Axis(format="%"),
                title="share of new models",
                scale=alt.Scale(domain=[0, 1]) if fractional else alt.Undefined,
            ),
            color=alt.Color("group:N", sort=order, title=by),
            order=alt.Order("rank:Q"),
            tooltip=[
                "period:N",
                "group:N",
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("models:Q", format=",.1f"),
            ],
        )
        .properties(height=380)
    )
    return chart


@st.cache_data(show_spinner=False, max_entries=64)
def _downloads(rows: list[dict[str, Any]], columns: list[str]) -> tuple[str, str]:
    return render_rows(rows, "csv", columns), render_rows(rows, "json", columns)


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("Share of new models")
    st.caption(
        "Which families (or orgs, or regions) the models created in each period descend from. "
        "The options are those of `lineage share`."
    )
    graph = data.require_graph(state)
    try:
        query, top, registry, registry_id = _options(graph)
        with st.spinner(f"Computing shares over {len(graph.lin):,} models…"):
            table = graph.share(query, registry, registry_id)
    except ValueError as exc:
        st.error(md(exc))
        return
    rows = top_groups(table.rows, top)
    if not rows:
        st.info("No models match these options: widen the dates or clear some filters.")
    else:
        st.altair_chart(_chart(rows, query.by, query.attribution == "fractional"), width="stretch")
    st.caption(table.method)
    for note in table.notes:
        st.caption(f"Note: {md(note)}")
    if rows:
        pivot = (
            pd.DataFrame(rows)
            .pivot_table(index="period", columns="group", values="share", aggfunc="sum", sort=False)
            .fillna(0.0)
        )
        pivot = pivot[[g for g in dict.fromkeys(r["group"] for r in rows)]]
        st.dataframe(
            pivot,
            width="stretch",
            column_config={g: st.column_config.NumberColumn(format="percent") for g in pivot.columns},
        )
        csv_text, json_text = _downloads(rows, table.columns)
        name = f"share-by-{query.by}-per-{query.period}"
        a, b, _ = st.columns([1, 1, 4])
        a.download_button(
            "Download CSV",
            csv_text,
            file_name=f"{name}.csv",
            mime="text/csv",
            key="sh_csv",
            on_click="ignore",
            icon=":material/download:",
        )
        b.download_button(
            "Download JSON",
            json_text,
            file_name=f"{name}.json",
            mime="application/json",
            key="sh_json",
            on_click="ignore",
            icon=":material/download:",
        )


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import share as page

    page.render()
