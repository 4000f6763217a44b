"""Which part of the lineage graph the explorer draws: a model, its ancestors and descendants.

No Streamlit here: the page asks :func:`select_view` for a :class:`View` and hands it to
:mod:`lineage.app.network`. The walks (:func:`lineage.graph.walk`) are vectorized over the
graph's CSR adjacency, so a hub with hundreds of thousands of descendants costs milliseconds.

A drawing stays readable at any size: level by level, models are drawn only while their labels
fit in ``spec.rows`` rows of ``spec.width`` pixels (below a drawn parent; the most downloaded
first, favouring models the walk goes on from, so deeper levels show); the others are counted
in *cluster* nodes hanging from their nearest drawn ancestor, one per relation ("+422
finetunes"), split by family when there is room, or coarser (one per parent, one per relation
for the whole level) when there is not. Every model the walk kept is either drawn or counted in
exactly one cluster. ``spec.expand`` opens clusters in place: their models are drawn first,
with an extra row.

Filters (relation, pipeline tag, creation date, minimum downloads) apply to descendants and
prune the walk: a model that fails them is left out together with whatever is reachable only
through it; :attr:`View.filtered` counts every descendant left out, at all depths. Ancestors
are always shown up to the chosen depth.

>>> from lineage.graph import Lineage
>>> lin = Lineage.from_edges([("base", "ft", "finetune")] +
...                          [("ft", f"q{k}", "quantized") for k in range(300)])
>>> v = select_view(lin, lin.index["ft"], ViewSpec(up=1, down=1, rows=1, width=600))
>>> len(v.nodes) < 302, [(c.relation, c.direct) for c in v.clusters] == [("quantized", 302 - len(v.nodes))]
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lineage.analytics.groups import node_groups, node_labels
from lineage.analytics.textwidth import short_label, text_width
from lineage.families import Registry, default_registry
from lineage.graph import UNKNOWN_TIME, IntArray, Lineage, ragged_offsets, walk
from lineage.times import day_start

__all__ = ["FONT", "GAP", "RELATION_PLURAL", "Cluster", "View", "ViewSpec", "family_labels", "select_view"]

BoolArray = npt.NDArray[np.bool_]
NodeFilter = Callable[[IntArray], BoolArray]

#: Label font size and the room kept between two items of a row (canvas pixels).
FONT = 13
GAP = 24
#: Models considered for drawing per level (the rest are always clustered).
MAX_PER_LEVEL = 80
#: Boxes of a single model drawn as the model instead, at most, per level.
MAX_ALONE = 6
#: Padding of a cluster's box around its label (each side).
BOX_PAD = 8
#: How a count of each relation reads ("+422 finetunes").
RELATION_PLURAL: dict[str, str] = {
    "finetune": "finetunes",
    "adapter": "adapters",
    "quantized": "quantizations",
    "merge": "merges",
    "unknown": "other links",
}
_SINGULAR = {"finetune": "finetune", "adapter": "adapter", "quantized": "quantization", "merge": "merge"}


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
    width: float = 720.0  # width of a row of the drawing (canvas pixels)
    rows: int = 3  # rows of models per level
    expand: tuple[tuple[str, str], ...] = ()  # (model id, relation) clusters opened in place


@dataclass(frozen=True)
class Cluster:
    """Models not drawn, counted in one node: those reached from ``anchor`` (a drawn model; -1
    for a whole level) through a ``relation`` link ("" for any), of ``family`` ("" for any)."""

    anchor: int
    relation: str
    family: str
    level: int  # signed level where the cluster is drawn
    direct: int  # models one link away from the anchor
    below: int  # models further away, reached only through those

    @property
    def total(self) -> int:
        return self.direct + self.below

    def lines(self) -> list[str]:
        """The label, one or two lines: ``+422 finetunes`` / ``+1,203 below``.

        >>> Cluster(0, "quantized", "", 1, 1, 0).lines(), Cluster(0, "merge", "", -1, 2, 5).lines()
        (['+1 quantization'], ['+2 parents (merge)', '+5 above'])
        """
        plural = RELATION_PLURAL.get(self.relation, "more") if self.relation else "more"
        what = plural if self.direct != 1 or plural == "more" else _SINGULAR.get(self.relation, plural)
        if self.level < 0:
            what = (
                f"{'parent' if self.direct == 1 else 'parents'} ({self.relation})"
                if self.relation
                else "more parents"
            )
        head = f"+{self.direct:,} {what}" + (f" · {self.family}" if self.family else "")
        return (
            [head] if not self.below else [head, f"+{self.below:,} {'above' if self.level < 0 else 'below'}"]
        )


@dataclass
class View:
    """The selected part of the graph. Node and edge numbers index the :class:`Lineage`."""

    centre: int
    nodes: IntArray  # drawn: the centre, then ancestors, then descendants, nearest first
    level: IntArray  # signed hops from the centre per drawn node (ancestors negative)
    via: IntArray  # edge each drawn node was reached through (-1 for the centre)
    edges: IntArray  # drawn edges (both ends drawn)
    matched: IntArray  # every node the walks kept: the centre, ancestors, descendants
    ancestors: int  # matched ancestors
    descendants: int  # matched descendants
    clusters: list[Cluster] = field(default_factory=list)
    hidden: dict[str, int] = field(default_factory=dict)  # matched, not drawn, per relation
    filtered: int = 0  # descendants within the depth left out by the filters (all depths)

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


def _cluster_width(text_lines: Sequence[str]) -> float:
    return max(text_width(t, FONT) for t in text_lines) + 2 * BOX_PAD + GAP


@dataclass(frozen=True)
class _Grain:
    """Clusters at one grain: the key of each candidate, each key's (anchor, relation, family),
    the keys' last candidate positions (sorted) and the width of the keys from each on."""

    keys: IntArray
    names: list[tuple[int, int, str]]
    last: IntArray
    tail: npt.NDArray[np.float64]


