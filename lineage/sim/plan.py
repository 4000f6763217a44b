"""How many models of each kind the simulated hub creates in each month.

:func:`make_plan` turns the real-Hub figures of :mod:`lineage.sim.shape` into integer counts
for a hub of ``n`` models: per month, independent roots; derivatives per (family, relation);
derivatives per (headline base, relation); bulk uploads per base. The family × relation
table of each month is fitted (iterative proportional fitting) so that its rows follow the
family mix of :mod:`lineage.sim.catalog` and its columns the month's published relation split,
starting from each modality's relation affinity (LoRAs on image models, fine-tunes of
encoders). Counts are scaled by ``n`` over the real hub's size and rounded by largest
remainder, so they add up to exactly ``n`` and every month keeps its share at any size.

>>> p = make_plan(10_000, "2026-11-01T00:00:00")
>>> sum(m.roots + sum(m.family.values()) + sum(m.headline.values()) + sum(m.bulk.values())
...     for m in p.months) + p.n_legacy + p.n_catalog
10000
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lineage.sim.catalog import ANCHORS, FAMILIES, INDIE_WEIGHT, MODALITIES, MODEL_BY_ID
from lineage.sim.shape import (
    AFTER,
    BULK,
    BULK_RELATION,
    DERIVED_BEFORE,
    HEADLINE,
    MERGE_SIZES,
    MONTHLY_LINKS,
    N_MONTHS,
    RELATIONS_BEFORE,
    ROOTS_PER_MONTH,
    curve,
    month_key,
)

__all__ = ["INDIE", "MEAN_MERGE_PARENTS", "MonthPlan", "Plan", "make_plan", "ts", "year"]

#: Family index of derivatives of independent roots (one past the last family).
INDIE = len(FAMILIES)
MEAN_MERGE_PARENTS = sum(k * p for k, p in MERGE_SIZES) / sum(p for _, p in MERGE_SIZES)
_INDIE_AFFINITY = (1.0, 1.0, 0.5, 0.3)


def ts(date: str) -> float:
    """Seconds since the epoch of an ISO date or date-time (UTC)."""
    return datetime.fromisoformat(date).replace(tzinfo=UTC).timestamp()


def year(t: float) -> float:
    return 1970 + t / (365.2425 * 86400)


def release_ts(date: str) -> float:
    """When a catalog model appears: its date (noon), legacy models before 2022-03."""
    return ts("2022-03-02T23:29:04") if date == "legacy" else ts(date) + 12 * 3600


@dataclass
class MonthPlan:
    """Counts for one month: ``start``..``end`` seconds, and what is created in between."""

    index: int
    start: float
    end: float
    roots: int = 0
    family: dict[tuple[int, int], int] = field(default_factory=dict)  # (family, relation) -> n
    headline: dict[tuple[str, int], int] = field(default_factory=dict)  # (base id, relation) -> n
    bulk: dict[str, int] = field(default_factory=dict)  # base id -> n


@dataclass
class Plan:
    n_legacy: int
    n_catalog: int
    scale: float  # simulated models per real-Hub model
    months: list[MonthPlan]


def _mix(y: float) -> list[float]:
    """Family weights (families, then independent) at year ``y``."""
    k = max(0, min(len(ANCHORS) - 2, bisect.bisect_right(ANCHORS, y) - 1))
    a = max(0.0, min(1.0, (y - ANCHORS[k]) / (ANCHORS[k + 1] - ANCHORS[k])))
    w = [fam.weights[k] * (1 - a) + fam.weights[k + 1] * a for fam in FAMILIES]
    w.append(INDIE_WEIGHT[k] * (1 - a) + INDIE_WEIGHT[k + 1] * a)
    return w


def _children_by_relation(links: tuple[float, ...], total: float | None = None) -> list[float]:
    """New derived models per relation from links per relation (a merge has several links);
    rescaled to ``total`` models when given."""
    kids = [links[0], links[1], links[2], links[3] / MEAN_MERGE_PARENTS]
    if total is not None:
        s = sum(kids)
        kids = [k * total / s for k in kids]
    return kids


def _ipf(seed: list[list[float]], rows: list[float], cols: list[float]) -> list[list[float]]:
    """A table close to ``seed`` with the given row and column sums (rows rescaled to cols)."""
    total_c = sum(cols)
    total_r = sum(rows)
    if total_c <= 0 or total_r <= 0:
        return [[0.0] * len(cols) for _ in rows]
    rows = [r * total_c / total_r for r in rows]
    x = [[s if rows[f] > 0 and cols[c] > 0 else 0.0 for c, s in enumerate(row)] for f, row in enumerate(seed)]
    for _ in range(100):
        for f, row in enumerate(x):
            s = sum(row)
            if s > 0:
                x[f] = [v * rows[f] / s for v in row]
        worst = 0.0
        for c in range(len(cols)):
            s = sum(row[c] for row in x)
            if s > 0:
                factor = cols[c] / s
                worst = max(worst, abs(factor - 1))
                for row in x:
                    row[c] *= factor
        if worst < 1e-6:
            break
    return x


def _largest_remainder(values: list[float], total: int) -> list[int]:
    floors = [math.floor(v) for v in values]
    rest = total - sum(floors)
    order = sorted(range(len(values)), key=lambda k: floors[k] - values[k])
    for k in order[: max(0, rest)]:
        floors[k] += 1
    return floors


def make_plan(n: int, end: str) -> Plan:
    """Integer counts of every kind of model per month for a hub of ``n`` models (see above)."""
    legacy = [m for fam in FAMILIES for m in fam.models if m.date == "legacy"]
    n_catalog = sum(len(fam.models) for fam in FAMILIES)
    n_legacy_extra = max(4, n // 50 - len(legacy))
    if n < n_catalog + n_legacy_extra + 20:
        raise ValueError(
            f"--models must be at least {n_catalog + n_legacy_extra + 20} (the simulated families have "
            f"{n_catalog} first-party models)"
        )
    t0, t1 = ts("2022-03-03"), ts(end)
    first_release = [min(release_ts(m.date) for m in fam.models) for fam in FAMILIES]
    roots_c = curve(ROOTS_PER_MONTH)
    before_c = curve(DERIVED_BEFORE)
    rel_before = [curve({k: v[r] for k, v in RELATIONS_BEFORE.items()}, before=None) for r in range(4)]
    head_c = {base: curve(points) for base, points in HEADLINE.items()}
    cells: list[float] = []  # real-scale counts, in the order of `keys`
    keys: list[tuple[int, str, object]] = []
    months: list[MonthPlan] = []
    for m in range(N_MONTHS):
        key = month_key(m)
        start = max(t0, ts(key + "-01"))
        nxt = month_key(m + 1)
        end_m = min(t1, ts(nxt + "-01"))
        if end_m <= start:
            break
        cover = (end_m - start) / (ts(nxt + "-01") - ts(key + "-01"))
        months.append(MonthPlan(m, start, end_m))
        if key in MONTHLY_LINKS:
            kids = _children_by_relation(MONTHLY_LINKS[key])
        elif key < min(MONTHLY_LINKS):
            kids = _children_by_relation(tuple(c[m] for c in rel_before), before_c[m])
        else:
            kids = _children_by_relation(AFTER[1], AFTER[0])
        kids = [k * cover for k in kids]
        keys.append((m, "roots", None))
        cells.append(roots_c[m] * cover)
        # bulk uploads of the month, and what they take from each relation
        bulk_total = 0.0
        for base, per_month in BULK.items():
            if key in per_month:
                keys.append((m, "bulk", base))
                cells.append(per_month[key] * cover)
                bulk_total += per_month[key] * cover
        rest = kids[:]
        rest[1] -= bulk_total * BULK_RELATION
        rest[0] -= bulk_total * (1 - BULK_RELATION)
        nonbulk = sum(kids) - bulk_total
        share = [max(0.0, r) / max(1e-9, sum(max(0.0, x) for x in rest)) for r in rest]
        # headline bases (direct derivatives besides bulk)
        head_by_family = [0.0] * (INDIE + 1)
        for base, values in head_c.items():
            model = MODEL_BY_ID[base]
            if values[m] <= 0 or release_ts(model.date) >= end_m:
                continue
            aff = MODALITIES[model.modality][2]
            split = [aff[r] * share[r] for r in range(4)]
            total = sum(split)
            for r in range(4):
                amount = values[m] * cover * split[r] / total
                if amount > 0:
                    keys.append((m, "head", (base, r)))
                    cells.append(amount)
                    rest[r] -= amount
            head_by_family[_family_of(base)] += values[m] * cover
        rest = [max(0.0, r) for r in rest]
        # the family x relation table of the remaining derivatives
        mid_year = year((start + end_m) / 2)
        weights = _mix(mid_year)
        avail = [first_release[f] < start for f in range(INDIE)] + [True]
        wsum = sum(w for w, ok in zip(weights, avail, strict=True) if ok)
        rows = [
            max(0.0, weights[f] / wsum * nonbulk - head_by_family[f]) if avail[f] else 0.0
            for f in range(INDIE + 1)
        ]
        seed = [list(MODALITIES[fam.modality][2]) for fam in FAMILIES] + [list(_INDIE_AFFINITY)]
        table = _ipf(seed, rows, rest)
        for f, row in enumerate(table):
            for r, amount in enumerate(row):
                if amount > 0:
                    keys.append((m, "family", (f, r)))
                    cells.append(amount)
    n_rest = n - n_catalog - n_legacy_extra
    scale = n_rest / sum(cells)
    counts = _largest_remainder([c * scale for c in cells], n_rest)
    by_index = {mp.index: mp for mp in months}
    for (m, kind, what), count in zip(keys, counts, strict=True):
        if not count:
            continue
        mp = by_index[m]
        if kind == "roots":
            mp.roots += count
        elif kind == "bulk":
            assert isinstance(what, str)
            mp.bulk[what] = count
        elif kind == "head":
            assert isinstance(what, tuple)
            mp.headline[what] = count
        else:
            assert isinstance(what, tuple)
            mp.family[what] = count
    return Plan(len(legacy) + n_legacy_extra, n_catalog - len(legacy), scale, months)


def _family_of(model_id: str) -> int:
    for f, fam in enumerate(FAMILIES):
        if any(m.id == model_id for m in fam.models):
            return f
    raise KeyError(model_id)  # pragma: no cover - HEADLINE names catalog models only
