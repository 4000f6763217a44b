"""Analytics: pure functions from a :class:`~lineage.graph.Lineage` to tables."""

from lineage.analytics.share import (
    ATTRIBUTIONS,
    BY,
    METHOD,
    PERIODS,
    POPULATIONS,
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

__all__ = [
    "ATTRIBUTIONS",
    "BY",
    "METHOD",
    "PERIODS",
    "POPULATIONS",
    "ShareQuery",
    "Table",
    "downloads_by_group",
    "downloads_over_time",
    "family_summary",
    "group_nodes",
    "node_groups",
    "share_table",
    "top_groups",
]
