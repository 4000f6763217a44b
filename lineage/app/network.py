"""Draw a :class:`~lineage.analytics.view.View` with pyvis, as one self-contained HTML page.

* offline: ``cdn_resources="in_line"`` puts vis-network in the page; the template's bootstrap
  links (a CDN, unused by the graph) are removed;
* fast: node and edge dicts are built here and assigned to ``net.nodes``/``net.edges``
  (pyvis ``add_node`` is O(n²)); physics is off; small views use vis' hierarchical layout,
  large ones positions computed here (rows per level, children under their parent);
* safe: model ids and card fields are untrusted. Tooltips are plain text (vis-network shows
  string titles with ``innerText``), pyvis' HTML-popup template is never used, data reaches the
  page only as JSON with ``<``, ``>``, ``&`` and ``'`` escaped, and a Content-Security-Policy
  lets only this page's own scripts run (a per-process nonce) and blocks every network load.

Vis node ids are node numbers (summary nodes negative); the model id is the ``model`` field.
A click on a model puts ``?node=<id>`` in the app's URL (the details panel follows); a double
click puts ``?model=<id>`` (the view re-centres on it).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import math
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pyvis.network import Network

from lineage.analytics.view import View
from lineage.graph import UNKNOWN_TIME, Lineage
from lineage.times import day_of

__all__ = ["LAYOUTS", "RELATION_COLOURS", "build_network", "legend", "network_html"]

LAYOUTS = ("auto", "hierarchical", "server")
#: ``auto`` uses vis' hierarchical layout up to this many nodes, server-side positions above...
HIERARCHICAL_MAX = 300
#: ... or when a level is wider than this (vis would draw it as one very long row).
HIERARCHICAL_WIDTH = 30
#: Labels are drawn for every node up to this many nodes, else for the centre, ancestors and
#: the most downloaded (the rest have tooltips).
LABEL_ALL_MAX = 40
LABEL_TOP = 30

RELATION_COLOURS: dict[str, str] = {
    "finetune": "#2563eb",
    "adapter": "#16a34a",
    "quantized": "#f59e0b",
    "merge": "#db2777",
    "unknown": "#6b7280",
}
CENTRE_COLOUR = "#dc2626"
SUMMARY_COLOUR = "#d1d5db"
_PALETTE = (
    "#7c3aed",
    "#2563eb",
    "#059669",
    "#d97706",
    "#db2777",
    "#0891b2",
    "#65a30d",
    "#9333ea",
    "#ea580c",
    "#4f46e5",
    "#0d9488",
    "#be123c",
)
_OTHER_COLOUR = "#94a3b8"

# Nonces for the page's own <script> tags: keyed by a per-process secret, so the same view gives
# the same HTML (the browser keeps the iframe between reruns) and no data can predict them.
_NONCE_KEY = secrets.token_bytes(32)

_CLICK_JS = """
(function () {
  if (typeof network === "undefined") { return; }
  function go(params) {
    try {
      var w = window.parent;
      if (!w || w === window) { return; }
      var url = new URL(w.location.href);
      Object.keys(params).forEach(function (k) {
        if (params[k] === null) { url.searchParams.delete(k); } else { url.searchParams.set(k, params[k]); }
      });
      w.history.pushState(null, "", url.toString());
      w.dispatchEvent(new w.PopStateEvent("popstate", {state: null}));
    } catch (e) { /* no access to the app's window: tooltips still work */ }
  }
  function model(p) {
    if (!p.nodes.length) { return null; }
    var n = nodes.get(p.nodes[0]);
    return n && typeof n.model === "string" ? n.model : null;
  }
  network.on("click", function (p) { var m = model(p); if (m !== null) { go({node: m}); } });
  network.on("doubleClick", function (p) {
    var m = model(p);
    if (m !== null) { go({model: m, node: null}); }
  });
  try {
    var sel = new URL(window.parent.location.href).searchParams.get("node");
    var hit = sel === null ? [] : nodes.getIds({filter: function (n) { return n.model === sel; }});
    if (hit.length) { network.selectNodes(hit); }
  } catch (e) { /* ignore */ }
  document.body.setAttribute("data-lineage-ready", "1");
})();
"""


def _short(model_id: str, limit: int = 40) -> str:
    name = model_id.rsplit("/", 1)[-1]
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _date(ts: int) -> str:
    return "unknown" if ts == UNKNOWN_TIME else day_of(ts)


def _family_colours(families: Sequence[str]) -> dict[str, str]:
    counts = Counter(families)
    ranked = sorted(counts, key=lambda f: (-counts[f], f))
    return {f: (_PALETTE[k] if k < len(_PALETTE) else _OTHER_COLOUR) for k, f in enumerate(ranked)}


def legend(labels: Sequence[tuple[str, str]], colour_by: str) -> list[tuple[str, str]]:
    """``(text, colour)`` entries explaining the node colours of a view (centre first).

    >>> legend([("Qwen", "china"), ("Qwen", "china"), ("Llama", "us")], "family")[:3]
    [('the centre', '#dc2626'), ('Qwen (2)', '#7c3aed'), ('Llama (1)', '#2563eb')]
    """
    out = [("the centre", CENTRE_COLOUR)]
    if colour_by == "relation":
        return out + [(f"{rel} (link to its parent in view)", c) for rel, c in RELATION_COLOURS.items()]
    counts = Counter(f for f, _ in labels)
    colours = _family_colours([f for f, _ in labels])
    ranked = sorted(counts, key=lambda f: (-counts[f], f))
    out += [(f"{f} ({counts[f]:,})", colours[f]) for f in ranked[: len(_PALETTE)]]
    rest = sum(counts[f] for f in ranked[len(_PALETTE) :])
    if rest:
        out.append((f"{len(ranked) - len(_PALETTE):,} other families ({rest:,})", _OTHER_COLOUR))
    return out


def _legend_html(entries: Sequence[tuple[str, str]]) -> str:
    """The legend box; entry texts are escaped (family names can come from Hub namespaces)."""
    items = "".join(
        f'<div><span class="sw" style="background:{colour}"></span>{html.escape(text)}</div>'
        for text, colour in entries
        if re.fullmatch(r"#[0-9a-f]{6}", colour)
    )
    return f'<div id="lineage-legend">{items}</div>'


def _server_positions(
    lin: Lineage, view: View, extra: Sequence[tuple[int, int]]
) -> dict[int, tuple[float, float]]:
    """x, y per vis id: one block of rows per level, children ordered under their parents.

    ``extra`` lists (summary vis id, parent node) pairs placed after their level's models.
    """
    row_max, dx, dy, gap = 50, 48.0, 48.0, 100.0
    pos: dict[int, tuple[float, float]] = {int(view.centre): (0.0, 0.0)}
    parent_of = {
        int(v): (int(lin.child[e]) if lvl < 0 else int(lin.parent[e]))
        for v, lvl, e in zip(view.nodes.tolist(), view.level.tolist(), view.via.tolist(), strict=True)
        if e >= 0
    }
    by_level: dict[int, list[int]] = {}
    for v, lvl in zip(view.nodes.tolist(), view.level.tolist(), strict=True):
        if lvl:
            by_level.setdefault(lvl, []).append(int(v))
    extra_by_level: dict[int, list[tuple[int, int]]] = {}
    level_of = dict(zip(view.nodes.tolist(), view.level.tolist(), strict=True))
    for vid, parent in extra:
        extra_by_level.setdefault(level_of[parent] + 1, []).append((vid, parent))

    def place(ids: list[int], top: float, sign: int, step: float, per_row: int) -> float:
        """Rows of ``ids`` from ``top`` outwards; returns the last row's y."""
        width = min(per_row, len(ids), max(12, math.ceil(math.sqrt(3 * len(ids)))))
        y = top
        for k, vid in enumerate(ids):
            y = top + sign * (k // width) * dy
            pos[vid] = ((k % width - (width - 1) / 2) * step, y)
        return y

    for sign in (1, -1):
        edge_y = 0.0
        lvl = sign
        while lvl in by_level or lvl in extra_by_level:
            members = by_level.get(lvl, [])
            members.sort(key=lambda v: pos.get(parent_of.get(v, -1), (0.0, 0.0))[0])
            if members:
                edge_y = place(members, edge_y + sign * gap, sign, dx, row_max)
            summaries = [
                vid
                for vid, _ in sorted(extra_by_level.get(lvl, []), key=lambda e: pos.get(e[1], (0.0, 0.0))[0])
            ]
            if summaries:
                edge_y = place(summaries, edge_y + sign * (dy if members else gap), sign, 120.0, 8)
            lvl += sign
    return pos


def build_network(
    lin: Lineage,
    view: View,
    labels: Sequence[tuple[str, str]],
    *,
    colour_by: str = "family",
    size_by_downloads: bool = True,
    layout: str = "auto",
    height: int = 640,
) -> Network:
    """A pyvis ``Network`` of ``view``; ``labels`` are ``(family, region)`` per drawn node."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    nodes = view.nodes.tolist()
    count = len(nodes) + len(view.more)
    widest = int(np.bincount(view.level - view.level.min()).max()) if len(view.level) else 0
    hierarchical = layout == "hierarchical" or (
        layout == "auto" and count <= HIERARCHICAL_MAX and widest + len(view.more) <= HIERARCHICAL_WIDTH
    )
    rel_labels = lin.relation_labels
    fam_colour = _family_colours([f for f, _ in labels])
    if len(nodes) <= LABEL_ALL_MAX:
        labelled = set(nodes)
    else:
        desc = [v for v, lvl in zip(nodes, view.level.tolist(), strict=True) if lvl > 0]
        top = sorted(desc, key=lambda v: -int(lin.downloads[v]))[:LABEL_TOP]
        labelled = {v for v, lvl in zip(nodes, view.level.tolist(), strict=True) if lvl <= 0} | set(top)
    extra = [(-(k + 1), parent) for k, (parent, _, _) in enumerate(view.more)]
    pos = {} if hierarchical else _server_positions(lin, view, extra)
    shift = int(-view.level.min()) if len(view.level) else 0

    vis_nodes: list[dict[str, Any]] = []
    for v, lvl, via, (family, region) in zip(
        nodes, view.level.tolist(), view.via.tolist(), labels, strict=True
    ):
        mid = lin.ids[v]
        if via < 0:
            relation, link = "centre", ""
        else:
            relation = rel_labels[int(lin.relation[via])]
            other = int(lin.child[via]) if lvl < 0 else int(lin.parent[via])
            link = f"{relation} {'parent of' if lvl < 0 else 'of'} {lin.ids[other]}"
        dl = int(lin.downloads[v])
        flags = " (not on the Hub)" if lin.placeholder[v] else (" (deleted)" if lin.deleted[v] else "")
        title = "\n".join(
            x
            for x in (
                mid + flags,
                f"family: {family} ({region})",
                link,
                f"created: {_date(int(lin.created[v]))}",
                f"downloads (30 days): {dl:,}",
            )
            if x
        )
        if v == view.centre:
            colour = CENTRE_COLOUR
        elif colour_by == "relation":
            colour = RELATION_COLOURS.get(relation, _OTHER_COLOUR)
        else:
            colour = fam_colour.get(family, _OTHER_COLOUR)
        size = 6 + 2.2 * math.log10(1 + dl) if size_by_downloads else 10.0  # a dot's radius
        node: dict[str, Any] = {
            "id": int(v),
            "model": mid,
            "family": family,
            "relation": relation,
            "label": (mid if v == view.centre else _short(mid)) if v in labelled else "",
            "title": title,
            "color": colour,
            "size": round(size + (6 if v == view.centre else 0), 1),
        }
        if v == view.centre:
            node["borderWidth"] = 3
        if hierarchical:
            node["level"] = lvl + shift
        else:
            node["x"], node["y"] = pos[int(v)]
        vis_nodes.append(node)
    level_of = dict(zip(nodes, view.level.tolist(), strict=True))
    for (vid, parent), (_, relation, n) in zip(extra, view.more, strict=True):
        node = {
            "id": vid,
            "summary": True,
            "relation": relation,
            "label": f"+{n:,} {relation}",
            "title": f"{n:,} more {relation} children of {lin.ids[parent]} not drawn",
            "color": SUMMARY_COLOUR,
            "shape": "box",
            "font": {"size": 12},
        }
        if hierarchical:
            node["level"] = level_of[parent] + 1 + shift
        else:
            node["x"], node["y"] = pos[vid]
        vis_nodes.append(node)

    vis_edges: list[dict[str, Any]] = []
    for p, c, r in zip(
        lin.parent[view.edges].tolist(),
        lin.child[view.edges].tolist(),
        lin.relation[view.edges].tolist(),
        strict=True,
    ):
        rel = rel_labels[int(r)]
        vis_edges.append(
            {
                "from": int(p),
                "to": int(c),
                "title": rel,
                "relation": rel,
                "color": RELATION_COLOURS.get(rel, _OTHER_COLOUR),
                "dashes": rel == "adapter",
            }
        )
    for vid, parent in extra:
        vis_edges.append({"from": int(parent), "to": vid, "color": SUMMARY_COLOUR, "dashes": True})

    net = Network(height=f"{height}px", width="100%", directed=True, cdn_resources="in_line")
    net.nodes = vis_nodes
    net.edges = vis_edges
    big = count > 500
    options: dict[str, Any] = {
        "physics": {"enabled": False},
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": big,
            "hideEdgesOnZoom": big,
            "keyboard": False,
            "multiselect": False,
        },
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "width": 1},
        "nodes": {
            "shape": "dot",
            "borderWidth": 1,
            "font": {"size": 12, "face": "sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
        },
        "layout": {"improvedLayout": False, "randomSeed": 0},
    }
    if hierarchical:
        options["layout"]["hierarchical"] = {
            "enabled": True,
            "direction": "UD",
            "sortMethod": "directed",
            "levelSeparation": 110,
            "nodeSpacing": 60,
            "treeSpacing": 80,
            "blockShifting": True,
            "edgeMinimization": False,
            "parentCentralization": True,
        }
    net.options = options
    return net


def _nonce(page: str) -> str:
    return hmac.new(_NONCE_KEY, page.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]


_CDN_TAGS = re.compile(
    r"<link[^>]*https://cdn\.jsdelivr\.net[^>]*/>|<script[^>]*https://cdn\.jsdelivr\.net[^>]*>\s*</script>",
    re.S,
)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")
# The template's own tags start a line; vis-network's code holds "<script>" inside a string.
_SCRIPT_TAG = re.compile(r"^(\s*)<script(?=[\s>])", re.M)


@functools.cache
def _template() -> tuple[Any, str]:
    """pyvis' page template (compiled once) and the vis-network stylesheet it inlines."""
    net = Network(cdn_resources="in_line")
    css = (Path(net.template_dir) / "lib" / "vis-9.1.2" / "vis-network.css").read_text(encoding="utf-8")
    return net.templateEnv.get_template(net.path), css.rstrip("\n")  # as jinja includes it


# Of vis-network's 220 kB stylesheet (mostly images for editing buttons this view never shows),
# the graph needs the tooltip's rules.
_CSS = (
    "div.vis-tooltip{background-color:#f5f4ed;border:1px solid #808074;border-radius:3px;"
    "box-shadow:3px 3px 10px rgba(0,0,0,.2);color:#000;font-family:sans-serif;font-size:13px;padding:5px;"
    "pointer-events:none;position:absolute;visibility:hidden;white-space:nowrap;z-index:5}"
    "div.vis-network:focus{outline:none}"
    "#lineage-legend{position:absolute;top:14px;left:14px;z-index:4;background:rgba(255,255,255,.88);"
    "border:1px solid #e5e7eb;border-radius:4px;padding:4px 8px;font:12px sans-serif;color:#111;"
    "max-width:45%;pointer-events:none}"
    "#lineage-legend .sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}"
)


def network_html(net: Network, legend_entries: Sequence[tuple[str, str]] = ()) -> str:
    """The page for ``st.iframe``: pyvis' template, rendered with no HTML popups, offline, locked down,
    with a colour legend (:func:`legend`) over the graph."""
    nodes, edges, _, height, width, options = net.get_network_data()
    template, css = _template()
    page = template.render(
        height=height,
        width=width,
        nodes=nodes,
        edges=edges,
        heading="",
        options=options,
        physics_enabled=False,
        use_DOT=False,
        dot_lang="",
        widget=False,
        bgcolor=net.bgcolor,
        conf=False,
        tooltip_link=False,
        neighborhood_highlight=False,
        select_menu=False,
        filter_menu=False,
        notebook=False,
        cdn_resources="in_line",
    )
    page = _EMPTY_HEADING.sub("", _CDN_TAGS.sub("", page)).replace(css, _CSS, 1)
    end = page.rindex("</body>")
    box = _legend_html(legend_entries) if legend_entries else ""
    page = f"{page[:end]}{box}\n<script>{_CLICK_JS}</script>\n{page[end:]}"
    nonce = _nonce(page)
    page = _SCRIPT_TAG.sub(rf'\1<script nonce="{nonce}"', page)
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return page.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{csp}">', 1)
