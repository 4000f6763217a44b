"""Bulk-upload flags: which models the detection flagged, with the rule that fired, and the
thresholds and store state each detection describes (``meta``: ``bulk_rules``,
``bulk_detection``). Detection itself is pure (:mod:`lineage.analytics.bulk`); this module only
reads and writes its result."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.store.core import _BUMP_DATA_VERSION, sqlite_errors
from lineage.times import now_iso

__all__ = ["BulkRows", "FlagRow"]

#: A flag as written: (model id, rule, author, base id, burst start as an ISO time).
FlagRow = tuple[str, str, str, str, str]


class BulkRows:
    """The bulk-upload side of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection
    path: Path

    if TYPE_CHECKING:  # provided by Connection

        def get_meta(self, key: str) -> str | None: ...

        def set_meta(self, key: str, value: str) -> None: ...

    def _meta_json(self, key: str) -> dict[str, Any] | None:
        raw = self.get_meta(key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def bulk_rules(self) -> dict[str, Any] | None:
        """The thresholds chosen for this store (``lineage bulk --min-models ...``), or None
        (the defaults)."""
        return self._meta_json("bulk_rules")

    def set_bulk_rules(self, rules: dict[str, Any] | None) -> None:
        """Remember the thresholds later detections use (None: back to the defaults)."""
        with sqlite_errors(self.path):
            if rules is None:
                self.conn.execute("DELETE FROM meta WHERE key = 'bulk_rules'")
            else:
                self.set_meta("bulk_rules", json.dumps(rules, sort_keys=True))

    def bulk_detection(self) -> dict[str, Any] | None:
        """The last detection: ``{"data_version", "rules", "detected_at", "models"}``; the flags
        describe the store when its data_version equals ``data_version``. None: never run."""
        return self._meta_json("bulk_detection")

    def bulk_flags(self) -> dict[str, tuple[str, str, str, str]]:
        """Every flag: model id -> (rule, author, base, burst start)."""
        rows = self.conn.execute("SELECT model_id, rule, author, base, burst_start FROM bulk_uploads")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def write_bulk_flags(self, rows: Sequence[FlagRow], rules: dict[str, Any], based_on: int) -> int | None:
        """Make the flags equal ``rows`` (a detection on the store at data_version ``based_on``)
        and record the detection, in one transaction; only rows that changed are written.

        Returns the store's data_version afterwards (one more than ``based_on`` when a flag
        changed, ``based_on`` when none did), or None, writing nothing, when the store is no
        longer at ``based_on`` (something was written since the graph was read)."""
        with sqlite_errors(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                row = self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
                version = int(row[0]) if row else 0
                if version != based_on:
                    self.conn.execute("ROLLBACK")
                    return None
                old = {r[0]: r[1:] for r in self.conn.execute("SELECT * FROM bulk_uploads")}
                new = {r[0] for r in rows}
                gone = [(m,) for m in old if m not in new]
                changed = [r for r in rows if old.get(r[0]) != r[1:]]
                if gone or changed:
                    self.conn.executemany("DELETE FROM bulk_uploads WHERE model_id = ?", gone)
                    self.conn.executemany(
                        "INSERT OR REPLACE INTO bulk_uploads VALUES (?, ?, ?, ?, ?)", changed
                    )
                    self.conn.execute(_BUMP_DATA_VERSION)
                    version += 1
                record = {
                    "data_version": version,
                    "rules": rules,
                    "detected_at": now_iso(),
                    "models": len(rows),
                }
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('bulk_detection', ?)",
                    (json.dumps(record, sort_keys=True),),
                )
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        return version

    def bulk_rule_counts(self) -> dict[str, int]:
        """Flagged models per rule."""
        rows = self.conn.execute("SELECT rule, count(*) FROM bulk_uploads GROUP BY rule ORDER BY 2 DESC, 1")
        return {str(r[0]): int(r[1]) for r in rows}

    def bulk_uploaders(self, limit: int = 10) -> list[dict[str, Any]]:
        """The authors with the most flagged models, most first: models, bases, bursts
        (episodes), first and last burst start, their most used base and rule."""
        rows = self.conn.execute(
            "SELECT author, count(*), count(DISTINCT base), count(DISTINCT base || char(0) || burst_start), "
            "min(burst_start), max(burst_start) FROM bulk_uploads GROUP BY author "
            "ORDER BY 2 DESC, 1 LIMIT ?",
            (limit,),
        ).fetchall()
        out = []
        for author, models, bases, bursts, first, last in rows:
            top = self.conn.execute(
                "SELECT base, count(*) FROM bulk_uploads WHERE author = ? "
                "GROUP BY base ORDER BY 2 DESC, 1 LIMIT 1",
                (author,),
            ).fetchone()
            rule = self.conn.execute(
                "SELECT rule FROM bulk_uploads WHERE author = ? "
                "GROUP BY rule ORDER BY count(*) DESC, 1 LIMIT 1",
                (author,),
            ).fetchone()
            example = self.conn.execute(
                "SELECT model_id FROM bulk_uploads WHERE author = ? ORDER BY burst_start, model_id LIMIT 1",
                (author,),
            ).fetchone()
            out.append(
                {
                    "author": author,
                    "models": int(models),
                    "bases": int(bases),
                    "bursts": int(bursts),
                    "first": first,
                    "last": last,
                    "top_base": top[0],
                    "top_base_models": int(top[1]),
                    "rule": rule[0],
                    "example": example[0],
                }
            )
        return out
