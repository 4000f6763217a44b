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

import numpy as np
import numpy.typing as npt

from lineage.analytics.groups import NOT_ON_HUB
from lineage.analytics.share import ShareCells

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


@dataclass(frozen=True)
class _Cells:
    """Rows as columns: period and group codes (codes of periods in label order) and values."""

    periods: list[str]
    groups: list[str]
    period: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]
    values: dict[str, npt.NDArray[np.float64]]


def _cells(rows: Sequence[dict[str, Any]] | ShareCells, value: str) -> _Cells:
    if isinstance(rows, ShareCells):
        return _Cells(rows.periods, rows.groups, rows.period, rows.group, rows.values())
    periods = sorted({r["period"] for r in rows}) if rows and "period" in rows[0] else [""]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    p_code, g_code = {p: k for k, p in enumerate(periods)}, {g: k for k, g in enumerate(groups)}
    names = [k for k, v in rows[0].items() if k not in _KEYS and isinstance(v, int | float)] if rows else []
    if value not in names:
        names.append(value)
    return _Cells(
        periods,
        groups,
        np.array([p_code[r.get("period", "")] for r in rows], dtype=np.int64),
        np.array([g_code[r["group"]] for r in rows], dtype=np.int64),
        {k: np.array([float(r[k]) for r in rows], dtype=float) for k in names},
    )


def _largest(totals: npt.NDArray[Any], labels: Sequence[str], candidates: npt.NDArray[np.int64],
             k: int | None) -> list[int]:  # fmt: skip
    """The ``k`` candidates with the largest totals, ties by name, in that order (all if None)."""
    if k is not None and k < len(candidates):
        if k <= 0:
            return []
        kth = np.partition(totals[candidates], len(candidates) - k)[len(candidates) - k]
        candidates = candidates[totals[candidates] >= kth]  # the k largest and their ties
    ranked = sorted(candidates.tolist(), key=lambda c: (-totals[c], labels[c]))
    return ranked if k is None else ranked[:k]


def top_overall(
    rows: Sequence[dict[str, Any]] | ShareCells, n: int, focus: Iterable[str] = (), value: str = "models"
) -> TopGroups:
    """Keep the ``n`` groups with the largest ``value`` summed over every period (or the
    ``focus`` groups, when given), plus ``NOT_ON_HUB``; sum the rest per period into ``(other)``
    (every numeric field is summed). Rows come in period order, then in the groups' order.

    ``rows`` may be :func:`~lineage.analytics.share.share_cells` columns: only the rows kept
    are built (the whole Hub with population ``all`` has hundreds of thousands of cells)."""
    c = _cells(rows, value)
    n_groups = len(c.groups)
    totals = np.bincount(c.group, weights=c.values[value], minlength=n_groups)
    present = np.bincount(c.group, minlength=n_groups) > 0
    off = c.groups.index(NOT_ON_HUB) if NOT_ON_HUB in c.groups else -1
    if off >= 0:
        present_off, present[off] = bool(present[off]), False
    else:
        present_off = False
    code = {g: k for k, g in enumerate(c.groups)}
    wanted = [code[g] for g in dict.fromkeys(focus) if g in code and present[code[g]]]
    if wanted:
        kept = _largest(totals, c.groups, np.array(wanted, dtype=np.int64), None)
    else:
        kept = _largest(totals, c.groups, np.flatnonzero(present), max(0, n))
    if present_off:
        kept.append(off)
    rank = np.full(n_groups, -1, dtype=np.int64)
    rank[kept] = np.arange(len(kept))
    row_rank = rank[c.group]
    mine = np.flatnonzero(row_rank >= 0)
    rest = row_rank < 0
    n_periods = len(c.periods)
    other_rows = np.flatnonzero(np.bincount(c.period[rest], minlength=n_periods) > 0)
    other = {
        k: np.bincount(c.period[rest], weights=v[rest], minlength=n_periods) for k, v in c.values.items()
    }
    # Kept cells and one "(other)" per period, by period then group rank ("(other)" last).
    period = np.concatenate([c.period[mine], other_rows])
    order = np.lexsort((np.concatenate([row_rank[mine], np.full(len(other_rows), len(kept))]), period))
    names = list(c.values)
    columns = [
        np.array(c.periods, dtype=object)[period[order]].tolist(),
        np.array([*c.groups, OTHER], dtype=object)[
            np.concatenate([c.group[mine], np.full(len(other_rows), n_groups)])[order]
        ].tolist(),
        *(np.concatenate([c.values[k][mine], other[k][other_rows]])[order].tolist() for k in names),
    ]
    out = [
        dict(zip(["period", "group", *names], values, strict=True)) for values in zip(*columns, strict=True)
    ]
    groups = [c.groups[k] for k in kept]
    result_totals = {c.groups[k]: float(totals[k]) for k in kept}
    if len(other_rows):
        groups.append(OTHER)
        result_totals[OTHER] = float(other[value][other_rows].sum())
    return TopGroups(out, groups, result_totals)


def group_order(
    rows: Sequence[dict[str, Any]] | ShareCells, value: str = "models", limit: int | None = None
) -> list[str]:
    """Every group (the first ``limit``), largest ``value`` over all periods first
    (``NOT_ON_HUB`` last).

    >>> group_order([{"group": "a", "models": 1.0}, {"group": "b", "models": 2.0}])
    ['b', 'a']
    """
    c = _cells(rows, value)
    totals = np.bincount(c.group, weights=c.values[value], minlength=len(c.groups))
    present = np.bincount(c.group, minlength=len(c.groups)) > 0
    off = c.groups.index(NOT_ON_HUB) if NOT_ON_HUB in c.groups else -1
    has_off = off >= 0 and bool(present[off])
    if off >= 0:
        present[off] = False
    order = [c.groups[k] for k in _largest(totals, c.groups, np.flatnonzero(present), limit)]
    if has_off and (limit is None or len(order) < limit):
        order.append(NOT_ON_HUB)
    return order


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
