"""Export lineage subgraphs (or the whole store) to GraphML, GEXF, JSON, CSV, Parquet and Cypher.

One module per format behind one registry (:data:`FORMATS`); every format writes the same
graph, sorted (nodes by id, edges by (source, target)), so the same input always gives the
same bytes.

>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("Qwen/Qwen2.5-7B", downloads=10, placeholder=False)
>>> g.add_edge("Qwen/Qwen2.5-7B", "me/ft", relation="finetune")
>>> data, name, mime = export_bytes(g, "json")
>>> print(data.decode())  # doctest: +NORMALIZE_WHITESPACE
{"directed": true, "multigraph": false, "graph": {},
"nodes": [
{"id":"Qwen/Qwen2.5-7B","downloads":10,"license_class":"unknown","placeholder":false},
{"id":"me/ft","license_class":"unknown"}
],
"edges": [
{"source":"Qwen/Qwen2.5-7B","target":"me/ft","relation":"finetune","license_drift":false}
]}
>>> name, mime
('Qwen-Qwen2.5-7B-4f284107.json', 'application/json')

Graph
-----
Nodes are models, ids as on the Hub. Edges go **base -> derived** (parent -> child).

Node attributes (a node has only those with a value; a model's row in the store gives them):

========================  =======  =============================================================
attribute                 type     meaning
========================  =======  =============================================================
``id``                    string   the model id (``org/name``, or a legacy ``name``), as listed
``author``                string   the Hub namespace that owns the model
``created_at``            string   ISO-8601 UTC creation time (``2025-01-31T12:00:00.000Z``)
``last_modified``         string   ISO-8601 UTC time of the last commit
``downloads``             long     downloads over the last 30 days at the last crawl
``downloads_all_time``    long     all-time downloads (missing when the Hub did not say)
``likes``                 long     likes at the last crawl
``pipeline_tag``          string   task, e.g. ``text-generation``
``library_name``          string   e.g. ``transformers``, ``gguf``, ``peft``
``license``               string   the declared licence, e.g. ``apache-2.0``, ``llama3.1``, ``other``
``license_name``          string   the name of an ``other`` licence (``cardData.license_name``)
``license_class``         string   ``permissive``, ``copyleft``, ``model-specific``, ``non-commercial``
                                   or ``unknown`` (:mod:`lineage.licenses`; every node has one)
``gated``                 string   ``false``, ``true``, ``auto`` or ``manual``
``legacy_date``           boolean  created before 2022-03-02 (``created_at`` is a placeholder)
``deleted``               boolean  no longer listed by the Hub (kept: its descendants still are)
``placeholder``           boolean  a parent missing from the Hub (deleted, private or renamed)
========================  =======  =============================================================

A placeholder has only ``author`` (the namespace in its id), ``downloads`` = 0, ``likes`` = 0
and the three flags.

Edge attributes: ``relation`` (string): ``finetune``, ``adapter``, ``quantized``, ``merge`` or
``unknown``; ``license_drift`` (boolean): the derivative declares a licence of a more permissive
class than its non-commercial or model-specific base ("dropped terms"; declared metadata, not
legal advice). A graph passed in with other scalar attributes keeps them, typed by their values
(lists and dicts as JSON text); None and NaN values are left out.

Formats
-------
``graphml``  one file, typed ``<key>``s, no ``<data>`` for a missing value.
``gexf``     one file (GEXF 1.2), typed attributes; node ``label`` = id; edge ids ``0..E-1``.
``json``     one file, networkx node-link (``nx.node_link_graph(data, edges="edges")``).
``csv``      ``nodes.csv`` + ``edges.csv`` with ``neo4j-admin database import`` headers.
``parquet``  ``nodes.parquet`` + ``edges.parquet`` (needs pyarrow, the ``parquet`` extra).
``cypher``   one script of ``MERGE`` statements for ``cypher-shell -f`` (no parameters).

Table formats (csv, parquet) write a directory holding the two files; :func:`export_bytes`
returns them as a zip. Files are written to a temporary name and renamed, so an interrupted
export never leaves a truncated file under the final name. File names made from model ids
(:func:`safe_filename`) are slugs with a short hash: never a path, never ``..``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import networkx as nx

from lineage.errors import InputError, UnknownModelError
from lineage.export import csv, cypher, gexf, graphml, json, parquet
from lineage.export.sources import (
    EDGE_ATTRS,
    NODE_ATTRS,
    Attr,
    GraphSource,
    LineageSource,
    Source,
    StoreSource,
)
from lineage.files import atomic_write, check_target
from lineage.graph import IntArray, Lineage
from lineage.store import Store, open_store

__all__ = [
    "EDGE_ATTRS",
    "FORMATS",
    "NODE_ATTRS",
    "Attr",
    "ExportResult",
    "GraphSource",
    "LineageSource",
    "OutputError",
    "OutputExistsError",
    "Source",
    "StoreSource",
    "UnknownModelError",
    "export",
    "export_bytes",
    "export_store",
    "output_paths",
    "safe_filename",
    "select",
    "suggested_name",
]

_MODULES: dict[str, ModuleType] = {m.NAME: m for m in (graphml, gexf, json, csv, parquet, cypher)}
#: Export format names.
FORMATS: tuple[str, ...] = ("graphml", "gexf", "json", "csv", "parquet", "cypher")
assert set(FORMATS) == set(_MODULES)


def _format(fmt: str) -> ModuleType:
    try:
        return _MODULES[fmt]
    except KeyError:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def _is_tables(fmt: str) -> bool:
    return bool(getattr(_format(fmt), "TABLES", False))


class OutputError(InputError, OSError):
    """The output path cannot be written as asked (is a directory, is not a regular file)."""


class OutputExistsError(OutputError, FileExistsError):
    """The output exists and overwriting was not asked for."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    paths: list[Path]
    nodes: int
    edges: int


