"""lineage: map who builds on whose AI models (Hugging Face Hub lineage as a graph).

The public API, for notebooks and scripts::

    import lineage
    lin = lineage.Lineage.load("lineage.sqlite")         # the whole store, columnar
    table = lineage.share_table(lin, by="region")          # share of new models per month
    g = lin.to_networkx(lineage.group_nodes(lin, "Qwen"))  # a family as a networkx DiGraph
    lineage.export.export(g, "graphml", "qwen.graphml")    # subpackages are attributes too

The packages follow the data flow: ``hub`` (crawl) -> ``records`` -> ``store`` -> ``graph`` ->
``analytics`` -> ``render`` / ``export`` / ``neo4j``; ``cli`` and ``app`` are the front ends,
``sim`` the simulated Hub. Names are imported on first use, so ``import lineage`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:  # what type checkers see; at run time the same names load lazily below
    from lineage import (
        analytics,
        app,
        cli,
        export,
        families,
        graph,
        hub,
        licenses,
        neo4j,
        records,
        render,
        sim,
        store,
    )
    from lineage.analytics import (
        BulkRules,
        ShareQuery,
        Table,
        downloads_by_group,
        downloads_over_time,
        family_summary,
        group_nodes,
        node_groups,
        share_table,
        top_groups,
    )
    from lineage.analytics.diff import crawl_diff
    from lineage.analytics.licenses import license_pairs
    from lineage.analytics.quality import quality_report
    from lineage.errors import InputError, LineageError
    from lineage.families import default_registry, load_registry
    from lineage.graph import Lineage, ancestors, descendants, load_graph, neighbourhood, roots
    from lineage.hub import CrawlConfig, Crawler
    from lineage.licenses import default_licenses, load_licenses
    from lineage.render.tree import render_tree
    from lineage.store import Store, default_store_path, open_store

_EXPORTS = {
    "open_store": "lineage.store",
    "default_store_path": "lineage.store",
    "Store": "lineage.store",
    "Lineage": "lineage.graph",
    "load_graph": "lineage.graph",
    "ancestors": "lineage.graph",
    "descendants": "lineage.graph",
    "roots": "lineage.graph",
    "neighbourhood": "lineage.graph",
    "ShareQuery": "lineage.analytics",
    "BulkRules": "lineage.analytics",
    "Table": "lineage.analytics",
    "share_table": "lineage.analytics",
    "top_groups": "lineage.analytics",
    "group_nodes": "lineage.analytics",
    "node_groups": "lineage.analytics",
    "downloads_by_group": "lineage.analytics",
    "downloads_over_time": "lineage.analytics",
    "family_summary": "lineage.analytics",
    "default_registry": "lineage.families",
    "load_registry": "lineage.families",
    "render_tree": "lineage.render.tree",
    "quality_report": "lineage.analytics.quality",
    "crawl_diff": "lineage.analytics.diff",
    "license_pairs": "lineage.analytics.licenses",
    "default_licenses": "lineage.licenses",
    "load_licenses": "lineage.licenses",
    "Crawler": "lineage.hub",
    "CrawlConfig": "lineage.hub",
    "LineageError": "lineage.errors",
    "InputError": "lineage.errors",
}
_SUBPACKAGES = (
    "analytics",
    "app",
    "cli",
    "export",
    "families",
    "graph",
    "hub",
    "licenses",
    "neo4j",
    "records",
    "render",
    "sim",
    "store",
)
__all__ = sorted([*_EXPORTS, *_SUBPACKAGES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        value = importlib.import_module(f"lineage.{name}")
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'lineage' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
