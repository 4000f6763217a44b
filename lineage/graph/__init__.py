"""The lineage graph (pure: no SQL, no IO beyond reading the store through its API).

columnar.py  Lineage: the whole graph as numpy arrays, CSR adjacency, roots of every node
walk.py      the one BFS (vectorized by level), neighbourhoods, array helpers
attrs.py     the one function that turns a model row into node attributes
nx.py        networkx conversion, and functions of any networkx lineage graph
edit.py      a Lineage with a few nodes' flags and links changed (the graph at an earlier crawl)
"""

from lineage.graph.attrs import NODE_ATTRIBUTES, model_attributes, placeholder_attributes
from lineage.graph.columnar import UNKNOWN_TIME, CycleError, Lineage
from lineage.graph.edit import edited
from lineage.graph.nx import ancestors, descendants, load_graph, neighbourhood, roots, to_networkx
from lineage.graph.walk import IntArray, Walk, ragged_offsets, unique_ints, walk

__all__ = [
    "NODE_ATTRIBUTES",
    "UNKNOWN_TIME",
    "CycleError",
    "IntArray",
    "Lineage",
    "Walk",
    "ancestors",
    "descendants",
    "edited",
    "load_graph",
    "model_attributes",
    "neighbourhood",
    "placeholder_attributes",
    "ragged_offsets",
    "roots",
    "to_networkx",
    "unique_ints",
    "walk",
]