# -- selection ---------------------------------------------------------------------------------
def select(
    lin: Lineage,
    *,
    roots: Sequence[str] = (),
    family: str | None = None,
    depth: int | None = None,
    registry: Any = None,
) -> IntArray:
    """Node numbers (sorted) to export: ``roots`` and their descendants, or a whole family.

    ``roots`` are model ids (exact, else case-insensitive); unknown ones raise
    :class:`UnknownModelError` naming them all. ``family`` is a registry family (``Qwen``,
    ``Llama``, ...; case-insensitive): its root models and every descendant. ``depth`` keeps
    descendants at most that many links below the roots (0: the roots alone).

    >>> lin = Lineage.from_edges([("a", "b", "finetune"), ("b", "c", "quantized")])
    >>> [lin.ids[i] for i in select(lin, roots=["A"], depth=1)]
    ['a', 'b']
    """
    if bool(roots) == (family is not None):
        raise InputError("select needs root ids or a family (exactly one of them)")
    if depth is not None and depth < 0:
        raise InputError("depth must be 0 or more")
    if roots:
        found: list[int] = []
        missing: list[str] = []
        for r in roots:
            k = lin.find(r)
            if k is None:
                missing.append(r)
            else:
                found.append(k)
        if missing:
            raise UnknownModelError(missing)
        return lin.subgraph_nodes(found, depth)
    from lineage.analytics import group_nodes

    assert family is not None
    nodes = group_nodes(lin, family, "family", registry)
    if not len(nodes):
        from lineage.families import default_registry

        names = ", ".join(sorted(f.name for f in (registry or default_registry()).families))
        raise InputError(
            f"no model in the store descends from a root of family {family!r} (registry families: {names})"
        )
    if depth is None:
        return nodes
    return lin.subgraph_nodes(nodes[lin.in_degree[nodes] == 0].tolist(), depth)


# -- names and paths ------------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, suffix: str = "", max_len: int = 80) -> str:
    """A file name made from ``name`` (a model id, a family): ASCII letters, digits, ``._-``,
    never starting with a dot, at most ``max_len`` characters, plus ``-`` and 8 hex digits of
    the name's SHA-1 so different names never share a file, then ``suffix``.

    >>> safe_filename("Qwen/Qwen2.5-7B", ".graphml")
    'Qwen-Qwen2.5-7B-4f284107.graphml'
    >>> safe_filename("../../etc/passwd")
    'etc-passwd-936d7c04'
    """
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:8]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _UNSAFE.sub("-", ascii_name).strip(".-_")
    slug = re.sub(r"\.{2,}", ".", slug)[: max(1, max_len - 9)].rstrip(".-_") or "graph"
    return f"{slug}-{digest}{suffix}"


def _graph_label(g: nx.DiGraph[Any]) -> str:
    name = g.graph.get("name")
    if isinstance(name, str) and name:
        return name
    tops = [n for n, d in g.in_degree() if d == 0]
    return str(tops[0]) if len(tops) == 1 else f"lineage-{g.number_of_nodes()}-models"


def suggested_name(label: str, fmt: str) -> str:
    """The file (or, for csv/parquet, directory) name an export of ``label`` gets by default."""
    return safe_filename(label, "" if _is_tables(fmt) else _format(fmt).SUFFIX)


def output_paths(fmt: str, path: str | os.PathLike[str], label: str = "lineage") -> list[Path]:
    """The files an export to ``path`` writes: ``path`` itself, or a safe name from ``label``
    inside ``path`` when it is an existing directory; for csv/parquet, ``nodes`` and ``edges``
    files inside the directory ``path``."""
    mod = _format(fmt)
    p = Path(path)
    if _is_tables(fmt):
        if p.exists() and not p.is_dir():
            raise OutputError(
                f"{p} is a file: {fmt} writes nodes and edges files into a directory, "
                "so -o must name a directory"
            )
        return [p / f"nodes{mod.SUFFIX}", p / f"edges{mod.SUFFIX}"]
    # An existing directory, or a path written with a trailing slash, gets a safe file name.
    if p.is_dir() or str(path).endswith(("/", os.sep)):
        return [p / suggested_name(label, fmt)]
    return [p]


