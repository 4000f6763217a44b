"""Automated bulk uploads: which models belong to one, by rules over the graph's arrays (pure).

On the real Hub a few accounts upload derivatives by the thousand — in September 2024, 67,333
of the month's 79,698 new lineage links were adapters, a quarter of them on one small base
(``Qwen/Qwen1.5-0.5B``) — and such episodes dominate raw counts of "new models". A model is a
*bulk upload* when it belongs to a burst of near-identical uploads. Its *base* is its parent
(for a merge, its first parent in node order); its *author* is the Hub namespace of its id; its
*name template* is its name (the part after ``/``) lower-cased with every run of digits
replaced by ``#`` (``Qwen1.5-0.5B-task12-7`` -> ``qwen#.#-#.#b-task#-#``). The rules, tried in
this order (the first that fires is the one a model keeps):

* ``templated``: at least :attr:`BulkRules.min_templated` (default 10) derivatives of one base
  by one author within :attr:`BulkRules.window_hours` (default 24 h) whose names share one
  template;
* ``volume``: at least :attr:`BulkRules.min_any` (default 50) derivatives of one base by one
  author within the same window, whatever their names (0 turns the rule off).

"Within the window" means that some interval of ``window_hours`` holds at least that many of
the group's uploads and the model is one of them (a sliding window, not calendar days). A
model's *burst* is its run of flagged uploads in the group (no gap longer than the window);
its start identifies the episode. Only models with a parent and a known, non-legacy creation
date are candidates. Detection looks at every candidate each time (vectorized; a few seconds
for the whole Hub), so a burst that straddles two crawls is found whole.

>>> from lineage.graph import Lineage
>>> kids = {f"bot/Qwen1.5-0.5B-task7-{k}": f"2024-09-01T{k:02d}:00:00" for k in range(12)}
>>> lin = Lineage.from_edges([("Qwen/Qwen1.5-0.5B", kid, "adapter") for kid in kids], created=kids)
>>> flags = detect_bulk(lin)
>>> len(flags.nodes), flags.rule_names()[:1]
(12, ['templated'])
>>> len(detect_bulk(lin, BulkRules(min_templated=13, min_any=0)).nodes)
0
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.errors import InputError
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage

__all__ = ["RULES", "BulkFlags", "BulkRules", "detect_bulk", "flag_bursts", "name_template"]

#: The rules, in the order they are tried; a model's rule code is its index here plus one.
RULES = ("templated", "volume")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class BulkRules:
    """The thresholds of the bulk-upload rules (see the module docstring)."""

    window_hours: float = 24.0
    min_templated: int = 10
    min_any: int = 50

    def __post_init__(self) -> None:
        if not self.window_hours > 0:
            raise InputError(f"the bulk window must be a positive number of hours, not {self.window_hours}")
        if self.min_templated < 2:
            raise InputError(f"--min-models must be at least 2, not {self.min_templated}")
        if self.min_any != 0 and self.min_any < 2:
            raise InputError(f"--min-any must be 0 (off) or at least 2, not {self.min_any}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> BulkRules:
        """Rules from :meth:`as_dict` output (missing or unknown keys: defaults)."""
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def describe(self) -> str:
        """The rules in one sentence (the method text)."""
        hours = f"{self.window_hours:g} h"
        text = (
            f"a bulk upload is one of at least {self.min_templated} derivatives of one base by one "
            f"author within {hours} under one name template (digits varying)"
        )
        if self.min_any:
            text += (
                f", or one of at least {self.min_any} such derivatives within {hours} whatever their names"
            )
        return text


@dataclass
class BulkFlags:
    """The flagged models of a graph: node numbers (sorted) and, for each, the rule code
    (``RULES[code - 1]``), the base node and the burst's start (seconds since the epoch)."""

    nodes: IntArray
    rule: npt.NDArray[np.int8]
    base: IntArray
    burst_start: IntArray
    rules: BulkRules

    def codes(self, n: int) -> npt.NDArray[np.int8]:
        """A rule code per node of an ``n``-node graph (0: not a bulk upload)."""
        out = np.zeros(n, dtype=np.int8)
        out[self.nodes] = self.rule
        return out

    def rule_names(self) -> list[str]:
        return [RULES[int(c) - 1] for c in self.rule]


def name_template(model_id: str) -> str:
    """The name of ``model_id`` (after the namespace), lower-cased, digit runs as ``#``.

    >>> name_template("bot/Qwen1.5-0.5B-task12-0007")
    'qwen#.#-#.#b-task#-#'
    """
    return _DIGITS.sub("#", model_id.rpartition("/")[2].lower())


