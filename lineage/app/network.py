"""Draw a :class:`~lineage.analytics.view.View` with vis-network, as one self-contained HTML page.

* readable: positions come from :mod:`lineage.app.layout` (labels never overlap); physics is
  off; the legend sits beside the canvas (below it on a narrow screen), never over it;
* offline: vis-network's script (shipped in the ``pyvis`` package) is inlined; nothing loads
  from the network;
* safe: model ids and card fields are untrusted. Tooltips are plain text (vis-network shows
  string titles with ``innerText``), data reaches the page only as JSON with ``<``, ``>``,
  ``&`` and ``'`` escaped, legend texts are HTML-escaped, and a Content-Security-Policy lets
  only this page's own scripts run (a per-process nonce) and blocks every network load.

Vis node ids are node numbers (clusters negative); a model's id is its ``model`` field. In the
app's URL: a click on a model sets ``?node=<id>`` (the panel shows it), a double click
``?model=<id>`` (the view re-centres); a click on a cluster opens its table in the panel
(``?node=<anchor>&list=children:<relation>``), a double click draws its models in place
(adds ``expand=<anchor>|<relation>``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import importlib.util
import json
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.analytics.textwidth import FONT_FACE
from lineage.analytics.view import FONT, View, ViewSpec
from lineage.app.layout import CENTRE_FONT, Layout, dot_radius, layout, model_label
from lineage.app.text import shown
from lineage.families import Registry
from lineage.graph import UNKNOWN_TIME, Lineage
from lineage.licenses import CLASSES
from lineage.render.palette import (
    DRIFT_COLOUR,
    LICENSE_CLASS_COLOURS,
    PLAIN_LINK_COLOUR,
    RELATION_COLOURS,
    RELATION_ORDER,
    group_colour,
)
from lineage.times import day_of

__all__ = ["COLOUR_MODES", "DRIFT", "Drawing", "LicenseColours", "build_network", "legend", "network_html"]

#: ``license``: nodes by licence class, links dropping their base's terms in red.
COLOUR_MODES = ("family", "relation", "license")
#: :data:`lineage.analytics.licenses.STATUS_LABELS` index of ``dropped-terms``.
DRIFT = 2
#: The border of the model a view is centred on.
CENTRE_BORDER = "#111827"
CLUSTER_FILL = "#f8fafc"
MIXED = "#94a3b8"
#: Canvas height bounds (pixels).
MIN_HEIGHT, MAX_HEIGHT = 420, 860

# Nonces for the page's own <script> tags: keyed by a per-process secret, so the same view gives
# the same HTML (the browser keeps the iframe between reruns) and no data can predict them.
_NONCE_KEY = secrets.token_bytes(32)
_COLOUR = re.compile(r"#[0-9a-f]{6}")


@dataclass
class Drawing:
    """Everything the page needs: vis nodes and edges, vis options, the canvas height and the
    legend entries ``(text, colour, kind)`` with kind ``dot``, ``line``, ``dash`` or ``box``."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    options: dict[str, Any]
    height: int
    legend: list[tuple[str, str, str]]


@dataclass(frozen=True)
class LicenseColours:
    """What a licence view needs: each node's class (index into :data:`~lineage.licenses.CLASSES`,
    :func:`~lineage.analytics.licenses.node_license_classes`) and each edge's status
    (:func:`~lineage.analytics.licenses.edge_license_status`)."""

    classes: Any
    status: Any


def _licence_of(lin: Lineage, v: int) -> str:
    return lin.license_labels[int(lin.license_codes[v])] or "none"


def _date(ts: int) -> str:
    return "unknown" if ts == UNKNOWN_TIME else day_of(ts)


def legend(
    labels: Sequence[tuple[str, str]],
    colour_by: str,
    registry: Registry | None = None,
    relations: Sequence[str] = RELATION_ORDER,
    clusters: bool = False,
    classes: Sequence[str] = (),
    drift: int = 0,
) -> list[tuple[str, str, str]]:
    """Legend entries for a drawing: node colours (families with their counts, or relations),
    link colours, and the cluster box.

    >>> legend([("Qwen", "china"), ("Qwen", "china"), ("Llama", "us")], "family")[:2]
    [('Qwen (2)', '#7c3aed', 'dot'), ('Llama (1)', '#2563eb', 'dot')]
    """
    out: list[tuple[str, str, str]] = []
    if colour_by == "license":  # ``classes``: the class of each drawn model
        counts = Counter(classes)
        out += [(f"{c} ({counts[c]:,})", LICENSE_CLASS_COLOURS[c], "dot") for c in CLASSES if counts[c]]
        out.append((f"drops its base's licence terms ({drift:,})", DRIFT_COLOUR, "line"))
        out.append(("other link", PLAIN_LINK_COLOUR, "line"))
        if clusters:
            out.append(("models not drawn: click to list, double-click to draw", MIXED, "box"))
        return out
    if colour_by == "relation":
        out += [(f"{r}", RELATION_COLOURS[r], "dot") for r in relations]
    else:
        counts = Counter(f for f, _ in labels)
        for f in sorted(counts, key=lambda f: (-counts[f], f)):
            out.append((f"{f} ({counts[f]:,})", group_colour(f, "family", registry), "dot"))
    out += [(f"{r} link", RELATION_COLOURS[r], "dash" if r == "adapter" else "line") for r in relations]
    if clusters:
        out.append(("models not drawn: click to list, double-click to draw", MIXED, "box"))
    return out