class _Side:
    """One direction of the view (descendants ``sign=1``, ancestors ``sign=-1``)."""

    def __init__(self, lin: Lineage, nodes: IntArray, hops: IntArray, via: IntArray, sign: int) -> None:
        self.lin, self.nodes, self.hops, self.via, self.sign = lin, nodes, hops, via, sign
        self.src = lin.parent[via] if sign > 0 else lin.child[via]  # the node each was reached from
        self.rel = lin.relation[via].astype(np.int64)
        self.key = np.full(len(nodes), -1, dtype=np.int64)  # cluster of each hidden node
        self.direct = np.zeros(len(nodes), dtype=bool)  # hidden, one link from its cluster's anchor
        self.clusters: list[tuple[int, str, str, int]] = []  # (anchor, relation, family, level)

    def select(
        self,
        drawn: BoolArray,
        pos: IntArray,
        spec: ViewSpec,
        boosted: Callable[[IntArray, IntArray], BoolArray],
        families: Callable[[IntArray], list[str]],
    ) -> None:
        """Mark the models drawn level by level and put every other one in a cluster."""
        lin, labels = self.lin, self.lin.relation_labels
        deeper = self.hops > 1
        fanout = np.bincount(pos[self.src[deeper]], minlength=len(self.nodes))  # followers in the walk
        # Popular models first, and among them those the walk goes on from (a deeper level shows).
        score = np.log10(1.0 + lin.downloads[self.nodes]) + 1.5 * np.log10(1.0 + fanout)
        for hop in range(1, int(self.hops.max(initial=0)) + 1):
            sel = np.flatnonzero(self.hops == hop)
            up_drawn = drawn[self.src[sel]]
            inherit = sel[~up_drawn]  # below a hidden model: in its cluster
            self.key[inherit] = self.key[pos[self.src[inherit]]]
            cand = sel[up_drawn]
            if not len(cand):
                continue
            boost = boosted(self.src[cand], self.rel[cand])
            order = np.lexsort((self.nodes[cand], -score[cand], ~boost))
            cand, boost = cand[order], boost[order]
            # Round robin over the (parent, relation) groups: the best of each, then the second
            # best of each...: every kind of derivative shows, and opened boxes share the room.
            _, group = np.unique(self.src[cand] * 8 + self.rel[cand], return_inverse=True)
            by_group = np.lexsort((np.arange(len(cand)), group))
            first = np.concatenate(([0], np.flatnonzero(np.diff(group[by_group])) + 1))
            rank = np.empty(len(cand), dtype=np.int64)
            rank[by_group] = np.arange(len(cand)) - np.repeat(first, np.diff(np.append(first, len(cand))))
            order = np.lexsort((np.arange(len(cand)), rank, ~boost))
            cand, boost = cand[order], boost[order]
            opened = len(np.unique(self.src[cand][boost] * 8 + self.rel[cand][boost]))
            capacity = 0.9 * spec.width * (spec.rows + min(3, opened))
            k, keys, names = self._fit(cand, capacity, families)
            # A box for one model takes the room of the model: draw a few such models instead.
            alone = np.flatnonzero(np.bincount(keys[k:], minlength=len(names))[keys[k:]] == 1) + k
            if 0 < len(alone) <= MAX_ALONE:
                order = np.concatenate([np.arange(k), alone, np.setdiff1d(np.arange(k, len(cand)), alone)])
                cand, keys, k = cand[order], keys[order], k + len(alone)
            drawn[self.nodes[cand[:k]]] = True
            rest = cand[k:]
            base = len(self.clusters)
            self.clusters += [(a, labels[r] if r >= 0 else "", f, self.sign * hop) for a, r, f in names]
            self.key[rest] = base + keys[k:]
            self.direct[rest] = True

    def _fit(
        self, cand: IntArray, capacity: float, families: Callable[[IntArray], list[str]]
    ) -> tuple[int, IntArray, list[tuple[int, int, str]]]:
        """How many of ``cand`` (ranked) to draw, and the cluster of each: ``(k, key per
        candidate, (anchor, relation code, family) per key)``. The most models (at least three)
        that leave room for one box per parent and relation, split by family if that costs no
        model; else one box per parent; else fewer models; else one box per relation for the
        whole level."""
        ids = self.lin.ids
        top = cand[:MAX_PER_LEVEL]
        widths = [max(text_width(short_label(ids[int(x)]), FONT), 40.0) + GAP for x in self.nodes[top]]
        drawn_w = np.concatenate([[0.0], np.cumsum(widths)])
        most = min(len(top), len(cand))

        def fit(g: _Grain | None, lowest: int) -> int | None:
            if g is None:
                return None
            for k in range(most, lowest - 1, -1):
                clusters_w = g.tail[np.searchsorted(g.last, k, side="left")] if k < len(cand) else 0.0
                if drawn_w[k] + clusters_w <= capacity:
                    return k
            return None

        relation = self._grain("relation", cand, families)
        for lowest in (min(3, most), min(1, most)):
            k = fit(relation, lowest)
            if k is not None:
                by_family = self._grain("family", cand, families) if k < len(cand) else None
                if fit(by_family, k) == k:
                    assert by_family is not None
                    return k, by_family.keys, by_family.names
                assert relation is not None
                return k, relation.keys, relation.names
            anchor = self._grain("anchor", cand, families)
            k = fit(anchor, lowest)
            if k is not None:
                assert anchor is not None
                return k, anchor.keys, anchor.names
        level = self._grain("level", cand, families)
        assert level is not None
        return fit(level, 0) or 0, level.keys, level.names

    def _grain(self, grain: str, cand: IntArray, families: Callable[[IntArray], list[str]]) -> _Grain | None:
        """The clusters of ``cand`` at one grain: per anchor, relation and family; per anchor and
        relation; per anchor; per relation for the whole level. None when it adds nothing."""
        src, rel = self.src[cand], self.rel[cand]
        fam: list[str] = []
        if grain == "family":
            if len(cand) > 50_000:
                return None
            fam = families(self.nodes[cand])
            codes = {f: i for i, f in enumerate(dict.fromkeys(fam))}
            if len(codes) < 2:
                return None
            raw = (src * 8 + rel) * len(codes) + np.array([codes[f] for f in fam], dtype=np.int64)
        else:
            raw = {"relation": src * 8 + rel, "anchor": src, "level": rel}[grain]
        uniq, keys, counts = np.unique(raw, return_inverse=True, return_counts=True)
        last = np.zeros(len(uniq), dtype=np.int64)
        np.maximum.at(last, keys, np.arange(len(cand)))
        names: list[tuple[int, int, str]] = []
        widths = np.empty(len(uniq))
        for j, member in enumerate(_first_positions(keys, len(uniq)).tolist()):
            a = int(src[member]) if grain != "level" else -1
            r = int(rel[member]) if grain != "anchor" else -1
            f = fam[member] if fam else ""
            names.append((a, r, f))
            label = self.lin.relation_labels[r] if r >= 0 else ""
            widths[j] = _cluster_width(Cluster(a, label, f, self.sign, int(counts[j]), 0).lines())
        order = np.argsort(last, kind="stable")
        tail = np.concatenate([np.cumsum(widths[order][::-1])[::-1], [0.0]])  # width of keys >= j
        return _Grain(keys, names, last[order], tail)

    def counts(self) -> list[Cluster]:
        hidden = self.key >= 0
        direct = np.bincount(self.key[hidden & self.direct], minlength=len(self.clusters))
        total = np.bincount(self.key[hidden], minlength=len(self.clusters))
        return [
            Cluster(a, r, f, lvl, int(direct[j]), int(total[j] - direct[j]))
            for j, (a, r, f, lvl) in enumerate(self.clusters)
            if total[j]
        ]


