"""The "What changed" page: what changed between two crawls (``lineage diff``).

The diff is :func:`lineage.analytics.diff.crawl_diff` (its :meth:`CrawlDiff.as_dict` is the stable
shape ``lineage diff --format json`` prints), computed once per choice and crawl state (memoised
on the loaded graph, which is per crawl state). The page shows the counts, the bases with the
most new derivatives, the groups before and after (a table and a bar chart of share change in
the app's fixed colours), then every list (models, links with why, parents and licences changed,
parents gone from the Hub) as tables, with Hub links unless the store is simulated, and the
method and notes.

State is the URL: ``from`` and ``to`` (crawl ids; default the last two complete crawls, as the
CLI), ``by`` (family, org, region) and ``top``. The crawl pickers show each crawl's id, mode,
date and model count, so their values are kept in the URL by hand (a bound widget would write
the whole label).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lineage.analytics import BY
from lineage.analytics.diff import CrawlDiff, crawl_diff, pick_crawls
from lineage.app import data
from lineage.app.charts import SVG, colour_scale, show
from lineage.app.text import hub_url, md, md_note
from lineage.errors import LineageError
from lineage.graph import Lineage
from lineage.render import render as render_rows
from lineage.store import CrawlState, open_store

__all__ = ["TABLE_ROWS", "render"]

#: Rows a list shows at most (the CSV download has every change).
TABLE_ROWS = 5000
TOP_DEFAULT, TOP_MAX = 10, 50
COUNT_LABELS = {
    "models_added": "models added",
    "models_deleted": "models deleted",
    "models_restored": "models restored",
    "links_added": "links added",
    "links_removed": "links removed",
    "parents_changed": "parents changed",
    "licenses_changed": "licences changed",
    "vanished_parents": "parents gone",
}


def _ss() -> Any:
    return st.session_state


def _crawl_label(c: CrawlState) -> str:
    day = (c.finished_at or c.started_at or "")[:10]
    return f"#{c.id} · {c.mode} · {day} · {c.models:,} models"


def _from_url(name: str, key: str, options: list[Any], default: Any, parse: Callable[[str], Any]) -> None:
    """Put the URL's ``name`` into the widget state ``key`` when the URL changed (a sent link,
    Back/Forward); a value that does not parse or is not offered gives ``default``."""
    raw = st.query_params.get(name)
    ss = _ss()
    if key in ss and ss.get(f"_{key}_url") == raw:
        # Set again on every run, so the browser is sent the value every time: the run that
        # first set it can be superseded before its messages went out (the rerun when the
        # graph is ready, on a loaded machine), which left the box showing its first option
        # while the page used the URL's value.
        ss[key] = ss[key]
        return
    try:
        value = parse(raw) if raw is not None else default
    except ValueError:
        value = default
    ss[key] = value if value in options else default
    ss[f"_{key}_url"] = raw


def _to_url(name: str, key: str) -> Callable[[], None]:
    def write() -> None:
        value = str(_ss()[key])
        st.query_params[name] = value
        _ss()[f"_{key}_url"] = value

    return write


def _controls(done: list[CrawlState], first: int) -> tuple[int, int, str, int]:
    by_id = {c.id: c for c in done}
    starts = [c.id for c in done[:-1] if c.id >= first] or [done[0].id]
    ends = [c.id for c in done[1:]]
    _from_url("from", "ch_from", starts, starts[-1], int)
    _from_url("to", "ch_to", ends, ends[-1], int)
    _from_url("by", "ch_by", list(BY), "family", str)
    tops = list(range(1, TOP_MAX + 1))
    _from_url("top", "ch_top", tops, TOP_DEFAULT, int)
    a, b = st.columns(2)
    c, d, _ = st.columns([1, 1, 2])
    start = a.selectbox(
        "From crawl",
        starts,
        key="ch_from",
        format_func=lambda k: _crawl_label(by_id[k]),
        on_change=_to_url("from", "ch_from"),
        help="The store after this crawl (complete crawls; default: the one before the last).",
    )
    end = b.selectbox(
        "To crawl",
        ends,
        key="ch_to",
        format_func=lambda k: _crawl_label(by_id[k]),
        on_change=_to_url("to", "ch_to"),
        help="... compared with the store after this one (default: the last complete crawl).",
    )
    by = c.selectbox(
        "Group by",
        BY,
        key="ch_by",
        on_change=_to_url("by", "ch_by"),
        help="Group counts and the bases' groups: registry family, Hub org of the root, or region.",
    )
    top = d.number_input(
        "Top",
        min_value=1,
        max_value=TOP_MAX,
        key="ch_top",
        on_change=_to_url("top", "ch_top"),
        help="How many bases and groups to list (the other groups are summed as “(other)”).",
    )
    return int(start), int(end), str(by), int(top)


def changes(path: str, graph: data.Graph, start: int, end: int, by: str, top: int) -> CrawlDiff:
    """The diff, memoised on the loaded graph (one per crawl state): a crawl finishing or a new
    one starting gives a new graph, hence a new diff."""

    def compute() -> CrawlDiff:
        with open_store(path, readonly=True) as store:
            return crawl_diff(store, start, end, by=by, top=top, registry=graph.registry, lin=graph.lin)

    return graph.memo(("crawl diff", start, end, by, top), compute)


def warm(path: str, graph: data.Graph) -> None:
    """The page's default diff (the last two complete crawls, by family), computed in the
    background after the graph loads: a second or so for a million models."""
    with open_store(path, readonly=True) as store:
        try:
            a, b = pick_crawls(store)
        except LineageError:
            return  # fewer than two complete crawls: the page says so, nothing to compute
    changes(path, graph, a.id, b.id, "family", TOP_DEFAULT)


def _no_pair(state: data.StoreState, done: list[CrawlState]) -> None:
    have = "no complete crawl" if not done else f"one complete crawl (#{done[0].id})"
    st.info(
        f"This store has {have}: there is nothing to compare yet. Crawl again later (an "
        "incremental crawl fetches what changed since; `--full` also notices deleted models), "
        "then reload this page."
    )
    st.code(f"lineage crawl --store {state.path}", language="bash")


def _metrics(diff: CrawlDiff) -> None:
    counts = diff.counts
    keys = list(COUNT_LABELS)
    for row in (keys[:4], keys[4:]):
        for col, k in zip(st.columns(4), row, strict=True):
            col.metric(COUNT_LABELS[k], f"{counts[k]:,}")


def _on_hub(lin: Lineage) -> Callable[[str], bool]:
    """Whether a model's Hub page can exist: a model of the store, not tombstoned, not a
    placeholder (a parent not on the Hub: its link would only 404)."""

    def on_hub(model_id: str) -> bool:
        k = lin.find(model_id, exact=True)
        return k is not None and not lin.placeholder[k] and not lin.deleted[k]

    return on_hub


def _hub(
    frame: pd.DataFrame, column: str, on_hub: Callable[[str], bool] | None, config: dict[str, Any]
) -> pd.DataFrame:
    """A Hub link column beside ``column`` for the models ``on_hub`` accepts (no column for a
    simulated store, ``on_hub`` None: its ids are not on the Hub)."""
    if on_hub is None or frame.empty:
        return frame
    frame = frame.copy()
    links = [hub_url(m) if on_hub(m) else None for m in frame[column]]
    frame.insert(frame.columns.get_loc(column) + 1, f"{column} ↗", links)
    config[f"{column} ↗"] = st.column_config.LinkColumn("on the Hub", display_text="open ↗", width="small")
    return frame


def _list(
    title: str,
    rows: list[dict[str, Any]],
    columns: list[str],
    links: list[str],
    on_hub: Callable[[str], bool] | None,
) -> None:
    st.markdown(f"**{title}** ({len(rows):,})")
    if not rows:
        st.caption("None.")
        return
    frame = pd.DataFrame(rows[:TABLE_ROWS], columns=columns)
    config: dict[str, Any] = {}
    for column in links:
        frame = _hub(frame, column, on_hub, config)
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=config, height=min(38 + 35 * len(frame), 400)
    )
    if len(rows) > TABLE_ROWS:
        st.caption(f"The first {TABLE_ROWS:,} are shown; the CSV below lists all {len(rows):,}.")


def _before_after(
    title: str,
    changed: list[dict[str, Any]],
    show: Callable[[Any], str],
    on_hub: Callable[[str], bool] | None,
) -> None:
    """A table of models whose value changed between the crawls: the value before and after."""
    rows = [{"model": r["model"], "before": show(r["before"]), "after": show(r["after"])} for r in changed]
    _list(title, rows, ["model", "before", "after"], ["model"], on_hub)


def _pairs(pairs: list[list[str]]) -> str:
    return ", ".join(f"{p} ({r})" for p, r in pairs) or "none"


def _licence(d: dict[str, Any]) -> str:
    name = d["license"] if d["license"] != "other" or not d["license_name"] else f"other:{d['license_name']}"
    return f"{name or 'none'} ({d['class']})"


def _groups(diff: CrawlDiff, registry: Any) -> None:
    if not diff.groups:
        return
    st.subheader(f"Models with a parent, by {diff.by}")
    frame = pd.DataFrame(diff.groups)
    table = pd.DataFrame(
        {
            diff.by: frame["group"],
            "before": frame["before"].round(1),
            "after": frame["after"].round(1),
            "change": frame["change"].round(1),
            "share before": (frame["share_before"] * 100).round(2),
            "share after": (frame["share_after"] * 100).round(2),
            "share change (points)": (frame["share_change"] * 100).round(2),
        }
    )
    pct = st.column_config.NumberColumn(format="%.2f%%")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "share before": pct,
            "share after": pct,
            "share change (points)": st.column_config.NumberColumn(format="%+.2f"),
        },
    )
    groups = list(frame["group"])
    bars = pd.DataFrame({"group": groups, "points": frame["share_change"] * 100})
    chart = (
        alt.Chart(bars, title="share change (percentage points)", usermeta=SVG)
        .mark_bar()
        .properties(height=alt.Step(22))
        .encode(
            x=alt.X("points:Q", title=None, axis=alt.Axis(format="+.2f")),
            y=alt.Y(
                "group:N",
                sort=groups,
                title=None,
                axis=alt.Axis(labelLimit=180),
                scale=alt.Scale(paddingInner=0.25),
            ),
            color=alt.Color("group:N", scale=colour_scale(groups, diff.by, registry), legend=None),
            tooltip=[alt.Tooltip("group:N", title=diff.by), alt.Tooltip("points:Q", format="+.2f")],
        )
    )
    show(st, chart, "ch_share_change")


def _lists(diff: CrawlDiff, on_hub: Callable[[str], bool] | None) -> None:
    models = [
        {"change": kind, "model": m} for kind in ("added", "deleted", "restored") for m in diff.models[kind]
    ]
    link_cols = ["child", "parent", "relation", "why"]
    tabs = st.tabs(
        [
            f"Models ({len(models):,})",
            f"Links added ({len(diff.links['added']):,})",
            f"Links removed ({len(diff.links['removed']):,})",
            f"Parents changed ({len(diff.parents_changed):,})",
            f"Licences changed ({len(diff.licenses_changed):,})",
            f"Parents gone ({len(diff.vanished_parents):,})",
        ]
    )
    with tabs[0]:
        _list(
            "Models added, deleted (by a --full crawl) and restored",
            models,
            ["change", "model"],
            ["model"],
            on_hub,
        )
    with tabs[1]:
        _list("Declared links added, and why", diff.links["added"], link_cols, ["child", "parent"], on_hub)
    with tabs[2]:
        _list(
            "Declared links removed, and why",
            diff.links["removed"],
            link_cols,
            ["child", "parent"],
            on_hub,
        )
    with tabs[3]:
        _before_after(
            "Models listed at both crawls whose parents changed", diff.parents_changed, _pairs, on_hub
        )
    with tabs[4]:
        _before_after(
            "Declared licences changed (class in brackets)", diff.licenses_changed, _licence, on_hub
        )
    with tabs[5]:
        _list(
            "Parents deleted from the Hub, with the live derivatives still naming them",
            diff.vanished_parents,
            ["model", "derivatives"],
            [],
            on_hub,
        )


def _csv(diff: CrawlDiff) -> str:
    """``lineage diff --format csv`` (made when the button is clicked)."""
    return render_rows(diff.rows(), "csv", ["kind", "id", "parent", "relation", "before", "after", "note"])


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("What changed")
    st.caption(
        "Models, declared links, parents and licences that changed between two crawls, and which "
        "bases and groups gained derivatives. The same as `lineage diff`."
    )
    with data.reader(state)() as store:
        crawls = store.crawls()
        first = store.history_from()
    done = [c for c in crawls if c.status == "done"]
    if len(done) < 2:
        _no_pair(state, done)
        return
    start, end, by, top = _controls(done, first)
    if start >= end:
        st.warning("Pick a **From** crawl earlier than the **To** crawl.")
        return
    graph = data.require_graph(state)
    try:
        with st.spinner(f"Comparing crawl #{start} with crawl #{end}…"):
            diff = changes(state.path, graph, start, end, by, top)
    except LineageError as exc:
        st.error(md(exc))
        return
    on_hub = None if state.simulated else _on_hub(graph.lin)
    st.subheader(f"From crawl #{start} to crawl #{end}")
    _metrics(diff)
    for note in diff.notes:
        st.caption(f"Note: {md_note(note)}")
    if diff.top_bases:
        st.subheader("Bases with the most new derivatives")
        config: dict[str, Any] = {"new_derivatives": st.column_config.NumberColumn("new derivatives")}
        frame = _hub(
            pd.DataFrame(diff.top_bases, columns=["base", "group", "new_derivatives"]),
            "base",
            on_hub,
            config,
        )
        st.dataframe(
            frame.rename(columns={"group": by}), hide_index=True, width="stretch", column_config=config
        )
    _groups(diff, graph.registry)
    st.subheader("Every change")
    _lists(diff, on_hub)
    st.download_button(
        "CSV of every change",
        lambda: _csv(diff),
        file_name=f"changes-{start}-{end}.csv",
        mime="text/csv",
        key="ch_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    st.caption(diff.method)


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import changes as page

    with data.timed("changes"):
        page.render()
