"""Cross-record cleaning: resolve declared parents to canonical ids and break cycles.

Per-record cleaning (:mod:`lineage.records`) cannot know that ``qwen/qwen2.5-7b`` is the
model ``Qwen/Qwen2.5-7B``, that ``gpt2`` moved to ``openai-community/gpt2``, or that two models
name each other as base. This stage does, once per crawl, in the store:

1. ``exact``: the declared id is a model in the store;
2. ``case``: it matches one case-insensitively (Hub ids are unique case-insensitively);
3. ``alias``: it is a legacy un-namespaced id the Hub moved (``lineage/data/aliases.csv``);
4. ``unresolved``: none of these — a deleted, private or never-existing parent. The link is
   kept and the parent becomes a placeholder root;
5. ``cycle``: links that close a cycle. In each cycle the link whose *parent is the newest
   model* (ties: the largest ids) is set aside — a model cannot derive from a model created
   after it. Set-aside links are kept in the store, reported by ``lineage quality``, and left
   out of the graph. A link that resolves to its own child is set aside the same way.

Only links that are new, unresolved or set aside are (re)considered, so an incremental crawl
resolves in time proportional to what it fetched, and previously unresolved parents resolve
as soon as a later crawl brings them in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from lineage.graph import unique_ints
from lineage.store import Store

__all__ = ["ResolveStats", "resolve_links"]

_RESOLVED = "('exact', 'case', 'alias')"


@dataclass
class ResolveStats:
    """Counts of how the links considered in this pass were resolved."""

    exact: int = 0
    case: int = 0
    alias: int = 0
    unresolved: int = 0
    cycle: int = 0
    cycle_links: list[tuple[str, str]] = field(default_factory=list)


def resolve_links(store: Store, alias: Callable[[str], str | None] | None = None) -> ResolveStats:
    """Resolve pending links in ``store`` and break cycles; one transaction."""
    if alias is None:
        from lineage.families import default_registry

        alias = default_registry().resolve_alias
    stats = ResolveStats()
    with store.transaction() as conn:
        conn.execute(
            "UPDATE links SET resolution = NULL, parent = NULL WHERE resolution IN ('unresolved', 'cycle')"
        )
        stats.exact = conn.execute(
            "UPDATE links SET parent = ref, resolution = 'exact' WHERE resolution IS NULL "
            "AND EXISTS (SELECT 1 FROM models m WHERE m.id = links.ref)"
        ).rowcount
        # Case-insensitive matches, through a temporary lower(id) index built only when some
        # links are still pending (a permanent index would slow every crawl write).
        stats.case = 0
        if conn.execute("SELECT 1 FROM links WHERE resolution IS NULL LIMIT 1").fetchone():
            conn.execute("DROP TABLE IF EXISTS temp.lower_ids")
            conn.execute(
                "CREATE TEMP TABLE lower_ids AS SELECT lower(id) AS low, "
                "min(CASE WHEN deleted_at IS NULL THEN id END) AS live, min(id) AS any_id "
                "FROM models GROUP BY lower(id)"
            )
            conn.execute("CREATE INDEX temp.lower_ids_low ON lower_ids (low)")
            stats.case = conn.execute(
                "UPDATE links SET resolution = 'case', parent = (SELECT coalesce(live, any_id) FROM "
                "lower_ids WHERE low = lower(links.ref)) WHERE resolution IS NULL AND EXISTS "
                "(SELECT 1 FROM lower_ids WHERE low = lower(links.ref))"
            ).rowcount
        pending = [
            r[0] for r in conn.execute("SELECT DISTINCT ref FROM links WHERE resolution IS NULL ORDER BY ref")
        ]
        updates: list[tuple[str, str]] = []
        for ref in pending:
            target = alias(ref)
            if target is None:
                continue
            row = (
                conn.execute("SELECT id FROM models WHERE id = ?", (target,)).fetchone()
                or conn.execute(
                    "SELECT coalesce(live, any_id) FROM lower_ids WHERE low = lower(?)", (target,)
                ).fetchone()
            )
            if row is not None:
                updates.append((row[0], ref))
        stats.alias = (
            conn.executemany(
                "UPDATE links SET parent = ?, resolution = 'alias' WHERE resolution IS NULL AND ref = ?",
                updates,
            ).rowcount
            if updates
            else 0
        )
        stats.unresolved = conn.execute(
            "UPDATE links SET parent = ref, resolution = 'unresolved' WHERE resolution IS NULL"
        ).rowcount
        conn.execute("DROP TABLE IF EXISTS temp.lower_ids")
        # Unresolved parents declared in several letter cases are one placeholder: the most
        # often declared spelling (ties: the smallest) names it.
        variants = conn.execute(
            "SELECT ref, count(*) FROM links WHERE resolution = 'unresolved' AND lower(ref) IN "
            "(SELECT lower(ref) FROM links WHERE resolution = 'unresolved' GROUP BY lower(ref) "
            "HAVING count(DISTINCT ref) > 1) GROUP BY ref"
        ).fetchall()
        best: dict[str, tuple[int, str]] = {}
        for ref, n in variants:
            key = str(ref).lower()
            cand = (-int(n), str(ref))
            if key not in best or cand < best[key]:
                best[key] = cand
        conn.executemany(
            "UPDATE links SET parent = ? WHERE resolution = 'unresolved' AND ref = ?",
            [(best[str(ref).lower()][1], ref) for ref, _ in variants if best[str(ref).lower()][1] != ref],
        )
        # A link that resolved onto its own child (e.g. openai-community/gpt2 naming "gpt2").
        selfs = conn.execute("SELECT child, parent FROM links WHERE parent = child ORDER BY child").fetchall()
        conn.execute("UPDATE links SET resolution = 'cycle' WHERE parent = child")
        broken = _break_cycles(conn)
        stats.cycle_links = [(str(c), str(p)) for c, p in selfs] + broken
        stats.cycle = len(stats.cycle_links)
    return stats


def _break_cycles(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Set aside the newest-parent link of every cycle; return ``(child, parent)`` pairs."""
    rows = conn.execute(
        "SELECT c.rowid, p.rowid FROM links l JOIN models c ON c.id = l.child "
        f"JOIN models p ON p.id = l.parent WHERE l.resolution IN {_RESOLVED}"
    ).fetchall()
    if not rows:
        return []
    edges = np.asarray(rows, dtype=np.int64)  # (child, parent)
    child, parent = edges[:, 0], edges[:, 1]
    size = int(edges.max()) + 1
    # Peel off edges that cannot be on a cycle: their parent has no parent, or their child
    # has no child. What remains is the union of cycles and the paths between them.
    keep = np.ones(len(edges), dtype=bool)
    while True:
        indeg = np.bincount(child[keep], minlength=size)
        outdeg = np.bincount(parent[keep], minlength=size)
        new_keep = keep & (indeg[parent] > 0) & (outdeg[child] > 0)
        if new_keep.sum() == keep.sum():
            break
        keep = new_keep
    if not keep.any():
        return []
    core = edges[keep]
    ids = unique_ints(core)
    marks = ",".join("?" * len(ids))
    info = {
        int(r): (str(i), str(c or ""), bool(lg))
        for r, i, c, lg in conn.execute(
            f"SELECT rowid, id, created_at, legacy_date FROM models WHERE rowid IN ({marks})",
            [int(x) for x in ids],
        )
    }
    g: nx.DiGraph[int] = nx.DiGraph()
    g.add_edges_from((int(p), int(c)) for c, p in core)

    def newness(edge: tuple[int, int]) -> tuple[str, str, str]:
        p, c = edge
        pid, pcreated, plegacy = info[p]
        return ("" if plegacy else pcreated, pid, info[c][0])

    broken: list[tuple[str, str]] = []
    for comp in sorted(nx.strongly_connected_components(g), key=lambda s: min(info[x][0] for x in s)):
        if len(comp) < 2:
            continue
        sub = g.subgraph(comp).copy()
        while True:
            try:
                cycle = nx.find_cycle(sub)
            except nx.NetworkXNoCycle:
                break
            p, c = max(((int(u), int(v)) for u, v in cycle), key=newness)
            sub.remove_edge(p, c)
            broken.append((info[c][0], info[p][0]))
    conn.executemany("UPDATE links SET resolution = 'cycle' WHERE child = ? AND parent = ?", broken)
    return sorted(broken)
