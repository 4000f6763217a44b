"""A share computation before it becomes rows: the population's (model, group) pairs.

:func:`lineage.analytics.share.share_data` stops here; :meth:`ShareData.table` sums the pairs
per (period, group) cell into ``share_table``'s rows, and
:func:`lineage.analytics.ranking.top_overall` sums them straight into the top N groups and
"(other)". That is what the app needs: with population ``all`` every org without a family is a
group, so the whole Hub has hundreds of thousands of cells, and building (or even sorting) them
all costs more than the answer (a top 10 per period).

>>> import numpy as np
>>> d = ShareData(["2025-09", "2025-10"], ["Qwen", "Llama"], node=np.array([0, 0, 1, 2]),
...               group=np.array([0, 1, 0, 1]), period_of=np.array([0, 0, 1]),
...               per_model=np.array([2, 1, 1]), fractional=True, period_models=np.array([2.0, 1.0]))
>>> [(r["period"], r["group"], r["models"], r["share"]) for r in d.table().rows]
[('2025-09', 'Qwen', 1.5, 0.75), ('2025-09', 'Llama', 0.5, 0.25), ('2025-10', 'Llama', 1.0, 1.0)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.table import Table
from lineage.graph import IntArray

__all__ = ["ShareData", "cell_sums", "dense_unique", "name_ranks", "tie_key"]

Floats = npt.NDArray[Any]  # float64 (numpy types np.bincount as integer)
Ints = npt.NDArray[np.integer]  # 32- or 64-bit


@dataclass(frozen=True)
class ShareData:
    """The population of a share query as (model, group) pairs.

    Per pair, ``node`` is the model (its node number) and ``group`` its group code (into
    ``groups``). Per node of the graph, ``period_of`` is the model's period code (into
    ``periods``, which are sorted; -1 outside the population) and ``per_model`` its number of
    pairs; ``downloads_of`` holds every node's 30-day downloads (None unless asked for).
    ``period_models`` and ``period_downloads`` are the population's totals per period. With
    ``fractional`` attribution a model's weight is split over its groups, else each pair
    weighs 1.
    """

    periods: list[str]
    groups: list[str]
    node: Ints
    group: Ints
    period_of: Ints
    per_model: Ints
    fractional: bool
    period_models: Floats
    downloads_of: Floats | None = None
    period_downloads: Floats | None = None
    notes: list[str] = field(default_factory=list)
    method: str = ""

    @property
    def columns(self) -> list[str]:
        return ["period", "group", "models", "share"] + (
            ["downloads", "downloads_share"] if self.downloads_of is not None else []
        )

    @property
    def period(self) -> Ints:
        """The period code of each pair."""
        return self.period_of[self.node]

    def weight(self) -> Floats:
        """Each pair's weight (a model's share of one of its groups)."""
        if self.fractional:
            return np.asarray(1.0 / self.per_model[self.node], dtype=float)
        return np.ones(len(self.node))

    def values(self, only: str | None = None) -> dict[str, Floats]:
        """Each pair's part of every column (or of column ``only``): summed over a cell's pairs
        they give its row."""
        weight = self.weight()
        if only == "models":
            return {"models": weight}
        period = self.period
        out = {"models": weight, "share": weight / self.period_models[period]}
        if self.downloads_of is not None and self.period_downloads is not None:
            dl = weight * self.downloads_of[self.node]
            out["downloads"] = dl
            out["downloads_share"] = _ratio(dl, self.period_downloads[period])
        return out if only is None else {only: out[only]}

    def cell_values(
        self, cell: Ints, size: int, cell_period: Ints, weight: Floats | None = None
    ) -> dict[str, Floats]:
        """Every column summed per cell: ``cell`` numbers each pair's cell (``size`` of them,
        cell ``k`` in period ``cell_period[k]``; ``weight``: :meth:`weight`, if at hand). The
        shares are the cell's sums over its period's totals, as in :meth:`table`, so only two
        columns are summed pair by pair."""
        weight = self.weight() if weight is None else weight
        models = np.bincount(cell, weights=weight, minlength=size)
        out = {"models": models, "share": _ratio(models, self.period_models[cell_period])}
        if self.downloads_of is not None and self.period_downloads is not None:
            dl = np.bincount(cell, weights=weight * self.downloads_of[self.node], minlength=size)
            out["downloads"] = dl
            out["downloads_share"] = _ratio(dl, self.period_downloads[cell_period])
        return out

    def table(self) -> Table:
        """The pairs summed per (period, group) cell: ``share_table``'s rows, by period, then
        models (descending), then group name."""
        g = max(1, len(self.groups))
        weight = self.weight()
        parts = [weight] if self.downloads_of is None else [weight, weight * self.downloads_of[self.node]]
        cells, sums = cell_sums(self.period.astype(np.int64) * g + self.group, parts)
        p_idx, g_idx = cells // g, cells % g
        values = [sums[0], sums[0] / self.period_models[p_idx]]
        if self.period_downloads is not None:
            values += [sums[1], _ratio(sums[1], self.period_downloads[p_idx])]
        order = np.lexsort((name_ranks(self.groups)[g_idx], -tie_key(sums[0]), p_idx))
        columns = [
            np.array(self.periods, dtype=object)[p_idx[order]].tolist(),
            np.array(self.groups, dtype=object)[g_idx[order]].tolist(),
            *(v[order].tolist() for v in values),
        ]
        names = self.columns
        rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        notes = self.notes if rows else [*self.notes, "no models match"]
        return Table(rows, names, notes, self.method)


def tie_key(totals: Floats) -> Floats:
    """Totals as they are compared when ranking groups: to the millionth, so sums of thirds and
    sixths that are equal tie (and go by name) whatever order they were added in."""
    return np.round(totals, 6)


def name_ranks(labels: list[str]) -> IntArray:
    """Each label's rank in name order: ties in a numeric sort go by name (one sort of the
    labels, not a comparison of strings per row)."""
    ranks = np.empty(len(labels), dtype=np.int64)
    ranks[np.argsort(np.array(labels, dtype=str), kind="stable")] = np.arange(len(labels))
    return ranks


def _ratio(part: Floats, whole: Floats) -> Floats:
    return np.divide(part, whole, out=np.zeros(len(part)), where=whole > 0)


def dense_unique(key: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(key, return_inverse=True)``; for keys in a range not much wider than their
    number (periods since 1970) a count per key instead of a sort (3M keys: 0.02 s instead of
    0.2 s)."""
    if not len(key):
        return key.copy(), key.copy()
    low = int(key.min())
    if int(key.max()) - low > max(2 * len(key), 1 << 20):
        uniq, inverse = np.unique(key, return_inverse=True)
        return uniq, inverse.reshape(-1)
    present = np.bincount(key - low) > 0
    code = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, code[key - low]