# -- writing -------------------------------------------------------------------------------------------
class _Counting:
    """Wrap a source to count what is written."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.node_attrs: tuple[Attr, ...] = source.node_attrs
        self.edge_attrs: tuple[Attr, ...] = source.edge_attrs
        self.nodes = 0
        self.edges = 0
        self.progress: Callable[[str, int], None] | None = None

    def node_chunks(self) -> Iterator[list[Any]]:
        for chunk in self.source.node_chunks():
            self.nodes += len(chunk)
            if self.progress:
                self.progress("nodes", len(chunk))
            yield chunk

    def edge_chunks(self) -> Iterator[list[Any]]:
        for chunk in self.source.edge_chunks():
            self.edges += len(chunk)
            if self.progress:
                self.progress("edges", len(chunk))
            yield chunk


def _write(
    source: Source,
    fmt: str,
    path: str | os.PathLike[str],
    label: str,
    overwrite: bool,
    progress: Callable[[str, int], None] | None = None,
) -> ExportResult:
    mod = _format(fmt)
    targets = output_paths(fmt, path, label)
    if not overwrite:
        existing = [t for t in targets if t.exists()]
        if existing:
            raise OutputExistsError(
                f"{', '.join(map(str, existing))} already exists: pass --force (overwrite=True) to replace it"
            )
    if any(t.is_dir() for t in targets):
        dirs = ", ".join(str(t) for t in targets if t.is_dir())
        raise OutputError(f"{dirs} is a directory: choose another -o")
    for target in targets:  # devices, FIFOs, sockets: never replaced
        check_target(target)
    counted = _Counting(source)
    counted.progress = progress
    if _is_tables(fmt):
        with atomic_write(targets[0]) as nodes_fh, atomic_write(targets[1]) as edges_fh:
            mod.write_tables(counted, nodes_fh, edges_fh)
    else:
        with atomic_write(targets[0]) as fh:
            mod.write(counted, fh)
    return ExportResult(targets, counted.nodes, counted.edges)


def export(
    g: nx.DiGraph[Any], fmt: str, path: str | os.PathLike[str], *, overwrite: bool = True
) -> list[Path]:
    """Write ``g`` as ``fmt`` to ``path``; return the paths written.

    Single-file formats write ``path`` (or, if ``path`` is an existing directory, a file with a
    :func:`safe_filename` from the graph's ``name`` or its single root inside it); csv and parquet
    write ``nodes.*`` and ``edges.*`` into the directory ``path``. ``overwrite=False`` raises
    :class:`OutputError` (a ``FileExistsError``-like ``OSError``) instead of replacing files.
    """
    return _write(GraphSource(g), fmt, path, _graph_label(g), overwrite).paths


def export_bytes(g: nx.DiGraph[Any], fmt: str) -> tuple[bytes, str, str]:
    """``(data, suggested file name, MIME type)`` of ``g`` as ``fmt``, in memory.

    csv and parquet come as a zip of ``nodes.*`` and ``edges.*`` (name ``*.csv.zip`` /
    ``*.parquet.zip``, MIME ``application/zip``).
    """
    mod = _format(fmt)
    source = GraphSource(g)
    label = _graph_label(g)
    if not _is_tables(fmt):
        buf = io.BytesIO()
        mod.write(source, buf)
        return buf.getvalue(), suggested_name(label, fmt), str(mod.MIME)
    nodes, edges = io.BytesIO(), io.BytesIO()
    mod.write_tables(source, nodes, edges)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in ((f"nodes{mod.SUFFIX}", nodes), (f"edges{mod.SUFFIX}", edges)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: same bytes every time
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data.getvalue())
    return out.getvalue(), safe_filename(label, f"{mod.SUFFIX}.zip"), "application/zip"


def export_store(
    store: Store | Lineage | str | os.PathLike[str] | None,
    fmt: str,
    path: str | os.PathLike[str],
    *,
    nodes: Sequence[int] | IntArray | None = None,
    label: str = "lineage",
    overwrite: bool = True,
    chunk: int = 10_000,
    progress: Callable[[str, int], None] | None = None,
) -> ExportResult:
    """Export without building a networkx graph, streaming in chunks of ``chunk`` rows.

    ``store`` is a :class:`Store` (or a store path; None: the default store) — the whole store
    read through its own read-only connection, memory flat however large — or a
    :class:`Lineage`, whole or restricted to the node numbers ``nodes`` (e.g. from
    :func:`select`). The output is
    byte-identical to :func:`export` of the same graph. ``progress(kind, n)`` is called after
    each chunk of ``n`` nodes or edges.
    """
    if isinstance(store, Lineage):
        return _write(LineageSource(store, nodes, chunk), fmt, path, label, overwrite, progress)
    if nodes is not None:
        raise InputError("a node selection needs a Lineage, not a store")
    path_of = store.path if isinstance(store, Store) else store
    # A streaming connection of our own: the caller's settings stay as they are.
    with open_store(path_of, streaming=True) as reader:
        return _write(StoreSource(reader, chunk), fmt, path, label, overwrite, progress)
