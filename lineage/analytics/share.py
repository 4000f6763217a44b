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
* **scope** (default ``tree``): a model counts for the groups of all its root ancestors — the
  whole family tree; ``direct`` counts only direct children of a group's own models (a parent
  uploaded by one of the group's organisations, :mod:`lineage.analytics.firstparty`), and
  leaves models without such a parent out of the population (counted in the notes).
* **bulk** (default ``include``): automated bulk uploads (:mod:`lineage.analytics.bulk`) are
  counted like any model; ``exclude`` leaves them out, ``only`` counts nothing else. Their
  number is in the notes either way.
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

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.bulk import BulkRules
from lineage.analytics.bulk_flags import bulk_codes
from lineage.analytics.cells import ShareData, dense_unique
from lineage.analytics.firstparty import direct_groups
from lineage.analytics.groups import BY, node_group_pairs
from lineage.analytics.table import Table
from lineage.errors import InputError
from lineage.families import Registry
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage, unique_ints
from lineage.records import RELATIONS
from lineage.times import day_start

__all__ = [
    "ATTRIBUTIONS",
    "BULK",
    "METHOD",
    "PERIODS",
    "POPULATIONS",
    "SCOPES",
    "ShareData",
    "ShareQuery",
    "share_data",
    "share_table",
    "top_groups",
]

PERIODS = ("month", "quarter", "week", "year")
POPULATIONS = ("derivatives", "all")
ATTRIBUTIONS = ("fractional", "any")
SCOPES = ("tree", "direct")
BULK = ("include", "exclude", "only")

METHOD = (
    "Method: each model's root ancestors (models with no parent; a parent missing from the Hub is a "
    "placeholder root) map to a family via the registry (unknown roots fall back to their org), to the "
    "Hub namespace of the root (org), or to the family's region. Population: models created in the "
    "period ({population}); legacy-dated (2022-03-02T23:29:04), undated and deleted models excluded. "
    "Scope {scope}: {scope_text} Bulk uploads {bulk}: {bulk_text} "
    "Attribution {attribution}: {attribution_text} Share = weighted models / models in the period."
)
_SCOPE_TEXT = {
    "tree": "a model counts for the groups of all its root ancestors (the whole family tree).",
    "direct": "a model counts only for the groups that uploaded one of its parents (a first-party "
    "model: uploaded by one of the family's organisations in the registry, or by the org itself "
    "with --by org); models without such a parent are left out of the population.",
}
_BULK_TEXT = {
    "include": "counted like any model ({rules}).",
    "exclude": "left out of the population ({rules}).",
    "only": "the population is the bulk uploads alone ({rules}).",
}
_ATTRIBUTION_TEXT = {
    "fractional": "a model's weight is split equally over its distinct groups (shares sum to 100%).",
    "any": "a model counts once for every group it descends from (shares can exceed 100% in total).",
}
_POPULATION_TEXT = {
    "derivatives": "with at least one parent",
    "all": "all models, roots included",
}


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
    unlisted: bool = False  # placeholder roots the registry does not name: one group, NOT_ON_HUB
    scope: str = "tree"  # tree: all root ancestors; direct: direct children of first-party models
    bulk: str = "include"  # automated bulk uploads: include, exclude or only
    bulk_rules: BulkRules | None = None  # None: the store's (see lineage.analytics.bulk_flags)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("period", self.period, PERIODS),
            ("by", self.by, BY),
            ("population", self.population, POPULATIONS),
            ("attribution", self.attribution, ATTRIBUTIONS),
            ("scope", self.scope, SCOPES),
            ("bulk", self.bulk, BULK),
        ):
            if value not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    def method(self, rules: BulkRules | None = None) -> str:
        """The method text of this query (``rules``: the bulk thresholds in use)."""
        return METHOD.format(
            population=_POPULATION_TEXT[self.population],
            scope=self.scope,
            scope_text=_SCOPE_TEXT[self.scope],
            bulk=self.bulk,
            bulk_text=_BULK_TEXT[self.bulk].format(
                rules=(rules or self.bulk_rules or BulkRules()).describe()
            ),
            attribution=self.attribution,
            attribution_text=_ATTRIBUTION_TEXT[self.attribution],
        )


# -- periods -------------------------------------------------------------------------------------
def _period_labels(created: IntArray, period: str) -> tuple[npt.NDArray[np.integer], list[str]]:
    """Period index per timestamp and the sorted labels. ``created`` is overwritten (it is a
    copy of the creation times: at 3M models each array less saves tens of milliseconds)."""
    if not len(created):
        return created.astype(np.int64), []
    days = created
    days //= 86400
    low = int(days.min())
    span = int(days.max()) - low + 1
    if span <= max(len(days), 1 << 16):  # a dozen years of days: one period look-up per day
        days -= low
        seen = np.zeros(span, dtype=bool)
        seen[days] = True
        key_of_day = _period_keys(np.arange(low, low + span), period)
        uniq = np.unique(key_of_day[seen])
        inverse: npt.NDArray[np.integer] = np.searchsorted(uniq, key_of_day).astype(np.int32)[days]
    else:
        uniq, inverse = dense_unique(_period_keys(days, period))
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
    return inverse, labels


