"""GraphML (Gephi, yEd, Cytoscape, ``networkx.read_graphml``).

One ``<key>`` per attribute with its type (``string``, ``long``, ``boolean``, ``double``);
a node or edge without a value for an attribute has no ``<data>`` for it (GraphML allows
that, and readers give back exactly the attributes that were there). Written line by line
from sorted chunks, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from lineage.export import _xml
from lineage.export.sources import Attr, Source

NAME = "graphml"
SUFFIX = ".graphml"
MIME = "application/graphml+xml"

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)


def value(v: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "string":
        return _xml.text(v)
    return repr(v) if kind == "double" else str(v)


def _data(attrs: dict[str, Any], keys: list[tuple[str, Attr]]) -> str:
    return "".join(
        f'<data key="{kid}">{value(attrs[a.name], a.type)}</data>' for kid, a in keys if a.name in attrs
    )


def generate(source: Source) -> Iterator[str]:
    """The document, a chunk of lines at a time."""
    nkeys = [(f"n{k}", a) for k, a in enumerate(source.node_attrs)]
    ekeys = [(f"e{k}", a) for k, a in enumerate(source.edge_attrs)]
    head = [_HEADER]
    for kid, a in nkeys:
        head.append(f'  <key id="{kid}" for="node" attr.name="{_xml.attr(a.name)}" attr.type="{a.type}"/>\n')
    for kid, a in ekeys:
        head.append(f'  <key id="{kid}" for="edge" attr.name="{_xml.attr(a.name)}" attr.type="{a.type}"/>\n')
    head.append('  <graph id="lineage" edgedefault="directed">\n')
    yield "".join(head)
    for chunk in source.node_chunks():
        yield "".join(
            f'    <node id="{_xml.attr(mid)}">{_data(attrs, nkeys)}</node>\n' for mid, attrs in chunk
        )
    for echunk in source.edge_chunks():
        yield "".join(
            f'    <edge source="{_xml.attr(u)}" target="{_xml.attr(v)}">{_data(eattrs, ekeys)}</edge>\n'
            for u, v, eattrs in echunk
        )
    yield "  </graph>\n</graphml>\n"


def write(source: Source, out: IO[bytes]) -> None:
    for part in generate(source):
        out.write(part.encode("utf-8"))
