"""Bulk-upload flags in use: the flags a question reads, and the detection that keeps the
store's flags up to date.

The store keeps one flag per bulk-uploaded model with the rule that fired
(:mod:`lineage.store.bulk`), written by :func:`refresh_bulk` — after every crawl (``lineage
crawl``, ``demo`` and ``start`` run it with the graph snapshot) and by ``lineage bulk`` with
other thresholds, which the store then remembers. The graph carries them as
:attr:`Lineage.bulk <lineage.graph.Lineage.bulk>`. A question about a graph whose flags do not
describe it (a crawl wrote since the detection, or a graph built in memory) detects them anew,
in memory, with the store's thresholds (:func:`bulk_codes`).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.bulk import RULES, BulkRules, detect_bulk
from lineage.analytics.groups import BY, group_index, save_group_indexes
from lineage.errors import LineageError
from lineage.graph import Lineage, snapshot
from lineage.store import Store
from lineage.store.bulk import FlagRow
from lineage.times import iso

__all__ = ["BulkUpdate", "bulk_codes", "bulk_is_current", "bulk_report", "refresh_bulk", "store_rules"]

_DETECTED: weakref.WeakKeyDictionary[Lineage, dict[BulkRules, npt.NDArray[np.int8]]] = (
    weakref.WeakKeyDictionary()
)


def _stored_rules(lin: Lineage) -> BulkRules | None:
    d = lin.bulk_detection
    return BulkRules.from_dict(d.get("rules")) if d is not None else None


def bulk_codes(lin: Lineage, rules: BulkRules | None = None) -> tuple[npt.NDArray[np.int8], bool]:
    """A rule code per node (0: not a bulk upload, else ``RULES[code - 1]``) and whether they
    are the store's flags (True) or were detected now, in memory (False).

    ``rules`` None: the thresholds chosen for the store (the defaults unless ``lineage bulk``
    or the demo changed them)."""
    stored = _stored_rules(lin)
    wanted = rules or BulkRules.from_dict(lin.bulk_rules)
    if lin.bulk_current and stored == wanted:
        assert lin.bulk is not None
        to_code = np.array([0 if lab is None else RULES.index(lab) + 1 for lab in lin.bulk_labels], np.int8)
        return to_code[lin.bulk], True
    cached = _DETECTED.setdefault(lin, {})
    if wanted not in cached:
        cached[wanted] = detect_bulk(lin, wanted).codes(len(lin))
    return cached[wanted], False


def store_rules(store: Store) -> BulkRules:
    """The thresholds chosen for ``store`` (defaults unless ``lineage bulk`` changed them)."""
    return BulkRules.from_dict(store.bulk_rules())


def bulk_is_current(store: Store) -> bool:
    """True when the store's flags are a detection of its present state with its chosen rules."""
    d = store.bulk_detection()
    return (
        d is not None
        and d.get("data_version") == store.data_version()
        and BulkRules.from_dict(d.get("rules")) == store_rules(store)
    )


@dataclass
class BulkUpdate:
    """What :func:`refresh_bulk` did."""

    rules: BulkRules
    models: int  # models flagged
    by_rule: dict[str, int] = field(default_factory=dict)
    written: bool = False  # flags changed in the store
    detect_seconds: float = 0.0
    seconds: float = 0.0
    detected: bool = True  # False: the store's flags were current, detection did not run


def _rows(
    lin: Lineage,
    flags_nodes: npt.NDArray[np.int64],
    rule: npt.NDArray[np.int8],
    base: npt.NDArray[np.int64],
    start: npt.NDArray[np.int64],
) -> list[FlagRow]:
    take = getattr(lin.ids, "take", None)
    ids = list(take(flags_nodes)) if take is not None else [lin.ids[int(i)] for i in flags_nodes]
    bases = list(take(base)) if take is not None else [lin.ids[int(i)] for i in base]
    days: dict[int, str] = {}
    out: list[FlagRow] = []
    for mid, code, b, t in zip(ids, rule.tolist(), bases, start.tolist(), strict=True):
        when = days.get(t)
        if when is None:
            when = days[t] = iso(t)
        out.append((mid, RULES[code - 1], mid.partition("/")[0] if "/" in mid else mid, b, when))
    return out


