"""What exporters read: typed attribute schemas and sorted, chunked streams of nodes and edges.

Three sources give the same stream for the same graph (tests check they are byte-identical
once written):

* :class:`GraphSource` — a ``networkx.DiGraph`` (a selection, ``Lineage.to_networkx``);
* :class:`LineageSource` — a :class:`~lineage.graph.Lineage` (optionally a node selection),
  without building a networkx graph;
* :class:`StoreSource` — the store itself, read through ordered SQL cursors a chunk at a
  time, so memory stays flat however many models there are (whole-Hub exports, the Neo4j
  push). On a connection from :func:`open_reader` the one sort SQLite may need (edges by
  (source, target) when the store has no index on ``links.parent``) spills to a temporary
  file, not to memory.

Streams are sorted: nodes by id, edges by ``(source, target)`` (Python string order, which is
SQLite's BINARY order on UTF-8). Missing and None values are left out of a node's attributes.
"""

from __future__ import annotations

import heapq
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

import networkx as nx
import numpy as np
import orjson

from lineage.graph import NODE_ATTRIBUTES, Lineage, unique_ints
from lineage.records import RELATIONS
from lineage.store import Store

__all__ = [
    "EDGE_ATTRS",
    "NODE_ATTRS",
    "Attr",
    "Edge",
    "GraphSource",
    "LineageSource",
    "Node",
    "Source",
    "StoreSource",
    "open_reader",
    "rebatch",
]

#: Attribute value types, named as GraphML/GEXF name them.
TYPES = ("string", "long", "boolean", "double")


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
#: Node attributes of the lineage schema, in export column order.
NODE_ATTRS: tuple[Attr, ...] = tuple(Attr(n, _NODE_TYPES.get(n, "string")) for n in NODE_ATTRIBUTES)
#: Edge attributes of the lineage schema.
EDGE_ATTRS: tuple[Attr, ...] = (Attr("relation", "string"),)
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


# -- networkx ------------------------------------------------------------------------------------
class GraphSource:
    """A ``networkx.DiGraph``. Attributes outside the lineage schema are kept, typed by their
    values (mixed long/double -> double, other mixes -> string; lists and dicts -> JSON text)."""

    def __init__(self, g: nx.DiGraph[Any], chunk: int = DEFAULT_CHUNK) -> None:
        if g.is_multigraph() or not g.is_directed():
            raise ValueError("export needs a networkx.DiGraph (directed, no parallel edges)")
        self.g = g
        self.chunk = chunk
        self.node_attrs = _schema(NODE_ATTRS, (d for _, d in g.nodes(data=True)), "node")
        self.edge_attrs = _schema(EDGE_ATTRS, (d for _, _, d in g.edges(data=True)), "edge")
        self._names = {n: str(n) for n in g}
        if len(set(self._names.values())) != len(self._names):
            raise ValueError("two nodes have the same id once written as text")

    def node_chunks(self) -> Iterator[list[Node]]:
        names = self._names
        order = sorted(self.g, key=names.__getitem__)
        nodes = self.g.nodes
        for chunk in _chunked(order, self.chunk):
            yield [(names[n], _typed(nodes[n], self.node_attrs, f"node {names[n]!r}")) for n in chunk]

    def edge_chunks(self) -> Iterator[list[Edge]]:
        names = self._names
        order = sorted(self.g.edges, key=lambda e: (names[e[0]], names[e[1]]))
        adj = self.g.adj
        for chunk in _chunked(order, self.chunk):
            yield [
                (names[u], names[v], _typed(adj[u][v], self.edge_attrs, f"edge {names[u]!r} -> {names[v]!r}"))
                for u, v in chunk
            ]


# -- Lineage ---------------------------------------------------------------------------------------
def _dedupe(parent: Any, child: Any, relation: Any) -> Any:
    """Index of one edge per (parent, child) pair, keeping the first relation of RELATIONS."""
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
        self._edges = (rp[pick], rc[pick], rel[pick])
        self.n_edges = len(pick)

    def node_chunks(self) -> Iterator[list[Node]]:
        ids = self.lin.ids
        for k in range(0, len(self.order), self.chunk):
            sel = self.order[k : k + self.chunk]
            yield list(zip((ids[i] for i in sel.tolist()), self.lin.node_records(sel), strict=True))

    def edge_chunks(self) -> Iterator[list[Edge]]:
        ids, order, labels = self.lin.ids, self.order, self.lin.relation_labels
        rp, rc, rel = self._edges
        for k in range(0, len(rp), self.chunk):
            p, c = order[rp[k : k + self.chunk]].tolist(), order[rc[k : k + self.chunk]].tolist()
            r = rel[k : k + self.chunk].tolist()
            yield [(ids[a], ids[b], {"relation": labels[x]}) for a, b, x in zip(p, c, r, strict=True)]


