"""What an incremental Neo4j push sends: the store's side of :mod:`lineage.neo4j.push`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lineage.store.graphdata import EDGE_LINK
from lineage.store.streams import SELECTION

__all__ = ["Sync"]


class Sync:
    """Push bookkeeping, a part of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Streams

        def clear_selection(self) -> None: ...

        def select(self, model_ids: Sequence[str]) -> None: ...

    def crawl_watermark(self) -> int:
        """The highest crawl id below which no crawl can still write (0: no crawl)."""
        row = self.conn.execute(
            "SELECT (SELECT min(id) - 1 FROM crawls WHERE status NOT IN ('done', 'abandoned') AND id > "
            "coalesce((SELECT max(id) FROM crawls WHERE status IN ('done', 'abandoned')), 0)), "
            "(SELECT max(id) FROM crawls)"
        ).fetchone()
        return int(row[0] if row[0] is not None else row[1] or 0)

    def cycle_links(self) -> list[list[str]]:
        """``[child, parent]`` of every link set aside as a cycle, sorted."""
        return [
            [str(c), str(p)]
            for c, p in self.conn.execute(
                "SELECT child, coalesce(parent, ref) FROM links WHERE resolution = 'cycle' ORDER BY 1, 2"
            )
        ]

    def select_changed(self, watermark: int, since: str | None, cycle_links: Sequence[Sequence[str]]) -> None:
        """Select the models a push after crawl ``watermark`` (started at ``since``) must send:
        models listed by a later crawl; models tombstoned since; models linked to a model first
        seen after the watermark (a placeholder parent that now resolves) or relicensed since
        (the licence drift flag of the link); models whose links
        set aside as cycles differ from ``cycle_links`` (the cycles at the last push)."""
        self.clear_selection()
        self.conn.execute(
            f"INSERT OR IGNORE INTO temp.{SELECTION} SELECT id FROM models WHERE last_seen_crawl > ?",
            (watermark,),
        )
        if since:
            self.conn.execute(
                f"INSERT OR IGNORE INTO temp.{SELECTION} SELECT id FROM models "
                "WHERE deleted_at IS NOT NULL AND deleted_at >= ?",
                (since,),
            )
        self.conn.execute(
            f"INSERT OR IGNORE INTO temp.{SELECTION} SELECT DISTINCT l.child FROM links l "
            "JOIN models p ON p.id = l.parent WHERE p.first_seen_crawl > ?",
            (watermark,),
        )
        # A relicensed base changes the licence drift flag of its links to its derivatives.
        self.conn.execute(
            f"INSERT OR IGNORE INTO temp.{SELECTION} SELECT DISTINCT l.child FROM model_events e "
            "JOIN links l ON l.parent = e.model_id WHERE e.event = 'license' AND e.crawl_id > ?",
            (watermark,),
        )
        changed = {tuple(x) for x in cycle_links} ^ {tuple(x) for x in self.cycle_links()}
        self.select(sorted({str(c) for c, _ in changed}))

    def graph_counts(self) -> dict[str, int]:
        """Nodes (models, deleted ones included, and placeholders) and edges of the whole graph,
        as a full push creates them."""
        models = self.conn.execute("SELECT count(*) FROM models").fetchone()[0]
        holders = self.conn.execute(
            f"SELECT count(DISTINCT l.parent) FROM links l WHERE {EDGE_LINK} "
            "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = l.parent)"
        ).fetchone()[0]
        edges = self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM links l WHERE {EDGE_LINK} GROUP BY l.parent, l.child)"
        ).fetchone()[0]
        return {"models": int(models) + int(holders), "relationships": int(edges)}
