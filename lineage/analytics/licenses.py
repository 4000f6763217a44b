"""Declared licences along lineage: the class of every node, the status of every link.

:func:`node_license_classes` gives each node's licence class (:data:`lineage.licenses.CLASSES`)
as an array — what an explorer colours nodes by — and :func:`edge_license_status` each link's
status: ``same``, ``changed`` or ``dropped-terms`` (:func:`lineage.licenses.pair_status`), or
none when a side declares no licence. :func:`license_pairs` is ``lineage licenses``: the links
of a selection where both sides declare a licence, counts by family, and the most downloaded
derivatives that drop their base's terms. Declared metadata, not legal advice.

>>> lin = Lineage.from_edges([("meta-llama/Llama-3.1-8B", "a/ft", "finetune")])
>>> lin.license_labels = [None, "llama3.1", "apache-2.0"]
>>> lin.license = np.array([1, 2], dtype=np.int32)
>>> [CLASSES[c] for c in node_license_classes(lin)]
['model-specific', 'permissive']
>>> [STATUS_LABELS[s] for s in edge_license_status(lin)]
['dropped-terms']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.groups import node_labels
from lineage.families import Registry, default_registry
from lineage.graph import IntArray, Lineage
from lineage.licenses import (
    CLASSES,
    DISCLAIMER,
    PAIR_STATUSES,
    LicenseTable,
    declared,
    default_licenses,
    drops_terms,
)

__all__ = [
    "CLASSES",
    "METHOD",
    "STATUS_LABELS",
    "LicenseReport",
    "dropped_terms_below",
    "edge_license_status",
    "license_pairs",
    "node_license_classes",
]

#: Edge status codes: -1 (a side declares no licence), then the index into this tuple.
STATUS_LABELS: tuple[str, ...] = PAIR_STATUSES
NO_PAIR = -1
_UNKNOWN = CLASSES.index("unknown")

METHOD = (
    "Method: each model's licence is its first `license:` tag (else the card's `license`; for `other`, "
    "the card's `license_name`), normalised (lower case, Hub ids). A link base -> derivative counts when "
    "both declare a licence (`unknown` is not a declaration) and the derivative is still on the Hub. "
    "Status: same (the same licence), dropped-terms (the base's class is non-commercial or "
    "model-specific and the derivative's class is more permissive: permissive < copyleft < "
    "model-specific < non-commercial), else changed. Classes come from the licence table "
    "(lineage/data/licenses.toml, extensible with --licenses). A link's family is its base's. " + DISCLAIMER
)


def _label_classes(lin: Lineage, table: LicenseTable) -> npt.NDArray[np.int8]:
    return np.array([CLASSES.index(table.classify_key(k)) for k in lin.license_labels], dtype=np.int8)


def node_license_classes(lin: Lineage, table: LicenseTable | None = None) -> npt.NDArray[np.int8]:
    """Each node's licence class, as an index into :data:`~lineage.licenses.CLASSES`
    (placeholders and models declaring nothing: ``unknown``)."""
    return _label_classes(lin, table or default_licenses())[lin.license_codes]


def edge_license_status(lin: Lineage, table: LicenseTable | None = None) -> npt.NDArray[np.int8]:
    """Each edge's status: an index into :data:`STATUS_LABELS` (``same``, ``changed``,
    ``dropped-terms``), or ``-1`` when the base or the derivative declares no licence."""
    t = table or default_licenses()
    labels = lin.license_labels
    cls = _label_classes(lin, t)
    is_declared = np.array([declared(k) for k in labels], dtype=bool)
    n = len(labels)
    # The status of every (parent label, child label) pair: few labels, so a small matrix.
    pair = np.full((n, n), NO_PAIR, dtype=np.int8)
    for a in range(n):
        for b in range(n):
            if is_declared[a] and is_declared[b]:
                pair[a, b] = 0 if a == b else 2 if drops_terms(CLASSES[cls[a]], CLASSES[cls[b]]) else 1
    codes = lin.license_codes
    return pair[codes[lin.parent], codes[lin.child]]


def dropped_terms_below(
    lin: Lineage, node: int, descendants: IntArray, classes: npt.NDArray[np.int8] | None = None
) -> tuple[int, int]:
    """How many live direct children of ``node``, and of its ``descendants`` (any depth), declare
    a licence that drops ``node``'s terms (:func:`lineage.licenses.drops_terms`: ``node`` is
    non-commercial or model-specific, the derivative's class ranks lower); ``classes`` is
    :func:`node_license_classes` (computed when not given).

    >>> lin = Lineage.from_edges([("base", "ft", "finetune"), ("ft", "q", "quantized")])
    >>> lin.license_labels = [None, "llama3.1", "apache-2.0", "mit"]
    >>> lin.license = np.array([1, 2, 3], dtype=np.int32)
    >>> dropped_terms_below(lin, lin.index["base"], lin.descendants(lin.index["base"]))
    (1, 2)
    """
    cls = node_license_classes(lin) if classes is None else classes
    mine = CLASSES[int(cls[node])]
    dropping = np.array([drops_terms(mine, c) for c in CLASSES], dtype=bool)

    def count(nodes: IntArray) -> int:
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        nodes = nodes[~lin.deleted[nodes] & ~lin.placeholder[nodes]]
        return int(dropping[cls[nodes]].sum())

    return count(lin.children(node)), count(descendants)


@dataclass
class LicenseReport:
    """What ``lineage licenses`` shows (:func:`license_pairs`); :meth:`as_dict` is its JSON."""

    scope: str
    links: list[dict[str, Any]]
    by_family: list[dict[str, Any]]
    offenders: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    method: str = METHOD
    disclaimer: str = DISCLAIMER

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "counts": self.counts,
            "by_family": self.by_family,
            "top_offenders": self.offenders,
            "links": self.links,
            "method": self.method,
            "disclaimer": self.disclaimer,
        }


def license_pairs(
    lin: Lineage,
    nodes: IntArray | None = None,
    *,
    scope: str = "all models",
    registry: Registry | None = None,
    table: LicenseTable | None = None,
    top: int = 20,
) -> LicenseReport:
    """The links among ``nodes`` (default: every node) whose base and derivative both declare
    a licence, the derivative still on the Hub: each with both licences, their classes and
    the status; counts per family (the base's) and the ``top`` derivatives dropping terms, by
    downloads."""
    t = table or default_licenses()
    reg = registry or default_registry()
    status = edge_license_status(lin, t)
    keep = (status != NO_PAIR) & ~lin.deleted[lin.child]
    if nodes is not None:
        inside = np.zeros(len(lin), dtype=bool)
        inside[np.asarray(nodes, dtype=np.int64)] = True
        keep &= inside[lin.parent] & inside[lin.child]
    edges = np.flatnonzero(keep)
    cls = _label_classes(lin, t)
    codes = lin.license_codes
    ids, labels = lin.ids, lin.license_labels
    parents = np.unique(lin.parent[edges])
    family_of = dict(zip(parents.tolist(), node_labels(lin, parents, "family", reg), strict=True))
    rows: list[dict[str, Any]] = []
    for e in edges.tolist():
        p, c = int(lin.parent[e]), int(lin.child[e])
        rows.append(
            {
                "parent": ids[p],
                "child": ids[c],
                "relation": lin.relation_labels[int(lin.relation[e])],
                "parent_license": labels[int(codes[p])],
                "child_license": labels[int(codes[c])],
                "parent_class": CLASSES[cls[codes[p]]],
                "child_class": CLASSES[cls[codes[c]]],
                "status": STATUS_LABELS[int(status[e])],
                "family": family_of[p],
                "downloads": int(lin.downloads[c]),
            }
        )
    rows.sort(key=lambda r: (r["parent"], r["child"], r["relation"]))
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = per.setdefault(
            r["family"], {"family": r["family"], "links": 0, **dict.fromkeys(PAIR_STATUSES, 0)}
        )
        g["links"] += 1
        g[r["status"]] += 1
    by_family = sorted(per.values(), key=lambda g: (-g["dropped-terms"], -g["links"], g["family"]))
    offenders = sorted(
        (r for r in rows if r["status"] == "dropped-terms"),
        key=lambda r: (-r["downloads"], r["child"], r["parent"]),
    )[:top]
    counts = {"links": len(rows), **{s: sum(r["status"] == s for r in rows) for s in PAIR_STATUSES}}
    return LicenseReport(scope, rows, by_family, offenders, counts)
