"""Which groups a share chart shows, and which of its periods are incomplete.

:func:`top_overall` picks the top N groups over the whole selected range (not per period, which
makes the union of per-period tops — 50 groups for a "top 10"), or exactly the groups a user
focuses on, and sums everything else per period into ``(other)``. Placeholder roots grouped as
:data:`~lineage.analytics.groups.NOT_ON_HUB` stay a group of their own, outside the top N, so
a chart has at most N + 2 groups.

:func:`partial_periods` names the periods that the data does not cover entirely: the period
of the last crawl (models created after it are not known yet) and periods cut by ``since`` or
``until``.

>>> rows = [{"period": "2025-09", "group": "Qwen", "models": 5.0, "share": 0.5},
...         {"period": "2025-09", "group": "Llama", "models": 3.0, "share": 0.3},
...         {"period": "2025-09", "group": "Phi", "models": 2.0, "share": 0.2},
...         {"period": "2025-10", "group": "Phi", "models": 4.0, "share": 1.0}]
>>> top = top_overall(rows, 1)
>>> top.groups, [(r["period"], r["group"], r["models"]) for r in top.rows]
(['Phi', '(other)'], [('2025-09', 'Phi', 2.0), ('2025-09', '(other)', 8.0), ('2025-10', 'Phi', 4.0)])
>>> top_overall(rows, 10, focus=["Llama"]).groups
['Llama', '(other)']
>>> partial_periods(["2025-09", "2025-10"], "month", as_of="2025-10-07")
['2025-10']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from lineage.analytics.groups import NOT_ON_HUB

__all__ = ["OTHER", "TopGroups", "group_order", "partial_periods", "period_bounds", "top_overall"]

OTHER = "(other)"
_KEYS = ("period", "group")


@dataclass(frozen=True)
class TopGroups:
    """Rows cut to the chosen groups plus ``(other)``; ``groups`` in display order (largest first,
    then ``NOT_ON_HUB``, then ``(other)``); ``totals`` of ``models`` per group over all periods."""

    rows: list[dict[str, Any]]
    groups: list[str]
    totals: dict[str, float]


def top_overall(
    rows: Sequence[dict[str, Any]], n: int, focus: Iterable[str] = (), value: str = "models"
) -> TopGroups:
    """Keep the ``n`` groups with the largest ``value`` summed over every period (or the
    ``focus`` groups, when given), plus ``NOT_ON_HUB``; sum the rest per period into ``(other)``
    (every numeric field is summed). Rows keep their period order."""
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["group"]] = totals.get(r["group"], 0.0) + float(r[value])
    ranked = sorted((g for g in totals if g != NOT_ON_HUB), key=lambda g: (-totals[g], g))
    wanted = [g for g in dict.fromkeys(focus) if g in totals and g != NOT_ON_HUB]
    keep = set(wanted) if wanted else set(ranked[: max(0, n)])
    keep.add(NOT_ON_HUB)
    out: list[dict[str, Any]] = []
    other: dict[str, dict[str, Any]] = {}
    numeric: list[str] = []  # the summed fields, as the first row summed into "(other)" has them
    for r in rows:
        if r["group"] in keep:
            out.append(dict(r))
            continue
        o = other.get(r["period"])
        if o is None:
            rest = {k: v for k, v in r.items() if k not in _KEYS}
            o = other[r["period"]] = {"period": r["period"], "group": OTHER, **rest}
            out.append(o)
            if not numeric:
                numeric = [k for k, v in rest.items() if isinstance(v, int | float)]
        else:
            for k in numeric:
                o[k] = o[k] + r[k]
    groups = [g for g in ranked if g in keep]
    if NOT_ON_HUB in totals:
        groups.append(NOT_ON_HUB)
    if other:
        groups.append(OTHER)
        totals[OTHER] = sum(float(o[value]) for o in other.values())
    rank = {g: k for k, g in enumerate(groups)}
    out.sort(key=lambda r: (r["period"], rank[r["group"]]))
    return TopGroups(out, groups, {g: totals[g] for g in groups})


def group_order(rows: Sequence[dict[str, Any]], value: str = "models") -> list[str]:
    """Every group, largest ``value`` over all periods first (``NOT_ON_HUB`` last).

    >>> group_order([{"group": "a", "models": 1.0}, {"group": "b", "models": 2.0}])
    ['b', 'a']
    """
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["group"]] = totals.get(r["group"], 0.0) + float(r[value])
    return sorted(totals, key=lambda g: (g == NOT_ON_HUB, -totals[g], g))


def period_bounds(label: str, period: str) -> tuple[date, date]:
    """First day and the day after the last day of a period label of ``share_table``.

    >>> period_bounds("2025-Q4", "quarter"), period_bounds("2025-W01", "week")[0]
    ((datetime.date(2025, 10, 1), datetime.date(2026, 1, 1)), datetime.date(2024, 12, 30))
    """
    if period == "week":
        year, week = label.split("-W")
        start = date.fromisocalendar(int(year), int(week), 1)
        return start, start + timedelta(days=7)
    if period == "year":
        return date(int(label), 1, 1), date(int(label) + 1, 1, 1)
    if period == "quarter":
        year, q = label.split("-Q")
        first, months = (int(year), 3 * (int(q) - 1) + 1), 3
    else:
        year, month = label.split("-")
        first, months = (int(year), int(month)), 1
    start = date(first[0], first[1], 1)
    m = first[1] - 1 + months
    return start, date(first[0] + m // 12, m % 12 + 1, 1)


def partial_periods(
    labels: Sequence[str], period: str, as_of: str | None = None, since: str | None = None
) -> list[str]:
    """The labels of periods the data covers only in part: the period still running on
    ``as_of`` (the last crawl, or the ``until`` day: the day data stops) and the period cut by
    ``since``."""
    out = []
    stop = date.fromisoformat(as_of[:10]) + timedelta(days=1) if as_of else None
    first = date.fromisoformat(since[:10]) if since else None
    for label in labels:
        start, end = period_bounds(label, period)
        if (stop is not None and start < stop < end) or (first is not None and start < first < end):
            out.append(label)
    return out
