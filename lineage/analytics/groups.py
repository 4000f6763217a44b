"""Root -> group: which family, org or region each model descends from.

A model's groups are the groups of its root ancestors. :class:`GroupIndex` classifies each
root once per (graph, grouping, registry) — the registry's rules run in Python, so this is
the expensive step — and every analysis, the explorer and the exports share it
(:func:`group_index`). The grouping ``by`` is:

* ``family`` — the registry's family of the root (unknown roots fall back to their org);
* ``org`` — the Hub namespace of the root (the part before ``/``), no registry involved;
* ``region`` — the region of the family's organisation.

With ``unlisted=True`` a placeholder root (a parent that is not on the Hub: deleted, private,
renamed) that the registry does not name is grouped as :data:`NOT_ON_HUB` under every grouping,
instead of falling back to its namespace (``ghost-3``, ``legacy-user14``): those are not families.
That index is derived from the plain one (no second classification).

>>> from lineage.graph import Lineage
>>> from lineage.families import default_registry
>>> lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "a/m", "merge"),
...                           ("meta-llama/Llama-3.1-8B", "a/m", "merge")])
>>> node_labels(lin, [lin.index["a/m"], lin.index["Qwen/Qwen2.5-7B"]], "family")
['Llama + Qwen', 'Qwen']
>>> [lin.ids[i] for i in group_nodes(lin, "qwen")]
['Qwen/Qwen2.5-7B', 'a/m']
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lineage.errors import InputError
from lineage.families import Registry, default_registry
from lineage.graph import IntArray, Lineage, ragged_offsets, snapshot, unique_ints

__all__ = [
    "BY",
    "NOT_ON_HUB",
    "GroupIndex",
    "group_index",
    "group_nodes",
    "node_group_pairs",
    "node_groups",
    "node_labels",
    "save_group_indexes",
]

BY = ("family", "org", "region")
#: The group of placeholder roots the registry does not name (``unlisted=True``).
NOT_ON_HUB = "(parent not on the Hub)"


class GroupIndex:
    """The group of every root of ``lin`` under one grouping and registry, classified lazily
    (each root at most once) and kept for the life of the graph.

    ``codes(roots)`` gives each root's group code; codes index :attr:`labels`, which grow as
    new roots are classified (in first-seen order, not sorted).
    """

    def __init__(
        self,
        lin: Lineage,
        by: str,
        registry: Registry,
        cached: tuple[list[str], npt.NDArray[np.int32]] | None = None,
    ) -> None:
        if by not in BY:
            raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}")
        self.lin = lin
        self.by = by
        self.registry = registry
        #: ``cached``: labels and codes worked out already (the cache beside the snapshot, or
        #: the unlisted variant of an index).
        self.labels: list[str] = list(cached[0]) if cached else []
        self._index: dict[str, int] = {name: k for k, name in enumerate(self.labels)}
        # Codes as int32 (half the memory at 3M models); -1 for a root not classified yet.
        self._codes: npt.NDArray[np.int32] = cached[1] if cached else np.full(len(lin), -1, dtype=np.int32)
        #: (node, group) of every node of the graph: see :func:`node_groups`.
        self._pairs: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]] | None = None

    def names(self, roots: IntArray) -> list[str]:
        """The group name of each root (node numbers)."""
        ids = _ids(self.lin, roots)
        if self.by == "org":
            return [i.split("/", 1)[0] for i in ids]
        pairs = self.registry.classify(ids)
        return [family if self.by == "family" else region for family, region in pairs]

    def codes(self, roots: IntArray) -> IntArray:
        """Group code of each node of ``roots`` (root node numbers)."""
        return self._classified(roots).astype(np.int64)

    def _classified(self, roots: IntArray) -> npt.NDArray[np.int32]:
        """:meth:`codes` as stored (int32), for whole-graph pairs that keep them so."""
        need = unique_ints(roots[self._codes[roots] < 0])
        if len(need):
            self.fill(need, self.names(need))
        return self._codes[roots]

    def fill(self, roots: IntArray, names: Sequence[str]) -> None:
        """Set the group names of ``roots`` (classified elsewhere)."""
        new = np.empty(len(roots), dtype=np.int32)
        for k, name in enumerate(names):
            code = self._index.get(name)
            if code is None:
                code = self._index[name] = len(self.labels)
                self.labels.append(name)
            new[k] = code
        self._codes[roots] = new

    def code_of(self, name: str) -> int | None:
        """The code of a group name (exact, else case-insensitive) among classified roots."""
        if name in self._index:
            return self._index[name]
        lowered = {lab.lower(): k for k, lab in enumerate(self.labels)}
        return lowered.get(name.lower())


_Key = tuple[str, int, bool]
_INDEXES: weakref.WeakKeyDictionary[Lineage, dict[_Key, GroupIndex]] = weakref.WeakKeyDictionary()


def group_index(
    lin: Lineage, by: str = "family", registry: Registry | None = None, unlisted: bool = False
) -> GroupIndex:
    """The shared :class:`GroupIndex` of ``lin`` for ``by`` and ``registry`` (default: the
    built-in registry); ``unlisted`` groups unnamed placeholder roots as :data:`NOT_ON_HUB`.

    For a graph read from a store, the classification of every root is cached beside the
    graph snapshot (per grouping and registry), so the next process starts with it.
    """
    reg = registry or default_registry()
    per_graph = _INDEXES.setdefault(lin, {})
    key = (by, id(reg), unlisted)
    index = per_graph.get(key)
    if index is None or index.registry is not reg:
        if unlisted:
            index = per_graph[key] = _unlisted(lin, by, reg)
        else:
            cached = _load(lin, by, reg) if lin.data_version is not None else None
            index = per_graph[key] = GroupIndex(lin, by, reg, cached)
            if lin.data_version is not None and cached is None:
                _classify_all(index, per_graph)
    return index


def _unlisted(lin: Lineage, by: str, reg: Registry) -> GroupIndex:
    """The plain index of every root, with unnamed placeholder roots moved to NOT_ON_HUB."""
    if by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}")
    roots = np.flatnonzero(lin.in_degree == 0)
    base = group_index(lin, by, reg)
    codes = base.codes(roots)
    family = group_index(lin, "family", reg)
    family_codes = family.codes(roots)  # first: a lazy index learns its labels here
    named = {rule.family for rule in reg.rules}
    unnamed = np.array([label not in named for label in family.labels] or [False], dtype=bool)
    out = lin.placeholder[roots] & unnamed[family_codes]
    labels = [*base.labels, NOT_ON_HUB]
    codes = np.where(out, len(labels) - 1, codes)
    # Labels of no root left (an unnamed placeholder's org) drop out.
    used = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    renumber = np.full(len(labels), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    root_codes = np.full(len(lin), -1, dtype=np.int32)
    root_codes[roots] = renumber[codes]
    return GroupIndex(lin, by, reg, ([labels[k] for k in used.tolist()], root_codes))


def _cache_name(by: str, reg: Registry) -> str:
    return f"groups-{by}-{'none' if by == 'org' else reg.fingerprint}"


def _load(lin: Lineage, by: str, reg: Registry) -> tuple[list[str], npt.NDArray[np.int32]] | None:
    """Labels and codes of every root from the cache beside the snapshot; None if there is
    none. Copy-on-write: a question about a few models reads a few pages, not 3M codes, and a
    root classified later (a graph edited in memory) copies only its own page."""
    cached = snapshot.load_extra(lin, _cache_name(by, reg), mode="c")
    if cached is None:
        return None
    arrays, meta = cached
    codes, labels = arrays.get("codes"), meta.get("labels")
    if codes is None or codes.dtype != np.int32 or codes.shape != (len(lin),):
        return None  # not as this version writes it: classified again
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return None
    return labels, codes


def _classify_all(index: GroupIndex, per_graph: dict[_Key, GroupIndex]) -> None:
    """Classify every root now and cache the result; family and region come from one pass of
    the registry, so the other of the two is filled (and cached) at the same time."""
    lin, reg = index.lin, index.registry
    roots = np.flatnonzero(lin.in_degree == 0)
    done = [index]
    if index.by == "org":
        index.codes(roots)
    else:
        pairs = reg.classify(_ids(lin, roots))
        for by, k in (("family", 0), ("region", 1)):
            target = (
                index
                if by == index.by
                else per_graph.setdefault((by, id(reg), False), GroupIndex(lin, by, reg))
            )
            if target is not index:
                if target.labels:  # already classified some roots: leave it as it is
                    continue
                done.append(target)
            target.fill(roots, [pair[k] for pair in pairs])
    for item in done:
        _save(item)


def _save(index: GroupIndex) -> None:
    name, codes = _cache_name(index.by, index.registry), np.asarray(index._codes, dtype=np.int32)
    snapshot.save_extra(index.lin, name, {"codes": codes}, {"labels": index.labels})


def save_group_indexes(lin: Lineage) -> None:
    """Cache every classification made for ``lin`` beside its snapshot again, tagged with its
    current state (after a write that left the roots as they were, e.g. new bulk flags). An
    ``unlisted`` index is not one: it is derived, and would overwrite its grouping's cache."""
    for (_, _, unlisted), index in _INDEXES.get(lin, {}).items():
        if unlisted or lin.data_version is None:
            continue
        if bool((index._codes[lin.in_degree == 0] >= 0).all()):
            _save(index)


