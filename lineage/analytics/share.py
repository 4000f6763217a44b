"""Share and adoption analytics: pure functions from a :class:`~lineage.graph.Lineage` to tables.

The method (also printed under every CLI table and in the app):

* **roots**: every model's root ancestors — models with no parent; a parent that is not on
  the Hub is a placeholder root. Links set aside as cycles are not followed.
* **groups**: a root maps to a *family* through the registry (``lineage/data/registry.toml``;
  unknown roots fall back to their organisation), to its *org* (the Hub namespace of the
  root, no registry involved), or to a *region* (the family's organisation's region).
* **population** (default ``derivatives``): models created in the period that have at least
  one parent; ``all`` adds models with no parent (each is its own root). Models whose
  creation date is the 2022-03-02T23:29:04 legacy placeholder, models with no date, and
  models deleted from the Hub are left out (and counted in the notes). Filters on the
  model's own pipeline tag, library, and the relation of its links to its parents.
* **attribution** (default ``fractional``): a model's weight 1 is split equally over its
  distinct groups, so shares sum to 100%; ``any`` counts a model once for every group it
  descends from, so shares can sum to more than 100% (a merge of Qwen and Llama counts for
  both).
* **share** = weighted models of the group / models in the population of the period.

>>> from lineage.graph import Lineage
>>> lin = Lineage.from_edges(
...     [("Qwen/Qwen2.5-7B", "a/ft", "finetune"), ("a/ft", "b/q", "quantized"),
...      ("meta-llama/Llama-3.1-8B", "c/ft", "finetune"), ("a/ft", "d/merge", "merge"),
...      ("c/ft", "d/merge", "merge")],
...     created={"a/ft": "2025-10-02", "b/q": "2025-10-09", "c/ft": "2025-10-20",
...              "d/merge": "2025-11-01"})
>>> for r in share_table(lin).rows: print(r)
{'period': '2025-10', 'group': 'Qwen', 'models': 2.0, 'share': 0.6666666666666666}
{'period': '2025-10', 'group': 'Llama', 'models': 1.0, 'share': 0.3333333333333333}
{'period': '2025-11', 'group': 'Llama', 'models': 0.5, 'share': 0.5}
{'period': '2025-11', 'group': 'Qwen', 'models': 0.5, 'share': 0.5}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.errors import InputError
from lineage.families import Registry, default_registry
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage, ragged_offsets, unique_ints
from lineage.times import day_start

__all__ = [
    "BY",
    "METHOD",
    "PERIODS",
    "ShareQuery",
    "Table",
    "downloads_by_group",
    "downloads_over_time",
    "family_summary",
    "group_nodes",
    "node_groups",
    "share_table",
    "top_groups",
]

PERIODS = ("month", "quarter", "week", "year")
BY = ("family", "org", "region")
POPULATIONS = ("derivatives", "all")
ATTRIBUTIONS = ("fractional", "any")

METHOD = (
    "Method: each model's root ancestors (models with no parent; a parent missing from the Hub is a "
    "placeholder root) map to a family via the registry (unknown roots fall back to their org), to the "
    "Hub namespace of the root (org), or to the family's region. Population: models created in the "
    "period ({population}); legacy-dated (2022-03-02T23:29:04), undated and deleted models excluded. "
    "Attribution {attribution}: {attribution_text} Share = weighted models / models in the period."
)
_ATTRIBUTION_TEXT = {
    "fractional": "a model's weight is split equally over its distinct groups (shares sum to 100%).",
    "any": "a model counts once for every group it descends from (shares can exceed 100% in total).",
}
_POPULATION_TEXT = {
    "derivatives": "with at least one parent",
    "all": "all models, roots included",
}


@dataclass
class Table:
    """Rows (dicts with the same keys, in ``columns`` order) plus notes and the method."""

    rows: list[dict[str, Any]]
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    method: str = ""

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (pandas is imported on demand)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


@dataclass(frozen=True)
class ShareQuery:
    """Options of :func:`share_table` (the ``lineage share`` flags)."""

    period: str = "month"
    since: str | None = None  # first period start date, YYYY-MM-DD (inclusive)
    until: str | None = None  # last date, YYYY-MM-DD (inclusive)
    by: str = "family"
    pipeline_tags: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    population: str = "derivatives"
    attribution: str = "fractional"

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("period", self.period, PERIODS),
            ("by", self.by, BY),
            ("population", self.population, POPULATIONS),
            ("attribution", self.attribution, ATTRIBUTIONS),
        ):
            if value not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    def method(self) -> str:
        return METHOD.format(
            population=_POPULATION_TEXT[self.population],
            attribution=self.attribution,
            attribution_text=_ATTRIBUTION_TEXT[self.attribution],
        )


# -- groups ------------------------------------------------------------------------------------
def _root_group_codes(
    lin: Lineage, roots: IntArray, by: str, registry: Registry
) -> tuple[IntArray, list[str]]:
    """Group code of each root in ``roots`` and the labels."""
    ids = [lin.ids[int(r)] for r in roots]
    if by == "org":
        names = [i.split("/", 1)[0] for i in ids]
    else:
        pairs = registry.classify(ids)
        names = [f if by == "family" else g for f, g in pairs]
    labels = sorted(set(names))
    code = {name: k for k, name in enumerate(labels)}
    return np.fromiter((code[nm] for nm in names), dtype=np.int64, count=len(names)), labels


def _cached_root_codes(
    lin: Lineage, roots: IntArray, by: str, registry: Registry
) -> tuple[IntArray, list[str]]:
    """Group codes of ``roots``, classifying each root at most once per (Lineage, by, registry).

    Codes index the returned labels, which grow as new roots are classified (not sorted).
    """
    key = ("root_groups", by)
    cache = lin._extra.get(key)
    if cache is None or cache["registry"] is not registry:
        cache = {
            "registry": registry,
            "codes": np.full(len(lin), -1, dtype=np.int64),
            "labels": [],
            "index": {},
        }
        lin._extra[key] = cache
    codes: IntArray = cache["codes"]
    need = unique_ints(roots[codes[roots] < 0])
    if len(need):
        new_codes, new_labels = _root_group_codes(lin, need, by, registry)
        labels: list[str] = cache["labels"]
        index: dict[str, int] = cache["index"]
        remap = np.empty(len(new_labels), dtype=np.int64)
        for k, name in enumerate(new_labels):
            if name not in index:
                index[name] = len(labels)
                labels.append(name)
            remap[k] = index[name]
        codes[need] = remap[new_codes]
    return codes[roots], list(cache["labels"])


def node_groups(
    lin: Lineage, nodes: IntArray, by: str = "family", registry: Registry | None = None
) -> tuple[IntArray, IntArray, list[str]]:
    """Distinct groups of each node in ``nodes``: ``(pair_node_pos, pair_group, labels)``.

    ``pair_node_pos`` indexes into ``nodes``; pairs are sorted by node then group.
    """
    reg = registry or default_registry()
    start, rts = lin.root_pairs
    counts = start[nodes + 1] - start[nodes]
    offs = ragged_offsets(start[nodes], counts)
    pair_pos = np.repeat(np.arange(len(nodes)), counts)
    pair_group, labels = _cached_root_codes(lin, rts[offs], by, reg)
    g = max(1, len(labels))
    key = unique_ints(pair_pos * g + pair_group)
    return key // g, key % g, labels


def group_nodes(lin: Lineage, group: str, by: str = "family", registry: Registry | None = None) -> IntArray:
    """All nodes that descend from a root of ``group`` (the roots included), sorted."""
    reg = registry or default_registry()
    roots = np.flatnonzero(lin.in_degree == 0)
    codes, labels = _cached_root_codes(lin, roots, by, reg)
    if group not in labels:
        lowered = {lab.lower(): lab for lab in labels}
        if group.lower() not in lowered:
            return np.empty(0, dtype=np.int64)
        group = lowered[group.lower()]
    mine = roots[codes == labels.index(group)]
    return np.union1d(mine, lin.descendants(mine))


# -- periods -------------------------------------------------------------------------------------
def _period_labels(created: IntArray, period: str) -> tuple[IntArray, list[str]]:
    """Period index per timestamp and the sorted labels."""
    days = created // 86400
    if period == "week":  # ISO weeks start on Monday; 1970-01-01 was a Thursday
        key = (days + 3) // 7
    else:
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        key = months if period == "month" else months // 3 if period == "quarter" else months // 12
    uniq, inverse = np.unique(key, return_inverse=True)
    labels = []
    for k in uniq.tolist():
        if period == "month":
            labels.append(str(np.datetime64(k, "M")))
        elif period == "quarter":
            labels.append(f"{1970 + k // 4}-Q{k % 4 + 1}")
        elif period == "year":
            labels.append(str(1970 + k))
        else:
            monday = date.fromordinal(date(1970, 1, 1).toordinal() + k * 7 - 3)
            iso = monday.isocalendar()
            labels.append(f"{iso.year}-W{iso.week:02d}")
    return inverse.astype(np.int64), labels


def _codes_for(labels: Sequence[str | None], wanted: Iterable[str]) -> list[int]:
    want = {w.lower() for w in wanted}
    return [k for k, lab in enumerate(labels) if lab is not None and lab.lower() in want]


# -- share -----------------------------------------------------------------------------------------
def _population(lin: Lineage, q: ShareQuery) -> tuple[IntArray, list[str]]:
    n = len(lin)
    notes: list[str] = []
    mask = ~lin.placeholder & ~lin.deleted
    if q.population == "derivatives":
        mask &= lin.in_degree > 0
    if q.pipeline_tags:
        mask &= np.isin(lin.pipeline, _codes_for(lin.pipeline_labels, q.pipeline_tags))
    if q.libraries:
        mask &= np.isin(lin.library, _codes_for(lin.library_labels, q.libraries))
    if q.relations:
        from lineage.records import RELATIONS

        bad = [r for r in q.relations if r not in RELATIONS]
        if bad:
            raise InputError(f"unknown relation {bad[0]!r}: use {', '.join(RELATIONS)}")
        codes = [RELATIONS.index(r) for r in q.relations]
        has = np.zeros(n, dtype=bool)
        has[lin.child[np.isin(lin.relation, codes)]] = True
        mask &= has
    legacy = int((mask & lin.legacy).sum())
    undated = int((mask & ~lin.legacy & (lin.created == UNKNOWN_TIME)).sum())
    mask &= ~lin.legacy & (lin.created != UNKNOWN_TIME)
    if legacy:
        notes.append(f"{legacy:,} legacy repos dated 2022-03-02T23:29:04 (real date unknown) excluded")
    if undated:
        notes.append(f"{undated:,} models without a creation date excluded")
    deleted = int((lin.deleted & ~lin.placeholder).sum())
    if deleted:
        notes.append(f"{deleted:,} models deleted from the Hub excluded")
    if q.since:
        mask &= lin.created >= day_start(q.since)
    if q.until:
        mask &= lin.created < day_start(q.until, end=True)
    return np.flatnonzero(mask), notes


def share_table(
    lin: Lineage, query: ShareQuery | None = None, registry: Registry | None = None, **options: Any
) -> Table:
    """Share of new models by family/org/region per period. See the module docstring.

    Rows: ``{"period", "group", "models", "share"}`` sorted by period, then models
    (descending), then group. ``models`` is the weighted count; ``share`` is in 0..1.
    """
    q = query or ShareQuery(**options)
    nodes, notes = _population(lin, q)
    columns = ["period", "group", "models", "share"]
    if not len(nodes):
        return Table([], columns, [*notes, "no models match"], q.method())
    period_of, period_labels = _period_labels(lin.created[nodes], q.period)
    pos, grp, labels = node_groups(lin, nodes, q.by, registry)
    per_node = np.bincount(pos, minlength=len(nodes))
    weight = 1.0 / per_node[pos] if q.attribution == "fractional" else np.ones(len(pos))
    g = len(labels)
    cell = period_of[pos] * g + grp
    sums = np.bincount(cell, weights=weight, minlength=len(period_labels) * g)
    totals = np.bincount(period_of, minlength=len(period_labels)).astype(float)
    nz = np.flatnonzero(sums)
    p_idx, g_idx = nz // g, nz % g
    order = np.lexsort((np.array(labels, dtype=object)[g_idx], -sums[nz], p_idx))
    rows = [
        {
            "period": period_labels[int(p_idx[k])],
            "group": labels[int(g_idx[k])],
            "models": float(sums[nz[k]]),
            "share": float(sums[nz[k]] / totals[p_idx[k]]),
        }
        for k in order
    ]
    return Table(rows, columns, notes, q.method())


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
    from lineage.records import RELATIONS

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
    rcodes, rlabels = _cached_root_codes(lin, roots, by, reg)
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


def top_groups(rows: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Keep the ``n`` largest groups of each period; sum the rest into ``(other)``."""
    out: list[dict[str, Any]] = []
    by_period: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_period.setdefault(r["period"], []).append(r)
    for period, group_rows in by_period.items():
        out.extend(group_rows[:n])
        rest = group_rows[n:]
        if rest:
            out.append(
                {
                    "period": period,
                    "group": "(other)",
                    "models": float(sum(r["models"] for r in rest)),
                    "share": float(sum(r["share"] for r in rest)),
                }
            )
    return out
