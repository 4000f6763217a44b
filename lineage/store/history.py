"""What each crawl changed: link and model events, written with the page that made them.

A crawl writes a page in one transaction (:meth:`~lineage.store.crawls.CrawlRows.write_page`);
in the same transaction :func:`record_page` records what the page changed against the store:

* ``link_events``: a declared link — ``(child, ref, relation)``, ``ref`` as declared — that
  appeared (``added``) or disappeared (``removed``);
* ``model_events``: a model ``added`` (never seen before), ``restored`` (listed again after a
  tombstone) or whose ``license`` changed; the tombstones of a complete ``--full`` crawl are
  recorded by :func:`record_tombstones`, in the tombstoning transaction.

Events are *net per crawl*: a change undone by a later page of the same crawl (a model listed
twice, edited in between) removes the first event instead of adding a second. So the events of
a crawl depend only on the store before it and the store after it — a crawl killed with
``kill -9`` and resumed records exactly what an uninterrupted one would.

The state of the store *after* crawl ``X`` follows from the current state and the events after
``X``: the first event after ``X`` of a link says whether it existed then (``added``: no,
``removed``: yes), of a model whether it was listed (``added``: not yet, ``deleted``: yes,
``restored``: tombstoned), and a ``license`` event holds the licence before it. A store
upgraded from schema 3 has history from crawl ``meta.history_from`` on (licences first
re-listed after the upgrade are taken as they are, not reported as changes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from lineage.records import ModelRecord

__all__ = ["History", "LinkKey", "OldModel", "record_page", "record_tombstones"]

#: A declared link as history keys it: ``(ref, relation)`` of one child.
LinkKey = tuple[str, str]


class OldModel(NamedTuple):
    """What the store held for a model before a page relisted it."""

    last_modified: str | None
    last_seen_crawl: int | None
    deleted_at: str | None
    license: str | None
    license_name: str | None
    first_seen_crawl: int | None


def _chunks(seq: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    for k in range(0, len(seq), size):
        yield seq[k : k + size]


def history_from(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'history_from'").fetchone()
    return int(row[0]) if row else 0


def record_page(
    conn: sqlite3.Connection,
    crawl_id: int,
    existing: Mapping[str, OldModel],
    records: Mapping[str, ModelRecord],
    before: Mapping[str, frozenset[LinkKey]],
    after: Mapping[str, frozenset[LinkKey]],
) -> None:
    """Record the events of a page (inside its transaction): ``existing`` is what the store
    held for the page's models (absent: new), ``before``/``after`` the declared links of the
    models whose links the page changes."""
    since = history_from(conn)
    conn.executemany(
        "INSERT OR IGNORE INTO model_events (crawl_id, model_id, event) VALUES (?, ?, ?)",
        [(crawl_id, mid, "added") for mid in records if mid not in existing]
        + [(crawl_id, mid, "restored") for mid, old in existing.items() if old.deleted_at is not None],
    )
    for mid, old in existing.items():
        rec = records[mid]
        if (old.license, old.license_name) == (rec.license, rec.license_name):
            continue
        # Added by this crawl: nothing to report. Last written before the store had history
        # (an upgraded store): the stored licence was not normalised, so it is no baseline.
        if old.first_seen_crawl == crawl_id or (old.last_seen_crawl or 0) <= since:
            continue
        _license_event(conn, crawl_id, mid, (old.license, old.license_name), (rec.license, rec.license_name))
    added_rows: list[tuple[int, str, str, str, str]] = []
    for child, keys in after.items():
        old_keys = before.get(child, frozenset())
        if child not in existing:  # a new model: its links are new
            added_rows += [(crawl_id, child, ref, rel, "added") for ref, rel in keys]
            continue
        for (ref, rel), event, undo in [
            *((k, "removed", "added") for k in old_keys - keys),
            *((k, "added", "removed") for k in keys - old_keys),
        ]:
            # Undo the opposite event of this crawl if there is one, else record this one.
            if not conn.execute(
                "DELETE FROM link_events WHERE child = ? AND ref = ? AND relation = ? AND crawl_id = ? "
                "AND event = ?",
                (child, ref, rel, crawl_id, undo),
            ).rowcount:
                added_rows.append((crawl_id, child, ref, rel, event))
    conn.executemany("INSERT OR IGNORE INTO link_events VALUES (?, ?, ?, ?, ?)", added_rows)


def _license_event(
    conn: sqlite3.Connection,
    crawl_id: int,
    model_id: str,
    old: tuple[str | None, str | None],
    new: tuple[str | None, str | None],
) -> None:
    """One ``license`` event per model and crawl: from the licence before the crawl to the last
    one seen; none when the crawl ends where it started."""
    row = conn.execute(
        "SELECT license, license_name FROM model_events WHERE model_id = ? AND crawl_id = ? "
        "AND event = 'license'",
        (model_id, crawl_id),
    ).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO model_events VALUES (?, ?, 'license', ?, ?, ?, ?)", (crawl_id, model_id, *old, *new)
        )
    elif (row[0], row[1]) == new:
        conn.execute(
            "DELETE FROM model_events WHERE model_id = ? AND crawl_id = ? AND event = 'license'",
            (model_id, crawl_id),
        )
    else:
        conn.execute(
            "UPDATE model_events SET new_license = ?, new_license_name = ? WHERE model_id = ? "
            "AND crawl_id = ? AND event = 'license'",
            (*new, model_id, crawl_id),
        )


def record_tombstones(conn: sqlite3.Connection, crawl_id: int) -> None:
    """Record the ``deleted`` events of the models crawl ``crawl_id`` is about to tombstone."""
    conn.execute(
        "INSERT OR IGNORE INTO model_events (crawl_id, model_id, event) SELECT ?, id, 'deleted' "
        "FROM models WHERE deleted_at IS NULL AND (last_seen_crawl IS NULL OR last_seen_crawl < ?)",
        (crawl_id, crawl_id),
    )


class History:
    """History reads, a part of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection

    def history_from(self) -> int:
        """The first crawl whose state the history can give (0: every crawl)."""
        return history_from(self.conn)

    def model_events(
        self, after: int, upto: int | None = None, ids: Sequence[str] | None = None
    ) -> list[tuple[int, str, str, str | None, str | None, str | None, str | None]]:
        """Model events of the crawls in ``(after, upto]`` (``upto`` None: every later crawl),
        optionally of the models ``ids`` only, in crawl order: ``(crawl_id, model_id, event,
        license, license_name, new_license, new_license_name)``."""
        cols = "crawl_id, model_id, event, license, license_name, new_license, new_license_name"
        top = upto if upto is not None else 2**62
        if ids is None:
            return self.conn.execute(
                f"SELECT {cols} FROM model_events WHERE crawl_id > ? AND crawl_id <= ? "
                "ORDER BY crawl_id, model_id, event",
                (after, top),
            ).fetchall()
        out = []
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            out += self.conn.execute(
                f"SELECT {cols} FROM model_events WHERE crawl_id > ? AND crawl_id <= ? "
                f"AND model_id IN ({marks})",
                (after, top, *chunk),
            ).fetchall()
        return sorted(out, key=lambda r: (r[0], r[1], r[2]))

    def link_events(
        self, after: int, upto: int | None = None, children: Sequence[str] | None = None
    ) -> list[tuple[int, str, str, str, str]]:
        """Link events of the crawls in ``(after, upto]`` (``upto`` None: every later crawl),
        optionally of the children ``children`` only, in crawl order: ``(crawl_id, child,
        ref, relation, event)``."""
        top = upto if upto is not None else 2**62
        sql = (
            "SELECT crawl_id, child, ref, relation, event FROM link_events "
            "WHERE crawl_id > ? AND crawl_id <= ?"
        )
        if children is None:
            return self.conn.execute(
                sql + " ORDER BY crawl_id, child, ref, relation", (after, top)
            ).fetchall()
        out = []
        for chunk in _chunks(list(children)):
            marks = ",".join("?" * len(chunk))
            out += self.conn.execute(f"{sql} AND child IN ({marks})", (after, top, *chunk)).fetchall()
        return sorted(out, key=lambda r: (r[0], r[1], r[2], r[3]))

    def declared_links(self, children: Iterable[str]) -> list[tuple[str, str, str, str | None, str | None]]:
        """The current declared links of ``children``: ``(child, ref, relation, parent,
        resolution)`` (``parent``: the resolved id, see :mod:`lineage.store.resolve`)."""
        out = []
        for chunk in _chunks(sorted(set(children))):
            marks = ",".join("?" * len(chunk))
            out += self.conn.execute(
                f"SELECT child, ref, relation, parent, resolution FROM links WHERE child IN ({marks})", chunk
            ).fetchall()
        return out

    def model_states(self, ids: Iterable[str]) -> dict[str, tuple[bool, str | None, str | None, int | None]]:
        """The current ``(deleted, license, license_name, first_seen_crawl)`` of the models
        ``ids`` that are in the store."""
        out: dict[str, tuple[bool, str | None, str | None, int | None]] = {}
        for chunk in _chunks(sorted(set(ids))):
            marks = ",".join("?" * len(chunk))
            for mid, deleted, lic, name, first in self.conn.execute(
                "SELECT id, deleted_at IS NOT NULL, license, license_name, first_seen_crawl FROM models "
                f"WHERE id IN ({marks})",
                chunk,
            ):
                out[str(mid)] = (bool(deleted), lic, name, first)
        return out

    def resolve_refs(self, refs: Iterable[str]) -> dict[str, str]:
        """The model each declared id names in the store now (exact, else case-insensitive, a
        live model first); ids naming no model are left out."""
        out: dict[str, str] = {}
        for ref in sorted(set(refs)):
            row = self.conn.execute("SELECT id FROM models WHERE id = ?", (ref,)).fetchone() or (
                self.conn.execute(
                    "SELECT id FROM models WHERE lower(id) = lower(?) "
                    "ORDER BY deleted_at IS NOT NULL, id LIMIT 1",
                    (ref,),
                ).fetchone()
            )
            if row is not None:
                out[ref] = str(row[0])
        return out

    def live_children(self, parents: Sequence[str]) -> dict[str, int]:
        """How many live models declare a link resolved to each of ``parents`` now."""
        out: dict[str, int] = {}
        for chunk in _chunks(list(parents)):
            marks = ",".join("?" * len(chunk))
            for parent, n in self.conn.execute(
                "SELECT l.parent, count(DISTINCT l.child) FROM links l JOIN models c ON c.id = l.child "
                f"WHERE l.parent IN ({marks}) AND c.deleted_at IS NULL GROUP BY l.parent",
                chunk,
            ):
                out[str(parent)] = int(n)
        return out
