"""The Explore page: search a model, see its ancestors and descendants, open its panel.

Its state is the URL, so a view can be bookmarked, reloaded, sent, and Back/Forward walk it:

* ``?model=<id>`` — the model in the middle (search box, suggestions, a double click in the
  graph, "Re-centre", the Families page);
* ``?node=<id>`` — the model in the panel (a click in the graph; default the centre);
* ``?list=<children|descendants>:<relation|all>`` — the table the panel's counts open;
* ``?expand=<id>|<relation>`` (repeatable) — clusters drawn in place (a double click on one);
* the view options, each bound to a query parameter of its own name (``up``, ``down``,
  ``rel``, ``tag``, ``since``, ``until``, ``min_dl``, ``colour``, ``size``, ``rows``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Final

import pandas as pd
import streamlit as st

from lineage.analytics.view import View, ViewSpec, family_labels
from lineage.app import data
from lineage.app.network import COLOUR_MODES, build_network, network_html
from lineage.app.panel import render_panel
from lineage.app.text import md, model_ref, shown
from lineage.records import RELATIONS
from lineage.render.palette import relation_label

__all__ = ["render"]

PARAM: Final = "query-params"
#: Clusters opened in place at most (the URL keeps the first ones).
MAX_EXPAND = 12


def _ss() -> Any:
    return st.session_state


def _set_centre(model_id: str, show: bool = True) -> None:
    """Centre the view on ``model_id`` (a new history entry: Back returns to the previous one);
    ``show`` puts the id in the search box (else the box keeps what was typed)."""
    ss = _ss()
    if show:
        ss["ex_query"] = model_id
    ss["_ex_known"] = model_id
    qp = st.query_params
    for key in ("node", "list", "expand"):
        if key in qp:
            del qp[key]
    qp["model"] = model_id


def _find(state: data.StoreState, text: str) -> tuple[str | None, bool]:
    """The model ``text`` names, and whether it named it exactly: its id (any letter case, or a
    pasted Hub URL), else the only or the most downloaded match."""
    ref = model_ref(text)
    if not ref or state.key is None:
        return None, False
    with data.reader(state)() as store:
        row = store.model(ref)
    if row is not None:
        return str(row["id"]), True
    hits = data.search_models(state.path, state.key, ref, 1)
    return (hits[0] if hits else None), False


def _on_query() -> None:
    text = (_ss().get("ex_query") or "").strip()
    if text:
        found, exact = _find(data.store_state(), text)
        if found is not None:
            _set_centre(found, show=exact)  # a partial text stays, with its other matches beside


def _on_pick() -> None:
    pick = _ss().get("ex_pick")
    if pick:
        _set_centre(str(pick))


def _search(state: data.StoreState) -> bool:
    """The search box and its matches (or the most downloaded models); True if what was typed
    matches no id (it says so: the page says nothing more of an unknown id in the URL)."""
    assert state.key is not None
    ss = _ss()
    left, right = st.columns([2, 3])
    centre = st.query_params.get("model")
    if centre and (ss.get("_ex_known") != centre or not ss.get("ex_query")):  # from the URL: show it
        ss["ex_query"] = centre
        ss["_ex_known"] = centre
    with left:
        st.text_input(
            "Model id",
            key="ex_query",
            on_change=_on_query,
            placeholder="Search, or paste a Hub URL: Qwen/Qwen2.5-7B, llama, gguf …",
            help="An id (any letter case) or a huggingface.co URL opens the model; other text opens "
            "the most downloaded match on Enter, and lists the others beside.",
        )
    text = model_ref(ss.get("ex_query") or "")
    close: list[str] = []
    if text and text.lower() == str(centre).lower() and _find(state, text)[1]:
        options = [text]  # the box shows the model in view: no search needed
    elif text:
        options = data.search_models(state.path, state.key, text)
        if not options:  # a typo: the ids that look like it
            options = close = data.suggest_models(state.path, state.key, text)
    else:
        options = data.popular_models(state.path, state.key)
    with right:
        st.selectbox(
            ("Did you mean" if close else "Matching models") if text else "Most downloaded models",
            options,
            index=None,
            key="ex_pick",
            on_change=_on_pick,
            format_func=shown,
            placeholder=_plural(len(options), "suggestion") + "…" if options else "no match",
        )
    missed = bool(text and (close or not options) and text != centre)
    if missed:
        st.warning(
            f"No model id containing “{md(text)}” is in this store. "
            + ("Pick one of the similar ids beside, check" if close else "Check")
            + f" the spelling{_fetch_hint(state)}"
        )
    return missed


def _fetch_hint(state: data.StoreState) -> str:
    """How to get models the store does not hold: a crawl, or for a simulated store (whose
    crawls came from a simulated hub, not huggingface.co) a new demo or a store of its own."""
    if state.origin == "simulated":
        return (
            ". This store is simulated: `lineage demo` builds a new one, and `lineage crawl --store "
            "NEW.sqlite` crawls the real Hub into a store of its own."
        )
    return ", or run `lineage crawl` to fetch models created since the last crawl."


def _date_widget(label: str, key: str) -> date | None:
    value = st.date_input(
        label, value=None, min_value=date(2015, 1, 1), max_value=date(2040, 12, 31), key=key, bind=PARAM
    )
    return value if isinstance(value, date) else None


def _controls(pipeline_tags: list[str]) -> tuple[ViewSpec, str, bool]:
    """The sidebar's view options: the spec, colour mode, size mode."""
    with st.sidebar:
        st.subheader("View")
        up = st.slider("Ancestor levels", 0, 8, 2, key="up", bind=PARAM)
        down = st.slider("Descendant levels", 0, 8, 2, key="down", bind=PARAM)
        st.subheader(
            "Filters",
            help="Filters apply to descendants: a model that fails them is hidden "
            "with whatever descends only through it. Ancestors are always shown.",
        )
        relations = st.multiselect(
            "Relations",
            list(RELATIONS),
            default=list(RELATIONS),
            key="rel",
            bind=PARAM,
            help="Follow only links of these relations.",
        )
        tags = st.multiselect(
            "Pipeline tags", pipeline_tags, key="tag", placeholder="any", bind=PARAM, format_func=shown
        )
        since = _date_widget("Created on or after", "since")
        until = _date_widget("Created on or before", "until")
        min_dl = st.number_input(
            "Minimum downloads (30 days)", min_value=0, value=0, step=100, key="min_dl", bind=PARAM
        )
        st.subheader("Drawing")
        colour = st.radio(
            "Colour by",
            COLOUR_MODES,
            horizontal=True,
            key="colour",
            bind=PARAM,
            help="family: the family of each model's root; relation: how it derives from its parent; "
            "license: the class of its declared licence (permissive, copyleft, model-specific, "
            "non-commercial, unknown), links whose derivative drops its base's terms in red.",
        )
        size = st.toggle("Size by downloads", value=True, key="size", bind=PARAM)
        rows = st.slider(
            "Rows of models per level",
            1,
            6,
            ViewSpec.rows,
            key="rows",
            bind=PARAM,
            help="Models are drawn while their labels fit in these rows; the others are counted "
            "in boxes (“+422 finetunes”).",
        )
    spec = ViewSpec(
        up=int(up),
        down=int(down),
        relations=() if set(relations) == set(RELATIONS) else tuple(r for r in RELATIONS if r in relations),
        follow_none=not relations,
        pipeline_tags=tuple(tags),
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        min_downloads=int(min_dl or 0),
        rows=int(rows),
    )
    return spec, str(colour), bool(size)


