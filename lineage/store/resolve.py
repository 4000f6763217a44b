"""Cross-record cleaning: resolve declared parents to canonical ids and set aside cycles.

Per-record cleaning (:mod:`lineage.records`) cannot know that ``qwen/qwen2.5-7b`` is the
model ``Qwen/Qwen2.5-7B``, that ``gpt2`` moved to ``openai-community/gpt2``, or that two models
name each other as base. This stage does, in the store:

1. ``exact``: the declared id is a model in the store;
2. ``case``: it matches one case-insensitively (Hub ids are unique case-insensitively);
3. ``alias``: it is a legacy un-namespaced id the Hub moved (``lineage/data/aliases.csv``,
   passed in as a function by the caller);
4. ``unresolved``: none of these — a deleted, private or never-existing parent. The link is
   kept and the parent becomes a placeholder root;
5. ``cycle``: links that close a cycle. A model cannot derive from a model created after it:
   inside each strongly connected component of the resolved links, every link whose *parent
   is newer than its child* (creation time, legacy dates oldest, ties by id) is set aside,
   which leaves the component acyclic. Set-aside links are kept in the store, reported by
   ``lineage quality``, and left out of the graph. A link that resolves to its own child is
   set aside the same way.

Only links that are new, unresolved or set aside are (re)considered, so an incremental crawl
resolves in time proportional to what it fetched: cycles are searched only among the
descendants of the models whose links changed (a new cycle runs through a changed link, and
every model on it descends from that link's child). Previously unresolved parents resolve as
soon as a later crawl brings them in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import numpy.typing as npt

__all__ = ["Resolution", "ResolveStats", "resolve_page"]

_RESOLVED = "('exact', 'case', 'alias')"
#: Above this many changed models, cycles are searched in the whole graph (one numpy pass)
#: rather than among the changed models' descendants (a recursive query).
_LOCAL_SEARCH_MAX = 50_000


@dataclass
class ResolveStats:
    """Counts of how the links considered in this pass were resolved."""

    exact: int = 0
    case: int = 0
    alias: int = 0
    unresolved: int = 0
    cycle: int = 0
    cycle_links: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "exact": self.exact,
            "case": self.case,
            "alias": self.alias,
            "unresolved": self.unresolved,
            "cycle": self.cycle,
        }


class Resolution:
    """Link resolution, a part of :class:`~lineage.store.Store`."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Connection

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def resolve_links(self, aliases: Mapping[str, str] | None = None) -> ResolveStats:
        """Reconsider every pending, unresolved and set-aside link and set aside cycles, in one
        transaction (pages are resolved as they are written; this is the full pass, e.g. after
        the alias table changed). ``aliases`` maps legacy ids to new ids (case-insensitive)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE links SET resolution = NULL, parent = NULL "
                "WHERE resolution IN ('unresolved', 'cycle')"
            )
            _scope(conn, "SELECT DISTINCT child FROM links WHERE resolution IS NULL")
            return _resolve_scope(conn, aliases)

    def settle_links(self, aliases: Mapping[str, str] | None = None) -> ResolveStats:
        """At the end of a crawl: resolve links left pending (by an older lineage, or an
        interrupted upgrade) and reconsider the links set aside as cycles (a cycle may have
        been broken since). Cheap: both are few, found through a partial index."""
        with self.transaction() as conn:
            _scope(
                conn,
                "SELECT DISTINCT child FROM links WHERE resolution IS NULL OR resolution = 'cycle'",
            )
            conn.execute(
                "UPDATE links SET resolution = NULL, parent = NULL "
                "WHERE resolution = 'cycle' AND child IN (SELECT id FROM temp.scope)"
            )
            return _resolve_scope(conn, aliases)


def resolve_page(
    conn: sqlite3.Connection,
    children: Sequence[str],
    arrived: Sequence[str],
    aliases: Mapping[str, str] | None,
) -> ResolveStats:
    """Inside the transaction that wrote a page: resolve the new links of ``children``, the
    unresolved links that the models in ``arrived`` (new in the store) now resolve, and set
    aside the cycles they close. Cost: what the page changed, not the store's size."""
    conn.execute("DROP TABLE IF EXISTS temp.arrived")
    conn.execute("CREATE TEMP TABLE arrived (low TEXT PRIMARY KEY) WITHOUT ROWID")
    lows = {m.lower() for m in arrived}
    if aliases:  # a legacy id naming a model that just arrived resolves too
        lows |= {old.lower() for old, new in aliases.items() if new.lower() in lows}
    conn.executemany("INSERT OR IGNORE INTO temp.arrived VALUES (?)", ((x,) for x in lows))
    waiting = [
        str(c)
        for (c,) in conn.execute(
            "SELECT DISTINCT child FROM links WHERE resolution = 'unresolved' "
            "AND lower(ref) IN (SELECT low FROM temp.arrived)"
        )
    ]
    conn.execute("DROP TABLE temp.arrived")
    if waiting:
        conn.executemany(
            "UPDATE links SET resolution = NULL, parent = NULL WHERE child = ? AND resolution = 'unresolved'",
            ((c,) for c in waiting),
        )
    _scope(conn, None, [*children, *waiting])
    return _resolve_scope(conn, aliases)


