"""Chart pieces shared by the pages: fixed colour scales and a legend strip (Altair).

Every chart names its colours explicitly (``domain`` and ``range`` from
:mod:`lineage.render.palette`), so a family has the same colour in every chart, under every
filter, and in every chart a user saves from the app (the spec carries the colours). Charts are
drawn as SVG, so their legends are text in the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from lineage.families import Registry
from lineage.render.palette import RELATION_COLOURS, RELATION_ORDER, group_colours

__all__ = ["SVG", "colour_scale", "legend_strip", "relation_scale", "show"]

#: ``usermeta`` asking Streamlit's Vega embed to draw SVG (text legends, crisp at any zoom).
SVG: dict[str, Any] = {"embedOptions": {"renderer": "svg"}}


def show(where: Any, chart: alt.TopLevelMixin, key: str) -> None:
    """Draw ``chart`` in ``where`` (``st`` or a column) at the container's width. The spec is
    built here without Altair's schema validation (a tenth of a second per chart, on every
    rerun); the charts are fixed code, checked by the tests."""
    where.vega_lite_chart(chart.to_dict(validate=False), width="stretch", key=key)


def colour_scale(groups: Sequence[str], by: str, registry: Registry | None = None) -> alt.Scale:
    """The colour of each group, fixed (:func:`lineage.render.palette.group_colour`)."""
    return alt.Scale(domain=list(groups), range=group_colours(groups, by, registry))


def relation_scale(relations: Sequence[str] = RELATION_ORDER) -> alt.Scale:
    return alt.Scale(domain=list(relations), range=[RELATION_COLOURS[r] for r in relations])


def legend_strip(
    groups: Sequence[str], by: str, registry: Registry | None = None, scale: alt.Scale | None = None,
    columns: int | None = None,
) -> alt.Chart:  # fmt: skip
    """A legend on its own, in rows: one legend for charts side by side, or under a chart whose
    rows must line up with a neighbour's (a legend inside it would take from its plot's height).
    ``scale``: the colours, if not the groups' (:func:`colour_scale`)."""
    frame = pd.DataFrame({"group": list(groups)})
    columns = columns or (6 if all(len(g) <= 12 for g in groups) else 4)
    rows = -(-len(groups) // columns)
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_square(opacity=0, size=0)
        .encode(
            color=alt.Color(
                "group:N",
                scale=scale or colour_scale(groups, by, registry),
                sort=list(groups),
                legend=alt.Legend(
                    title=None,
                    orient="top",
                    direction="horizontal",
                    columns=columns,
                    symbolType="square",
                    symbolSize=140,
                    symbolOpacity=1,
                    symbolStrokeWidth=0,
                    labelLimit=190,
                    labelFontSize=12,
                    columnPadding=16,
                    rowPadding=6,
                ),
            )
        )
        .properties(height=20 * rows + 20, usermeta=SVG)
        .configure_view(stroke=None)
    )
    return chart