_NODE_PERIODS: weakref.WeakKeyDictionary[
    Lineage, dict[tuple[str, int], tuple[npt.NDArray[np.int32], list[str]]]
] = weakref.WeakKeyDictionary()


def _node_periods(lin: Lineage, period: str) -> tuple[npt.NDArray[np.int32], list[str]]:
    """The period code of every node (-1: no creation date) and the labels, worked out once per
    graph and period: each share query then only picks its models' codes (the app asks many
    queries of one graph)."""
    per_graph = _NODE_PERIODS.setdefault(lin, {})
    key = (period, id(lin.created))
    if key not in per_graph:
        dated = np.flatnonzero(lin.created != UNKNOWN_TIME)
        codes, labels = _period_labels(np.asarray(lin.created[dated]), period)  # a copy
        every = np.full(len(lin), -1, dtype=np.int32)
        every[dated] = codes
        per_graph[key] = (every, labels)  # 4 bytes per node and period
    return per_graph[key]


def _period_keys(days: IntArray, period: str) -> IntArray:
    """The period of each day since 1970, as a number (ISO weeks, months, quarters or years)."""
    if period == "week":  # ISO weeks start on Monday; 1970-01-01 was a Thursday
        return (days + 3) // 7
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months if period == "month" else months // 3 if period == "quarter" else months // 12


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
        bad = [r for r in q.relations if r not in RELATIONS]
        if bad:
            raise InputError(f"unknown relation {bad[0]!r}: use {', '.join(RELATIONS)}")
        wanted = [RELATIONS.index(r) for r in q.relations]
        has = np.zeros(n, dtype=bool)
        has[lin.child[np.isin(lin.relation, wanted)]] = True
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
    flags, stored = bulk_codes(lin, q.bulk_rules)
    flagged = flags > 0
    bulk = int((mask & flagged).sum())
    where = ""
    if not stored and lin.bulk_detection is None:
        where = " (detected now: the store has no detection yet; `lineage bulk` stores one)"
    elif not stored and lin.bulk_current:
        where = " (detected now with the thresholds given)"
    elif not stored:
        where = " (detected now: the store's flags predate its last change; `lineage bulk` updates them)"
    if q.bulk == "exclude":
        mask &= ~flagged
        notes.append(f"{bulk:,} automated bulk uploads excluded{where}")
    elif q.bulk == "only":
        mask &= flagged
        notes.append(f"only the {bulk:,} automated bulk uploads counted{where}")
    else:
        notes.append(
            f"{bulk:,} of these models are automated bulk uploads (--bulk exclude leaves them out){where}"
        )
    return np.flatnonzero(mask), notes


def _rules_in_use(lin: Lineage, q: ShareQuery) -> BulkRules:
    return q.bulk_rules or BulkRules.from_dict(lin.bulk_rules)


def share_table(
    lin: Lineage,
    query: ShareQuery | None = None,
    registry: Registry | None = None,
    *,
    downloads: bool = False,
    **options: Any,
) -> Table:
    """Share of new models by family/org/region per period. See the module docstring.

    Rows: ``{"period", "group", "models", "share"}`` sorted by period, then models
    (descending), then group. ``models`` is the weighted count; ``share`` is in 0..1.
    With ``downloads``, rows also hold ``downloads`` (the 30-day downloads of those models,
    weighted like them) and ``downloads_share`` (of all the period's new models' downloads).
    """
    return share_data(lin, query or ShareQuery(**options), registry, downloads=downloads).table()


def share_data(
    lin: Lineage, query: ShareQuery, registry: Registry | None = None, *, downloads: bool = False
) -> ShareData:
    """:func:`share_table` before its rows: the population's (model, group) pairs
    (:class:`~lineage.analytics.cells.ShareData`), to sum per cell or straight into a top N."""
    q = query
    nodes, notes = _population(lin, q)
    method = q.method(_rules_in_use(lin, q))
    node: npt.NDArray[np.integer] = np.empty(0, dtype=np.int64)
    grp: npt.NDArray[np.integer] = np.empty(0, dtype=np.int64)
    labels: list[str] = []
    if q.scope == "direct" and len(nodes):
        pos, grp, labels = direct_groups(lin, nodes, q.by, registry)
        direct = unique_ints(pos)
        if len(direct) < len(nodes):
            notes.append(
                f"{len(nodes) - len(direct):,} models without a first-party parent left out (--scope direct)"
            )
        node, nodes = nodes[pos], nodes[direct]
    elif len(nodes):
        node, grp, labels = node_group_pairs(lin, nodes, q.by, registry, q.unlisted)
    every_period, period_labels = _node_periods(lin, q.period)
    period_of = np.full(len(lin), -1, dtype=np.int32)
    period_of[nodes] = codes = every_period[nodes]
    dl = lin.downloads if downloads else None
    return ShareData(
        period_labels,
        labels,
        node,
        grp,
        period_of,
        np.bincount(node, minlength=len(lin)),
        q.attribution == "fractional",
        np.bincount(codes, minlength=len(period_labels)).astype(float),
        dl,
        None if dl is None else np.bincount(codes, weights=dl[nodes], minlength=len(period_labels)),
        notes,
        method,
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