def _scope(conn: sqlite3.Connection, query: str | None, ids: Sequence[str] = ()) -> None:
    """Fill ``temp.scope``: the models whose pending links this pass resolves."""
    conn.execute("DROP TABLE IF EXISTS temp.scope")
    conn.execute("CREATE TEMP TABLE scope (id TEXT PRIMARY KEY) WITHOUT ROWID")
    if query is not None:
        conn.execute(f"INSERT OR IGNORE INTO temp.scope {query}")
    conn.executemany("INSERT OR IGNORE INTO temp.scope VALUES (?)", ((i,) for i in ids))


def _resolve_scope(conn: sqlite3.Connection, aliases: Mapping[str, str] | None) -> ResolveStats:
    """Classify the pending links of the models in ``temp.scope`` and set aside the cycles
    that the newly resolved links close."""
    stats = ResolveStats()
    _classify(conn, stats, aliases)
    conn.execute("DROP TABLE IF EXISTS temp.changed")
    conn.execute(
        "CREATE TEMP TABLE changed AS SELECT DISTINCT l.child AS id FROM links l "
        f"WHERE l.child IN (SELECT id FROM temp.scope) AND l.resolution IN {_RESOLVED}"
    )
    selfs = conn.execute(
        "SELECT child, parent FROM links WHERE child IN (SELECT id FROM temp.scope) AND parent = child"
    ).fetchall()
    conn.executemany("UPDATE links SET resolution = 'cycle' WHERE child = ? AND parent = ?", selfs)
    broken = _break_cycles(conn)
    conn.execute("DROP TABLE IF EXISTS temp.changed")
    conn.execute("DROP TABLE IF EXISTS temp.scope")
    stats.cycle_links = sorted([(str(c), str(p)) for c, p in selfs] + broken)
    stats.cycle = len(stats.cycle_links)
    return stats


_PENDING = "resolution IS NULL AND child IN (SELECT id FROM temp.scope)"


def _classify(conn: sqlite3.Connection, stats: ResolveStats, aliases: Mapping[str, str] | None) -> None:
    """Resolve the pending links in scope: exact, case, alias, else unresolved."""
    stats.exact = conn.execute(
        f"UPDATE links SET parent = ref, resolution = 'exact' WHERE {_PENDING} "
        "AND EXISTS (SELECT 1 FROM models m WHERE m.id = links.ref)"
    ).rowcount
    # Case-insensitive matches through the lower(id) index; a live model wins over a deleted one.
    stats.case = conn.execute(
        "UPDATE links SET resolution = 'case', parent = (SELECT coalesce(min(CASE WHEN m.deleted_at "
        "IS NULL THEN m.id END), min(m.id)) FROM models m WHERE lower(m.id) = lower(links.ref)) "
        f"WHERE {_PENDING} AND EXISTS (SELECT 1 FROM models m WHERE lower(m.id) = lower(links.ref))"
    ).rowcount
    if aliases:
        lowered = {old.lower(): new for old, new in aliases.items()}
        updates: list[tuple[str, str]] = []
        for (ref,) in conn.execute(
            f"SELECT DISTINCT ref FROM links WHERE {_PENDING} ORDER BY ref"
        ).fetchall():
            target = lowered.get(str(ref).strip().lower())
            if target is None:
                continue
            row = conn.execute(
                "SELECT coalesce(min(CASE WHEN deleted_at IS NULL THEN id END), min(id)) FROM models "
                "WHERE lower(id) = lower(?)",
                (target,),
            ).fetchone()
            if row is not None and row[0] is not None:
                updates.append((row[0], ref))
        for parent, ref in updates:
            stats.alias += conn.execute(
                f"UPDATE links SET parent = ?, resolution = 'alias' WHERE {_PENDING} AND ref = ?",
                (parent, ref),
            ).rowcount
    stats.unresolved = conn.execute(
        f"UPDATE links SET parent = ref, resolution = 'unresolved' WHERE {_PENDING}"
    ).rowcount
    # Unresolved parents declared in several letter cases are one placeholder: the most
    # often declared spelling (ties: the smallest) names it.
    keys = [
        str(k)
        for (k,) in conn.execute(
            "SELECT DISTINCT lower(ref) FROM links WHERE resolution = 'unresolved' "
            "AND child IN (SELECT id FROM temp.scope)"
        )
    ]
    for key in keys:
        spellings = conn.execute(
            "SELECT ref, count(*) FROM links WHERE resolution = 'unresolved' AND lower(ref) = ? GROUP BY ref",
            (key,),
        ).fetchall()
        best = min(spellings, key=lambda sn: (-int(sn[1]), str(sn[0])))[0]
        conn.execute(
            "UPDATE links SET parent = ? WHERE resolution = 'unresolved' AND lower(ref) = ? "
            "AND parent IS NOT ?",
            (best, key, best),
        )


