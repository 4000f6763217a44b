"""The top families: derivatives, base models, downloads, growth and relation mix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.cells import name_ranks, tie_key
from lineage.analytics.groups import group_index, node_groups
from lineage.analytics.table import Table
from lineage.families import Registry, default_registry
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage
from lineage.records import RELATIONS
from lineage.times import day_start

__all__ = ["COLUMNS", "FamilyParts", "family_parts", "family_summary"]

Floats = npt.NDArray[Any]  # float64 (numpy types np.bincount as integer)


# -- family summary ---------------------------------------------------------------------------------
def family_summary(
    lin: Lineage,
    by: str = "family",
    registry: Registry | None = None,
    top: int | None = 20,
    window_days: int = 90,
    as_of: str | None = None,
    unlisted: bool = False,
) -> Table:
    """Top groups: derivative count, base models, downloads, growth and relation mix.

    ``growth`` compares new derivatives in the last ``window_days`` before ``as_of`` (default:
    the newest creation date) with the ``window_days`` before that. ``unlisted`` groups
    placeholder roots the registry does not name as one group (:mod:`lineage.analytics.groups`).
    """
    return family_parts(lin, by, registry, unlisted).table(top, window_days, as_of)


@dataclass(frozen=True)
class FamilyParts:
    """What :func:`family_summary` computes before the growth window: per group (``labels``)
    its derivatives, downloads, base models and relation mix, the groups in table order, and
    the derivatives' (model, group) pairs with weights and creation times. :meth:`table` adds
    the window: another window costs one pass over the pairs, not the whole summary."""

    by: str
    registry: Registry
    labels: list[str]
    models: Floats
    downloads: Floats
    base_models: IntArray
    mix: list[Floats]
    order: IntArray
    group: IntArray
    weight: Floats
    created: IntArray
    dated: npt.NDArray[np.bool_]

    def table(self, top: int | None = 20, window_days: int = 90, as_of: str | None = None) -> Table:
        """The summary rows (the ``top`` groups by derivatives; all if None)."""
        g, grp, w, created, dated = len(self.labels), self.group, self.weight, self.created, self.dated
        end = day_start(as_of, end=True) if as_of else int(created[dated].max(initial=0)) + 1
        window = window_days * 86400
        recent = dated & (created >= end - window) & (created < end)
        before = dated & (created >= end - 2 * window) & (created < end - window)
        cur = np.bincount(grp, weights=w * recent, minlength=g)
        prev = np.bincount(grp, weights=w * before, minlength=g)
        order = self.order if top is None else self.order[:top]
        reg, models = self.registry, self.models
        rows = []
        for k in order.tolist():
            lab = self.labels[k]
            row: dict[str, Any] = {
                "group": lab,
                "region": reg.region_of_family(lab)
                if self.by == "family"
                else (reg.region_of_org(lab) if self.by == "org" else lab),
                "derivatives": float(models[k]),
                "base_models": int(self.base_models[k]),
                "downloads_30d": float(self.downloads[k]),
                "new_last_window": float(cur[k]),
                "growth": float(cur[k] / prev[k] - 1) if prev[k] > 0 else None,
            }
            for r, name in enumerate(RELATIONS):
                row[f"{name}_share"] = float(self.mix[r][k] / models[k]) if models[k] else 0.0
            rows.append(row)
        note = f"growth: new derivatives in the last {window_days} days vs the {window_days} days before"
        return Table(rows, COLUMNS, [note], "")


COLUMNS = [
    "group",
    "region",
    "derivatives",
    "base_models",
    "downloads_30d",
    "new_last_window",
    "growth",
    *[f"{r}_share" for r in RELATIONS],
]


def family_parts(
    lin: Lineage, by: str = "family", registry: Registry | None = None, unlisted: bool = False
) -> FamilyParts:
    """:func:`family_summary` up to the growth window (:class:`FamilyParts`)."""
    reg = registry or default_registry()
    # One pass over the live models' groups serves both the downloads (every live model) and
    # the derivative counts (those with a parent): pairs (model, group), a model's weight split
    # equally over its groups.
    live = np.flatnonzero(~lin.placeholder & ~lin.deleted)
    pos, grp, labels = node_groups(lin, live, by, reg, unlisted)
    g = len(labels)
    per_node = np.bincount(pos, minlength=len(live))
    w = 1.0 / per_node[pos]
    node = live[pos]
    downloads = np.bincount(grp, weights=w * lin.downloads[node], minlength=g)
    derived = lin.in_degree[node] > 0
    node, grp, w = node[derived], grp[derived], w[derived]
    models = np.bincount(grp, weights=w, minlength=g)
    created = np.asarray(lin.created[node])
    # Relation mix: each derivative's weight split over its incoming links' relations.
    indeg = lin.in_degree[node].astype(float)
    mix = [
        np.bincount(
            grp,
            weights=w * np.bincount(lin.child[lin.relation == r], minlength=len(lin))[node] / indeg,
            minlength=g,
        )
        for r in range(len(RELATIONS))
    ]
    index = group_index(lin, by, reg, unlisted)
    root_codes = index.codes(np.flatnonzero(lin.in_degree == 0))
    base_models = np.bincount(root_codes, minlength=len(index.labels))[:g]  # codes only grow
    return FamilyParts(
        by,
        reg,
        labels,
        models,
        downloads,
        base_models,
        mix,
        np.lexsort((name_ranks(labels), -tie_key(models))),
        grp,
        w,
        created,
        (created != UNKNOWN_TIME) & ~lin.legacy[node],
    )
