"""Downloads by family, org or region: now (30-day and all-time) and over crawl snapshots.

Two populations, as the published figures count them:

* ``family`` (default): every model's downloads go to the groups it descends from, split
  equally over them — a family's downloads are those of its whole tree (its own repos and
  every derivative);
* ``first-party``: only the downloads of the groups' own uploads (models uploaded by the
  family's organisations in the registry, :mod:`lineage.analytics.firstparty`) — the ATOM
  Project's way of counting a lab's cumulative downloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.firstparty import first_party_pairs
from lineage.analytics.groups import node_groups
from lineage.analytics.table import Table
from lineage.errors import InputError
from lineage.families import Registry
from lineage.graph import IntArray, Lineage

__all__ = ["DOWNLOAD_POPULATIONS", "downloads_by_group", "downloads_method", "downloads_over_time"]

DOWNLOAD_POPULATIONS = ("family", "first-party")
_POPULATION_TEXT = {
    "family": "every model's downloads are split equally over the groups it descends from (a family "
    "counts its whole tree: its own repos and every derivative).",
    "first-party": "only the groups' own uploads count: models uploaded by one of the family's "
    "organisations in the registry (by the org itself with --by org), each counted for that group "
    "(the ATOM Project's way); derivatives and fallback families count nothing.",
}


def downloads_method(population: str = "family") -> str:
    """The method text of a downloads table."""
    if population not in DOWNLOAD_POPULATIONS:
        raise InputError(f"population must be one of {', '.join(DOWNLOAD_POPULATIONS)}, not {population!r}")
    return (
        f"Method: downloads as the Hub reports them (last 30 days; all time = cumulative). Population "
        f"{population}: {_POPULATION_TEXT[population]} Models deleted from the Hub are left out."
    )


# -- downloads -----------------------------------------------------------------------------------
def _attribute(
    lin: Lineage,
    nodes: IntArray,
    values: Sequence[npt.NDArray[Any]],
    by: str,
    registry: Registry | None,
    unlisted: bool = False,
    population: str = "family",
) -> tuple[list[str], list[npt.NDArray[Any]], npt.NDArray[Any]]:
    if population == "first-party":
        pos, grp, labels = first_party_pairs(lin, nodes, by, registry)
    else:
        pos, grp, labels = node_groups(lin, nodes, by, registry, unlisted)
    per_node = np.bincount(pos, minlength=len(nodes))
    w = 1.0 / per_node[pos]
    out = [np.bincount(grp, weights=w * v[nodes][pos].astype(float), minlength=len(labels)) for v in values]
    counts = np.bincount(grp, weights=w, minlength=len(labels))
    return labels, out, counts


def downloads_by_group(
    lin: Lineage,
    by: str = "family",
    registry: Registry | None = None,
    top: int | None = None,
    unlisted: bool = False,
    population: str = "family",
) -> Table:
    """Downloads (last 30 days and all time) of every model, split fractionally over the
    groups it descends from (base models count for their own group); ``unlisted``: see
    :mod:`lineage.analytics.groups`; with ``population`` ``first-party``, of the groups' own
    uploads only (see the module docstring)."""
    method = downloads_method(population)
    nodes = np.flatnonzero(~lin.placeholder & ~lin.deleted)
    dat = np.where(lin.downloads_all_time >= 0, lin.downloads_all_time, lin.downloads)
    labels, (dl, dl_all), counts = _attribute(
        lin, nodes, [lin.downloads, dat], by, registry, unlisted, population
    )
    total, total_all = dl.sum() or 1.0, dl_all.sum() or 1.0
    order = np.lexsort((np.array(labels, dtype=object), -dl))
    if population == "first-party":  # groups without a first-party model are not rows
        order = order[counts[order] > 0]
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
            (
                "downloads are attributed fractionally over the groups a model descends from; the "
                if population == "family"
                else "only first-party models (uploaded by the group's own organisations) count; the "
            )
            + "Hub reports 30-day downloads and all-time downloads, not a history"
        ],
        method,
    )


def downloads_over_time(
    lin: Lineage,
    snapshots: Iterable[tuple[str, Sequence[str], Sequence[int], Sequence[int | None]]],
    by: str = "family",
    registry: Registry | None = None,
    top: int | None = None,
    population: str = "family",
) -> Table:
    """Downloads by group at each snapshot (one per crawl): ``snapshots`` yields
    ``(time, model_ids, downloads_30d, downloads_all_time)``; ``population`` as in
    :func:`downloads_by_group`."""
    method = downloads_method(population)
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
        labels, (a, b), counts = _attribute(lin, nodes, list(full), by, registry, population=population)
        order = np.lexsort((np.array(labels, dtype=object), -a))
        if population == "first-party":
            order = order[counts[order] > 0]
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
        method,
    )
