"""lineage: map who builds on whose AI models (Hugging Face Hub lineage as a graph).

The public API, for notebooks and scripts::

    import lineage
    lin = lineage.Lineage.load("lineage.sqlite")         # the whole store, columnar
    table = lineage.share_table(lin, by="region")          # share of new models per month
    g = lin.to_networkx(lineage.group_nodes(lin, "Qwen"))  # a family as a networkx DiGraph

Names are imported on first use, so ``import lineage`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

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
    "Crawler": "lineage.hub",
    "CrawlConfig": "lineage.hub",
}
__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lineage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
