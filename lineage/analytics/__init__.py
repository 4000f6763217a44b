"""Analytics: pure functions from a :class:`~lineage.graph.Lineage` to tables.

groups.py     root -> family/org/region (GroupIndex), nodes of a group
share.py      share of new models by group per period (lineage share)
firstparty.py first-party models (a group's own uploads) and direct children
bulk.py       automated bulk uploads: the rules, as pure functions over the graph
bulk_flags.py the flags in use: the store's, or detected now; the detection after a crawl
downloads.py  downloads by group (the whole tree or first-party), now and over crawl snapshots
summary.py    the top families (lineage families)
ranking.py    which groups a share chart shows (top N over the range), partial periods
view.py       what the explorer draws around a model (drawn models, clusters of the rest)
panel.py      a model's chains to its roots, children and descendants per relation, their tables
textwidth.py  how wide a drawn label is
quality.py    the data-quality report
licenses.py   licence class per node, status per link, lineage licenses (license_pairs)
history.py    the store after a crawl, rebuilt from the events since (Timeline, lineage_at)
diff.py       what changed between two crawls (crawl_diff: lineage diff)
"""

from lineage.analytics.bulk import RULES, BulkRules, detect_bulk
from lineage.analytics.bulk_flags import bulk_codes, refresh_bulk
from lineage.analytics.downloads import DOWNLOAD_POPULATIONS, downloads_by_group, downloads_over_time
from lineage.analytics.firstparty import direct_groups, first_party_pairs
from lineage.analytics.groups import BY, GroupIndex, group_index, group_nodes, node_groups, node_labels
from lineage.analytics.share import (
    ATTRIBUTIONS,
    BULK,
    METHOD,
    PERIODS,
    POPULATIONS,
    SCOPES,
    ShareQuery,
    share_table,
    top_groups,
)
from lineage.analytics.summary import family_summary
from lineage.analytics.table import Table

__all__ = [
    "ATTRIBUTIONS",
    "BULK",
    "BY",
    "DOWNLOAD_POPULATIONS",
    "METHOD",
    "PERIODS",
    "POPULATIONS",
    "RULES",
    "SCOPES",
    "BulkRules",
    "GroupIndex",
    "ShareQuery",
    "Table",
    "bulk_codes",
    "detect_bulk",
    "direct_groups",
    "downloads_by_group",
    "downloads_over_time",
    "family_summary",
    "first_party_pairs",
    "group_index",
    "group_nodes",
    "node_groups",
    "node_labels",
    "refresh_bulk",
    "share_table",
    "top_groups",
]
