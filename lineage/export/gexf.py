"""GEXF 1.2 (Gephi's own format, ``networkx.read_gexf``).

Typed ``<attribute>`` declarations (``string``, ``long``, ``boolean``, ``double``); a value
missing on a node or edge has no ``<attvalue>``. Every node's ``label`` is its id; edges are
numbered ``0..E-1`` in (source, target) order (GEXF requires edge ids). networkx reads both
back as a ``label`` node attribute and an ``id`` edge attribute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from lineage.export import _xml
from lineage.export.sources import Attr, Source

NAME = "gexf"
SUFFIX = ".gexf"
MIME = "application/gexf+xml"

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" '
    'version="1.2">\n'
    "  <meta><creator>lineage</creator><description>Hugging Face Hub model lineage: "
    "edges go base -&gt; derived</description></meta>\n"
    '  <graph mode="static" defaultedgetype="directed">\n'
)


def value(v: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "string":
        return _xml.attr(v)
    return repr(v) if kind == "double" else str(v)


def _attvalues(attrs: dict[str, Any], decl: list[tuple[int, Attr]]) -> str:
    vals = "".join(
        f'<attvalue for="{k}" value="{value(attrs[a.name], a.type)}"/>' for k, a in decl if a.name in attrs
    )
    return f"<attvalues>{vals}</attvalues>" if vals else ""


def _declare(cls: str, decl: list[tuple[int, Attr]]) -> str:
    rows = "".join(
        f'      <attribute id="{k}" title="{_xml.attr(a.name)}" type="{a.type}"/>\n' for k, a in decl
    )
    return f'    <attributes class="{cls}" mode="static">\n{rows}    </attributes>\n'


def generate(source: Source) -> Iterator[str]:
    """The document, a chunk of lines at a time."""
    ndecl = list(enumerate(source.node_attrs))
    edecl = list(enumerate(source.edge_attrs))
    yield _HEADER + _declare("node", ndecl) + _declare("edge", edecl) + "    <nodes>\n"
    for chunk in source.node_chunks():
        yield "".join(
            f'      <node id="{_xml.attr(m)}" label="{_xml.attr(m)}">{_attvalues(a, ndecl)}</node>\n'
            for m, a in chunk
        )
    yield "    </nodes>\n    <edges>\n"
    eid = 0
    for echunk in source.edge_chunks():
        lines = []
        for u, v, a in echunk:
            lines.append(
                f'      <edge id="{eid}" source="{_xml.attr(u)}" target="{_xml.attr(v)}">'
                f"{_attvalues(a, edecl)}</edge>\n"
            )
            eid += 1
        yield "".join(lines)
    yield "    </edges>\n  </graph>\n</gexf>\n"


def write(source: Source, out: IO[bytes]) -> None:
    for part in generate(source):
        out.write(part.encode("utf-8"))
