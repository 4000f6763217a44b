"""Analytics: pure functions from a :class:`~lineage.graph.Lineage` to tables.

groups.py     root -> family/org/region (GroupIndex), nodes of a group
share.py      share of new models by group per period (lineage share)
downloads.py  downloads by group, now and over crawl snapshots
summary.py    the top families (lineage families)
view.py       what the explorer draws around a model
quality.py    the data-quality report
licenses.py   licence class per node, status per link, lineage licenses (license_pairs)
history.py    the store after a crawl, rebuilt from the events since (Timeline, lineage_at)
diff.py       what changed between two crawls (crawl_diff: lineage diff)
"""

from lineage.analytics.downloads import downloads_by_group, downloads_over_time
from lineage.analytics.groups import BY, GroupIndex, group_index, group_nodes, node_groups, node_labels
from lineage.analytics.share import (
    ATTRIBUTIONS,
    METHOD,
    PERIODS,
    POPULATIONS,
    ShareQuery,
    share_table,
    top_groups,
)
from lineage.analytics.summary import family_summary
from lineage.analytics.table import Table

__all__ = [
    "ATTRIBUTIONS",
    "BY",
    "METHOD",
    "PERIODS",
    "POPULATIONS",
    "GroupIndex",
    "ShareQuery",
    "Table",
    "downloads_by_group",
    "downloads_over_time",
    "family_summary",
    "group_index",
    "group_nodes",
    "node_groups",
    "node_labels",
    "share_table",
    "top_groups",
]
