"""The Explore page: search a model, walk its ancestors and descendants, inspect and re-centre.

State: ``ex_centre`` (the model in the middle) comes from the search box, the suggestions,
the "Re-centre" button, the Families page, or the URL (``?model=<id>``, which a double click
in the graph sets; ``?node=<id>``, set by a single click, picks the model in the details
panel). The URL follows the centre, so a view can be shared as a link.
"""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from lineage.analytics.view import DEFAULT_CAP, View, ViewSpec, describe, family_labels, select_view
from lineage.app import data
from lineage.app.network import LAYOUTS, build_network, legend, network_html
from lineage.app.text import hub_url, md
from lineage.records import RELATIONS

__all__ = ["render"]

LAYOUT_NAMES = {
    "auto": "Automatic",
    "hierarchical": "Hierarchical (vis)",
    "server": "Rows per level (server)",
}
GRAPH_HEIGHT = 640


def _ss() -> Any:
    return st.session_state


def _set_centre(model_id: str) -> None:
    ss = _ss()
    ss["ex_centre"] = model_id
    ss["ex_query"] = model_id
    ss["_ex_want_node"] = model_id


def _sync_from_url() -> None:
    """A new ``?model=`` / ``?node=`` in the URL (a link, a click in the graph) wins once."""
    ss = _ss()
    seen = (st.query_params.get("model"), st.query_params.get("node"))
    if seen == ss.get("_ex_url"):
        return
    ss["_ex_url"] = seen
    model, node = seen
    if model and model != ss.get("ex_centre"):
        _set_centre(model)
    if node:
        ss["_ex_want_node"] = node


def _exact(state: data.StoreState, text: str) -> str | None:
    """The stored id matching ``text`` exactly or up to case, if any."""
    if state.key is None:
        return None
    with data.reader(state)() as store:
        row = store.model(text)
    return None if row is None else str(row["id"])


def _on_query() -> None:
    text = (_ss().get("ex_query") or "").strip()
    if text:
        state = data.store_state()
        found = _exact(state, text)
        if found is not None:
            _set_centre(found)
            _ss()["_ex_known"] = found


def _on_pick() -> None:
    pick = _ss().get("ex_pick")
    if pick:
        _set_centre(str(pick))
        _ss()["_ex_known"] = str(pick)


def _on_node() -> None:
    ss = _ss()
    node = ss.get("ex_node")
    if node:
        st.query_params["node"] = node
        ss["_ex_url"] = (st.query_params.get("model"), node)


def _search(state: data.StoreState) -> None:
    assert state.key is not None
    ss = _ss()
    left, right = st.columns([2, 3])
    with left:
        st.text_input(
            "Model id",
            key="ex_query",
            on_change=_on_query,
            placeholder="Search, e.g. Qwen/Qwen2.5-7B, llama, gguf …",
            help="An exact id (any letter case) opens it; otherwise pick one of the matches.",
        )
    text = (ss.get("ex_query") or "").strip()
    if text and text == ss.get("ex_centre") == ss.get("_ex_known"):
        options = [text]  # the box shows the model in view: no search needed
    elif text:
        options = data.search_models(state.path, state.key, text)
    else:
        options = data.popular_models(state.path, state.key)
    with right:
        st.selectbox(
            "Matching models" if text else "Most downloaded models",
            options,
            index=None,
            key="ex_pick",
            on_change=_on_pick,
            placeholder=_plural(len(options), "suggestion") + "…" if options else "no match",
        )
    if text and not options and text != ss.get("ex_centre"):
        st.warning(
            f"No model id containing “{md(text)}” is in this store. Check the spelling, or run "
            "`lineage crawl` to fetch models created since the last crawl."
        )


