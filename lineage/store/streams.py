"""Sorted, resumable streams of the whole store for exports and the Neo4j push.

Each stream is one ordered cursor read a chunk at a time, so memory stays flat however many
models there are; on a store opened with ``streaming=True`` the one sort SQLite may need
spills to a temporary file. Streams are sorted (models and placeholders by id, links by
(parent, child): Python's string order, which is SQLite's BINARY order on UTF-8) and can
start after a position, to resume.

``selected=True`` restricts a stream to the models in the selection (:meth:`Streams.select`,
or what :meth:`~lineage.store.sync.Sync.select_changed` chose) and to their links.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from lineage.records import RELATIONS
from lineage.store.graphdata import EDGE_LINK, MODEL_SELECT, REL_CODE

__all__ = ["SELECTION", "Streams"]

#: The TEMP table (one ``id`` column) that holds a selection of models.
SELECTION = "selected_models"
_IN_SELECTION = f"IN (SELECT id FROM temp.{SELECTION})"


class Streams:
    """Streaming reads, a part of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection

    # -- the selection --------------------------------------------------------------------------
    def clear_selection(self) -> None:
        """Start an empty selection (on this connection only: it is a TEMP table)."""
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {SELECTION} (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.conn.execute(f"DELETE FROM temp.{SELECTION}")

    def select(self, model_ids: Iterable[str]) -> None:
        """Add models (by id; unknown ids are ignored) to the selection."""
        self.conn.executemany(
            f"INSERT OR IGNORE INTO temp.{SELECTION} SELECT id FROM models WHERE id = ?",
            ((m,) for m in model_ids),
        )

    # -- streams -------------------------------------------------------------------------------
    def stream_models(self, after: str = "", *, selected: bool = False) -> Iterator[tuple[Any, ...]]:
        """Model rows (``MODEL_COLUMNS``) with id > ``after``, by id."""
        where = f" AND id {_IN_SELECTION}" if selected else ""
        yield from self.conn.execute(
            f"SELECT {MODEL_SELECT} FROM models WHERE id > ?{where} ORDER BY id", (after,)
        )

    def stream_placeholders(self, after: str = "", *, selected: bool = False) -> Iterator[str]:
        """Ids > ``after`` of parents that are not in the store (placeholder nodes), sorted."""
        where = f" AND l.child {_IN_SELECTION}" if selected else ""
        for (pid,) in self.conn.execute(
            f"SELECT DISTINCT l.parent FROM links l WHERE l.parent > ? AND {EDGE_LINK}{where} "
            "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = l.parent) ORDER BY l.parent",
            (after,),
        ):
            yield str(pid)

    def stream_edges(
        self, after: tuple[str, str] = ("", ""), *, selected: bool = False
    ) -> Iterator[tuple[str, str, str, tuple[str | None, ...]]]:
        """Graph edges ``(parent, child, relation, licences)`` after ``after``, sorted; one per
        pair, with the first relation of RELATIONS when two declared links land on the same
        pair; ``licences``: ``(parent license, parent license_name, child license, child
        license_name)`` (None for a parent not in the store)."""
        where = f" AND l.child {_IN_SELECTION}" if selected else ""
        for p, c, r, *lic in self.conn.execute(
            f"SELECT l.parent, l.child, min({REL_CODE}), pm.license, pm.license_name, cm.license, "
            "cm.license_name FROM links l JOIN models cm ON cm.id = l.child "
            "LEFT JOIN models pm ON pm.id = l.parent "
            f"WHERE (l.parent, l.child) > (?, ?) AND {EDGE_LINK}{where} "
            "GROUP BY l.parent, l.child ORDER BY l.parent, l.child",
            tuple(after),
        ):
            yield str(p), str(c), RELATIONS[int(r)], tuple(lic)

    def stream_parents(
        self, after: str = "", *, selected: bool = False, limit: int = 5000
    ) -> Iterator[tuple[str, list[str]]]:
        """``(model id, its graph parents)`` for models with id > ``after``, by id."""
        where = f" AND id {_IN_SELECTION}" if selected else ""
        sql = f"SELECT id FROM models WHERE id > ?{where} ORDER BY id LIMIT ?"
        while ids := [str(r[0]) for r in self.conn.execute(sql, (after, limit))]:
            parents: dict[str, list[str]] = {i: [] for i in ids}
            for k in range(0, len(ids), 900):
                part = ids[k : k + 900]
                marks = ",".join("?" * len(part))
                for child, parent in self.conn.execute(
                    f"SELECT DISTINCT l.child, l.parent FROM links l WHERE l.child IN ({marks}) "
                    f"AND {EDGE_LINK} ORDER BY l.child, l.parent",
                    part,
                ):
                    parents[child].append(str(parent))
            yield from parents.items()
            after = ids[-1]

    # -- counts of what the streams hold -----------------------------------------------------------
    def count_stream(self, stream: str, after: Any = None, *, selected: bool = False) -> int:
        """Rows left in ``stream`` (``nodes``: models and placeholders; ``models``; ``edges``)
        after the position ``after``."""
        sel = f" AND id {_IN_SELECTION}" if selected else ""
        lsel = f" AND l.child {_IN_SELECTION}" if selected else ""
        if stream in ("nodes", "models"):
            a = after or ""
            n = self.conn.execute(f"SELECT count(*) FROM models WHERE id > ?{sel}", (a,)).fetchone()[0]
            if stream == "nodes":
                n += self.conn.execute(
                    f"SELECT count(DISTINCT l.parent) FROM links l WHERE l.parent > ? AND {EDGE_LINK}{lsel} "
                    "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = l.parent)",
                    (a,),
                ).fetchone()[0]
            return int(n)
        if stream == "edges":
            pair = tuple(after) if after else ("", "")
            return int(
                self.conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM links l WHERE (l.parent, l.child) > (?, ?) "
                    f"AND {EDGE_LINK}{lsel} GROUP BY l.parent, l.child)",
                    pair,
                ).fetchone()[0]
            )
        raise ValueError(f"unknown stream {stream!r}")