def _expanded() -> tuple[tuple[str, str], ...]:
    out = []
    for value in st.query_params.get_all("expand")[:MAX_EXPAND]:
        model, _, relation = value.partition("|")
        if relation in ("", *RELATIONS):
            out.append((model, relation))
    return tuple(dict.fromkeys(out))


@st.cache_data(show_spinner=False, max_entries=32)
def _graph_html(
    key: data.StoreKey,
    node: int,
    spec: ViewSpec,
    colour: str,
    size: bool,
    _graph: data.Graph,
    _view: View,
    _labels: list[tuple[str, str]],
) -> tuple[str, int]:
    drawing = build_network(
        _graph.lin,
        _view,
        _labels,
        spec=spec,
        registry=_graph.registry,
        colour_by=colour,
        size_by_downloads=size,
        licences=_graph.licences() if colour == "license" else None,
    )
    return network_html(drawing), drawing.height


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "es" if word.endswith("x") else "s")


def _summary(view: View, centre_id: str, spec: ViewSpec, in_all: int) -> str:
    drawn = len(view.nodes) - 1
    parts = [
        f"**{md(centre_id)}**: {_plural(view.descendants, 'descendant')} within "
        f"{_plural(spec.down, 'level')} ({in_all:,} at any depth), "
        f"{_plural(view.ancestors, 'ancestor')} within {_plural(spec.up, 'level')}. "
        f"Drawn: {_plural(drawn, 'model')} around it."
    ]
    if view.clusters:
        mix = " · ".join(
            relation_label(rel, n) for rel, n in sorted(view.hidden.items(), key=lambda kv: -kv[1])
        )
        parts.append(
            f"The other {view.hidden_total:,} are counted in {_plural(len(view.clusters), 'box')} ({mix})."
        )
    if view.filtered:
        parts.append(
            f"{view.filtered:,} descendants within {_plural(spec.down, 'level')} left out by the filters."
        )
    return " ".join(parts)


