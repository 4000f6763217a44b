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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.cells import ShareData, tie_key
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


@dataclass(frozen=True)
class _Entries:
    """Rows (or the pairs of a :class:`ShareData`) as columns: period and group codes (periods
    coded in label order), the ranking value of each, and how to sum every field per cell."""

    periods: list[str]
    groups: list[str]
    period: npt.NDArray[np.integer]
    group: npt.NDArray[np.integer]
    value: npt.NDArray[np.float64]
    sum_cells: Callable[[npt.NDArray[Any], int, npt.NDArray[Any]], dict[str, npt.NDArray[np.float64]]]


def _entries(rows: Sequence[dict[str, Any]] | ShareData, value: str) -> _Entries:
    if isinstance(rows, ShareData):
        ranked = rows.values(value)[value]
        weight = ranked if value == "models" else None
        return _Entries(
            rows.periods,
            rows.groups,
            rows.period,
            rows.group,
            ranked,
            partial(rows.cell_values, weight=weight),
        )
    periods = sorted({r["period"] for r in rows}) if rows and "period" in rows[0] else [""]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    p_code, g_code = {p: k for k, p in enumerate(periods)}, {g: k for k, g in enumerate(groups)}
    names = [k for k, v in rows[0].items() if k not in _KEYS and isinstance(v, int | float)] if rows else []
    if value not in names:
        names.append(value)
    fields = {k: np.array([float(r[k]) for r in rows], dtype=float) for k in names}

    def sum_cells(cell: npt.NDArray[np.int64], size: int, _period: npt.NDArray[np.int64]) -> dict[str, Any]:
        return {k: np.bincount(cell, weights=v, minlength=size) for k, v in fields.items()}

    return _Entries(
        periods,
        groups,
        np.array([p_code[r.get("period", "")] for r in rows], dtype=np.int64),
        np.array([g_code[r["group"]] for r in rows], dtype=np.int64),
        fields[value],
        sum_cells,
    )


def _largest(totals: npt.NDArray[Any], labels: Sequence[str], candidates: npt.NDArray[np.int64],
             k: int | None) -> list[int]:  # fmt: skip
    """The ``k`` candidates with the largest totals, ties by name (:func:`tie_key`), in that order
    (all if None)."""
    totals = tie_key(totals)
    if k is not None and k < len(candidates):
        if k <= 0:
            return []
        kth = np.partition(totals[candidates], len(candidates) - k)[len(candidates) - k]
        candidates = candidates[totals[candidates] >= kth]  # the k largest and their ties
    ranked = sorted(candidates.tolist(), key=lambda c: (-totals[c], labels[c]))
    return ranked if k is None else ranked[:k]


def top_overall(
    rows: Sequence[dict[str, Any]] | ShareData, n: int, focus: Iterable[str] = (), value: str = "models"
) -> TopGroups:
    """Keep the ``n`` groups with the largest ``value`` summed over every period (or the
    ``focus`` groups, when given), plus ``NOT_ON_HUB``; sum the rest per period into ``(other)``
    (every numeric field is summed). Rows come in period order, then in the groups' order.

    ``rows`` may be a :class:`~lineage.analytics.cells.ShareData`: its pairs are summed straight
    into the rows kept (the whole Hub with population ``all`` has hundreds of thousands of
    cells, most of them summed into "(other)")."""
    e = _entries(rows, value)
    n_groups = len(e.groups)
    totals, ranked, off = _totals(e)
    code = {g: k for k, g in enumerate(e.groups)}
    candidates = set(ranked.tolist())
    wanted = [code[g] for g in dict.fromkeys(focus) if g in code and code[g] in candidates]
    if wanted:
        kept = _largest(totals, e.groups, np.array(wanted, dtype=np.int64), None)
    else:
        kept = _largest(totals, e.groups, ranked, max(0, n))
    if off is not None:
        kept.append(off)
    # Slot k < len(kept) is the k-th group kept, the last slot "(other)": cells in period then
    # slot order are the rows in the order wanted.
    slots = len(kept) + 1
    slot = np.full(n_groups, len(kept), dtype=np.int64)
    slot[kept] = np.arange(len(kept))
    cell = e.period * slots + slot[e.group]
    size = len(e.periods) * slots
    cells = np.flatnonzero(np.bincount(cell, minlength=size))
    sums = {k: v[cells] for k, v in e.sum_cells(cell, size, np.arange(size) // slots).items()}
    names = [*e.groups, OTHER]
    labels = [names[k] for k in [*kept, n_groups]]
    columns = [
        [e.periods[p] for p in (cells // slots).tolist()],
        [labels[s] for s in (cells % slots).tolist()],
        *(v.tolist() for v in sums.values()),
    ]
    keys = ["period", "group", *sums]
    out = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    groups = [e.groups[k] for k in kept]
    result_totals = {e.groups[k]: float(totals[k]) for k in kept}
    other = cells % slots == len(kept)
    if other.any():
        groups.append(OTHER)
        result_totals[OTHER] = float(sums[value][other].sum())
    return TopGroups(out, groups, result_totals)


def group_order(
    rows: Sequence[dict[str, Any]] | ShareData, value: str = "models", limit: int | None = None
) -> list[str]:
    """Every group (the first ``limit``), largest ``value`` over all periods first
    (``NOT_ON_HUB`` last).

    >>> group_order([{"group": "a", "models": 1.0}, {"group": "b", "models": 2.0}])
    ['b', 'a']
    """
    e = _entries(rows, value)
    totals, ranked, off = _totals(e)
    order = [e.groups[k] for k in _largest(totals, e.groups, ranked, limit)]
    if off is not None and (limit is None or len(order) < limit):
        order.append(NOT_ON_HUB)
    return order


def _totals(e: _Entries) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], int | None]:
    """Each group's total; the groups present that are ranked (all but ``NOT_ON_HUB``, which
    always comes after them); and ``NOT_ON_HUB``'s code if present."""
    totals = np.bincount(e.group, weights=e.value, minlength=len(e.groups))
    present = np.bincount(e.group, minlength=len(e.groups)) > 0
    off = e.groups.index(NOT_ON_HUB) if NOT_ON_HUB in e.groups else -1
    off_present = off >= 0 and bool(present[off])
    if off >= 0:
        present[off] = False
    return totals, np.flatnonzero(present), off if off_present else None


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