def build_network(
    lin: Lineage,
    view: View,
    labels: Sequence[tuple[str, str]],
    *,
    spec: ViewSpec | None = None,
    registry: Registry | None = None,
    colour_by: str = "family",
    size_by_downloads: bool = True,
    licences: LicenseColours | None = None,
) -> Drawing:
    """The :class:`Drawing` of ``view``; ``labels`` are ``(family, region)`` per drawn node;
    ``licences`` the classes and link statuses (``colour_by="license"``; computed if None)."""
    if colour_by not in COLOUR_MODES:
        raise ValueError(f"colour_by must be one of {', '.join(COLOUR_MODES)}")
    by_licence = colour_by == "license"
    if by_licence and licences is None:
        from lineage.analytics.licenses import edge_license_status, node_license_classes

        licences = LicenseColours(node_license_classes(lin), edge_license_status(lin))
    drawn_classes: list[str] = []
    spec = spec or ViewSpec()
    place: Layout = layout(lin, view, spec, size_by_downloads)
    rel_labels = lin.relation_labels
    vis_nodes: list[dict[str, Any]] = []
    for v, lvl, via, (family, region) in zip(
        view.nodes.tolist(), view.level.tolist(), view.via.tolist(), labels, strict=True
    ):
        mid = lin.ids[v]
        centre = v == view.centre
        if via < 0:
            relation, link = "centre", ""
        else:
            relation = rel_labels[int(lin.relation[via])]
            other = int(lin.child[via]) if lvl < 0 else int(lin.parent[via])
            link = f"{relation} {'parent of' if lvl < 0 else 'of'} {shown(lin.ids[other])}"
        dl = int(lin.downloads[v])
        flags = " (not on the Hub)" if lin.placeholder[v] else (" (deleted)" if lin.deleted[v] else "")
        klass = CLASSES[int(licences.classes[v])] if licences is not None else ""
        title = "\n".join(
            x
            for x in (
                shown(mid) + flags,
                f"family: {shown(family)} ({region})",
                f"licence: {shown(_licence_of(lin, v))} ({klass})" if by_licence else "",
                link,
                f"created: {_date(int(lin.created[v]))}",
                f"downloads (30 days): {dl:,}",
                "click: details · double-click: centre on it",
            )
            if x
        )
        if by_licence:
            colour = LICENSE_CLASS_COLOURS[klass]
            drawn_classes.append(klass)
        elif colour_by == "relation" and not centre:
            colour = RELATION_COLOURS.get(relation, MIXED)
        else:
            colour = group_colour(family, "family", registry)
        x, y = place.models[int(v)]
        node: dict[str, Any] = {
            "id": int(v),
            "model": mid,
            "family": family,
            "relation": relation,
            **({"license_class": klass} if by_licence else {}),
            "label": shown(model_label(lin, int(v), centre)),
            "title": title,
            "color": colour,
            "size": dot_radius(dl, size_by_downloads) + (4 if centre else 0),
            "x": x,
            "y": y,
        }
        if centre:
            node["borderWidth"] = 4
            node["color"] = {"background": colour, "border": CENTRE_BORDER}
            node["font"] = {"size": CENTRE_FONT, "bold": True, "face": FONT_FACE}
        vis_nodes.append(node)

    vis_edges: list[dict[str, Any]] = []
    drift = 0
    for e, p, c, r in zip(
        view.edges.tolist(),
        lin.parent[view.edges].tolist(),
        lin.child[view.edges].tolist(),
        lin.relation[view.edges].tolist(),
        strict=True,
    ):
        rel = rel_labels[int(r)]
        edge: dict[str, Any] = {
            "from": int(p),
            "to": int(c),
            "title": rel,
            "relation": rel,
            "color": RELATION_COLOURS.get(rel, MIXED),
            "dashes": rel == "adapter",
        }
        if licences is not None and by_licence:
            mine, base = shown(_licence_of(lin, c)), shown(_licence_of(lin, p))
            if int(licences.status[e]) == DRIFT:
                drift += 1
                title = f"{rel}: drops its base's terms — declares {mine}, base declares {base}"
                edge.update(color=DRIFT_COLOUR, width=3, drift=True, title=title)
            else:
                edge.update(color=PLAIN_LINK_COLOUR, title=f"{rel}: declares {mine}, base declares {base}")
        vis_edges.append(edge)
    for k, cluster in enumerate(view.clusters):
        vid = -(k + 1)
        lines = cluster.lines()
        anchor = lin.ids[cluster.anchor] if cluster.anchor >= 0 else ""
        border = RELATION_COLOURS.get(cluster.relation, MIXED)
        where = f" of {shown(anchor)}" if anchor else ""
        what = "parents" if cluster.level < 0 else "models"
        title = f"{cluster.direct:,} {what}{where} not drawn" + (
            f" (and {cluster.below:,} more {'above' if cluster.level < 0 else 'below'} them)"
            if cluster.below
            else ""
        )
        node = {
            "id": vid,
            "cluster": True,
            "anchor": anchor,
            "relation": cluster.relation or "mixed",
            "family": cluster.family,
            "label": "\n".join(shown(line) for line in lines),
            "title": title
            + ("\nclick: list them · double-click: draw them here" if cluster.level > 0 else ""),
            "shape": "box",
            "color": {"background": CLUSTER_FILL, "border": border},
            "borderWidth": 1.5,
            "font": {"size": FONT, "face": FONT_FACE, "multi": False},
            "margin": 8,
            "x": place.clusters[k][0],
            "y": place.clusters[k][1],
        }
        if cluster.level > 0 and anchor:
            node["open"] = f"children:{cluster.relation or 'all'}"
            node["expand"] = f"{anchor}|{cluster.relation}"
        vis_nodes.append(node)
        if cluster.anchor >= 0:
            ends = (int(cluster.anchor), vid) if cluster.level > 0 else (vid, int(cluster.anchor))
            vis_edges.append({"from": ends[0], "to": ends[1], "color": border, "dashes": [4, 4]})

    options: dict[str, Any] = {
        "physics": {"enabled": False},
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "keyboard": False,
            "multiselect": False,
            "zoomSpeed": 0.6,
        },
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "width": 1},
        "nodes": {
            "shape": "dot",
            "borderWidth": 1,
            "font": {"size": FONT, "face": FONT_FACE, "strokeWidth": 3, "strokeColor": "#ffffff"},
        },
        "layout": {"improvedLayout": False, "randomSeed": 0},
    }
    present = [
        r
        for r in RELATION_ORDER
        if any(e.get("relation") == r for e in vis_edges) or any(c.relation == r for c in view.clusters)
    ]
    entries = legend(
        labels, colour_by, registry, present or RELATION_ORDER[:1], bool(view.clusters), drawn_classes, drift
    )
    height = int(min(MAX_HEIGHT, max(MIN_HEIGHT, place.height * 0.8 + 160)))
    return Drawing(vis_nodes, vis_edges, options, height, entries)


