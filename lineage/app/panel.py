"""The Explore page's model panel: a model's place in the lineage, its derivatives, its details.

* the chains up to its root(s), with the relation of every link;
* its direct children and all its descendants per relation; each count opens a table of those
  models (sortable, filterable, every model linked to its Hub page) and, for direct children,
  the Hub's own listing (``huggingface.co/models?other=base_model:<relation>:<id>``);
* its store row (dates, downloads, likes, task, library, licence).

Simulated stores get no Hub links at all: their ids are not on huggingface.co. The panel's model
is ``?node=`` (default the centre); the open table is ``?list=<scope>:<relation|all>``; the
table's filters are bound to ``find``, ``fam`` and ``sort`` (``downloads, most first``).
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import streamlit as st

from lineage.analytics.panel import SORTS, derivative_rows, describe, root_chains
from lineage.analytics.view import View
from lineage.app import data
from lineage.app.text import HUB_RELATIONS, hub_listing, hub_url, md, shown
from lineage.export import safe_filename
from lineage.licenses import CLASSES
from lineage.records import RELATIONS, license_key
from lineage.render import render as render_rows
from lineage.render.palette import relation_label

__all__ = ["TABLE_ROWS", "render_panel"]

PARAM: Final = "query-params"
#: Rows a derivative table shows at most (the CSV download has them all).
TABLE_ROWS = 1000
SCOPES = {"children": "direct", "descendants": "at any depth"}
_WORDS = {"created": ("newest", "oldest"), "depth": ("deepest", "nearest"), "model": ("Z to A", "A to Z")}


def _order_name(key: str, desc: bool) -> str:
    """How an order reads (and is written in the URL).

    >>> _order_name("downloads", True), _order_name("depth", False), _order_name("model", False)
    ('downloads, most first', 'depth, nearest first', 'model, A to Z')
    """
    most, least = _WORDS.get(key, ("most", "fewest"))
    return f"{key}, {most if desc else least}" + ("" if key == "model" else " first")


#: Table orders by name: (column, descending).
ORDERS = {
    _order_name(s, desc): (s, desc)
    for s in SORTS
    for desc in ((False, True) if s == "model" else (True, False))
}


def _open(node_id: str, listing: str | None) -> None:
    qp = st.query_params
    qp["node"] = node_id
    if listing is None:
        if "list" in qp:
            del qp["list"]
    else:
        qp["list"] = listing


def _on_model() -> None:
    picked = st.session_state.get("ex_node")
    if picked:
        _open(str(picked), None)


def _recentre(model_id: str) -> None:
    qp = st.query_params
    for key in ("node", "list", "expand"):
        if key in qp:
            del qp[key]
    qp["model"] = model_id
    st.session_state["ex_query"] = model_id
    st.session_state["_ex_known"] = model_id


def _chains(graph: data.Graph, node: int) -> None:
    lin = graph.lin
    chains = root_chains(lin, node)
    if len(chains) == 1 and len(chains[0]) == 1:
        st.markdown("**Lineage:** a base model (no parent).")
        return
    st.markdown("**Lineage up to the root" + ("s" if len(chains) > 1 else "") + "**")
    lines = []
    for chain in chains:
        parts = []
        for k, (n, rel) in enumerate(chain):
            name = "this model" if n == node else md(lin.ids[n])
            if lin.placeholder[n]:
                name += " (not on the Hub)"
            parts.append((f" ▸ *{rel}* ▸ " if k else "") + (f"**{name}**" if n == node else name))
        lines.append("- " + "".join(parts))
    st.markdown("\n".join(lines))


def _counts(state: data.StoreState, graph: data.Graph, node: int, node_id: str) -> None:
    counts = graph.counts(node)
    simulated = state.simulated
    if not counts.total_children:
        st.markdown("**Derivatives:** none in this store.")
        return
    st.markdown(
        f"**Derivatives:** {counts.total_children:,} direct, {counts.total_descendants:,} at any depth"
    )
    widths = [1.1, 1.1, 1.1, 0.8] if not simulated else [1.1, 1.1, 1.1]
    head = st.columns(widths, vertical_alignment="center", gap="small")
    for col, text in zip(head, ["", "direct", "any depth", "Hub"], strict=False):
        col.caption(text)
    current = st.query_params.get("list") if st.query_params.get("node", node_id) == node_id else None
    for rel in [r for r in RELATIONS if counts.descendants.get(r)] + ["all"]:
        direct = counts.total_children if rel == "all" else counts.children.get(rel, 0)
        deep = counts.total_descendants if rel == "all" else counts.descendants.get(rel, 0)
        cols = st.columns(widths, vertical_alignment="center", gap="small")
        cols[0].markdown(f"**{rel}**" if rel == "all" else rel)
        for col, scope, n in ((cols[1], "children", direct), (cols[2], "descendants", deep)):
            listing = f"{scope}:{rel}"
            col.button(
                f"{n:,}",
                key=f"pl_{scope}_{rel}",
                type="primary" if current == listing else "secondary",
                disabled=not n,
                on_click=_open,
                args=(node_id, listing),
                help=f"List the {'direct children' if scope == 'children' else 'descendants'}"
                + ("" if rel == "all" else f" counted as {rel}"),
            )
        if not simulated and rel in HUB_RELATIONS and direct:
            cols[3].markdown(f"[list ↗]({hub_listing(node_id, rel)})")


def _details(state: data.StoreState, graph: data.Graph, node: int, centre_id: str) -> None:
    lin = graph.lin
    with data.reader(state)() as store:
        row = None if lin.placeholder[node] else store.model_rows([lin.ids[node]]).get(lin.ids[node])
    d = describe(lin, graph.registry, node, row)
    klass = CLASSES[int(graph.licences().classes[node])]
    parents = ", ".join(f"{rel} of {pid}" for pid, rel in d["parents"]) or "none (a base model)"
    rows = [
        ("Family", d["family"]),
        ("Region", d["region"]),
        ("Parents", parents),
        ("Children", f"{d['children']:,}"),
        ("Created", str(d.get("created_at", "unknown"))[:10]),
        ("Modified", str(d.get("last_modified", "unknown"))[:10]),
        ("Downloads 30 d", f"{d.get('downloads', 0):,}"),
        ("Downloads, all", f"{d['downloads_all_time']:,}" if "downloads_all_time" in d else "unknown"),
        ("Likes", f"{d.get('likes', 0):,}"),
        ("Pipeline tag", d.get("pipeline_tag", "")),
        ("Library", d.get("library_name", "")),
        ("License", license_key(d.get("license"), d.get("license_name")) or ""),
        ("Licence class", klass),
        ("Gated", d.get("gated", "")),
    ]
    if d["children"]:
        if klass in ("model-specific", "non-commercial"):
            direct, deep = graph.dropped_terms(node)
            dropping = f"{direct:,} direct, {deep:,} at any depth"
        else:
            dropping = "none counted (only model-specific and non-commercial terms are)"
        rows.append(("Dropping its terms", dropping))
    if d.get("placeholder"):
        rows.append(("Note", "not in the store: a deleted, private or renamed parent (a placeholder root)"))
    elif d.get("legacy_date"):
        rows.append(("Note", "created before 2022-03-02: the Hub does not know the real date"))
    st.dataframe(
        pd.DataFrame([(k, shown(v)) for k, v in rows], columns=["field", "value"]),
        hide_index=True,
        width="stretch",
        height=35 * (len(rows) + 1) + 3,
        column_config={"field": st.column_config.TextColumn(width=150)},
    )
    if state.simulated:
        st.caption("Simulated data: this model is not on huggingface.co.")
    elif not d.get("placeholder"):
        st.link_button("Open on the Hub", hub_url(d["id"]), icon=":material/open_in_new:")
    st.button(
        "Re-centre on this model",
        key="ex_recentre",
        on_click=_recentre,
        args=(d["id"],),
        disabled=d["id"] == centre_id,
        icon=":material/center_focus_strong:",
    )


def _table(state: data.StoreState, graph: data.Graph, node: int, node_id: str, listing: str) -> None:
    scope, _, rel = listing.partition(":")
    if scope not in SCOPES or rel not in ("all", *RELATIONS):
        return
    lin = graph.lin
    d = graph.derivatives(node, scope, None if rel == "all" else rel)
    what = (
        ("direct children" if scope == "children" else "descendants")
        if rel == "all"
        else relation_label(rel, 2).split(" ", 1)[1]
        + (" (direct)" if scope == "children" else " (any depth)")
    )
    head, close = st.columns([5, 1.3], vertical_alignment="bottom")
    head.subheader(f"{len(d.nodes):,} {what} of {md(node_id)}")
    close.button("Close", key="pl_close", on_click=_open, args=(node_id, None), icon=":material/close:")
    key = (node, scope, rel)
    fam_counts = graph.memo(
        ("families of", *key), lambda: derivative_rows(lin, d, graph.registry, limit=0)[2]
    )
    ss = st.session_state
    if "fam" in ss:  # a family not in this table (another model's): drop it
        ss["fam"] = [f for f in ss["fam"] if f in fam_counts]
    a, b, c = st.columns([3, 3, 2.4], vertical_alignment="bottom")
    text = a.text_input("Filter ids", key="find", bind=PARAM, placeholder="part of an id, e.g. gguf")
    families = b.multiselect(
        "Families",
        list(fam_counts),
        key="fam",
        bind=PARAM,
        placeholder="any",
        help="The families of these models, most models first.",
    )
    order = c.selectbox("Sort by", list(ORDERS), key="sort", bind=PARAM)
    sort, desc = ORDERS[str(order)]
    rows, matching, _ = graph.memo(
        ("rows of", *key, text, tuple(families), sort, desc),
        lambda: derivative_rows(
            lin, d, graph.registry, text=text or "", families=families, sort=sort, descending=desc,
            limit=TABLE_ROWS,
        ),
    )  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["model", "downloads", "likes", "created", "relation", "depth", "family"]
    )
    config: dict[str, Any] = {
        "downloads": st.column_config.NumberColumn("downloads (30 d)", format="localized"),
        "likes": st.column_config.NumberColumn(format="localized"),
    }
    if not state.simulated:
        frame.insert(1, "hub", [hub_url(m) for m in frame["model"]])
        config["hub"] = st.column_config.LinkColumn("on the Hub", display_text="open ↗", width="small")
    frame["model"] = frame["model"].map(shown)
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, key="pl_table", height=420)
    listed = min(matching, TABLE_ROWS)
    st.caption(
        f"{matching:,} models match"
        + (
            f"; the first {listed:,} by {sort} are shown (click a column to re-sort them)"
            if matching > listed
            else ""
        )
        + ". The CSV has every matching model."
    )

    def csv() -> str:
        every, _, _ = derivative_rows(
            lin, d, graph.registry, text=text or "", families=families, sort=sort,
            descending=desc, limit=len(d.nodes),
        )  # fmt: skip
        return render_rows(
            every, "csv", ["model", "downloads", "likes", "created", "relation", "depth", "family"]
        )

    st.download_button(
        "Download CSV",
        csv,
        file_name=safe_filename(f"{node_id}-{scope}-{rel}", ".csv"),
        mime="text/csv",
        key="pl_csv",
        on_click="ignore",
        icon=":material/download:",
    )


def render_panel(state: data.StoreState, graph: data.Graph, view: View, centre_id: str) -> None:
    """The panel of the model in ``?node=`` (default the centre) and the table it opened."""
    lin = graph.lin
    ids = [lin.ids[int(i)] for i in view.nodes]
    wanted = st.query_params.get("node") or centre_id
    node = lin.find(wanted)
    if node is None:
        node = view.centre
    node_id = lin.ids[node]
    if node_id not in ids:
        ids.append(node_id)
    st.session_state["ex_node"] = node_id
    with st.container(border=True):
        top, pick = st.columns([3, 2], vertical_alignment="bottom")
        top.subheader(md(node_id))
        pick.selectbox(
            "Model",
            ids,
            key="ex_node",
            on_change=_on_model,
            format_func=shown,
            help="Click a model in the graph to show it here; double-click to re-centre.",
        )
        # The details table under both, at the panel's width: beside them, at 1024 px, its
        # fields and values were cut ("Downloads", "Licence clas").
        left, right = st.columns([1, 1.15], gap="medium")
        with left:
            _chains(graph, node)
        with right:
            _counts(state, graph, node, node_id)
        _details(state, graph, node, centre_id)
    listing = st.query_params.get("list")
    if listing:
        _table(state, graph, node, node_id, listing)
