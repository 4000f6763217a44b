"""Where each item of a :class:`~lineage.analytics.view.View` is drawn: a layered layout.

One band of rows per level (ancestors above the centre, descendants below), items ordered
under the model they hang from and spaced by the width of their label, so no two labels
overlap at any zoom (positions and labels scale together). Rows wrap at ``spec.width``.
Pure Python: no Streamlit, no vis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lineage.analytics.textwidth import short_label, text_width
from lineage.analytics.view import BOX_PAD, FONT, GAP, View, ViewSpec
from lineage.graph import Lineage

__all__ = [
    "CENTRE_FONT",
    "Layout",
    "dot_radius",
    "layout",
    "model_label",
]

#: The centre's label size (bold).
CENTRE_FONT = 15
#: Vertical distance between two rows of one level, and between two levels.
ROW_H = 78.0
LEVEL_GAP = 150.0


def dot_radius(downloads: int, by_downloads: bool = True) -> float:
    """A model's dot radius: grows with the log of its downloads (7 to about 20)."""
    return round(7.0 + 2.0 * math.log10(1 + max(0, downloads)), 1) if by_downloads else 10.0


def model_label(lin: Lineage, node: int, centre: bool) -> str:
    """The drawn label: the full id for the centre, the short name for the others."""
    return lin.ids[node] if centre else short_label(lin.ids[node])


@dataclass(frozen=True)
class Layout:
    """Positions of drawn models (by node number) and clusters (by index in ``view.clusters``)."""

    models: dict[int, tuple[float, float]]
    clusters: dict[int, tuple[float, float]]
    width: float
    height: float


def _width(lin: Lineage, view: View, item: tuple[str, int], by_downloads: bool) -> float:
    kind, k = item
    if kind == "cluster":
        return max(text_width(t, FONT) for t in view.clusters[k].lines()) + 2 * BOX_PAD + GAP
    node = int(view.nodes[k])
    centre = node == view.centre
    label = model_label(lin, node, centre)
    w = text_width(label, CENTRE_FONT if centre else FONT, bold=centre)
    return max(w, 2 * dot_radius(int(lin.downloads[node]), by_downloads)) + GAP


def layout(lin: Lineage, view: View, spec: ViewSpec, by_downloads: bool = True) -> Layout:
    """The layered positions of ``view`` (see the module docstring)."""
    levels: dict[int, list[tuple[str, int]]] = {}
    anchor: dict[tuple[str, int], int] = {}
    for k, (lvl, via) in enumerate(zip(view.level.tolist(), view.via.tolist(), strict=True)):
        levels.setdefault(lvl, []).append(("model", k))
        if via >= 0:
            anchor[("model", k)] = int(lin.child[via] if lvl < 0 else lin.parent[via])
    for k, c in enumerate(view.clusters):
        levels.setdefault(c.level, []).append(("cluster", k))
        anchor[("cluster", k)] = c.anchor
    span = spec.width / 2  # rows stay within [-span, span] (wider when a level needs it)
    x_of: dict[int, float] = {int(view.centre): 0.0}
    models: dict[int, tuple[float, float]] = {int(view.centre): (0.0, 0.0)}
    clusters: dict[int, tuple[float, float]] = {}
    half_width = 0.0
    top = bottom = 0.0
    for sign in (1, -1):
        edge_y = 0.0
        lvl = sign
        while lvl in levels:
            items = levels[lvl]
            items.sort(key=lambda it: (x_of.get(anchor.get(it, -1), 0.0), it[0] == "cluster", it[1]))
            widths = [_width(lin, view, it, by_downloads) for it in items]
            rows: list[list[int]] = [[]]
            used = 0.0
            for j, w in enumerate(widths):
                if rows[-1] and used + w > spec.width:
                    rows.append([])
                    used = 0.0
                rows[-1].append(j)
                used += w
            for r, row in enumerate(rows):
                y = edge_y + sign * (LEVEL_GAP + r * ROW_H)
                total = sum(widths[j] for j in row)
                # Under the models the row hangs from, as far as the drawing's width allows.
                want = sum(x_of.get(anchor.get(items[j], -1), 0.0) for j in row) / len(row)
                half = max(span, total / 2)
                x = min(max(want - total / 2, -half), half - total)
                for j in row:
                    centre_x = x + widths[j] / 2
                    x += widths[j]
                    kind, k = items[j]
                    if kind == "model":
                        node = int(view.nodes[k])
                        models[node] = (round(centre_x, 1), y)
                        x_of[node] = centre_x
                    else:
                        clusters[k] = (round(centre_x, 1), y)
                half_width = max(half_width, abs(x), abs(x - total), total / 2)
            edge_y += sign * (LEVEL_GAP + (len(rows) - 1) * ROW_H)
            lvl += sign
        if sign > 0:
            bottom = edge_y
        else:
            top = edge_y
    return Layout(models, clusters, 2 * half_width, bottom - top)
