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
    "license_name",
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
    pipeline_tag, library_name, license, license_name. ``links``: rows (child rowid, parent
    rowid or None for a parent not in the store, parent id, relation). ``order`` / ``lower_order``: the rowids
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
                "downloads, coalesce(downloads_all_time, -1), likes, pipeline_tag, library_name, license, "
                "license_name "
                "FROM models ORDER BY rowid"
            ).fetchall()
            models: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 12
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

    def graph_columns_around(self, model_id: str) -> tuple[str, GraphColumns] | None:
        """The part of the graph a family tree of ``model_id`` needs, without reading the rest:
        the model, every descendant, and every ancestor of those (so roots are true roots).
        Returns the model's id as stored (the declared spelling for a placeholder parent) and
        the columns, as :meth:`graph_columns` gives them; None if the id is unknown. Cost: the
        size of the model's family, not of the store."""
        self.conn.execute("BEGIN")
        try:
            centre = self.canonical_id(model_id)
            if centre is None:
                return None
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
            self.conn.execute("DROP TABLE IF EXISTS temp.around")
            self.conn.execute(
                "CREATE TEMP TABLE around AS WITH RECURSIVE "
                "down(id) AS (SELECT ? UNION SELECT l.child FROM links l "
                f"JOIN down ON l.parent = down.id WHERE {EDGE_LINK}), "
                "up(id) AS (SELECT id FROM down UNION SELECT l.parent FROM links l "
                f"JOIN up ON l.child = up.id WHERE {EDGE_LINK}) SELECT id FROM up",
                (centre,),
            )
            self.conn.execute("CREATE UNIQUE INDEX temp.around_id ON around (id)")
            rows = self.conn.execute(
                "SELECT rowid, id, substr(created_at, 1, 19), legacy_date, deleted_at IS NOT NULL, "
                "downloads, coalesce(downloads_all_time, -1), likes, pipeline_tag, library_name, license, "
                "license_name "
                "FROM models WHERE id IN (SELECT id FROM temp.around) ORDER BY rowid"
            ).fetchall()
            models: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 12
            links = self.conn.execute(
                "SELECT c.rowid, p.rowid, l.parent, l.relation FROM links l "
                "JOIN models c ON c.id = l.child LEFT JOIN models p ON p.id = l.parent "
                f"WHERE l.child IN (SELECT id FROM temp.around) AND {EDGE_LINK}"
            ).fetchall()
            self.conn.execute("DROP TABLE temp.around")
        finally:
            self.conn.execute("COMMIT")
        return centre, GraphColumns(int(row[0]) if row else 0, models, links, [], [])

    def canonical_id(self, model_id: str) -> str | None:
        """``model_id`` as the store has it: a model (exact id, else case-insensitive, a live
        model first), else a parent that is not on the Hub (as its placeholder is named)."""
        for sql in (
            "SELECT id FROM models WHERE id = ?",
            "SELECT id FROM models WHERE lower(id) = lower(?) ORDER BY deleted_at IS NOT NULL, id LIMIT 1",
            "SELECT parent FROM links WHERE resolution = 'unresolved' AND lower(ref) = lower(?) LIMIT 1",
        ):
            found = self.conn.execute(sql, (model_id,)).fetchone()
            if found is not None:
                return str(found[0])
        return None

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