def _json(obj: Any) -> str:
    """JSON safe inside a <script> element: no ``<``, ``>``, ``&``, ``'`` or line separators."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _legend_html(entries: Sequence[tuple[str, str, str]]) -> str:
    """The legend beside the canvas; texts are escaped (family names can come from Hub namespaces)."""
    items = []
    for text, colour, kind in entries:
        if not _COLOUR.fullmatch(colour):
            continue
        items.append(
            f'<li class="{kind}"><span class="sw" style="--c:{colour}"></span>{html.escape(shown(text))}</li>'
        )
    return f'<aside id="lineage-legend"><ul>{"".join(items)}</ul></aside>'


@functools.cache
def _vis_js() -> str:
    """vis-network 9.1.2 as shipped in the pyvis package (inlined: the app works offline); the
    package is found, not imported (its import costs a third of a second)."""
    spec = importlib.util.find_spec("pyvis")
    if spec is None or spec.origin is None:
        raise RuntimeError("the explorer needs pyvis (the `app` extra): pip install 'hf-lineage[app]'")
    path = Path(spec.origin).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    return path.read_text(encoding="utf-8")


_CSS = (
    "html,body{margin:0;height:100%;font:12px " + FONT_FACE + ";color:#111}"
    "#lineage{display:flex;height:100%;gap:8px}"
    "#mynetwork{flex:1;min-width:0;height:100%;border:1px solid #e5e7eb;border-radius:6px;position:relative}"
    "#lineage-legend{flex:0 0 200px;overflow:auto;padding:2px 0}"
    "#lineage-legend ul{list-style:none;margin:0;padding:0}"
    "#lineage-legend li{display:flex;align-items:flex-start;gap:6px;margin:0 0 4px;line-height:16px;"
    "overflow-wrap:anywhere}"
    "#lineage-legend .sw{flex:0 0 12px;height:12px;margin-top:2px;box-sizing:border-box}"
    "#lineage-legend .dot .sw{border-radius:50%;background:var(--c)}"
    "#lineage-legend .line .sw{height:0;margin-top:8px;border-top:3px solid var(--c)}"
    "#lineage-legend .dash .sw{height:0;margin-top:8px;border-top:3px dashed var(--c)}"
    "#lineage-legend .box .sw{border:1.5px solid var(--c);background:#f8fafc;border-radius:2px}"
    "@media (max-width:760px){#lineage{flex-direction:column}#mynetwork{flex:1 1 0;min-height:0;height:auto}"
    "#lineage-legend{flex:0 0 auto;max-height:28%}"
    "#lineage-legend ul{display:flex;flex-wrap:wrap;gap:2px 14px}}"
    "div.vis-tooltip{background:#f5f4ed;border:1px solid #808074;border-radius:3px;"
    "box-shadow:3px 3px 10px rgba(0,0,0,.2);color:#000;font:13px " + FONT_FACE + ";padding:5px;"
    "pointer-events:none;position:absolute;visibility:hidden;white-space:pre;z-index:5}"
    "div.vis-network:focus{outline:none}"
)

_DRAW_JS = """
var nodes = new vis.DataSet(__NODES__);
var edges = new vis.DataSet(__EDGES__);
var network = new vis.Network(
  document.getElementById("mynetwork"), {nodes: nodes, edges: edges}, __OPTIONS__);
