"""networkx node-link JSON (``networkx.node_link_graph(data, edges="edges")`` reads it back).

``{"directed": true, "multigraph": false, "graph": {}, "nodes": [{"id": ..., <attributes>}],
"edges": [{"source": ..., "target": ..., "relation": ...}]}``; one node or edge per line,
attributes in schema order, missing values left out. Written as a stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import orjson

from lineage.export.sources import Source

NAME = "json"
SUFFIX = ".json"
MIME = "application/json"


def generate(source: Source) -> Iterator[bytes]:
    """The document, a chunk of lines at a time."""
    yield b'{"directed": true, "multigraph": false, "graph": {},\n"nodes": [\n'
    sep = b""
    for chunk in source.node_chunks():
        parts = []
        for mid, attrs in chunk:
            parts.append(sep + orjson.dumps({"id": mid, **attrs}))
            sep = b",\n"
        yield b"".join(parts)
    yield b'\n],\n"edges": [\n'
    sep = b""
    for echunk in source.edge_chunks():
        parts = []
        for u, v, eattrs in echunk:
            parts.append(sep + orjson.dumps({"source": u, "target": v, **eattrs}))
            sep = b",\n"
        yield b"".join(parts)
    yield b"\n]}\n"


def write(source: Source, out: IO[bytes]) -> None:
    for part in generate(source):
        out.write(part)
