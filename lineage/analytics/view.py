"""Which part of the lineage graph the explorer draws: a model, its ancestors and descendants.

No Streamlit here: the page asks :func:`select_view` for a :class:`View` and hands it to
:mod:`lineage.app.network`. The walk (:func:`lineage.graph.walk`) is vectorized over the
graph's CSR adjacency, so a hub with hundreds of thousands of descendants costs
milliseconds, and the drawing is capped:
the nearest and most downloaded models are drawn, the rest are counted per relation
("+3,412 quantized").

Filters (relation, pipeline tag, creation date, minimum downloads) apply to descendants and
prune the walk: a model that fails them is left out together with whatever is reachable only
through it. Ancestors are always shown up to the chosen depth.

>>> from lineage.graph import Lineage
>>> lin = Lineage.from_edges([("base", "ft", "finetune"), ("ft", "q1", "quantized"),
...                           ("ft", "q2", "quantized"), ("ft", "lora", "adapter")])
>>> v = select_view(lin, lin.index["ft"], ViewSpec(up=1, down=1, cap=3))
>>> [lin.ids[i] for i in v.nodes], v.hidden
(['ft', 'base', 'q1'], {'adapter': 1, 'quantized': 1})
>>> [(lin.ids[i], rel, n) for i, rel, n in v.more]
[('ft', 'adapter', 1), ('ft', 'quantized', 1)]
>>> v = select_view(lin, lin.index["ft"], ViewSpec(up=0, down=1, relations=("adapter",)))
>>> [lin.ids[i] for i in v.nodes], v.filtered
(['ft', 'lora'], 0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.analytics.groups import group_index, node_labels
from lineage.families import Registry
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage, model_attributes, ragged_offsets, walk
from lineage.times import day_start

__all__ = [
    "DEFAULT_CAP",
    "View",
    "ViewSpec",
    "describe",
    "family_labels",
    "select_view",
    "top_roots",
]

BoolArray = npt.NDArray[np.bool_]
NodeFilter = Callable[[IntArray], BoolArray]

#: Models drawn at most; the rest are summarised per relation.
DEFAULT_CAP = 1500
#: "+N relation" summary nodes drawn at most (the largest groups); the caption counts all.
MAX_SUMMARY_NODES = 40
#: With more groups than this, groups of one hidden model get no summary node of their own.
MIN_SUMMARY_GROUPS = 8


@dataclass(frozen=True)
class ViewSpec:
    """What to show around a model (the Explore page's widgets)."""

    up: int = 2  # levels of ancestors
    down: int = 2  # levels of descendants
    relations: tuple[str, ...] = ()  # follow only links with these relations; () = all
    follow_none: bool = False  # follow no link down (no relation chosen): ancestors only
    pipeline_tags: tuple[str, ...] = ()  # descendants with one of these pipeline tags; () = all
    since: str | None = None  # descendants created on or after this day (YYYY-MM-DD)
    until: str | None = None  # ... and on or before this day
    min_downloads: int = 0  # descendants with at least this many downloads (30 days)
    cap: int = DEFAULT_CAP  # models drawn at most


@dataclass
class View:
    """The selected part of the graph. Node and edge numbers index the :class:`Lineage`."""

    centre: int
    nodes: IntArray  # drawn: the centre, then ancestors, then descendants, nearest first
    level: IntArray  # signed hops from the centre per drawn node (ancestors negative)
    via: IntArray  # edge each drawn node was reached through (-1 for the centre)
    edges: IntArray  # drawn edges (both ends drawn)
    matched: IntArray  # every node the walk kept, before the cap, same order as ``nodes``
    ancestors: int  # matched ancestors
    descendants: int  # matched descendants
    hidden: dict[str, int] = field(default_factory=dict)  # matched, not drawn, per relation
    more: list[tuple[int, str, int]] = field(default_factory=list)  # (drawn node, relation, n)
    filtered: int = 0  # descendants left out by the filters

    @property
    def hidden_total(self) -> int:
        return sum(self.hidden.values())


def _node_filter(lin: Lineage, spec: ViewSpec) -> NodeFilter | None:
    tests: list[NodeFilter] = []
    if spec.pipeline_tags:
        wanted = {t.lower() for t in spec.pipeline_tags}
        codes = [k for k, lab in enumerate(lin.pipeline_labels) if lab is not None and lab.lower() in wanted]
        tests.append(lambda x: np.isin(lin.pipeline[x], codes))
    if spec.since or spec.until:
        lo = day_start(spec.since) if spec.since else np.iinfo(np.int64).min + 1
        hi = day_start(spec.until, end=True) if spec.until else np.iinfo(np.int64).max

        def dated(x: IntArray) -> BoolArray:
            c = lin.created[x]
            ok: BoolArray = (c != UNKNOWN_TIME) & ~lin.legacy[x] & (c >= lo) & (c < hi)
            return ok

        tests.append(dated)
    if spec.min_downloads > 0:
        tests.append(lambda x: lin.downloads[x] >= spec.min_downloads)
    if not tests:
        return None

    def all_of(x: IntArray) -> BoolArray:
        ok = np.ones(len(x), dtype=bool)
        for t in tests:
            ok &= t(x)
        return ok

    return all_of


def _rank(lin: Lineage, nodes: IntArray, hops: IntArray) -> IntArray:
    """Order: nearest first, then most downloaded, then node number."""
    return np.lexsort((nodes, -lin.downloads[nodes], hops))


def select_view(lin: Lineage, centre: int, spec: ViewSpec) -> View:
    """The ancestors and descendants of ``centre`` that ``spec`` selects, capped for drawing."""
    n = len(lin)
    edge_ok: BoolArray | None = None
    if spec.follow_none:
        edge_ok = np.zeros(lin.n_edges, dtype=bool)
    elif spec.relations:
        codes = [k for k, r in enumerate(lin.relation_labels) if r in spec.relations]
        edge_ok = np.isin(lin.relation, codes)
    up, down = lin.up_csr, lin.down_csr
    a = walk(*up, [centre], spec.up, n)
    d = walk(*down, [centre], spec.down, n, edge_ok=edge_ok, node_ok=_node_filter(lin, spec))
    anc, anc_hops, anc_via = a.nodes, a.hops, a.via
    desc, desc_hops, desc_via, filtered = d.nodes, d.hops, d.via, d.filtered
    o = _rank(lin, anc, anc_hops)
    anc, anc_hops, anc_via = anc[o], anc_hops[o], anc_via[o]
    o = _rank(lin, desc, desc_hops)
    desc, desc_hops, desc_via = desc[o], desc_hops[o], desc_via[o]

    budget = max(0, spec.cap - 1)
    take_anc = min(len(anc), max(budget - len(desc), budget // 2))
    take_desc = min(len(desc), budget - take_anc)
    c = np.array([centre], dtype=np.int64)
    nodes = np.concatenate([c, anc[:take_anc], desc[:take_desc]])
    level = np.concatenate([np.zeros(1, np.int64), -anc_hops[:take_anc], desc_hops[:take_desc]])
    via = np.concatenate([np.full(1, -1, np.int64), anc_via[:take_anc], desc_via[:take_desc]])
    matched = np.concatenate([c, anc, desc])

    labels = lin.relation_labels
    hidden_via = np.concatenate([anc_via[take_anc:], desc_via[take_desc:]])
    counts = np.bincount(lin.relation[hidden_via].astype(np.int64), minlength=len(labels))
    hidden = {labels[k]: int(v) for k, v in enumerate(counts.tolist()) if v}

    drawn = np.zeros(n, dtype=bool)
    drawn[nodes] = True
    more: list[tuple[int, str, int]] = []
    rest_via = desc_via[take_desc:]
    if len(rest_via):
        src = lin.parent[rest_via]
        on = drawn[src]
        key = src[on] * len(labels) + lin.relation[rest_via][on]
        groups, sizes = np.unique(key, return_counts=True)
        top = np.lexsort((groups, -sizes))[:MAX_SUMMARY_NODES]
        if len(groups) > MIN_SUMMARY_GROUPS:  # many groups: leave single models to the caption
            top = top[sizes[top] > 1]
        more = [
            (int(groups[k] // len(labels)), labels[int(groups[k] % len(labels))], int(sizes[k]))
            for k in top.tolist()
        ]

    start, _, edge = down
    counts = start[nodes + 1] - start[nodes]
    edges = edge[ragged_offsets(start[nodes], counts)]
    edges = edges[drawn[lin.child[edges]]]
    if edge_ok is not None:
        sorted_nodes = np.sort(nodes)
        child_level = level[np.argsort(nodes)][np.searchsorted(sorted_nodes, lin.child[edges])]
        edges = edges[(child_level <= 0) | edge_ok[edges]]
    return View(
        centre=centre,
        nodes=nodes,
        level=level,
        via=via,
        edges=np.sort(edges),
        matched=matched,
        ancestors=len(anc),
        descendants=len(desc),
        hidden=hidden,
        more=more,
        filtered=filtered,
    )


def family_labels(lin: Lineage, registry: Registry, nodes: Sequence[int] | IntArray) -> list[tuple[str, str]]:
    """``(family, region)`` of each node, from its root ancestors ("Qwen + Llama" for a merge).

    >>> from lineage.families import default_registry
    >>> lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "a/m", "merge"),
    ...                           ("meta-llama/Llama-3.1-8B", "a/m", "merge")])
    >>> family_labels(lin, default_registry(), [lin.index["a/m"], lin.index["Qwen/Qwen2.5-7B"]])
    [('Llama + Qwen', 'china + us'), ('Qwen', 'china')]
    """
    families = node_labels(lin, nodes, "family", registry)
    regions = node_labels(lin, nodes, "region", registry)
    return list(zip(families, regions, strict=True))


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
    index = group_index(lin, by, registry)
    codes = index.codes(roots)
    out: dict[str, list[int]] = {}
    for r, code in zip(roots.tolist(), codes.tolist(), strict=True):
        group = out.setdefault(index.labels[code], [])
        if len(group) < per_group:
            group.append(int(r))
    return dict(sorted(out.items()))