def _landing(state: data.StoreState) -> None:
    """The most downloaded models, as a table and a chart (also loads the browser's table and
    chart code while nobody waits for it)."""
    assert state.key is not None
    rows = data.popular_rows(state.path, state.key)
    if not rows:
        return
    st.subheader("Most downloaded models (last 30 days)")
    # The table, then the chart under it at full width: side by side, at a laptop's 1024 px,
    # the ids squeezed the bars to nothing.
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        height=35 * (len(rows) + 1) + 3,  # every row, no scrolling
        column_config={"downloads (30 d)": st.column_config.NumberColumn(format="localized")},
    )
    # A Vega-Lite spec as it is: altair would cost the first page 0.2 s to import and validate.
    dl = {"field": "downloads (30 d)", "type": "quantitative"}
    spec = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {**dl, "title": "downloads (30 days)", "axis": {"format": "~s"}},
            "y": {
                "field": "model",
                "type": "nominal",
                "sort": "-x",
                "title": None,
                "axis": {"labelLimit": 320},
            },
            "tooltip": [{"field": "model", "type": "nominal"}, {**dl, "format": ","}],
        },
    }
    st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch", height=24 * len(rows) + 60)


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("Explore")
    st.caption(
        "A model's ancestors (above) and descendants (below). Click a model for its panel, "
        "double-click to centre on it; click a box to list its models, double-click to draw them."
    )
    _remember()
    missed = _search(state)
    centre = st.query_params.get("model")
    assert state.key is not None
    if not centre and data.graph_loader(state.path, state.key).status == "loading":
        # No model yet and the graph still loading: the page works without it.
        st.info("Type a model id above (or part of one, or a Hub URL) or pick a most downloaded model.")
        _landing(state)
        return
    graph = data.require_graph(state)
    lin = graph.lin
    spec, colour, size = _controls(sorted(t for t in lin.pipeline_labels if t))
    if not centre:
        st.info("Type a model id above (or part of one, or a Hub URL) or pick a most downloaded model.")
        _landing(state)
        return
    node = lin.find(str(centre))
    if node is None:
        if missed:  # what was typed is not in the store either, and the page says so
            return
        hint = data.suggest_models(state.path, state.key, str(centre))[:5]  # the search box's
        st.warning(
            f"“{md(centre)}” is not in this store. Check the spelling{_fetch_hint(state)}"
            + (" Similar ids: " + ", ".join(md(h) for h in hint) + "." if hint else "")
        )
        return
    centre_id = lin.ids[node]
    if centre_id != centre:
        st.query_params["model"] = centre_id  # the stored spelling
    _ss()["_ex_known"] = centre_id
    spec = replace(spec, expand=_expanded())
    with data.timed("explore: view"):
        view = graph.view(node, spec)
        labels = graph.memo(("labels", node, spec), lambda: family_labels(lin, graph.registry, view.nodes))
        counts = graph.counts(node)
    _ss()["ex_view"] = (centre_id, spec)
    st.markdown(_summary(view, centre_id, spec, counts.total_descendants))
    with data.timed("explore: drawing"):
        html, height = _graph_html(state.key, node, spec, colour, size, graph, view, labels)
        st.iframe(html, height=height + 4, alt=f"Lineage graph around {centre_id}")
    if spec.expand:
        st.button(
            "Close the boxes opened in place",
            key="ex_collapse",
            on_click=_collapse,
            icon=":material/unfold_less:",
        )
    with data.timed("explore: panel"):
        render_panel(state, graph, view, centre_id)


_STATE = ("model", "node", "list", "expand")


def _remember() -> None:
    """Coming back to Explore from another page (whose links carry no ``?model=``): the view the
    session last showed. Otherwise note the URL's view for then."""
    qp, ss = st.query_params, _ss()
    last = ss.get("_ex_last")
    if not qp.get("model") and last:
        for key, values in last.items():
            qp[key] = values if key == "expand" else values[0]
    elif qp.get("model"):
        ss["_ex_last"] = {k: qp.get_all(k) for k in _STATE if qp.get_all(k)}


def _collapse() -> None:
    if "expand" in st.query_params:
        del st.query_params["expand"]


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import explore as page

    with data.timed("explore"):
        page.render()
