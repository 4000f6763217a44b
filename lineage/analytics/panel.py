"""What the explorer's model panel shows: the chains up to the roots, counts of children and
descendants per relation, and the tables those counts open.

* :func:`root_chains` — every path from a root down to the model, with the relation of each link;
* :func:`relation_counts` — direct children per relation (the Hub's "Finetunes 34"), and all
  descendants per relation: a descendant counts for a relation when one of its links of that
  relation comes from the model or from another of its descendants (a quantization of a
  fine-tune counts as a quantization; a model can count for two relations, so the relations
  can add up to more than the total, which is given too);
* :func:`derivatives` and :func:`derivative_rows` — the models behind a count, filtered, sorted
  and cut to a page, with their depth, relation and family.

>>> from lineage.graph import Lineage
>>> lin = Lineage.from_edges([("base", "ft", "finetune"), ("ft", "q", "quantized"),
...                           ("base", "q2", "quantized"), ("ft", "m", "merge"), ("q2", "m", "merge")])
>>> c = relation_counts(lin, lin.index["base"])
>>> c.children, c.descendants, c.total_descendants
({'finetune': 1, 'quantized': 1}, {'finetune': 1, 'quantized': 2, 'merge': 1}, 4)
>>> [[(lin.ids[n], r) for n, r in chain] for chain in root_chains(lin, lin.index["m"])]
[[('base', ''), ('ft', 'finetune'), ('m', 'merge')], [('base', ''), ('q2', 'quantized'), ('m', 'merge')]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lineage.analytics.groups import group_index, node_groups
from lineage.analytics.view import family_labels
from lineage.families import Registry, default_registry
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage, model_attributes, ragged_offsets, unique_ints, walk
from lineage.times import day_of

__all__ = [
    "SORTS",
    "Derivatives",
    "RelationCounts",
    "derivative_rows",
    "derivatives",
    "describe",
    "most_downloaded",
    "relation_counts",
    "root_chains",
    "top_roots",
]

#: Columns a derivative table sorts by.
SORTS = ("downloads", "likes", "created", "depth", "model")


def root_chains(lin: Lineage, node: int, limit: int = 6) -> list[list[tuple[int, str]]]:
    """Paths from a root down to ``node``: ``[(root, ""), (model, relation of its link from the
    previous one), ..., (node, relation)]``; at most ``limit`` of them, shortest first."""
    chains: list[list[tuple[int, str]]] = []
    stack: list[list[tuple[int, str]]] = [[(node, "")]]
    steps = 0
    while stack and len(chains) < 4 * limit and steps < 10_000:  # merges of merges: paths multiply
        steps += 1
        path = stack.pop()
        top = path[0][0]
        edges = lin.parent_edges(top).tolist()
        if not edges:
            chains.append(path)
            continue
        for e in sorted(edges, key=lambda e: lin.ids[int(lin.parent[e])], reverse=True):
            p = int(lin.parent[e])
            if any(p == q for q, _ in path):  # never loop (links set aside as cycles are not edges)
                continue
            rel = lin.relation_labels[int(lin.relation[e])]
            stack.append([(p, ""), (top, rel), *path[1:]])
    chains.sort(key=lambda c: (len(c), [lin.ids[n] for n, _ in c]))
    return chains[:limit]


@dataclass(frozen=True)
class RelationCounts:
    """Direct children and all descendants of a model, per relation (relations in order)."""

    children: dict[str, int]
    descendants: dict[str, int]
    total_children: int
    total_descendants: int


def relation_counts(lin: Lineage, node: int) -> RelationCounts:
    """:class:`RelationCounts` of ``node`` (see the module docstring)."""
    labels = lin.relation_labels
    edges = lin.child_edges(node)
    kids = lin.child[edges]
    children = _per_relation(labels, kids, lin.relation[edges])
    desc = lin.descendants(node)
    inside = np.zeros(len(lin), dtype=bool)
    inside[desc] = True
    inside[node] = True
    start, _, order = lin.up_csr
    counts = start[desc + 1] - start[desc]
    up = order[ragged_offsets(start[desc], counts)]
    up = up[inside[lin.parent[up]]]
    return RelationCounts(
        children,
        _per_relation(labels, lin.child[up], lin.relation[up]),
        len(unique_ints(kids)),
        len(desc),
    )


def _per_relation(labels: Sequence[str], nodes: IntArray, relation: Any) -> dict[str, int]:
    """Distinct nodes per relation code, in relation order, zero counts left out."""
    key = unique_ints(nodes.astype(np.int64) * len(labels) + np.asarray(relation, dtype=np.int64))
    counts = np.bincount(key % len(labels), minlength=len(labels))
    return {labels[k]: int(c) for k, c in enumerate(counts.tolist()) if c}


@dataclass(frozen=True)
class Derivatives:
    """The models behind a count: node numbers, depth below the model, relation code (of the
    relation asked for, else of the link each was first reached through)."""

    nodes: IntArray
    depth: IntArray
    relation: IntArray


def derivatives(lin: Lineage, node: int, scope: str = "children", relation: str | None = None) -> Derivatives:
    """The direct children (``scope="children"``) or all descendants of ``node``, all or those
    counted for ``relation`` in :func:`relation_counts`."""
    code = None if relation is None else lin.relation_labels.index(relation)
    if scope == "children":
        edges = lin.child_edges(node)
        if code is not None:
            edges = edges[lin.relation[edges] == code]
        order = np.argsort(lin.child[edges], kind="stable")
        edges = edges[order]
        kids = lin.child[edges]
        first = np.concatenate(([True], kids[1:] != kids[:-1])) if len(kids) else np.zeros(0, bool)
        return Derivatives(
            kids[first], np.ones(int(first.sum()), np.int64), lin.relation[edges[first]].astype(np.int64)
        )
    w = walk(*lin.down_csr, [node], None, len(lin))
    rel = lin.relation[w.via].astype(np.int64)
    if code is None:
        return Derivatives(w.nodes, w.hops, rel)
    inside = np.zeros(len(lin), dtype=bool)
    inside[w.nodes] = True
    inside[node] = True
    start, _, order = lin.up_csr
    counts = start[w.nodes + 1] - start[w.nodes]
    up = order[ragged_offsets(start[w.nodes], counts)]
    keep = inside[lin.parent[up]] & (lin.relation[up] == code)
    has = np.zeros(len(lin), dtype=bool)
    has[lin.child[up[keep]]] = True
    sel = has[w.nodes]
    return Derivatives(w.nodes[sel], w.hops[sel], np.full(int(sel.sum()), code, np.int64))


def derivative_rows(
    lin: Lineage,
    d: Derivatives,
    registry: Registry | None = None,
    *,
    text: str = "",
    families: Sequence[str] = (),
    sort: str = "downloads",
    descending: bool = True,
    limit: int = 1000,
) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """The rows of a derivative table: those whose id contains ``text`` (any case) and whose
    family is one of ``families`` (all when empty), sorted by ``sort``, at most ``limit``.

    Returns ``(rows, matching, families)``: ``matching`` counts every row that passed the
    filters; ``families`` counts the rows of ``d`` per family (the filter's options)."""
    reg = registry or default_registry()
    nodes, depth, rel = d.nodes, d.depth, d.relation
    pos, grp, labels = node_groups(lin, nodes, "family", reg, True)
    fam_counts = np.bincount(grp, minlength=len(labels))
    fams = {labels[k]: int(c) for k, c in enumerate(fam_counts.tolist()) if c}
    keep = np.ones(len(nodes), dtype=bool)
    if families:
        codes = [k for k, lab in enumerate(labels) if lab in set(families)]
        hit = np.zeros(len(nodes), dtype=bool)
        hit[pos[np.isin(grp, codes)]] = True
        keep &= hit
    if text:
        needle = text.strip().lower()
        keep &= np.fromiter((needle in m.lower() for m in _ids(lin, nodes)), dtype=bool, count=len(nodes))
    idx = np.flatnonzero(keep)
    sel = nodes[idx]
    if sort == "model":
        order = np.argsort(np.array([m.lower() for m in _ids(lin, sel)], dtype=object), kind="stable")
        order = order[::-1] if descending else order
    else:
        value = {
            "downloads": lin.downloads[sel],
            "likes": lin.likes[sel],
            "created": np.where(lin.created[sel] == UNKNOWN_TIME, np.iinfo(np.int64).min, lin.created[sel]),
            "depth": depth[idx],
        }[sort]
        order = np.lexsort((sel, -value if descending else value))
    idx = idx[order[:limit]]
    shown = nodes[idx]
    fam = family_labels(lin, reg, shown)
    rows = [
        {
            "model": lin.ids[int(x)],
            "downloads": int(lin.downloads[x]),
            "likes": int(lin.likes[x]),
            "created": None
            if lin.created[x] == UNKNOWN_TIME or lin.legacy[x]
            else day_of(int(lin.created[x])),
            "relation": lin.relation_labels[int(r)],
            "depth": int(dp),
            "family": f,
        }
        for x, r, dp, (f, _) in zip(shown.tolist(), rel[idx].tolist(), depth[idx].tolist(), fam, strict=True)
    ]
    return rows, len(sel), dict(sorted(fams.items(), key=lambda kv: (-kv[1], kv[0])))


def _ids(lin: Lineage, nodes: IntArray) -> list[str]:
    """The ids of ``nodes`` (decoded in bulk when the graph is a snapshot)."""
    take = getattr(lin.ids, "take", None)
    return list(take(nodes)) if take is not None else [lin.ids[int(i)] for i in nodes]


# The owner is part of the id; the flags are set from the row below.
_NOT_SHOWN = frozenset({"author", "legacy_date", "deleted", "placeholder"})


def describe(lin: Lineage, registry: Registry, node: int, row: Sequence[Any] | None) -> dict[str, Any]:
    """Everything the details panel shows about ``node``: its store row (``MODEL_COLUMNS``; None
    for a placeholder parent that is not in the store), family, region and links."""
    family, region = family_labels(lin, registry, [node])[0]
    parents = [
        (lin.ids[int(lin.parent[e])], lin.relation_labels[int(lin.relation[e])])
        for e in lin.parent_edges(node).tolist()
    ]
    out: dict[str, Any] = {
        "id": lin.ids[node],
        "family": family,
        "region": region,
        "parents": sorted(parents),
        "children": len(lin.children(node)),
        "placeholder": bool(lin.placeholder[node]),
        "downloads": int(lin.downloads[node]),
        "likes": int(lin.likes[node]),
    }
    if row is not None:
        attrs = model_attributes(row)  # the store's columns, as in exports
        out.update({k: v for k, v in attrs.items() if k not in _NOT_SHOWN})
        out["legacy_date"] = attrs["legacy_date"]
        out["deleted"] = attrs["deleted"]
    return out


def top_roots(
    lin: Lineage, registry: Registry, by: str = "family", per_group: int = 10
) -> dict[str, list[int]]:
    """Per group, its base models (roots with derivatives), most children first.

    The Families page lists them to open a family's tree in Explore.

    >>> from lineage.families import default_registry
    >>> lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "a/ft", "finetune"),
    ...                           ("Qwen/Qwen2-7B", "b/ft", "finetune"),
    ...                           ("Qwen/Qwen2-7B", "c/q", "quantized"),
    ...                           ("meta-llama/Llama-3.1-8B", "d/ft", "finetune")])
    >>> {g: [lin.ids[i] for i in r] for g, r in top_roots(lin, default_registry()).items()}
    {'Llama': ['meta-llama/Llama-3.1-8B'], 'Qwen': ['Qwen/Qwen2-7B', 'Qwen/Qwen2.5-7B']}
    """
    roots = np.flatnonzero((lin.in_degree == 0) & (lin.out_degree > 0))
    roots = roots[np.lexsort((roots, -lin.downloads[roots], -lin.out_degree[roots]))]
    index = group_index(lin, by, registry, unlisted=True)
    codes = index.codes(roots)
    out: dict[str, list[int]] = {}
    for r, code in zip(roots.tolist(), codes.tolist(), strict=True):
        group = out.setdefault(index.labels[code], [])
        if len(group) < per_group:
            group.append(int(r))
    return dict(sorted(out.items()))


def most_downloaded(lin: Lineage, limit: int = 12, candidates: int = 10_000) -> IntArray | None:
    """The ``limit`` live models with the most 30-day downloads, ties by id (the order of
    :meth:`lineage.store.Store.search_ids` with no text), found in the columns instead of
    sorting the store's table; None when more than ``candidates`` models tie at the cut (a tiny
    or download-less store: ask the store).

    >>> lin = Lineage.from_edges([("a", "b", "finetune"), ("a", "c", "merge")])
    >>> lin.downloads[:] = [5, 9, 5]
    >>> [lin.ids[k] for k in most_downloaded(lin, 2)]
    ['b', 'a']
    """
    live = np.flatnonzero(~lin.placeholder & ~lin.deleted)
    if len(live) == 0:
        return live
    dl = lin.downloads[live]
    k = min(limit, len(live))
    cut = np.partition(dl, len(dl) - k)[len(dl) - k]  # the k-th largest
    pool = live[dl >= cut]
    if len(pool) > candidates:
        return None
    ids = _ids(lin, pool)
    order = sorted(range(len(pool)), key=lambda j: (-int(lin.downloads[pool[j]]), ids[j]))
    top: IntArray = pool[np.asarray(order[:k], dtype=np.int64)]
    return top
