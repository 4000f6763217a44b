"""The columns the graph is built from, and model rows by id (node attributes).

:meth:`GraphData.graph_columns` reads every model and every graph link in two ordered scans;
:class:`lineage.graph.Lineage` turns them into numpy arrays. :data:`MODEL_COLUMNS` is the
order of a model row everywhere rows leave the store (node attributes, exports, the push).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
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


class GraphData:
    """Graph reads, a part of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection

    def graph_columns(self) -> tuple[list[Sequence[Any]], list[tuple[int, int | None, str, str]]]:
        """Every model and every graph link.

        Models, as columns in rowid order: rowid, id, created (seconds since the epoch, or
        :data:`UNKNOWN_SECONDS`), legacy_date, deleted, downloads, downloads_all_time (-1 when
        unknown), likes, pipeline_tag, library_name. Links, as rows: (child rowid, parent
        rowid or None for a parent not in the store, parent id, relation).
        """
        rows = self.conn.execute(
            "SELECT rowid, id, coalesce(CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER), ?), "
            "legacy_date, deleted_at IS NOT NULL, downloads, coalesce(downloads_all_time, -1), likes, "
            "pipeline_tag, library_name FROM models ORDER BY rowid",
            (UNKNOWN_SECONDS,),
        ).fetchall()
        cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 10
        del rows
        links = self.conn.execute(
            "SELECT c.rowid, p.rowid, l.parent, l.relation FROM links l "
            "JOIN models c ON c.id = l.child LEFT JOIN models p ON p.id = l.parent "
            f"WHERE {EDGE_LINK}"
        ).fetchall()
        return cols, links

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
