"""The lineage graph: columnar for the whole Hub, networkx for a selection."""

from lineage.graph.columnar import (
    NODE_ATTRIBUTES,
    UNKNOWN_TIME,
    IntArray,
    Lineage,
    ancestors,
    descendants,
    load_graph,
    neighbourhood,
    ragged_offsets,
    roots,
    unique_ints,
)

__all__ = [
    "NODE_ATTRIBUTES",
    "UNKNOWN_TIME",
    "IntArray",
    "Lineage",
    "ancestors",
    "descendants",
    "load_graph",
    "neighbourhood",
    "ragged_offsets",
    "roots",
    "unique_ints",
]
