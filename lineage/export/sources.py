"""What exporters read: typed attribute schemas and sorted, chunked streams of nodes and edges.

Three sources give the same stream for the same graph (tests check they are byte-identical
once written):

* :class:`GraphSource` — a ``networkx.DiGraph`` (a selection, ``Lineage.to_networkx``);
* :class:`LineageSource` — a :class:`~lineage.graph.Lineage` (optionally a node selection),
  without building a networkx graph;
* :class:`StoreSource` — the store itself, read through its ordered streams
  (:mod:`lineage.store.streams`) a chunk at a time, so memory stays flat however many
  models there are (whole-Hub exports, the Neo4j push).

Streams are sorted: nodes by id, edges by ``(source, target)`` (Python string order, which is
SQLite's BINARY order on UTF-8). Missing and None values are left out of a node's attributes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

import networkx as nx
import numpy as np
import orjson

from lineage.analytics.licenses import STATUS_LABELS, edge_license_status, node_license_classes
from lineage.graph import (
    NODE_ATTRIBUTES,
    Lineage,
    model_attributes,
    placeholder_attributes,
    unique_ints,
)
from lineage.licenses import CLASSES, LicenseTable, default_licenses, drops_terms
from lineage.store import Store

__all__ = [
    "EDGE_ATTRS",
    "NODE_ATTRS",
    "Attr",
    "Classes",
    "Edge",
    "GraphSource",
    "LineageSource",
    "Node",
    "Source",
    "StoreSource",
    "rebatch",
]


@dataclass(frozen=True)
class Attr:
    """An attribute and its type (``string``, ``long``, ``boolean`` or ``double``)."""

    name: str
    type: str


_NODE_TYPES = {
    "downloads": "long",
    "downloads_all_time": "long",
    "likes": "long",
    "legacy_date": "boolean",
    "deleted": "boolean",
    "placeholder": "boolean",
}
_NAMES = list(NODE_ATTRIBUTES)
_NAMES.insert(_NAMES.index("license_name") + 1, "license_class")
#: Node attributes of the lineage schema, in export column order: the graph's node attributes
#: plus ``license_class`` (:mod:`lineage.licenses`; every node has one, ``unknown`` included).
NODE_ATTRS: tuple[Attr, ...] = tuple(Attr(n, _NODE_TYPES.get(n, "string")) for n in _NAMES)
#: Edge attributes of the lineage schema: the relation, and whether the derivative declares a
#: licence that drops the base's terms (:func:`lineage.licenses.drops_terms`).
EDGE_ATTRS: tuple[Attr, ...] = (Attr("relation", "string"), Attr("license_drift", "boolean"))
_DRIFT = STATUS_LABELS.index("dropped-terms")
_ORDER = [a.name for a in NODE_ATTRS]


def with_class(attrs: dict[str, Any], license_class: str) -> dict[str, Any]:
    """A node's attributes with its licence class, in schema order (as every source gives them)."""
    attrs["license_class"] = license_class
    return {k: attrs[k] for k in _ORDER if k in attrs}


#: Names the formats use for structure; attributes may not take them.
RESERVED = frozenset({"id", "source", "target", "label", "key"})

Node = tuple[str, dict[str, Any]]
Edge = tuple[str, str, dict[str, Any]]

DEFAULT_CHUNK = 10_000


class Source(Protocol):
    """A graph to export: typed schemas plus sorted chunks of nodes and of edges."""

    node_attrs: tuple[Attr, ...]
    edge_attrs: tuple[Attr, ...]

    def node_chunks(self) -> Iterator[list[Node]]: ...

    def edge_chunks(self) -> Iterator[list[Edge]]: ...