def _controls(pipeline_tags: list[str]) -> tuple[ViewSpec, str, bool, str]:
    """The sidebar's view options: the spec, colour mode, size mode, layout."""
    with st.sidebar:
        st.subheader("View")
        up = st.slider("Ancestor levels", 0, 8, 2, key="ex_up")
        down = st.slider("Descendant levels", 0, 8, 2, key="ex_down")
        st.subheader(
            "Filters",
            help="Filters apply to descendants: a model that fails them is hidden "
            "with whatever descends only through it. Ancestors are always shown.",
        )
        relations = st.multiselect(
            "Relations",
            list(RELATIONS),
            default=list(RELATIONS),
            key="ex_rel",
            help="Follow only links of these relations.",
        )
        tags = st.multiselect("Pipeline tags", pipeline_tags, key="ex_tags", placeholder="any")
        since = st.date_input(
            "Created on or after",
            value=None,
            min_value=date(2015, 1, 1),
            max_value=date(2040, 12, 31),
            key="ex_since",
        )
        until = st.date_input(
            "Created on or before",
            value=None,
            min_value=date(2015, 1, 1),
            max_value=date(2040, 12, 31),
            key="ex_until",
        )
        min_dl = st.number_input(
            "Minimum downloads (30 days)", min_value=0, value=0, step=100, key="ex_mindl"
        )
        st.subheader("Drawing")
        colour = st.radio("Colour by", ["family", "relation"], horizontal=True, key="ex_colour")
        size = st.toggle("Size by downloads", value=True, key="ex_size")
        layout = st.selectbox("Layout", LAYOUTS, format_func=LAYOUT_NAMES.__getitem__, key="ex_layout")
        cap = st.number_input(
            "Most models drawn",
            min_value=50,
            max_value=5000,
            value=DEFAULT_CAP,
            step=250,
            key="ex_cap",
            help="The rest are summarised per relation (“+3,412 quantized”).",
        )
    spec = ViewSpec(
        up=int(up),
        down=int(down),
        relations=() if set(relations) == set(RELATIONS) else tuple(r for r in RELATIONS if r in relations),
        follow_none=not relations,
        pipeline_tags=tuple(tags),
        since=since.isoformat() if isinstance(since, date) else None,
        until=until.isoformat() if isinstance(until, date) else None,
        min_downloads=int(min_dl or 0),
        cap=int(cap or DEFAULT_CAP),
    )
    return spec, str(colour), bool(size), str(layout)


@st.cache_data(show_spinner=False, max_entries=32)
def _graph_html(
    key: data.StoreKey,
    node: int,
    spec: tuple[Any, ...],
    colour: str,
    size: bool,
    layout: str,
    _graph: data.Graph,
    _view: View,
    _labels: list[tuple[str, str]],
) -> str:
    net = build_network(
        _graph.lin,
        _view,
        _labels,
        colour_by=colour,
        size_by_downloads=size,
        layout=layout,
        height=GRAPH_HEIGHT,
    )
    return network_html(net, legend(_labels, colour))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _summary(view: View, centre_id: str, spec: ViewSpec) -> str:
    parts = [
        f"**{md(centre_id)}**: {_plural(view.ancestors, 'ancestor')} within {_plural(spec.up, 'level')}, "
        f"{_plural(view.descendants, 'descendant')} within {_plural(spec.down, 'level')}; drawing "
        f"{_plural(len(view.nodes), 'model')}."
    ]
    if view.hidden:
        counts = " · ".join(f"+{n:,} {rel}" for rel, n in sorted(view.hidden.items(), key=lambda kv: -kv[1]))
        parts.append(f"Not drawn (limit {spec.cap:,}): {counts}.")
    if view.filtered:
        parts.append(f"{view.filtered:,} descendants left out by the filters.")
    return " ".join(parts)


