"""Downloads by family, org or region: now (30-day and all-time) and over crawl snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.groups import node_groups
from lineage.analytics.table import Table
from lineage.families import Registry
from lineage.graph import IntArray, Lineage

__all__ = ["downloads_by_group", "downloads_over_time"]


# -- downloads -----------------------------------------------------------------------------------
def _attribute(
    lin: Lineage, nodes: IntArray, values: Sequence[npt.NDArray[Any]], by: str, registry: Registry | None
) -> tuple[list[str], list[npt.NDArray[Any]], npt.NDArray[Any]]:
    pos, grp, labels = node_groups(lin, nodes, by, registry)
    per_node = np.bincount(pos, minlength=len(nodes))
    w = 1.0 / per_node[pos]
    out = [np.bincount(grp, weights=w * v[nodes][pos].astype(float), minlength=len(labels)) for v in values]
    counts = np.bincount(grp, weights=w, minlength=len(labels))
    return labels, out, counts


def downloads_by_group(
    lin: Lineage, by: str = "family", registry: Registry | None = None, top: int | None = None
) -> Table:
    """Downloads (last 30 days and all time) of every model, split fractionally over the
    groups it descends from (base models count for their own group)."""
    nodes = np.flatnonzero(~lin.placeholder & ~lin.deleted)
    dat = np.where(lin.downloads_all_time >= 0, lin.downloads_all_time, lin.downloads)
    labels, (dl, dl_all), counts = _attribute(lin, nodes, [lin.downloads, dat], by, registry)
    total, total_all = dl.sum() or 1.0, dl_all.sum() or 1.0
    order = np.lexsort((np.array(labels, dtype=object), -dl))
    rows = [
        {
            "group": labels[k],
            "models": float(counts[k]),
            "downloads_30d": float(dl[k]),
            "downloads_30d_share": float(dl[k] / total),
            "downloads_all_time": float(dl_all[k]),
            "downloads_all_time_share": float(dl_all[k] / total_all),
        }
        for k in order
    ]
    if top is not None:
        rows = rows[:top]
    return Table(
        rows,
        [
            "group",
            "models",
            "downloads_30d",
            "downloads_30d_share",
            "downloads_all_time",
            "downloads_all_time_share",
        ],
        [
            "downloads are attributed fractionally over the groups a model descends from; the "
            "Hub reports 30-day downloads and all-time downloads, not a history"
        ],
        "",
    )


def downloads_over_time(
    lin: Lineage,
    snapshots: Iterable[tuple[str, Sequence[str], Sequence[int], Sequence[int | None]]],
    by: str = "family",
    registry: Registry | None = None,
    top: int | None = None,
) -> Table:
    """Downloads by group at each snapshot (one per crawl): ``snapshots`` yields
    ``(time, model_ids, downloads_30d, downloads_all_time)``."""
    rows: list[dict[str, Any]] = []
    index = lin.index
    for when, ids, dl, dl_all in snapshots:
        nodes = np.fromiter((index.get(m, -1) for m in ids), dtype=np.int64, count=len(ids))
        ok = nodes >= 0
        nodes = nodes[ok]
        full = np.zeros(len(lin)), np.zeros(len(lin))
        full[0][nodes] = np.asarray(dl, dtype=float)[ok]
        full[1][nodes] = np.asarray([-1 if v is None else v for v in dl_all], dtype=float)[ok]
        full[1][nodes] = np.where(full[1][nodes] >= 0, full[1][nodes], full[0][nodes])
        labels, (a, b), _ = _attribute(lin, nodes, list(full), by, registry)
        order = np.lexsort((np.array(labels, dtype=object), -a))
        if top is not None:
            order = order[:top]
        rows += [
            {
                "snapshot": when,
                "group": labels[k],
                "downloads_30d": float(a[k]),
                "downloads_all_time": float(b[k]),
            }
            for k in order
        ]
    return Table(
        rows,
        ["snapshot", "group", "downloads_30d", "downloads_all_time"],
        ["one snapshot per crawl: downloads over time exist only from repeated crawls"],
        "",
    )