def flag_bursts(
    group: IntArray, created: IntArray, window: int, min_models: int
) -> tuple[npt.NDArray[np.bool_], IntArray]:
    """Sliding-window bursts: ``flagged[k]`` is True when some interval ``[t, t + window)``
    holds at least ``min_models`` items of ``group[k]``, item ``k`` among them; for flagged
    items, ``start[k]`` is the first time of its burst (a run of flagged items of one group
    with no gap longer than ``window``); -1 elsewhere.

    >>> f, s = flag_bursts(np.array([0, 0, 0, 1, 0]), np.array([0, 5, 9, 1, 100]), 10, 3)
    >>> f.tolist(), s.tolist()
    ([True, True, True, False, False], [0, 0, 0, -1, -1])
    """
    m = len(group)
    flagged = np.zeros(m, dtype=bool)
    start = np.full(m, -1, dtype=np.int64)
    if m < min_models:
        return flagged, start
    order = np.lexsort((created, group))
    g, t = group[order], created[order]
    t0 = int(t.min())
    span = int(t.max()) - t0 + window + 1
    key = g.astype(np.int64) * span + (t - t0)
    end = np.searchsorted(key, key + window, side="left")
    begins = np.flatnonzero(end - np.arange(m) >= min_models)
    if not len(begins):
        return flagged, start
    cover = np.bincount(begins, minlength=m + 1) - np.bincount(end[begins], minlength=m + 1)
    in_burst = np.cumsum(cover[:m]) > 0
    pos = np.flatnonzero(in_burst)
    gk, tk = g[pos], t[pos]
    new = np.ones(len(pos), dtype=bool)
    new[1:] = (gk[1:] != gk[:-1]) | (tk[1:] - tk[:-1] > window)
    firsts = tk[new][np.cumsum(new) - 1]
    flagged[order[pos]] = True
    start[order[pos]] = firsts
    return flagged, start


def _factorize(keys: Sequence[Any]) -> IntArray:
    index: dict[Any, int] = {}
    return np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys))


def _first_parents(lin: Lineage) -> IntArray:
    """Each node's first parent in node order (-1 for a root)."""
    start, nbr, _ = lin.up_csr
    out = np.full(len(lin), -1, dtype=np.int64)
    has = np.flatnonzero(np.diff(start) > 0)
    if len(has):
        out[has] = np.minimum.reduceat(np.asarray(nbr, dtype=np.int64), start[has])
    return out


def _ids(lin: Lineage, nodes: IntArray) -> list[str]:
    take = getattr(lin.ids, "take", None)
    return list(take(nodes)) if take is not None else [lin.ids[int(i)] for i in nodes]


def detect_bulk(lin: Lineage, rules: BulkRules | None = None) -> BulkFlags:
    """The bulk uploads of ``lin`` under ``rules`` (default thresholds if None)."""
    rules = rules or BulkRules()
    window = round(rules.window_hours * 3600)
    base_all = _first_parents(lin)
    ok = (base_all >= 0) & ~lin.placeholder & ~lin.legacy & (lin.created != UNKNOWN_TIME)
    cand = np.flatnonzero(ok)
    base, created = base_all[cand], np.asarray(lin.created, dtype=np.int64)[cand]
    # Cheap first pass: a burst needs that many derivatives of its base within the window,
    # whoever uploaded them; only those candidates have their ids decoded.
    least = min(rules.min_templated, rules.min_any or rules.min_templated)
    near, _ = flag_bursts(base, created, window, least)
    cand, base, created = cand[near], base[near], created[near]
    ids = _ids(lin, cand)
    authors = [i.partition("/")[0] if "/" in i else i for i in ids]
    rule = np.zeros(len(cand), dtype=np.int8)
    burst = np.full(len(cand), -1, dtype=np.int64)
    same_author = _factorize(list(zip(authors, base.tolist(), strict=True)))
    keys = [same_author, _factorize(list(zip(same_author.tolist(), map(name_template, ids), strict=True)))]
    for code, (minimum, key) in enumerate(((rules.min_templated, keys[1]), (rules.min_any, keys[0])), 1):
        if not minimum:
            continue
        hit, start = flag_bursts(key, created, window, minimum)
        new = hit & (rule == 0)
        rule[new] = code
        burst[new] = start[new]
    flagged = np.flatnonzero(rule)
    order = np.argsort(cand[flagged], kind="stable")
    sel = flagged[order]
    return BulkFlags(cand[sel], rule[sel], base[sel], burst[sel], rules)
