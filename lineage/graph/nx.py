"""``networkx`` views of the lineage graph, and functions of any such graph.

:func:`to_networkx` builds a ``networkx.DiGraph`` of a :class:`~lineage.graph.Lineage` (or a
selection of it): edges go parent -> child with the attribute ``relation``; nodes carry
:data:`~lineage.graph.attrs.NODE_ATTRIBUTES`. The functions below take any such graph and
mirror the :class:`~lineage.graph.Lineage` methods:

>>> g = nx.DiGraph([("base", "ft"), ("ft", "q"), ("other", "merge"), ("ft", "merge")])
>>> sorted(descendants(g, "ft")), sorted(ancestors(g, "merge")), sorted(roots(g, "merge"))
(['merge', 'q'], ['base', 'ft', 'other'], ['base', 'other'])
>>> sorted(neighbourhood(g, "ft", 1))
['base', 'ft', 'merge', 'q']
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from lineage.graph.walk import unique_ints

if TYPE_CHECKING:
    from lineage.graph.columnar import Lineage
    from lineage.store import Store

__all__ = ["ancestors", "descendants", "load_graph", "neighbourhood", "roots", "to_networkx"]


def to_networkx(lin: Lineage, nodes: Iterable[int] | None = None) -> nx.DiGraph[str]:
    """A ``networkx.DiGraph`` of ``nodes`` (default: all) and the edges among them."""
    sel = np.arange(len(lin)) if nodes is None else unique_ints(np.fromiter(nodes, dtype=np.int64))
    mask = np.zeros(len(lin), dtype=bool)
    mask[sel] = True
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(zip((lin.ids[i] for i in sel.tolist()), lin.node_records(sel), strict=True))
    emask = mask[lin.parent] & mask[lin.child]
    ids, labels = lin.ids, lin.relation_labels
    g.add_edges_from(
        (ids[p], ids[c], {"relation": labels[r]})
        for p, c, r in zip(
            lin.parent[emask].tolist(), lin.child[emask].tolist(), lin.relation[emask].tolist(), strict=True
        )
    )
    return g


def load_graph(store: Store | str | os.PathLike[str] | None = None) -> nx.DiGraph[str]:
    """The whole store as a ``networkx.DiGraph`` (parent -> child, ``relation`` on edges).

    For millions of models this takes tens of seconds and gigabytes; prefer
    :meth:`Lineage.load` and :meth:`Lineage.to_networkx` on a selection.
    """
    from lineage.graph.columnar import Lineage

    return to_networkx(Lineage.load(store))


def _bfs(g: nx.DiGraph[Any], source: Hashable, depth: int | None, down: bool) -> list[Hashable]:
    nbrs = g.successors if down else g.predecessors
    seen = {source}
    out: list[Hashable] = []
    queue: deque[tuple[Hashable, int]] = deque([(source, 0)])
    while queue:
        v, d = queue.popleft()
        if depth is not None and d >= depth:
            continue
        for w in nbrs(v):
            if w not in seen:
                seen.add(w)
                out.append(w)
                queue.append((w, d + 1))
    return out


def descendants(g: nx.DiGraph[Any], node: Hashable, depth: int | None = None) -> list[Hashable]:
    """Models derived from ``node`` within ``depth`` hops (all when None), nearest first."""
    return _bfs(g, node, depth, True)


def ancestors(g: nx.DiGraph[Any], node: Hashable, depth: int | None = None) -> list[Hashable]:
    """Models ``node`` derives from within ``depth`` hops (all when None), nearest first."""
    return _bfs(g, node, depth, False)


def roots(g: nx.DiGraph[Any], node: Hashable) -> set[Hashable]:
    """The root ancestors of ``node`` (``{node}`` itself if it has no parent)."""
    if g.in_degree(node) == 0:
        return {node}
    return {a for a in ancestors(g, node) if g.in_degree(a) == 0}


def neighbourhood(g: nx.DiGraph[Any], node: Hashable, radius: int = 1) -> set[Hashable]:
    """Nodes within ``radius`` hops of ``node`` in either direction, ``node`` included.

    Unlike ``nx.ego_graph(g, node, radius, undirected=True)`` this never copies the graph.
    """
    seen = {node}
    frontier = [node]
    for _ in range(radius):
        nxt = []
        for v in frontier:
            for w in (*g.successors(v), *g.predecessors(v)):
                if w not in seen:
                    seen.add(w)
                    nxt.append(w)
        frontier = nxt
    return seen
