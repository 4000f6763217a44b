"""The top families: derivatives, base models, downloads, growth and relation mix."""

from __future__ import annotations

from typing import Any

import numpy as np

from lineage.analytics.downloads import downloads_by_group
from lineage.analytics.groups import group_index, node_groups
from lineage.analytics.table import Table
from lineage.families import Registry, default_registry
from lineage.graph import UNKNOWN_TIME, Lineage
from lineage.records import RELATIONS
from lineage.times import day_start

__all__ = ["family_summary"]


# -- family summary ---------------------------------------------------------------------------------
def family_summary(
    lin: Lineage,
    by: str = "family",
    registry: Registry | None = None,
    top: int | None = 20,
    window_days: int = 90,
    as_of: str | None = None,
) -> Table:
    """Top groups: derivative count, base models, downloads, growth and relation mix.

    ``growth`` compares new derivatives in the last ``window_days`` before ``as_of`` (default:
    the newest creation date) with the ``window_days`` before that.
    """
    reg = registry or default_registry()
    live = ~lin.placeholder & ~lin.deleted
    derived = np.flatnonzero(live & (lin.in_degree > 0))
    pos, grp, labels = node_groups(lin, derived, by, reg)
    per_node = np.bincount(pos, minlength=len(derived))
    w = 1.0 / per_node[pos]
    g = len(labels)
    models = np.bincount(grp, weights=w, minlength=g)
    dated = lin.created[derived] != UNKNOWN_TIME
    dated &= ~lin.legacy[derived]
    end = day_start(as_of, end=True) if as_of else int(lin.created[derived][dated].max(initial=0)) + 1
    recent = dated & (lin.created[derived] >= end - window_days * 86400) & (lin.created[derived] < end)
    before = (
        dated
        & (lin.created[derived] >= end - 2 * window_days * 86400)
        & (lin.created[derived] < end - window_days * 86400)
    )
    cur = np.bincount(grp, weights=w * recent[pos], minlength=g)
    prev = np.bincount(grp, weights=w * before[pos], minlength=g)
    # Relation mix: each derivative's weight split over its incoming links' relations.
    rel_share = np.zeros((len(RELATIONS), len(derived)))
    indeg = lin.in_degree
    node_pos = np.full(len(lin), -1, dtype=np.int64)
    node_pos[derived] = np.arange(len(derived))
    epos = node_pos[lin.child]
    ok = epos >= 0
    np.add.at(rel_share, (lin.relation[ok].astype(np.int64), epos[ok]), 1.0 / indeg[lin.child[ok]])
    mix = np.stack(
        [np.bincount(grp, weights=w * rel_share[r][pos], minlength=g) for r in range(len(RELATIONS))]
    )
    roots = np.flatnonzero(lin.in_degree == 0)
    index = group_index(lin, by, reg)
    rcodes = index.codes(roots)
    rlabels = list(index.labels)
    root_count = {lab: 0 for lab in labels}
    for lab, c in zip(rlabels, np.bincount(rcodes, minlength=len(rlabels)).tolist(), strict=True):
        if lab in root_count:
            root_count[lab] = c
    dl = downloads_by_group(lin, by, reg)
    dl_map = {r["group"]: r for r in dl.rows}
    order = np.lexsort((np.array(labels, dtype=object), -models))
    if top is not None:
        order = order[:top]
    rows = []
    for k in order.tolist():
        lab = labels[k]
        row: dict[str, Any] = {
            "group": lab,
            "region": reg.region_of_family(lab)
            if by == "family"
            else (reg.region_of_org(lab) if by == "org" else lab),
            "derivatives": float(models[k]),
            "base_models": root_count.get(lab, 0),
            "downloads_30d": dl_map.get(lab, {}).get("downloads_30d", 0.0),
            "new_last_window": float(cur[k]),
            "growth": float(cur[k] / prev[k] - 1) if prev[k] > 0 else None,
        }
        for r, name in enumerate(RELATIONS):
            row[f"{name}_share"] = float(mix[r][k] / models[k]) if models[k] else 0.0
        rows.append(row)
    cols = [
        "group",
        "region",
        "derivatives",
        "base_models",
        "downloads_30d",
        "new_last_window",
        "growth",
        *[f"{r}_share" for r in RELATIONS],
    ]
    return Table(
        rows,
        cols,
        [f"growth: new derivatives in the last {window_days} days vs the {window_days} days before"],
        "",
    )