def _details(state: data.StoreState, graph: data.Graph, view: View, centre_id: str) -> None:
    lin = graph.lin
    ss = _ss()
    ids = [lin.ids[int(i)] for i in view.nodes]
    want = ss.pop("_ex_want_node", None)
    if want in ids:
        ss["ex_node"] = want
    if ss.get("ex_node") not in ids:
        ss["ex_node"] = centre_id
    st.subheader("Details")
    chosen = st.selectbox(
        "Model",
        ids,
        key="ex_node",
        on_change=_on_node,
        help="Click a model in the graph to show it here; double-click to re-centre.",
    )
    node = lin.find(str(chosen))
    if node is None:
        return
    with data.reader(state)() as store:
        row = None if lin.placeholder[node] else store.model_rows([lin.ids[node]]).get(lin.ids[node])
    d = describe(lin, graph.registry, node, row)
    parents = ", ".join(f"{rel} of {pid}" for pid, rel in d["parents"]) or "none (a base model)"
    rows = [
        ("Model", d["id"]),
        ("Family", d["family"]),
        ("Region", d["region"]),
        ("Parents", parents),
        ("Children", f"{d['children']:,}"),
        ("Created", d.get("created_at", "unknown")),
        ("Last modified", d.get("last_modified", "unknown")),
        ("Downloads (30 days)", f"{d.get('downloads', 0):,}"),
        ("Downloads (all time)", f"{d['downloads_all_time']:,}" if "downloads_all_time" in d else "unknown"),
        ("Likes", f"{d.get('likes', 0):,}"),
        ("Pipeline tag", d.get("pipeline_tag", "")),
        ("Library", d.get("library_name", "")),
        ("License", d.get("license", "")),
        ("Gated", d.get("gated", "")),
    ]
    if d.get("placeholder"):
        rows.append(("Note", "not in the store: a deleted, private or renamed parent (a placeholder root)"))
    elif d.get("legacy_date"):
        rows.append(("Note", "created before 2022-03-02: the Hub does not know the real date"))
    st.dataframe(pd.DataFrame(rows, columns=["field", "value"]).astype(str), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.link_button("Open on the Hub", hub_url(d["id"]), icon=":material/open_in_new:")
    with right:
        st.button(
            "Re-centre on this model",
            key="ex_recentre",
            on_click=_set_centre,
            args=(d["id"],),
            disabled=d["id"] == centre_id,
            icon=":material/center_focus_strong:",
        )


def _landing(state: data.StoreState) -> None:
    """The most downloaded models, as a table and a chart (also loads the browser's table and
    chart code while nobody waits for it)."""
    assert state.key is not None
    rows = data.popular_rows(state.path, state.key)
    if not rows:
        return
    import altair as alt

    st.subheader("Most downloaded models (last 30 days)")
    left, right = st.columns([3, 2])
    left.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={"downloads (30 d)": st.column_config.NumberColumn(format="localized")},
    )
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X("downloads (30 d):Q", title="downloads (30 days)"),
            y=alt.Y("model:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            tooltip=["model:N", alt.Tooltip("downloads (30 d):Q", format=",")],
        )
    )
    right.altair_chart(chart, width="stretch")


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    _sync_from_url()
    st.title("Explore")
    st.caption(
        "A model's ancestors (above) and descendants (below). Click a model for its details, "
        "double-click to re-centre on it."
    )
    _search(state)
    centre = _ss().get("ex_centre")
    assert state.key is not None
    if not centre and data.graph_loader(state.path, state.key).status == "loading":
        # No model yet and the graph still loading: the page works without it.
        st.info("Type a model id above (or part of one) or pick one of the most downloaded models.")
        _landing(state)
        return
    graph = data.require_graph(state)
    lin = graph.lin
    spec, colour, size, layout = _controls(sorted(t for t in lin.pipeline_labels if t))
    if not centre:
        st.info("Type a model id above (or part of one) or pick one of the most downloaded models.")
        _landing(state)
        return
    node = lin.find(str(centre))
    if node is None:
        hint = data.search_models(state.path, state.key, str(centre).split("/")[-1], 5)
        st.warning(
            f"“{md(centre)}” is not in this store. Check the spelling, or run `lineage crawl` to fetch "
            "models created since the last crawl."
            + (" Similar ids: " + ", ".join(md(h) for h in hint) + "." if hint else "")
        )
        return
    centre_id = lin.ids[node]
    _ss()["_ex_known"] = centre_id
    view = graph.memo(("view", node, spec), lambda: select_view(lin, node, spec))
    labels = graph.memo(("labels", node, spec), lambda: family_labels(lin, graph.registry, view.nodes))
    _ss()["ex_view"] = (centre_id, spec)
    if st.query_params.get("model") != centre_id:
        st.query_params["model"] = centre_id
    st.markdown(_summary(view, centre_id, spec))
    html = _graph_html(state.key, node, astuple(spec), colour, size, layout, graph, view, labels)
    st.iframe(html, height=GRAPH_HEIGHT + 24, alt=f"Lineage graph around {centre_id}")
    st.caption(
        "Edges are coloured by relation: finetune blue, adapter green (dashed), quantized amber, "
        "merge pink. Grey boxes count the models not drawn."
    )
    _details(state, graph, view, centre_id)
    _ss()["_ex_url"] = (st.query_params.get("model"), st.query_params.get("node"))


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import explore as page

    page.render()
