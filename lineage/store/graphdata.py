"""The columns the graph is built from, and model rows by id (node attributes).

:meth:`GraphData.graph_columns` reads every model and every graph link in two ordered scans;
:class:`lineage.graph.Lineage` turns them into numpy arrays. :data:`MODEL_COLUMNS` is the
order of a model row everywhere rows leave the store (node attributes, exports, the push).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["EDGE_LINK", "MODEL_COLUMNS", "MODEL_SELECT", "UNKNOWN_SECONDS", "GraphData"]

#: A model row: these columns, in this order (``deleted`` is ``deleted_at IS NOT NULL``).
MODEL_COLUMNS: tuple[str, ...] = (
    "id",
    "author",
    "created_at",
    "last_modified",
    "downloads",
    "downloads_all_time",
    "likes",
    "pipeline_tag",
    "library_name",
    "license",
    "gated",
    "legacy_date",
    "deleted",
)
MODEL_SELECT = ", ".join(MODEL_COLUMNS[:-1]) + ", deleted_at IS NOT NULL"
#: Links that are edges of the graph: resolved, and not set aside as a cycle.
EDGE_LINK = "l.resolution IS NOT NULL AND l.resolution != 'cycle'"
#: Creation time of a model without one (the graph's "unknown time").
UNKNOWN_SECONDS = -(2**63)


@dataclass
class GraphColumns:
    """What :meth:`GraphData.graph_columns` reads.

    ``models``: columns in rowid order — rowid, id, created (``YYYY-MM-DDTHH:MM:SS`` or None),
    legacy_date, deleted, downloads, downloads_all_time (-1 when unknown), likes,
    pipeline_tag, library_name. ``links``: rows (child rowid, parent rowid or None for a
    parent not in the store, parent id, relation). ``order`` / ``lower_order``: the rowids
    sorted by id and by ``lower(id)``. ``version``: the store's ``data_version``.
    """

    version: int
    models: list[Sequence[Any]]
    links: list[tuple[int, int | None, str, str]]
    order: list[int]
    lower_order: list[int]


class GraphData:
    """Graph reads, a part of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection

    def graph_columns(self) -> GraphColumns:
        """Every model and every graph link, read in one read transaction (a crawl writing at
        the same time is seen entirely before or entirely after a commit)."""
        self.conn.execute("BEGIN")
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
            rows = self.conn.execute(
                "SELECT rowid, id, substr(created_at, 1, 19), legacy_date, deleted_at IS NOT NULL, "
                "downloads, coalesce(downloads_all_time, -1), likes, pipeline_tag, library_name "
                "FROM models ORDER BY rowid"
            ).fetchall()
            models: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 10
            del rows
            links = self.conn.execute(
                "SELECT c.rowid, p.rowid, l.parent, l.relation FROM links l "
                "JOIN models c ON c.id = l.child LEFT JOIN models p ON p.id = l.parent "
                f"WHERE {EDGE_LINK}"
            ).fetchall()
            # Both come from indexes (the primary key and lower(id)), without a sort.
            order = [r[0] for r in self.conn.execute("SELECT rowid FROM models ORDER BY id")]
            lower = [r[0] for r in self.conn.execute("SELECT rowid FROM models ORDER BY lower(id)")]
        finally:
            self.conn.execute("COMMIT")
        return GraphColumns(int(row[0]) if row else 0, models, links, order, lower)

    def model_rows(self, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """The rows (:data:`MODEL_COLUMNS`) of the models ``ids`` that are in the store, by id."""
        out: dict[str, tuple[Any, ...]] = {}
        sql = f"SELECT {MODEL_SELECT} FROM models"
        if len(ids) > 100_000:  # one scan beats 100+ indexed batches
            wanted = set(ids)
            for row in self.conn.execute(sql):
                if row[0] in wanted:
                    out[row[0]] = row
            return out
        for k in range(0, len(ids), 900):
            chunk = list(ids[k : k + 900])
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"{sql} WHERE id IN ({marks})", chunk):
                out[row[0]] = row
        return out

    def iter_model_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every model row (:data:`MODEL_COLUMNS`), by id."""
        yield from self.conn.execute(f"SELECT {MODEL_SELECT} FROM models ORDER BY id")