def _first_positions(keys: IntArray, n_keys: int) -> IntArray:
    """The first position of each key value 0..n_keys-1 in ``keys``."""
    first = np.full(n_keys, len(keys), dtype=np.int64)
    np.minimum.at(first, keys, np.arange(len(keys)))
    return first


def _rank(lin: Lineage, nodes: IntArray, hops: IntArray) -> IntArray:
    """Order: nearest first, then most downloaded, then node number."""
    return np.lexsort((nodes, -lin.downloads[nodes], hops))


def select_view(lin: Lineage, centre: int, spec: ViewSpec, registry: Registry | None = None) -> View:
    """The ancestors and descendants of ``centre`` that ``spec`` selects, and what to draw."""
    reg = registry or default_registry()
    n = len(lin)
    edge_ok: BoolArray | None = None
    if spec.follow_none:
        edge_ok = np.zeros(lin.n_edges, dtype=bool)
    elif spec.relations:
        codes = [k for k, r in enumerate(lin.relation_labels) if r in spec.relations]
        edge_ok = np.isin(lin.relation, codes)
    node_ok = _node_filter(lin, spec)
    a = walk(*lin.up_csr, [centre], spec.up, n)
    d = walk(*lin.down_csr, [centre], spec.down, n, edge_ok=edge_ok, node_ok=node_ok)
    filtered = 0
    if edge_ok is not None or node_ok is not None:
        filtered = len(walk(*lin.down_csr, [centre], spec.down, n).nodes) - len(d.nodes)
    o = _rank(lin, a.nodes, a.hops)
    up = _Side(lin, a.nodes[o], a.hops[o], a.via[o], -1)
    o = _rank(lin, d.nodes, d.hops)
    down = _Side(lin, d.nodes[o], d.hops[o], d.via[o], 1)

    drawn = np.zeros(n, dtype=bool)
    drawn[centre] = True
    pos = np.full(n, -1, dtype=np.int64)
    rel_code = {r: k for k, r in enumerate(lin.relation_labels)}
    opened = [(-1 if not m else lin.find(m), rel_code.get(r, -1)) for m, r in spec.expand]

    def boosted(src: IntArray, rel: IntArray) -> BoolArray:
        """Candidates of an opened cluster: (anchor or any, relation or any)."""
        out = np.zeros(len(src), dtype=bool)
        for node, code in opened:
            if node is None or (node < 0 and code < 0):  # a model not in the store, or nothing
                continue
            out |= ((src == node) if node >= 0 else True) & ((rel == code) if code >= 0 else True)
        return out

    def families(nodes: IntArray) -> list[str]:
        pos_, grp, labels = node_groups(lin, nodes, "family", reg, True)
        first = _first_positions(pos_, len(nodes))
        return [labels[int(grp[f])] if f < len(grp) else "" for f in first.tolist()]

    for side in (up, down):
        pos[side.nodes] = np.arange(len(side.nodes))
        side.select(drawn, pos, spec, boosted, families)
        pos[side.nodes] = -1
    clusters = up.counts() + down.counts()
    labels = lin.relation_labels
    hidden: dict[str, int] = {}
    for side in (up, down):
        rel = side.rel[side.key >= 0]
        for k, v in enumerate(np.bincount(rel, minlength=len(labels)).tolist()):
            if v:
                hidden[labels[k]] = hidden.get(labels[k], 0) + v

    c = np.array([centre], dtype=np.int64)
    keep_up = drawn[up.nodes]
    keep_down = drawn[down.nodes]
    nodes = np.concatenate([c, up.nodes[keep_up], down.nodes[keep_down]])
    level = np.concatenate([np.zeros(1, np.int64), -up.hops[keep_up], down.hops[keep_down]])
    via = np.concatenate([np.full(1, -1, np.int64), up.via[keep_up], down.via[keep_down]])
    matched = np.concatenate([c, up.nodes, down.nodes])

    start, _, edge = lin.down_csr
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
        ancestors=len(up.nodes),
        descendants=len(down.nodes),
        clusters=clusters,
        hidden=hidden,
        filtered=filtered,
    )


def family_labels(lin: Lineage, registry: Registry, nodes: Sequence[int] | IntArray) -> list[tuple[str, str]]:
    """``(family, region)`` of each node, from its root ancestors ("Qwen + Llama" for a merge);
    placeholder roots the registry does not name are "(parent not on the Hub)".

    >>> from lineage.families import default_registry
    >>> lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "a/m", "merge"),
    ...                           ("meta-llama/Llama-3.1-8B", "a/m", "merge")])
    >>> family_labels(lin, default_registry(), [lin.index["a/m"], lin.index["Qwen/Qwen2.5-7B"]])
    [('Llama + Qwen', 'china + us'), ('Qwen', 'china')]
    """
    families = node_labels(lin, nodes, "family", registry, unlisted=True)
    regions = node_labels(lin, nodes, "region", registry, unlisted=True)
    return list(zip(families, regions, strict=True))