# -- values ------------------------------------------------------------------------------------
def coerce(value: Any, kind: str) -> Any:
    """``value`` as the Python type of ``kind``; None when it has no value (None, NaN)."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else _as_text(value)
    if kind == "boolean":
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise TypeError(f"expected a boolean, got {value!r}")
    if kind == "long":
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            return int(value)
        raise TypeError(f"expected an integer, got {value!r}")
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _as_text(value: Any) -> str:
    if isinstance(value, bool | int | float | np.generic):
        return str(value.item() if isinstance(value, np.generic) else value)
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def _infer(values: Iterable[Any]) -> str:
    """The type of an attribute outside the schema, from all its values."""
    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool | np.bool_):
            kinds.add("boolean")
        elif isinstance(v, int | np.integer):
            kinds.add("long")
        elif isinstance(v, float | np.floating):
            kinds.add("double")
        else:
            kinds.add("string")
    if len(kinds) == 1:
        return kinds.pop()
    return "double" if kinds == {"long", "double"} else "string"


def _schema(known: Sequence[Attr], datas: Iterable[Mapping[str, Any]], what: str) -> tuple[Attr, ...]:
    """The lineage schema plus extra attributes found in ``datas`` (sorted, types inferred)."""
    names = {a.name for a in known}
    extra: dict[str, list[Any]] = {}
    for data in datas:
        for k, v in data.items():
            if k not in names:
                extra.setdefault(str(k), []).append(v)
    bad = sorted(RESERVED.intersection(extra))
    if bad:
        raise ValueError(f"{what} attribute names {bad} are reserved by the export formats; rename them")
    return (*known, *(Attr(k, _infer(extra[k])) for k in sorted(extra)))


def _typed(data: Mapping[str, Any], attrs: Sequence[Attr], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in attrs:
        if a.name in data:
            try:
                v = coerce(data[a.name], a.type)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{what}: attribute {a.name!r} should be {a.type}: {exc}") from None
            if v is not None:
                out[a.name] = v
    return out


def _chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rebatch(chunks: Iterable[list[Any]], size: int) -> Iterator[list[Any]]:
    """Re-cut a stream of chunks into chunks of exactly ``size`` items (the last one shorter)."""
    buf: list[Any] = []
    for chunk in chunks:
        buf.extend(chunk)
        while len(buf) >= size:
            yield buf[:size]
            del buf[:size]
    if buf:
        yield buf


class Classes:
    """Licence classes of declared licences, and drift along a link, looked up once per licence."""

    def __init__(self, table: LicenseTable | None = None) -> None:
        self.table = table or default_licenses()
        self._cache: dict[tuple[Any, Any], str] = {}

    def of(self, license: Any, name: Any = None) -> str:
        key = (license, name)
        found = self._cache.get(key)
        if found is None:
            lic = license if isinstance(license, str) else None
            found = self._cache[key] = self.table.classify(lic, name if isinstance(name, str) else None)
        return found

    def drift(self, parent: Mapping[str, Any], child: Mapping[str, Any]) -> bool:
        """Whether ``child`` (node attributes) drops the terms of ``parent``."""
        return drops_terms(
            str(parent.get("license_class") or self.of(parent.get("license"), parent.get("license_name"))),
            str(child.get("license_class") or self.of(child.get("license"), child.get("license_name"))),
        )


# -- networkx ------------------------------------------------------------------------------------
class GraphSource:
    """A ``networkx.DiGraph``. Attributes outside the lineage schema are kept, typed by their
    values (mixed long/double -> double, other mixes -> string; lists and dicts -> JSON text)."""

    def __init__(self, g: nx.DiGraph[Any], chunk: int = DEFAULT_CHUNK) -> None:
        if g.is_multigraph() or not g.is_directed():
            raise ValueError("export needs a networkx.DiGraph (directed, no parallel edges)")
        self.g = g
        self.chunk = chunk
        self.classes = Classes()
        self.node_attrs = _schema(NODE_ATTRS, (d for _, d in g.nodes(data=True)), "node")
        self.edge_attrs = _schema(EDGE_ATTRS, (d for _, _, d in g.edges(data=True)), "edge")
        self._names = {n: str(n) for n in g}
        if len(set(self._names.values())) != len(self._names):
            raise ValueError("two nodes have the same id once written as text")

    def _node(self, n: Any) -> dict[str, Any]:
        """A node's data, with its licence class when the graph does not give one."""
        data = self.g.nodes[n]
        if data.get("license_class") is not None:
            return dict(data)
        return {**data, "license_class": self.classes.of(data.get("license"), data.get("license_name"))}

    def node_chunks(self) -> Iterator[list[Node]]:
        names = self._names
        order = sorted(self.g, key=names.__getitem__)
        for chunk in _chunked(order, self.chunk):
            yield [(names[n], _typed(self._node(n), self.node_attrs, f"node {names[n]!r}")) for n in chunk]

    def edge_chunks(self) -> Iterator[list[Edge]]:
        names = self._names
        order = sorted(self.g.edges, key=lambda e: (names[e[0]], names[e[1]]))
        adj, nodes = self.g.adj, self.g.nodes
        for chunk in _chunked(order, self.chunk):
            out = []
            for u, v in chunk:
                data = adj[u][v]
                if data.get("license_drift") is None:
                    data = {**data, "license_drift": self.classes.drift(nodes[u], nodes[v])}
                out.append(
                    (names[u], names[v], _typed(data, self.edge_attrs, f"edge {names[u]!r} -> {names[v]!r}"))
                )
            yield out


