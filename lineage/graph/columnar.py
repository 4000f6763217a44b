"""The columnar lineage graph: base -> derived edges with a ``relation``, for the whole Hub.

:class:`Lineage` holds the graph as numpy arrays (one entry per model, one per link) with CSR
adjacency both ways, loaded from the store in seconds for millions of models; whole-graph
work (roots of every node, shares, descendants of a family, neighbourhoods) runs here.
:meth:`Lineage.to_networkx` gives a ``networkx.DiGraph`` of a selection (:mod:`.nx`).

Rules: links set aside as cycles are left out; a parent that is not in the store (deleted,
private, never existed) is a *placeholder* node (``placeholder=True``) and, having no
parents, a root.

In a notebook::

    >>> import lineage
    >>> lin = lineage.Lineage.load("lineage.sqlite")                 # doctest: +SKIP
    >>> g = lin.to_networkx(lineage.group_nodes(lin, "Qwen"))         # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from lineage.errors import LineageError
from lineage.graph.ids import IdColumn
from lineage.graph.walk import IntArray, neighbourhood, ragged_offsets, unique_ints, walk
from lineage.records import RELATIONS
from lineage.store import Store, open_store
from lineage.store.graphdata import UNKNOWN_SECONDS, GraphColumns

__all__ = ["UNKNOWN_TIME", "CycleError", "Lineage"]

#: ``created`` of a model without a creation date.
UNKNOWN_TIME = UNKNOWN_SECONDS


class CycleError(LineageError, ValueError):
    """The links form a cycle (the store's links were not resolved)."""


@dataclass(eq=False)  # compared (and hashed, for caches) by identity
class Lineage:
    """Columnar lineage graph. Node ``i`` is ``ids[i]``; edge ``k`` is
    ``parent[k] -> child[k]`` with ``relation_labels[relation[k]]``."""

    ids: Sequence[str]  # a list, or an IdColumn (snapshot: decoded on demand)
    created: IntArray  # seconds since epoch; UNKNOWN_TIME when unknown
    legacy: npt.NDArray[np.bool_]
    deleted: npt.NDArray[np.bool_]
    placeholder: npt.NDArray[np.bool_]
    downloads: IntArray
    downloads_all_time: IntArray  # -1 when unknown
    likes: IntArray
    pipeline: npt.NDArray[np.int32]
    pipeline_labels: list[str | None]
    library: npt.NDArray[np.int32]
    library_labels: list[str | None]
    parent: IntArray
    child: IntArray
    relation: npt.NDArray[np.int8]
    relation_labels: tuple[str, ...] = RELATIONS
    store_path: str | None = None
    simulated: bool = False
    rowid: IntArray | None = None  # the store's rowid of each model (-1: placeholder)
    data_version: int | None = None  # the store state this graph was read from
    store_id: str | None = None  # ... and the store's identity
    # Bulk uploads as the store's last detection flagged them (lineage.analytics.bulk): a code
    # per node into bulk_labels (0, None: not flagged), that detection's record, and the
    # thresholds chosen for the store (None: the defaults).
    bulk: npt.NDArray[np.int8] | None = None
    bulk_labels: list[str | None] = field(default_factory=lambda: [None])
    bulk_detection: dict[str, Any] | None = None
    bulk_rules: dict[str, Any] | None = None
    # The declared licence of each node: a code into ``license_labels``, whose entries are
    # :func:`lineage.records.license_key` strings (``license_labels[0]`` is None: none declared).
    license: npt.NDArray[np.int32] | None = None
    license_labels: list[str | None] = field(default_factory=lambda: [None])
    # Descendant counts read from the store, for the nodes of a part of the graph (:meth:`around`)
    # whose descendants are not all in it: the centre's ancestors.
    known_descendants: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.bulk is None:
            self.bulk = np.zeros(len(self.ids), dtype=np.int8)
        if self.license is None:
            self.license = np.zeros(len(self.ids), dtype=np.int32)

    @property
    def bulk_current(self) -> bool:
        """True when :attr:`bulk` is the store's detection for exactly this graph's state
        (no crawl wrote since it ran)."""
        d = self.bulk_detection
        return d is not None and self.data_version is not None and d.get("data_version") == self.data_version

    @property
    def license_codes(self) -> npt.NDArray[np.int32]:
        """:attr:`license`, typed as set (never None after construction)."""
        assert self.license is not None
        return self.license

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        store: Store | str | os.PathLike[str] | None = None,
        *,
        snapshot: bool | None = None,
        verify: bool = True,
    ) -> Lineage:
        """The whole store's graph (a :class:`Store`, a path, or the default store).

        With ``snapshot`` (the default; ``$LINEAGE_SNAPSHOT=off`` turns it off), the graph
        comes from the store's snapshot when it is up to date — a memory map, in a fraction of
        a second — else it is read from the store and the snapshot is written for next time
        (:mod:`lineage.graph.snapshot`; ``verify`` checks its checksums). Deleted
        (tombstoned) models stay as nodes — their descendants still descend through them —
        flagged ``deleted``; analytics leave them out of populations.
        """
        from lineage.graph import snapshot as snap

        use = snapshot if snapshot is not None else os.environ.get("LINEAGE_SNAPSHOT", "on") != "off"
        if isinstance(store, Store):
            return snap.load(store, use, verify) if use else cls._from_store(store)
        with open_store(store, readonly=True) as st:
            return snap.load(st, use, verify) if use else cls._from_store(st)

    @classmethod
    def _from_store(cls, st: Store) -> Lineage:
        return cls._from_columns(st, st.graph_columns())

    @classmethod
    def around(
        cls, store: Store | str | os.PathLike[str] | None, model_id: str
    ) -> tuple[Lineage, int] | None:
        """The family of one model read from the store without the rest of the graph: the model,
        its descendants and all their ancestors (:meth:`Store.graph_columns_around`), and the
        model's node in it; None if the store does not know the id. Memory and time follow
        the size of the family, not of the Hub."""
        if not isinstance(store, Store):
            with open_store(store, readonly=True) as st:
                return cls.around(st, model_id)
        with store.read_snapshot():  # the ancestors' counts of the same store state as the family
            found = store.graph_columns_around(model_id)
            if found is None:
                return None
            centre, g = found
            lin = cls._from_columns(store, g, whole=False)
            node = lin.find(centre)
            assert node is not None
            for a in lin.ancestors(node).tolist():  # their other descendants are not in the family
                lin.known_descendants[int(a)] = store.descendant_count(lin.ids[a])
        return lin, node

    @classmethod
    def for_model(
        cls, store: Store | str | os.PathLike[str] | None, model_id: str
    ) -> tuple[Lineage, int] | None:
        """The cheapest graph that answers questions about one model, and its node: the
        whole graph when its snapshot is up to date (a memory map: only the pages the question
        touches are read), else the model's family read from the store (:meth:`around`).
        None if the store does not know the id."""
        from lineage.graph import snapshot as snap

        if not isinstance(store, Store):
            with open_store(store, readonly=True) as st:
                return cls.for_model(st, model_id)
        if os.environ.get("LINEAGE_SNAPSHOT", "on") == "off":  # the old way: the whole graph from SQL
            lin = cls._from_store(store)
            node = lin.find(model_id)
            return None if node is None else (lin, node)
        if snap.status(store) == "up to date":
            try:
                lin = snap.open_snapshot(store)
            except snap.SnapshotError:
                pass
            else:
                node = lin.find(model_id)
                return None if node is None else (lin, node)
        return cls.around(store, model_id)

    @classmethod
    def _from_columns(cls, st: Store, g: GraphColumns, whole: bool = True) -> Lineage:
        from lineage.graph.build import from_columns

        return from_columns(st, g, whole)

    @classmethod
    def from_edges(
        cls,
        edges: Iterable[tuple[str, str, str]],
        nodes: Iterable[str] = (),
        created: dict[str, str] | None = None,
    ) -> Lineage:
        """Build from ``(parent, child, relation)`` triples — for tests and small examples.

        >>> lin = Lineage.from_edges([("a", "b", "finetune"), ("b", "c", "quantized")])
        >>> [lin.ids[i] for i in lin.descendants(lin.index["a"])]
        ['b', 'c']
        """
        triples = list(edges)
        ids = list(dict.fromkeys([*nodes, *(x for p, c, _ in triples for x in (p, c))]))
        index = {m: k for k, m in enumerate(ids)}
        rel_index = {r: k for k, r in enumerate(RELATIONS)}
        n = len(ids)
        times = np.full(n, UNKNOWN_TIME, dtype=np.int64)
        for mid, date in (created or {}).items():
            times[index[mid]] = int(np.datetime64(date[:19], "s").astype(np.int64))
        return cls(
            ids=ids,
            created=times,
            legacy=np.zeros(n, bool),
            deleted=np.zeros(n, bool),
            placeholder=np.zeros(n, bool),
            downloads=np.zeros(n, np.int64),
            downloads_all_time=np.full(n, -1, np.int64),
            likes=np.zeros(n, np.int64),
            pipeline=np.zeros(n, np.int32),
            pipeline_labels=[None],
            library=np.zeros(n, np.int32),
            library_labels=[None],
            parent=np.array([index[p] for p, _, _ in triples], dtype=np.int64),
            child=np.array([index[c] for _, c, _ in triples], dtype=np.int64),
            relation=np.array([rel_index.get(r, 4) for _, _, r in triples], dtype=np.int8),
        )

    # -- basic structure ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return len(self.parent)

    @cached_property
    def index(self) -> dict[str, int]:
        """Model id -> node number (exact id)."""
        return {m: k for k, m in enumerate(self.ids)}

    @cached_property
    def _lower_index(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for k, m in enumerate(self.ids):
            out.setdefault(m.lower(), k)
        return out

    def find(self, model_id: str, exact: bool = False) -> int | None:
        """Node number of ``model_id`` (exact, else unless ``exact`` case-insensitive), or None."""
        if isinstance(self.ids, IdColumn):
            # The id dict when something built it already, else a binary search of the
            # snapshot's sorted ids (about 10 µs at 3M models, and no 2 s to build the dict).
            built = self.__dict__.get("index")
            k = built.get(model_id) if built is not None else None
            return k if k is not None else self.ids.find(model_id, exact)
        k = self.index.get(model_id)
        if k is None and not exact:
            k = self._lower_index.get(model_id.lower())
        return k

    def _csr(self, src: IntArray, dst: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        order = np.argsort(src, kind="stable")
        counts = np.bincount(src, minlength=len(self))
        start = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        return start, dst[order], order

    @cached_property
    def down_csr(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(start, children, edge)``: node ``i``'s children are ``children[start[i]:start[i+1]]``,
        reached by the edges ``edge[start[i]:start[i+1]]``. Built once, on first use."""
        return self._csr(self.parent, self.child)

    @cached_property
    def up_csr(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(start, parents, edge)``, like :attr:`down_csr` towards the parents."""
        return self._csr(self.child, self.parent)

    def children(self, i: int) -> IntArray:
        start, nbr, _ = self.down_csr
        return nbr[start[i] : start[i + 1]]

    def parents(self, i: int) -> IntArray:
        start, nbr, _ = self.up_csr
        return nbr[start[i] : start[i + 1]]

    def child_edges(self, i: int) -> IntArray:
        """Edge numbers of ``i``'s outgoing edges (to read ``relation``)."""
        start, _, order = self.down_csr
        return order[start[i] : start[i + 1]]

    def parent_edges(self, i: int) -> IntArray:
        start, _, order = self.up_csr
        return order[start[i] : start[i + 1]]

    @cached_property
    def in_degree(self) -> IntArray:
        return np.bincount(self.child, minlength=len(self)).astype(np.int64)

    @cached_property
    def out_degree(self) -> IntArray:
        return np.bincount(self.parent, minlength=len(self)).astype(np.int64)

    def _walk(self, sources: Iterable[int], down: bool, depth: int | None) -> IntArray:
        """Nodes reachable from ``sources`` (excluded) within ``depth`` hops, nearest first."""
        start, nbr, edge = self.down_csr if down else self.up_csr
        return walk(start, nbr, edge, sources, depth, len(self)).nodes

    def descendants(self, i: int | Iterable[int], depth: int | None = None) -> IntArray:
        """Nodes derived from ``i`` (directly or not), nearest first."""
        return self._walk([i] if isinstance(i, int | np.integer) else i, True, depth)

    def descendant_counts(self, nodes: Iterable[int]) -> dict[int, int]:
        """How many models derive from each of ``nodes`` (each descendant counted once, even
        when reached through several merges).

        One walk finds everything below the nodes; then, deepest first, each model's
        descendants are the union of its children and their descendants — so a chain
        thousands deep costs one pass, not one walk per node.

        >>> lin = Lineage.from_edges([("a", "b", "finetune"), ("b", "c", "finetune"),
        ...                           ("a", "m", "merge"), ("c", "m", "merge")])
        >>> lin.descendant_counts([lin.index["a"], lin.index["b"], lin.index["m"]])
        {0: 3, 1: 2, 3: 0}
        """
        asked = [int(i) for i in nodes]
        known = {i: self.known_descendants[i] for i in asked if i in self.known_descendants}
        wanted = unique_ints(np.array([i for i in asked if i not in known], dtype=np.int64))
        if not len(wanted):
            return known
        below = np.union1d(wanted, self.descendants(wanted))
        if len(below) > 50_000:  # a big family, rarely deep: one vectorized walk per node is cheaper
            return known | {int(v): len(self.descendants(int(v))) for v in wanted.tolist()}
        start, nbr, _ = self.down_csr
        desc: dict[int, IntArray] = {}
        for v in below[np.argsort(-self.levels[below], kind="stable")].tolist():
            kids = nbr[start[v] : start[v + 1]]
            if len(kids):
                desc[v] = unique_ints(np.concatenate([kids, *(desc[int(c)] for c in kids.tolist())]))
            else:
                desc[v] = kids
        return known | {int(v): len(desc[int(v)]) for v in wanted.tolist()}

    def ancestors(self, i: int | Iterable[int], depth: int | None = None) -> IntArray:
        """Nodes ``i`` derives from, nearest first."""
        return self._walk([i] if isinstance(i, int | np.integer) else i, False, depth)

    def neighbourhood(self, i: int, radius: int = 1) -> IntArray:
        """Nodes within ``radius`` hops of ``i`` following edges either way (``i`` included),
        sorted (:func:`lineage.graph.walk.neighbourhood`)."""
        return neighbourhood((self.down_csr, self.up_csr), i, radius, len(self))

    # -- roots -----------------------------------------------------------------------------------
    @cached_property
    def levels(self) -> IntArray:
        """Longest distance from a root, per node (roots: 0). One pass per level."""
        level = np.zeros(len(self), dtype=np.int64)
        if not self.n_edges:
            return level
        # Kahn's algorithm, vectorized by frontier.
        indeg = self.in_degree.copy()
        frontier = np.flatnonzero(indeg == 0)
        start, nbr, _ = self.down_csr
        processed = len(frontier)
        depth = 0
        while len(frontier):
            counts = start[frontier + 1] - start[frontier]
            total = int(counts.sum())
            if total == 0:
                break
            offs = ragged_offsets(start[frontier], counts)
            targets = nbr[offs]
            np.subtract.at(indeg, targets, 1)
            depth += 1
            cand = unique_ints(targets)
            frontier = cand[indeg[cand] == 0]
            level[frontier] = depth
            processed += len(frontier)
        if processed != len(self):
            raise CycleError("the lineage graph has a cycle; run `lineage crawl` to resolve links")
        return level

    @cached_property
    def root_pairs(self) -> tuple[IntArray, IntArray]:
        """CSR of every node's root ancestors: ``roots[start[i]:start[i+1]]`` (sorted).

        A root's only root is itself. Computed level by level: a node's roots are the union
        of its parents' roots.
        """
        n = len(self)
        level = self.levels
        start = np.zeros(n + 1, dtype=np.int64)
        pstart = np.zeros(n, dtype=np.int64)
        pcount = np.zeros(n, dtype=np.int64)
        chunks: list[IntArray] = []
        is_root = self.in_degree == 0
        root_nodes = np.flatnonzero(is_root)
        pstart[root_nodes] = np.arange(len(root_nodes))
        pcount[root_nodes] = 1
        chunks.append(root_nodes.astype(np.int64))
        total = len(root_nodes)
        if self.n_edges:
            edge_level = level[self.child]
            order = np.argsort(edge_level, kind="stable")
            bounds = np.searchsorted(edge_level[order], np.arange(1, int(level.max()) + 2))
            proots = np.concatenate(chunks)
            lo = 0
            for hi in bounds:
                sel = order[lo:hi]
                lo = int(hi)
                if not len(sel):
                    continue
                par, chi = self.parent[sel], self.child[sel]
                cnt = pcount[par]
                offs = ragged_offsets(pstart[par], cnt)
                key = np.repeat(chi, cnt) * n + proots[offs]
                key = unique_ints(key)
                nodes, rts = key // n, key % n
                first = np.flatnonzero(np.r_[True, nodes[1:] != nodes[:-1]])
                counts = np.diff(np.r_[first, len(nodes)])
                pstart[nodes[first]] = total + first
                pcount[nodes[first]] = counts
                proots = np.concatenate([proots, rts])
                total += len(rts)
        else:
            proots = np.concatenate(chunks)
        # Re-pack into node order.
        np.cumsum(pcount, out=start[1:])
        offs = np.repeat(pstart - start[:-1], pcount) + np.arange(int(pcount.sum()))
        return start, proots[offs]

    def roots_of(self, i: int) -> IntArray:
        start, rts = self.root_pairs
        return rts[start[i] : start[i + 1]]

    # -- selections --------------------------------------------------------------------------------
    def subgraph_nodes(self, roots: Iterable[int], depth: int | None = None) -> IntArray:
        """``roots`` and their descendants within ``depth`` (sorted node numbers)."""
        src = unique_ints(np.fromiter(roots, dtype=np.int64))
        return np.union1d(src, self.descendants(src, depth))

    def to_networkx(self, nodes: Iterable[int] | None = None) -> nx.DiGraph[str]:
        """A ``networkx.DiGraph`` of ``nodes`` (default: all) and the edges among them.

        Node attributes: :data:`~lineage.graph.attrs.NODE_ATTRIBUTES` (None values omitted);
        edge attribute ``relation``.
        """
        from lineage.graph.nx import to_networkx

        return to_networkx(self, nodes)

    def node_records(self, nodes: Iterable[int]) -> list[dict[str, Any]]:
        """The attributes of each node (:mod:`lineage.graph.attrs`), in order: from the
        store's rows when the graph was loaded from a store, else from the arrays."""
        from lineage.graph.attrs import node_records

        return node_records(self, nodes)

    def node_attributes(self, i: int) -> dict[str, Any]:
        """The store's columns for node ``i`` (None values omitted)."""
        return self.node_records([i])[0]