# -- the store -------------------------------------------------------------------------------------
#: Links that are edges of the graph (as in :meth:`Lineage.load`).
EDGE_LINK = "l.resolution IS NOT NULL AND l.resolution != 'cycle'"
_REL_RANK = (
    "CASE l.relation "
    + " ".join(f"WHEN '{r}' THEN {k}" for k, r in enumerate(RELATIONS))
    + f" ELSE {len(RELATIONS) - 1} END"
)
_MODEL_COLS = (
    "id, author, created_at, last_modified, downloads, downloads_all_time, likes, pipeline_tag, "
    "library_name, license, gated, legacy_date, deleted_at IS NOT NULL"
)


def model_row_attrs(row: Sequence[Any]) -> Node:
    """A ``models`` row (columns as in ``_MODEL_COLS``) as a node, like ``Lineage.node_records``."""
    mid, author, created, modified, dl, dlat, likes, pipe, lib, lic, gated, legacy, deleted = row
    attrs = {
        "author": author,
        "created_at": created,
        "last_modified": modified,
        "downloads": int(dl),
        "downloads_all_time": int(dlat) if dlat is not None and dlat >= 0 else None,
        "likes": int(likes),
        "pipeline_tag": pipe,
        "library_name": lib,
        "license": lic,
        "gated": gated,
        "legacy_date": bool(legacy),
        "deleted": bool(deleted),
        "placeholder": False,
    }
    return str(mid), {k: v for k, v in attrs.items() if v is not None}


def placeholder_attrs(mid: str) -> Node:
    """A parent missing from the store, like ``Lineage.node_records`` describes it."""
    attrs: dict[str, Any] = {"author": mid.split("/")[0]} if "/" in mid else {}
    attrs.update(downloads=0, likes=0, legacy_date=False, deleted=False, placeholder=True)
    return mid, attrs


def open_reader(path: str | os.PathLike[str], cache_kib: int = 16_000) -> sqlite3.Connection:
    """A read-only connection for streaming: a small page cache (one pass gains nothing from a
    large one) and temporary storage in files, so sorts spill to disk instead of memory."""
    if not Path(path).exists():
        raise FileNotFoundError(f"No lineage store at {path}")
    conn = sqlite3.connect(
        f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False
    )
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    conn.execute("PRAGMA temp_store = FILE")
    return conn


class StoreSource:
    """The whole store, or only the models listed in a TEMP table ``within`` (one ``id`` column)
    and their links, streamed from one ordered cursor per stream, ``chunk`` rows at a time.

    ``nodes`` = every model (deleted ones flagged) plus a placeholder per parent missing from
    the store; ``edges`` = links resolved and not set aside as cycles, one per (parent, child).
    Each stream can start after a position (``after``), to resume. ``store`` is a
    :class:`~lineage.store.Store` or a connection (see :func:`open_reader`).
    """

    node_attrs = NODE_ATTRS
    edge_attrs = EDGE_ATTRS

    def __init__(
        self, store: Store | sqlite3.Connection, chunk: int = DEFAULT_CHUNK, within: str | None = None
    ) -> None:
        if within is not None and not within.isidentifier():
            raise ValueError(f"not a table name: {within!r}")
        self.conn = store.conn if isinstance(store, Store) else store
        self.chunk = chunk
        self.within = within

    # Queries: constant text, values only as parameters.
    def _models_sql(self) -> str:
        where = f" AND id IN (SELECT id FROM temp.{self.within})" if self.within else ""
        return f"SELECT {_MODEL_COLS} FROM models WHERE id > ?{where} ORDER BY id"

    def _placeholders_sql(self) -> str:
        where = f" AND l.child IN (SELECT id FROM temp.{self.within})" if self.within else ""
        return (
            f"SELECT DISTINCT l.parent FROM links l WHERE l.parent > ? AND {EDGE_LINK}{where} "
            "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = l.parent) ORDER BY l.parent"
        )

    def _edges_sql(self) -> str:
        where = f" AND l.child IN (SELECT id FROM temp.{self.within})" if self.within else ""
        return (
            f"SELECT l.parent, l.child, min({_REL_RANK}) FROM links l "
            f"WHERE (l.parent, l.child) > (?, ?) AND {EDGE_LINK}{where} "
            "GROUP BY l.parent, l.child ORDER BY l.parent, l.child"
        )

    def node_chunks(self, after: str = "") -> Iterator[list[Node]]:
        """Nodes with id > ``after`` (all by default), sorted, in chunks."""
        models = (model_row_attrs(r) for r in self.conn.execute(self._models_sql(), (after,)))
        holders = (
            placeholder_attrs(str(r[0])) for r in self.conn.execute(self._placeholders_sql(), (after,))
        )
        yield from _chunked(heapq.merge(models, holders, key=itemgetter(0)), self.chunk)

    def edge_chunks(self, after: tuple[str, str] = ("", "")) -> Iterator[list[Edge]]:
        """Edges with (source, target) > ``after`` (all by default), sorted, in chunks."""
        rows = self.conn.execute(self._edges_sql(), tuple(after))
        while batch := rows.fetchmany(self.chunk):
            yield [(str(p), str(c), {"relation": RELATIONS[int(r)]}) for p, c, r in batch]