(function () {
  function go(set, add) {
    try {
      var w = window.parent;
      if (!w || w === window) { return; }
      var url = new URL(w.location.href);
      Object.keys(set).forEach(function (k) {
        if (set[k] === null) { url.searchParams.delete(k); } else { url.searchParams.set(k, set[k]); }
      });
      if (add && url.searchParams.getAll(add[0]).indexOf(add[1]) < 0) {
        url.searchParams.append(add[0], add[1]);
      }
      w.history.pushState(null, "", url.toString());
      w.dispatchEvent(new w.PopStateEvent("popstate", {state: null}));
    } catch (e) { /* no access to the app's window: tooltips still work */ }
  }
  function item(p) { return p.nodes.length ? nodes.get(p.nodes[0]) : null; }
  network.on("click", function (p) {
    var n = item(p);
    if (!n) { return; }
    if (typeof n.model === "string") { go({node: n.model, list: null}); }
    else if (typeof n.open === "string") { go({node: n.anchor, list: n.open}); }
  });
  network.on("doubleClick", function (p) {
    var n = item(p);
    if (!n) { return; }
    if (typeof n.model === "string") { go({model: n.model, node: null, list: null, expand: null}); }
    else if (typeof n.expand === "string") { go({}, ["expand", n.expand]); }
  });
  try {
    var sel = new URL(window.parent.location.href).searchParams.get("node");
    var hit = sel === null ? [] : nodes.getIds({filter: function (n) { return n.model === sel; }});
    if (hit.length) { network.selectNodes(hit); }
  } catch (e) { /* ignore */ }
  network.once("afterDrawing", function () {
    network.fit({animation: false});  // fits the dots: leave room for the labels at the edges
    network.moveTo({scale: network.getScale() * 0.9, animation: false});
    document.body.setAttribute("data-lineage-ready", "1");
  });
})();
"""


def _nonce(page: str) -> str:
    return hmac.new(_NONCE_KEY, page.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]


def network_html(drawing: Drawing) -> str:
    """The page for ``st.iframe``: the canvas, the legend beside it, offline and locked down."""
    draw = (
        _DRAW_JS.replace("__NODES__", _json(drawing.nodes))
        .replace("__EDGES__", _json(drawing.edges))
        .replace("__OPTIONS__", _json(drawing.options))
    )
    body = f'<div id="lineage"><div id="mynetwork"></div>{_legend_html(drawing.legend)}</div>'
    nonce = _nonce(draw + body)
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        f"<style>{_CSS}</style>\n"
        f'<script nonce="{nonce}">{_vis_js()}</script>\n'
        f"</head>\n<body>\n{body}\n"
        f'<script nonce="{nonce}">{draw}</script>\n</body>\n</html>\n'
    )