def refresh_bulk(
    store: Store, rules: BulkRules | None = None, *, force: bool = False
) -> tuple[Lineage, BulkUpdate]:
    """Detect the bulk uploads of ``store`` (with ``rules``, else the store's chosen ones) and
    make its flags equal the result; bring the graph snapshot up to date as well. Returns the
    graph (flags included) and what was done.

    Holds the store's write lock (a crawl in progress: :class:`~lineage.store.StoreBusyError`).
    Only flags that changed are written; when none did, the detection is recorded without
    touching the data, so the snapshot stays valid. Cost: one graph load (the snapshot when up
    to date), a vectorized detection, and the snapshot rewritten when a flag changed.
    """
    begin = time.perf_counter()
    rules = rules or store_rules(store)
    with store.writer("bulk-upload detection"):
        fresh = snapshot.status(store) == "up to date"
        lin = _graph(store, fresh)
        if not force and lin.bulk_current and _stored_rules(lin) == rules:
            codes, _ = bulk_codes(lin, rules)
            if not fresh:
                _save(lin)
            return lin, replace(_summary(rules, codes, False, 0.0, begin), detected=False)
        for by in BY:  # the root classifications, to carry them over to the new state
            group_index(lin, by)
        t = time.perf_counter()
        flags = detect_bulk(lin, rules)
        detect_seconds = time.perf_counter() - t
        rows = _rows(lin, flags.nodes, flags.rule, flags.base, flags.burst_start)
        assert lin.data_version is not None
        version = store.write_bulk_flags(rows, rules.as_dict(), lin.data_version)
        if version is None:  # pragma: no cover (the write lock keeps crawls out)
            raise LineageError("the store changed during bulk detection: run `lineage bulk` again")
        written = version != lin.data_version
        lin.bulk = flags.codes(len(lin))
        lin.bulk_labels = [None, *RULES]
        lin.data_version = version
        lin.bulk_detection = store.bulk_detection()
        if written or not fresh:
            _save(lin)
        if written:
            save_group_indexes(lin)
    return lin, _summary(rules, lin.bulk, written, detect_seconds, begin)


def _graph(store: Store, fresh: bool) -> Lineage:
    if fresh:
        try:
            return snapshot.open_snapshot(store)
        except snapshot.SnapshotError:
            pass
    return snapshot.load(store, use=False)


def _save(lin: Lineage) -> None:
    assert lin.store_path is not None
    try:
        snapshot.save(lin, snapshot.snapshot_path(lin.store_path))
    except OSError as exc:  # a read-only folder: the next reader reads the store
        snapshot.log.warning("could not write the graph snapshot (%s)", exc)


def _summary(
    rules: BulkRules, codes: npt.NDArray[np.int8] | None, written: bool, detect_seconds: float, begin: float
) -> BulkUpdate:
    counts = np.bincount(codes, minlength=len(RULES) + 1) if codes is not None else np.zeros(len(RULES) + 1)
    by_rule = {RULES[k]: int(counts[k + 1]) for k in range(len(RULES)) if counts[k + 1]}
    return BulkUpdate(
        rules, int(counts[1:].sum()), by_rule, written, detect_seconds, time.perf_counter() - begin
    )


def bulk_report(store: Store, top: int = 10) -> dict[str, Any]:
    """The store's bulk-upload flags, JSON-ready: whether detection ran and describes the store
    as it is (``current``), its rules, flagged models per rule and the ``top`` uploaders."""
    d = store.bulk_detection()
    rules = BulkRules.from_dict(d.get("rules")) if d is not None else store_rules(store)
    by_rule = store.bulk_rule_counts()
    return {
        "detected": d is not None,
        "current": bulk_is_current(store),
        "detected_at": d.get("detected_at") if d is not None else None,
        "rules": rules.as_dict(),
        "rules_text": rules.describe(),
        "models": sum(by_rule.values()),
        "by_rule": by_rule,
        "uploaders": store.bulk_uploaders(top),
    }