# -- Lineage ---------------------------------------------------------------------------------------
def _dedupe(parent: Any, child: Any, relation: Any) -> Any:
    """Index of one edge per (parent, child) pair, keeping the first relation of
    :data:`~lineage.records.RELATIONS` (relation codes are positions in it)."""
    order = np.lexsort((relation, child, parent))
    p, c = parent[order], child[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (p[1:] != p[:-1]) | (c[1:] != c[:-1])
    return order[first]


class LineageSource:
    """A :class:`~lineage.graph.Lineage`, or the subgraph of ``nodes`` (node numbers).

    When two declared links land on the same (parent, child) pair (an alias and the full id),
    one edge is kept, with the first relation in ``finetune, adapter, quantized, merge,
    unknown`` order.
    """

    node_attrs = NODE_ATTRS
    edge_attrs = EDGE_ATTRS

    def __init__(self, lin: Lineage, nodes: Iterable[int] | None = None, chunk: int = DEFAULT_CHUNK) -> None:
        self.lin = lin
        self.chunk = chunk
        n = len(lin)
        sel = np.arange(n) if nodes is None else unique_ints(np.fromiter(nodes, dtype=np.int64))
        ids = lin.ids
        self.order = np.array(sorted(sel.tolist(), key=ids.__getitem__), dtype=np.int64)
        self.n_nodes = len(self.order)
        rank = np.full(n, -1, dtype=np.int64)
        rank[self.order] = np.arange(len(self.order))
        keep = (rank[lin.parent] >= 0) & (rank[lin.child] >= 0)
        rp, rc, rel = rank[lin.parent[keep]], rank[lin.child[keep]], lin.relation[keep].astype(np.int64)
        pick = _dedupe(rp, rc, rel)
        drift = edge_license_status(lin)[keep][pick] == _DRIFT
        self._edges = (rp[pick], rc[pick], rel[pick], drift)
        self.n_edges = len(pick)
        self._classes = node_license_classes(lin)

    def node_chunks(self) -> Iterator[list[Node]]:
        ids = self.lin.ids
        for k in range(0, len(self.order), self.chunk):
            sel = self.order[k : k + self.chunk]
            records = self.lin.node_records(sel)
            classes = [CLASSES[int(self._classes[i])] for i in sel.tolist()]
            yield [(ids[i], with_class(r, c)) for i, r, c in zip(sel.tolist(), records, classes, strict=True)]

    def edge_chunks(self) -> Iterator[list[Edge]]:
        ids, order, labels = self.lin.ids, self.order, self.lin.relation_labels
        rp, rc, rel, drift = self._edges
        for k in range(0, len(rp), self.chunk):
            p, c = order[rp[k : k + self.chunk]].tolist(), order[rc[k : k + self.chunk]].tolist()
            r, d = rel[k : k + self.chunk].tolist(), drift[k : k + self.chunk].tolist()
            yield [
                (ids[a], ids[b], {"relation": labels[x], "license_drift": bool(y)})
                for a, b, x, y in zip(p, c, r, d, strict=True)
            ]


# -- the store -------------------------------------------------------------------------------------
class StoreSource:
    """The whole store (or, with ``selected``, the models in the store's selection and their
    links), streamed from one ordered cursor per stream, ``chunk`` rows at a time.

    ``nodes`` = every model (deleted ones flagged) plus a placeholder per parent missing from
    the store; ``edges`` = links resolved and not set aside as cycles, one per (parent, child).
    Each stream can start after a position (``after``), to resume. Open the store with
    ``streaming=True`` for flat memory.
    """

    node_attrs = NODE_ATTRS
    edge_attrs = EDGE_ATTRS

    def __init__(self, store: Store, chunk: int = DEFAULT_CHUNK, *, selected: bool = False) -> None:
        self.store = store
        self.chunk = chunk
        self.selected = selected

    def node_chunks(self, after: str = "") -> Iterator[list[Node]]:
        """Nodes with id > ``after`` (all by default), sorted, in chunks."""
        classes = Classes()
        models = (
            (str(r[0]), with_class(model_attributes(r), classes.of(r[9], r[10])))
            for r in self.store.stream_models(after, selected=self.selected)
        )
        holders = (
            (pid, with_class(placeholder_attributes(pid), "unknown"))
            for pid in self.store.stream_placeholders(after, selected=self.selected)
        )
        yield from _chunked(heapq.merge(models, holders, key=itemgetter(0)), self.chunk)

    def edge_chunks(self, after: tuple[str, str] = ("", "")) -> Iterator[list[Edge]]:
        """Edges with (source, target) > ``after`` (all by default), sorted, in chunks."""
        classes = Classes()
        edges = (
            (p, c, {"relation": r, "license_drift": drops_terms(classes.of(*lic[:2]), classes.of(*lic[2:]))})
            for p, c, r, lic in self.store.stream_edges(after, selected=self.selected)
        )
        yield from _chunked(edges, self.chunk)