def _candidate_edges(conn: sqlite3.Connection) -> npt.NDArray[np.int64]:
    """``(child, parent)`` rowid pairs of resolved links that a new cycle could use.

    With few changed models: the links among the changed models' descendants (a recursive
    query down ``links.parent``). With many (a first crawl): every resolved link.
    """
    changed = int(conn.execute("SELECT count(*) FROM temp.changed").fetchone()[0])
    if changed == 0:
        return np.empty((0, 2), dtype=np.int64)
    if changed <= _LOCAL_SEARCH_MAX:
        rows = conn.execute(
            "WITH RECURSIVE below(id) AS (SELECT id FROM temp.changed UNION SELECT l.child "
            f"FROM links l JOIN below ON l.parent = below.id WHERE l.resolution IN {_RESOLVED}) "
            "SELECT c.rowid, p.rowid FROM below JOIN links l ON l.child = below.id "
            "JOIN models c ON c.id = l.child JOIN models p ON p.id = l.parent "
            f"WHERE l.resolution IN {_RESOLVED} AND l.parent IN below"
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT c.rowid, p.rowid FROM links l JOIN models c ON c.id = l.child "
            f"JOIN models p ON p.id = l.parent WHERE l.resolution IN {_RESOLVED}"
        ).fetchall()
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def _core(edges: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The edges that can be on a cycle: repeatedly drop edges whose parent has no parent or
    whose child has no child (vectorized; what remains holds every cycle)."""
    if not len(edges):
        return edges
    child, parent = edges[:, 0], edges[:, 1]
    size = int(edges.max()) + 1
    keep = np.ones(len(edges), dtype=bool)
    while True:
        indeg = np.bincount(child[keep], minlength=size)
        outdeg = np.bincount(parent[keep], minlength=size)
        new_keep = keep & (indeg[parent] > 0) & (outdeg[child] > 0)
        if int(new_keep.sum()) == int(keep.sum()):
            return edges[keep]
        keep = new_keep


def _break_cycles(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Set aside, in every strongly connected component, the links whose parent is newer than
    the child; return them as ``(child, parent)`` ids. Linear in the edges searched."""
    core = _core(_candidate_edges(conn))
    if not len(core):
        return []
    g: nx.DiGraph[int] = nx.DiGraph()
    g.add_edges_from((int(p), int(c)) for c, p in core)
    components = [comp for comp in nx.strongly_connected_components(g) if len(comp) > 1]
    if not components:
        return []
    nodes = sorted(set().union(*components))
    info: dict[int, tuple[str, str]] = {}
    for k in range(0, len(nodes), 900):
        part = nodes[k : k + 900]
        marks = ",".join("?" * len(part))
        for rowid, mid, created, legacy in conn.execute(
            f"SELECT rowid, id, created_at, legacy_date FROM models WHERE rowid IN ({marks})", part
        ):
            info[int(rowid)] = ("" if legacy else str(created or ""), str(mid))
    broken: list[tuple[str, str]] = []
    for comp in components:
        for p, c in g.subgraph(comp).edges():
            if info[p] > info[c]:  # the parent is newer than the child
                broken.append((info[c][1], info[p][1]))
    conn.executemany("UPDATE links SET resolution = 'cycle' WHERE child = ? AND parent = ?", broken)
    return sorted(broken)
