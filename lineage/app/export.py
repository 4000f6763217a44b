"""The Export page: the Explore page's current subgraph in every format of ``lineage export``.

Files are made when a button is clicked (deferred downloads), by :mod:`lineage.export`
from :meth:`Lineage.to_networkx` of the drawn models, or of every model the view matched.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import PurePosixPath
from types import ModuleType
from typing import Any

import networkx as nx
import streamlit as st

from lineage.analytics.view import ViewSpec
from lineage.app import data
from lineage.app.text import md
from lineage.app.viewurl import from_query, to_query
from lineage.export import safe_filename

__all__ = ["MATCHED_MAX", "export_module", "render"]

#: "Everything matched" exports at most this many models (the rest would be a whole-family dump:
#: use ``lineage export --family`` for that).
MATCHED_MAX = 250_000


def export_module() -> ModuleType | None:
    """:mod:`lineage.export`, or None when this installation lacks it."""
    try:
        return importlib.import_module("lineage.export")
    except ImportError:
        return None


@st.cache_data(show_spinner=False)
def _suffix(fmt: str) -> tuple[str, str]:
    """The file suffix and MIME type the exporter gives ``fmt`` (probed on a one-node graph)."""
    module = export_module()
    assert module is not None
    probe: nx.DiGraph[str] = nx.DiGraph()
    probe.add_node("a/b", downloads=0)
    _, name, mime = module.export_bytes(probe, fmt)
    return "".join(PurePosixPath(str(name)).suffixes) or f".{fmt}", str(mime)


def _producer(
    graph: data.Graph, module: ModuleType, centre: int, spec: ViewSpec, scope: str, fmt: str
) -> Callable[[], bytes]:
    def produce() -> bytes:
        view = graph.view(centre, spec)
        nodes = view.nodes if scope == "drawn" else view.matched
        g = graph.memo(("nx", centre, spec, scope), lambda: graph.lin.to_networkx(nodes))
        payload, _, _ = module.export_bytes(g, fmt)
        return bytes(payload)

    return produce


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("Export")
    st.caption("Download the subgraph shown on the Explore page, in every format `lineage export` writes.")
    module = export_module()
    if module is None:
        st.error(
            "Export is unavailable in this installation (the `lineage.export` module is missing). "
            "Update lineage, or use `lineage export` from a complete installation."
        )
        return
    current: Any = st.session_state.get("ex_view")
    qp = st.query_params
    if current:  # the view Explore shows, in this page's URL too (a link to this export)
        centre_id, spec = current
        for key, value in to_query(centre_id, spec).items():
            if qp.get_all(key) != ([value] if isinstance(value, str) else value):
                qp[key] = value
    else:  # a sent link
        model, spec = from_query(qp.get_all)
        if not model:
            st.info("Open a model on the Explore page first: the export is the subgraph shown there.")
            st.page_link(data.PAGES / "explore.py", label="Go to Explore", icon=":material/account_tree:")
            return
        centre_id = model
    graph = data.require_graph(state)
    centre = graph.lin.find(centre_id)
    if centre is None:
        st.info("The model shown on Explore is no longer in the store: pick another one there.")
        return
    view = graph.view(centre, spec)
    st.markdown(
        f"Subgraph around **{md(centre_id)}**: {spec.up} levels up, {spec.down} down, with the "
        "Explore page's filters."
    )
    scope = str(
        st.radio(
            "Models",
            ["drawn", "matched"],
            key="scope",
            bind="query-params",
            captions=[
                f"the {len(view.nodes):,} models drawn",
                f"all {len(view.matched):,} models the view counts (drawn or in boxes)",
            ],
        )
    )
    if scope == "matched" and len(view.matched) > MATCHED_MAX:
        st.warning(
            f"{len(view.matched):,} models is more than this page exports ({MATCHED_MAX:,}). Lower the "
            "depth on Explore, or use `lineage export --root ... --depth N` on the command line."
        )
        return
    row = st.container(horizontal=True, wrap=True)  # buttons as wide as their names, wrapped
    for fmt in module.FORMATS:
        try:
            suffix, mime = _suffix(str(fmt))
        except Exception as exc:
            row.caption(f"{fmt}: unavailable ({md(exc)})")
            continue
        row.download_button(
            str(fmt),
            _producer(graph, module, centre, spec, scope, str(fmt)),
            file_name=safe_filename(f"{centre_id}-{scope}", suffix),
            mime=mime,
            key=f"xp_{fmt}",
            on_click="ignore",
            icon=":material/download:",
            width="content",
        )
    st.caption(
        "GraphML and GEXF open in Gephi or Cytoscape; CSV and Parquet come as a zip of nodes and "
        "edges; Cypher loads into Neo4j."
    )


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import export as page

    with data.timed("export"):
        page.render()