def _ids(lin: Lineage, nodes: IntArray) -> list[str]:
    take = getattr(lin.ids, "take", None)
    return list(take(nodes)) if take is not None else [lin.ids[int(i)] for i in nodes]


def node_groups(
    lin: Lineage,
    nodes: IntArray,
    by: str = "family",
    registry: Registry | None = None,
    unlisted: bool = False,
) -> tuple[IntArray, IntArray, list[str]]:
    """Distinct groups of each node in ``nodes``: ``(pair_node_pos, pair_group, labels)``.

    ``pair_node_pos`` indexes into ``nodes``; pairs are sorted by node then group.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if _cut_from_every_pair(lin, nodes):
        node, group, labels = node_group_pairs(lin, nodes, by, registry, unlisted)
        rank = np.empty(len(lin), dtype=np.int64)
        rank[nodes] = np.arange(len(nodes))
        return rank[node], group.astype(np.int64), labels
    index = group_index(lin, by, registry, unlisted)
    pos, grp = _pairs(lin, index, nodes)
    return pos, grp, list(index.labels)


def node_group_pairs(
    lin: Lineage,
    nodes: IntArray,
    by: str = "family",
    registry: Registry | None = None,
    unlisted: bool = False,
) -> tuple[npt.NDArray[np.integer], npt.NDArray[np.integer], list[str]]:
    """Like :func:`node_groups`, with node numbers instead of positions in ``nodes``: the
    (node, group) pairs of ``nodes``. For a large sorted set of nodes (a share or a family
    table: most of the graph) they are cut from the pairs of every node, worked out once per
    grouping (0.1 s at 3M models), as 32-bit integers."""
    nodes = np.asarray(nodes, dtype=np.int64)
    index = group_index(lin, by, registry, unlisted)
    if not _cut_from_every_pair(lin, nodes):
        pos, grp = _pairs(lin, index, nodes)
        return nodes[pos], grp, list(index.labels)
    if index._pairs is None:
        index._pairs = _every_pair(lin, index)
    every, groups = index._pairs
    chosen = np.zeros(len(lin), dtype=bool)
    chosen[nodes] = True
    keep = chosen[every]
    return every[keep], groups[keep], list(index.labels)


def _cut_from_every_pair(lin: Lineage, nodes: IntArray) -> bool:
    return len(nodes) > len(lin) // 16 and bool((nodes[1:] > nodes[:-1]).all())


def _every_pair(lin: Lineage, index: GroupIndex) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """:func:`_pairs` of every node: the root CSR as it is, groups deduplicated where a node
    has several roots (merges)."""
    start, rts = lin.root_pairs
    counts = np.diff(start)
    node = np.repeat(np.arange(len(lin), dtype=np.int32), counts)
    group = index._classified(rts)
    several = np.repeat(counts > 1, counts)
    if not several.any():
        return node, group
    g = max(1, len(index.labels))
    key = np.sort(node[several].astype(np.int64) * g + group[several])
    dup = np.zeros(len(node), dtype=bool)
    dup[np.flatnonzero(several)[1:]] = key[1:] == key[:-1]
    node[several], group[several] = key // g, key % g
    return node[~dup], group[~dup]


def _pairs(lin: Lineage, index: GroupIndex, nodes: IntArray) -> tuple[IntArray, IntArray]:
    start, rts = lin.root_pairs
    counts = start[nodes + 1] - start[nodes]
    offs = ragged_offsets(start[nodes], counts)
    pair_pos = np.repeat(np.arange(len(nodes)), counts)
    pair_group = index.codes(rts[offs])
    g = max(1, len(index.labels))
    # Sorted by node already; only nodes with several roots (a few percent: merges) need their
    # groups sorted and deduplicated, which is cheaper than sorting every pair.
    key = pair_pos * g + pair_group
    several = np.repeat(counts > 1, counts)
    if several.any():
        key[several] = np.sort(key[several])
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return key // g, key % g


def node_labels(
    lin: Lineage,
    nodes: Sequence[int] | IntArray,
    by: str = "family",
    registry: Registry | None = None,
    unlisted: bool = False,
) -> list[str]:
    """Each node's groups as one label (``"Llama + Qwen"`` for a merge of the two), in order."""
    sel = np.asarray(nodes, dtype=np.int64)
    pos, grp, labels = node_groups(lin, sel, by, registry, unlisted)
    names: list[list[str]] = [[] for _ in range(len(sel))]
    for p, g in zip(pos.tolist(), grp.tolist(), strict=True):
        names[p].append(labels[g])
    return [" + ".join(sorted(set(n))) for n in names]


def group_nodes(lin: Lineage, group: str, by: str = "family", registry: Registry | None = None) -> IntArray:
    """All nodes that descend from a root of ``group`` (the roots included), sorted."""
    index = group_index(lin, by, registry)
    roots = np.flatnonzero(lin.in_degree == 0)
    codes = index.codes(roots)
    code = index.code_of(group)
    if code is None:
        return np.empty(0, dtype=np.int64)
    mine = roots[codes == code]
    return np.union1d(mine, lin.descendants(mine))
