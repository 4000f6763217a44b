"""CSV for ``neo4j-admin database import`` (and any CSV reader): ``nodes.csv`` + ``edges.csv``.

Headers follow neo4j-admin's format: ``id:ID(Model)``, typed properties
(``downloads:long``, ``deleted:boolean``, ...; strings untyped), ``:LABEL`` (always
``Model``); edges ``:START_ID(Model)`` (the base), ``:END_ID(Model)`` (the derived model),
``:TYPE`` (always ``BASE_OF``) and ``relation``. Strings are always double-quoted (a quote
doubled), numbers and booleans bare, a missing value is an empty unquoted field (neo4j-admin
then sets no property). Import with::

    neo4j-admin database import full --nodes=nodes.csv --relationships=edges.csv neo4j

adding ``--multiline-fields=true`` if a value may contain a line break.
"""

from __future__ import annotations

from typing import IO, Any

from lineage.export.sources import Attr, Source

NAME = "csv"
SUFFIX = ".csv"
MIME = "text/csv"
TABLES = True

LABEL = "Model"
REL_TYPE = "BASE_OF"
_ADMIN_TYPES = {"string": "", "long": ":long", "boolean": ":boolean", "double": ":double"}


def field(v: Any, kind: str) -> str:
    if v is None:
        return ""
    if kind == "string":
        return '"' + str(v).replace('"', '""') + '"'
    if kind == "boolean":
        return "true" if v else "false"
    return repr(v) if kind == "double" else str(v)


def _name(a: Attr) -> str:
    return (
        field(a.name + _ADMIN_TYPES[a.type], "string")
        if any(c in a.name for c in ',"\n\r')
        else a.name + _ADMIN_TYPES[a.type]
    )


def node_header(source: Source) -> list[str]:
    return [f"id:ID({LABEL})", *(_name(a) for a in source.node_attrs), ":LABEL"]


def edge_header(source: Source) -> list[str]:
    return [f":START_ID({LABEL})", f":END_ID({LABEL})", ":TYPE", *(_name(a) for a in source.edge_attrs)]


def write_tables(source: Source, nodes: IO[bytes], edges: IO[bytes]) -> None:
    nattrs, eattrs = source.node_attrs, source.edge_attrs
    nodes.write((",".join(node_header(source)) + "\n").encode())
    label = field(LABEL, "string")
    for chunk in source.node_chunks():
        lines = [
            ",".join([field(mid, "string"), *(field(attrs.get(a.name), a.type) for a in nattrs), label])
            for mid, attrs in chunk
        ]
        nodes.write(("\n".join(lines) + "\n").encode("utf-8"))
    edges.write((",".join(edge_header(source)) + "\n").encode())
    rel = field(REL_TYPE, "string")
    for echunk in source.edge_chunks():
        lines = [
            ",".join(
                [
                    field(u, "string"),
                    field(v, "string"),
                    rel,
                    *(field(attrs.get(a.name), a.type) for a in eattrs),
                ]
            )
            for u, v, attrs in echunk
        ]
        edges.write(("\n".join(lines) + "\n").encode("utf-8"))