def cell_sums(cell: IntArray, weights: list[npt.NDArray[Any]]) -> tuple[IntArray, list[npt.NDArray[Any]]]:
    """The distinct cells (sorted) and each of ``weights`` summed per cell, in position order.

    Cells in a narrow range are counted densely; otherwise (weeks x 400,000 orgs with population
    ``all``) each cell is packed with its position and the packed keys sorted: a sort of plain
    integers gives the cells in order and the permutation for summing (at 3M models 0.1 s,
    where ``np.unique`` with its inverse takes 0.4 s)."""
    if not len(cell):
        return cell.copy(), [np.asarray(w, dtype=float).copy() for w in weights]
    low, high = int(cell.min()), int(cell.max())
    if high - low <= max(2 * len(cell), 1 << 20):
        cells, inverse = dense_unique(cell)
        return cells, [np.bincount(inverse, weights=w, minlength=len(cells)) for w in weights]
    bits = len(cell).bit_length()
    if (high - low).bit_length() + bits > 62:  # pragma: no cover - a grid of over 2**40 cells
        cells, inverse = np.unique(cell, return_inverse=True)
        return cells, [np.bincount(inverse.reshape(-1), weights=w, minlength=len(cells)) for w in weights]
    packed = np.sort(((cell - low) << bits) | np.arange(len(cell)))
    perm = packed & ((1 << bits) - 1)
    ordered = packed >> bits
    first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    code = np.cumsum(first) - 1  # summed in position order, as a dense count would
    return ordered[first] + low, [np.bincount(code, weights=w[perm]) for w in weights]
