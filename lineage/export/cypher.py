"""A Cypher script for ``cypher-shell -f lineage.cypher`` (or Neo4j Browser).

Parameter-free: values are Cypher literals, escaped by Cypher's rules (strings in single
quotes; ``\\`` ``'`` and control characters escaped, other unicode written as is; property
keys outside ``[A-Za-z_][A-Za-z0-9_]*`` in backticks). The script creates the uniqueness
constraint on ``:Model(id)``, then ``MERGE``s nodes and then relationships in batches of
``UNWIND [ ... ] AS row`` statements, so running it twice changes nothing:

* ``(:Model {id, <attributes>})`` — attributes as in the export schema;
* ``(base:Model)-[:BASE_OF {relation}]->(derived:Model)`` — the same data model as
  ``lineage neo4j push``.

Labels, the relationship type and the statements are constants; ids only ever appear
inside string literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from lineage.export.sources import Attr, Source
from lineage.neo4j.queries import CONSTRAINT, LABEL, REL_TYPE

NAME = "cypher"
SUFFIX = ".cypher"
MIME = "text/plain"

#: Rows per ``UNWIND`` statement.
BATCH = 500

# The data model of ``lineage neo4j push`` (lineage.neo4j.queries), as a script.
CONSTRAINT_STATEMENT = CONSTRAINT + ";\n"
MERGE_NODES = f"] AS row\nMERGE (m:{LABEL} {{id: row.id}})\nSET m += row;\n"
MERGE_EDGES = (
    f"] AS row\nMATCH (p:{LABEL} {{id: row.source}})\nMATCH (c:{LABEL} {{id: row.target}})\n"
    f"MERGE (p)-[r:{REL_TYPE}]->(c)\nSET r += row.props;\n"
)

_ESCAPES = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile("[\\\\'\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    return _ESCAPES.get(c) or f"\\u{ord(c):04x}"


def string(s: str) -> str:
    """A Cypher string literal.

    >>> print(string("it's a \\\\ path\\n"))
    'it\\'s a \\\\ path\\n'
    """
    return "'" + _NEEDS_ESCAPE.sub(_escape_char, s) + "'"


def key(name: str) -> str:
    """A property key, backtick-quoted when it is not a plain identifier."""
    return name if _IDENT.match(name) else "`" + name.replace("`", "``") + "`"


def literal(v: Any, kind: str) -> str:
    if kind == "string":
        return string(v)
    if kind == "boolean":
        return "true" if v else "false"
    return repr(float(v)) if kind == "double" else str(int(v))


def _map(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key(k)}: {v}" for k, v in pairs) + "}"


def _node_map(mid: str, attrs: dict[str, Any], decl: tuple[Attr, ...]) -> str:
    return _map(
        [("id", string(mid)), *((a.name, literal(attrs[a.name], a.type)) for a in decl if a.name in attrs)]
    )


def _edge_map(u: str, v: str, attrs: dict[str, Any], decl: tuple[Attr, ...]) -> str:
    props = _map([(a.name, literal(attrs[a.name], a.type)) for a in decl if a.name in attrs])
    return _map([("source", string(u)), ("target", string(v)), ("props", props)])


def _batches(rows: Iterator[str], tail: str) -> Iterator[str]:
    batch: list[str] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield "UNWIND [\n  " + ",\n  ".join(batch) + "\n" + tail
            batch = []
    if batch:
        yield "UNWIND [\n  " + ",\n  ".join(batch) + "\n" + tail


def generate(source: Source) -> Iterator[str]:
    """The script, one statement at a time."""
    yield (
        "// lineage export: (:Model)-[:BASE_OF {relation}]->(:Model), edges go base -> derived.\n"
        "// Run with: cypher-shell -f <this file>   (idempotent: MERGE on the unique Model.id)\n"
    )
    yield CONSTRAINT_STATEMENT
    nd, ed = source.node_attrs, source.edge_attrs
    yield from _batches(
        (_node_map(m, a, nd) for chunk in source.node_chunks() for m, a in chunk), MERGE_NODES
    )
    yield from _batches(
        (_edge_map(u, v, a, ed) for chunk in source.edge_chunks() for u, v, a in chunk), MERGE_EDGES
    )


def write(source: Source, out: IO[bytes]) -> None:
    for part in generate(source):
        out.write(part.encode("utf-8"))
