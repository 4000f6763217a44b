"""The Share page: share of new models, and of their downloads, by family, org or region.

The table is :func:`lineage.analytics.share_table` (``lineage share``, with downloads, placeholder
roots grouped as "(parent not on the Hub)"), memoised per store version. What the charts show:

* the top N groups over the whole selected range (:func:`lineage.analytics.ranking.top_overall`),
  or the groups a user focuses on, the rest summed as "(other)": at most N + 2 groups;
* stacked areas for ``fractional`` attribution (shares sum to 100%), lines for ``any``;
* share of new models beside share of their downloads, one legend for both;
* the periods the data covers only in part, marked;
* colours fixed per group (:mod:`lineage.render.palette`);
* a table whose columns follow the groups' overall size, numbers rounded.

Every option is bound to a query parameter, so a chart can be bookmarked and sent.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date
from typing import Any, Final

import altair as alt
import pandas as pd
import streamlit as st

from lineage.analytics import ATTRIBUTIONS, BULK, BY, PERIODS, POPULATIONS, SCOPES, ShareQuery
from lineage.analytics.ranking import TopGroups, partial_periods
from lineage.app import data
from lineage.app.charts import SVG, colour_scale, legend_strip, show
from lineage.app.tables import SHARE_GROUPS
from lineage.app.text import md, md_note, shown
from lineage.families import Registry, RegistryError, load_registry
from lineage.records import RELATIONS
from lineage.render import render as render_rows

__all__ = ["VALUES", "render"]

PARAM: Final = "query-params"
FIRST_DAY, LAST_DAY = date(2015, 1, 1), date(2040, 12, 31)
#: What the table shows: label -> (row field, kind).
VALUES = {
    "share of new models": ("share", "share"),
    "new models": ("models", "count"),
    "share of downloads": ("downloads_share", "share"),
    "downloads (30 d)": ("downloads", "count"),
}
COLUMNS = ["period", "group", "models", "share", "downloads", "downloads_share"]
#: Groups the focus picker offers (the largest; "population all" has one per root org).
FOCUS_OPTIONS = SHARE_GROUPS


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


def _date(label: str, key: str) -> date | None:
    value = st.date_input(label, None, FIRST_DAY, LAST_DAY, key=key, bind=PARAM)
    return value if isinstance(value, date) else None


def _options(graph: data.Graph) -> tuple[ShareQuery, int, Registry | None, str]:
    lin = graph.lin
    a, b, c, d = st.columns(4)
    period = a.selectbox("Period", PERIODS, key="period", bind=PARAM)
    by = b.selectbox(
        "Group by",
        BY,
        key="by",
        bind=PARAM,
        help="family: registry family of each root; org: the root's Hub namespace; region: the "
        "family's region. Parents not on the Hub that the registry does not name form one group.",
    )
    population = c.selectbox(
        "Population",
        POPULATIONS,
        key="population",
        bind=PARAM,
        help="derivatives: new models with at least one parent; all: every new model.",
    )
    attribution = d.selectbox(
        "Attribution",
        ATTRIBUTIONS,
        key="attribution",
        bind=PARAM,
        help="fractional: split a model over its families (shares sum to 100%, stacked areas); "
        "any: count it for each (lines: shares can sum to more than 100%).",
    )
    a, b, c, d = st.columns(4)
    with a:
        since = _date("Since (first day)", "from")
    with b:
        until = _date("Until (last day)", "to")
    with c:
        top = st.number_input(
            "Top groups",
            min_value=1,
            max_value=50,
            value=10,
            key="top",
            bind=PARAM,
            help="The largest groups over the whole range; the rest are summed as “(other)”.",
        )
    relations = d.multiselect(
        "Relations",
        list(RELATIONS),
        key="relation",
        bind=PARAM,
        placeholder="any",
        help="Only models linked to a parent by one of these relations.",
    )
    a, b, c, d = st.columns(4)
    bulk = a.selectbox(
        "Bulk uploads",
        BULK,
        key="bulk",
        bind=PARAM,
        help="Automated bulk uploads (one uploader's many near-identical models, `lineage bulk`): "
        "include them like any model, exclude them, or count only them.",
    )
    scope = b.selectbox(
        "Scope",
        SCOPES,
        key="scope",
        bind=PARAM,
        help="tree: a model counts for the groups of all its root ancestors; direct: only for "
        "the groups that uploaded one of its parents (models without such a parent left out).",
    )
    tags = c.multiselect(
        "Pipeline tags",
        sorted(t for t in lin.pipeline_labels if t),
        key="pipeline",
        placeholder="any",
        bind=PARAM,
        format_func=shown,
    )
    libraries = d.multiselect(
        "Libraries",
        sorted(t for t in lin.library_labels if t),
        key="library",
        placeholder="any",
        bind=PARAM,
        format_func=shown,
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
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        pipeline_tags=tuple(tags),
        libraries=tuple(libraries),
        relations=tuple(relations),
        unlisted=True,
        scope=str(scope),
        bulk=str(bulk),
    )
    return query, int(top or 10), registry, registry_id


def _frame(top: TopGroups, partial: list[str]) -> pd.DataFrame:
    """Long rows for the charts: every (period, group) present, both measures, missing cells 0."""
    df = pd.DataFrame(top.rows, columns=COLUMNS)
    periods = sorted(df["period"].unique())
    full = (
        df.set_index(["period", "group"])
        .reindex(pd.MultiIndex.from_product([periods, top.groups], names=["period", "group"]))
        .fillna(0.0)
        .reset_index()
    )
    full["rank"] = full["group"].map({g: k for k, g in enumerate(top.groups)})
    full["partial"] = full["period"].isin(partial)
    return full


def _chart(
    full: pd.DataFrame, top: TopGroups, field: str, title: str, query: ShareQuery, registry: Registry | None,
    partial: list[str],
) -> alt.LayerChart:  # fmt: skip
    periods = sorted(full["period"].unique())
    stacked = query.attribution == "fractional"
    x = alt.X("period:O", sort=periods, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    base = alt.Chart(full)
    marks = base.mark_area(opacity=0.9) if stacked else base.mark_line(point=alt.OverlayMarkDef(size=18))
    series = marks.encode(
        x=x,
        y=alt.Y(
            f"{field}:Q",
            stack="zero" if stacked else None,
            axis=alt.Axis(format="%"),
            title=title,
            scale=alt.Scale(domain=[0, 1]) if stacked else alt.Undefined,
        ),
        color=alt.Color(
            "group:N", scale=colour_scale(top.groups, query.by, registry), sort=top.groups, legend=None
        ),
        order=alt.Order("rank:Q"),
        tooltip=[
            alt.Tooltip("period:N"),
            alt.Tooltip("group:N", title=query.by),
            alt.Tooltip(f"{field}:Q", format=".1%", title=title),
            alt.Tooltip("models:Q", format=",.1f", title="new models"),
            alt.Tooltip("downloads:Q", format=",.0f", title="their downloads (30 d)"),
        ],
    )
    layers: list[Any] = [series]
    if partial:
        band = pd.DataFrame({"period": partial, "label": ["partial"] * len(partial)})
        layers.insert(0, alt.Chart(band).mark_rect(color="#9ca3af", opacity=0.18).encode(x=x))
        layers.append(
            alt.Chart(band)
            .mark_text(baseline="bottom", align="right", dx=6, fontSize=11, color="#4b5563")
            .encode(x=x, y=alt.value(-3), text="label:N")
        )
    chart = alt.LayerChart(layer=layers, height=360, title=title, usermeta=SVG)
    return chart


def _table(top: TopGroups, partial: list[str], values: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    field, kind = VALUES[values]
    df = pd.DataFrame(top.rows, columns=COLUMNS)
    pivot = df.pivot_table(index="period", columns="group", values=field, aggfunc="sum", sort=True).fillna(
        0.0
    )
    pivot = pivot.iloc[::-1]  # the newest period first
    pivot = pivot[[g for g in top.groups if g in pivot.columns]]
    pivot.index = [f"{p} (partial)" if p in partial else p for p in pivot.index]
    pivot.index.name = "period"
    if kind == "share":
        pivot = (pivot * 100).round(1)
        config = {g: st.column_config.NumberColumn(g, format="%.1f%%") for g in pivot.columns}
    else:
        pivot = pivot.round(1 if field == "models" else 0)
        config = {g: st.column_config.NumberColumn(g, format="localized") for g in pivot.columns}
    return pivot, config


@st.cache_data(show_spinner=False, max_entries=64)
def _downloads(rows: list[dict[str, Any]]) -> tuple[str, str]:
    return render_rows(rows, "csv", COLUMNS), render_rows(rows, "json", COLUMNS)


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("Share of new models")
    st.caption(
        "Which families (or orgs, or regions) the models created in each period descend from, and "
        "their share of those models' downloads. The options are those of `lineage share`."
    )
    graph = data.require_graph(state)
    try:
        query, n, registry, registry_id = _options(graph)
        with st.spinner(f"Computing shares over {len(graph.lin):,} models…"), data.timed("share: shares"):
            notes, method = graph.share_notes(query, registry, registry_id)
    except ValueError as exc:
        st.error(md(exc))
        return
    with data.timed("share: groups"):
        options = graph.share_groups(query, registry, registry_id, FOCUS_OPTIONS)
    ss = st.session_state
    if "focus" in ss:  # groups of another grouping: drop them
        ss["focus"] = [g for g in ss["focus"] if g in options]
    focus = st.multiselect(
        "Focus on",
        options,
        key="focus",
        bind=PARAM,
        placeholder=f"the top {n} over the whole range — or groups to compare: Qwen, Llama, DeepSeek…",
        help=f"Compare chosen groups (the {FOCUS_OPTIONS} largest are offered); everything else is "
        "summed as “(other)”.",
    )
    with data.timed("share: top"):
        top = graph.share_top(query, n, tuple(focus), registry, registry_id)
    if not top.rows:
        st.info("No models match these options: widen the dates or clear some filters.")
    else:
        as_of = _as_of(state, graph, query)
        partial = partial_periods(sorted({r["period"] for r in top.rows}), query.period, as_of, query.since)
        full = _frame(top, partial)
        show(st, legend_strip(top.groups, query.by, registry), "sh_legend")
        left, right = st.columns(2)
        show(left, _chart(full, top, "share", "share of new models", query, registry, partial), "sh_models")
        title = "share of their downloads (30 d)"
        show(right, _chart(full, top, "downloads_share", title, query, registry, partial), "sh_downloads")
        if partial:
            st.caption(
                "Shaded: " + ", ".join(partial) + f" — data only up to {as_of or query.since} "
                "(the last crawl, or the dates chosen), so these periods are incomplete."
            )
    st.caption(method)
    for note in notes:
        st.caption(f"Note: {md_note(note)}")
    if top.rows:
        values = st.segmented_control(
            "Table", list(VALUES), default="share of new models", key="values", bind=PARAM
        )
        pivot, config = _table(top, partial, str(values or "share of new models"))
        st.dataframe(pivot, width="stretch", column_config=config)
        csv_text, json_text = _downloads(top.rows)
        name = f"share-by-{query.by}-per-{query.period}"
        row = st.container(horizontal=True, wrap=True, vertical_alignment="center")
        row.download_button(
            "CSV", csv_text, file_name=f"{name}.csv", mime="text/csv", key="sh_csv",
            on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        row.download_button(
            "JSON", json_text, file_name=f"{name}.json", mime="application/json", key="sh_json",
            on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        st.caption(
            "The rows shown, with downloads; `lineage share --format csv` gives every group "
            "(its `--top` keeps the top N of each period)."
        )


def _as_of(state: data.StoreState, graph: data.Graph, query: ShareQuery) -> str | None:
    """The last day the data covers: the last crawl's (or the newest model's, if later: a
    simulated hub's clock), or the ``until`` day if earlier."""
    assert state.key is not None
    finished = data.store_info(state).get("last_crawl_finished")
    ends = [d for d in (str(finished)[:10] if finished else None, graph.newest_day()) if d]
    days = [d for d in (max(ends) if ends else None, query.until) if d]
    return min(days) if days else None


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import share as page

    with data.timed("share"):
        page.render()
