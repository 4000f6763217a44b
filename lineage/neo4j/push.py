"""Sync the store into Neo4j (``lineage neo4j push``) with the official ``neo4j`` driver.

Data model
----------
* ``(:Model {id, author, created_at, last_modified, downloads, downloads_all_time, likes,
  pipeline_tag, library_name, license, gated, legacy_date, deleted, placeholder})`` — one
  node per model in the store (deleted ones kept, ``deleted: true``) and one per parent
  missing from the Hub (``placeholder: true``); the properties and their types are the
  export's node attributes (:mod:`lineage.export`); a missing value is no property.
* ``(base:Model)-[:BASE_OF {relation}]->(derived:Model)`` — one relationship per
  (parent, child) link, in the graph's direction (base -> derived); ``relation`` is
  ``finetune``, ``adapter``, ``quantized``, ``merge`` or ``unknown``. The relation is a
  property of a single relationship type, so one pattern (``[:BASE_OF*]``) walks a whole
  family; filter with ``WHERE r.relation = 'merge'``.
* A uniqueness constraint ``model_id_unique`` on ``:Model(id)`` (created first; it also
  indexes the ``MERGE`` lookups).

Labels, the relationship type and every statement are constants in this module
(:data:`QUERIES`); ids and properties only travel as parameters (``UNWIND $rows``).

How a push runs
---------------
Constraint; then nodes, then stale relationships removed, then relationships, each in
batches of ``--batch-size`` rows, one managed write transaction per batch
(``session.execute_write``, which retries transient errors). A row whose properties already
match is not written (``unchanged``), so pushing twice changes nothing. After each
committed batch its position (the last id, or (source, target)) is saved in the store's
``meta`` table: an interrupted push (Ctrl-C, network loss) resumes after the last
committed batch. A batch committed in Neo4j but not yet recorded is sent again, harmlessly.

Incremental
-----------
Each target (URI + database) keeps its own record. A complete push records the store's
crawl watermark ``W`` (the highest crawl id below which every crawl had finished) and when
it started. The next push to that target is *incremental*; it sends:

1. models listed by a crawl after ``W`` (``last_seen_crawl > W``: new and modified models;
   a full crawl lists every model, so after a full crawl everything is sent again, which
   also refreshes downloads and likes);
2. models tombstoned (``deleted``) since the last push started;
3. models with a link to a model first seen after ``W`` (a placeholder parent that now
   resolves), and models whose links set aside as cycles are not the same as at the last push;
4. the placeholder parents of the models sent;

and makes each sent model's incoming ``BASE_OF`` relationships equal its links in the
store (stale ones deleted; placeholders left without any relationship deleted). A push is
*full* (everything, still idempotent) with ``--full``, on the first push to a target, when
the target holds no ``:Model`` node, and when the alias table (``lineage/data/aliases.csv``)
changed since the last push.

Running Neo4j
-------------
::

    docker run -d --name neo4j -p 7474:7474 -p 7687:7687 \\
        -e NEO4J_AUTH=neo4j/lineage-password neo4j:5
    export NEO4J_URI=bolt://localhost:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=lineage-password
    lineage neo4j push

Useful queries (Neo4j Browser at http://localhost:7474, or ``cypher-shell``)::

    // Every descendant of a model, most downloaded first
    MATCH (:Model {id: 'Qwen/Qwen2.5-7B'})-[:BASE_OF*1..]->(d:Model)
    RETURN DISTINCT d.id AS model, d.downloads AS downloads
    ORDER BY downloads DESC LIMIT 25;

    // Share of new derivatives in a month by the org of their root models
    // (lineage share --by family maps roots to families with the registry)
    MATCH (m:Model)
    WHERE m.created_at STARTS WITH '2025-10' AND NOT m.legacy_date AND NOT m.deleted
      AND EXISTS { (m)<-[:BASE_OF]-(:Model) }
    MATCH (r:Model)-[:BASE_OF*1..]->(m)
    WHERE NOT EXISTS { (:Model)-[:BASE_OF]->(r) }
    WITH m, collect(DISTINCT coalesce(r.author, r.id)) AS orgs
    UNWIND orgs AS org
    WITH org, sum(1.0 / size(orgs)) AS models
    WITH collect({org: org, models: models}) AS rows, sum(models) AS total
    UNWIND rows AS row
    RETURN row.org AS org, row.models AS models, row.models / total AS share
    ORDER BY share DESC LIMIT 10;

    // How two models are related: the shortest chain of links either way
    MATCH p = shortestPath(
      (:Model {id: 'microsoft/phi-2'})-[:BASE_OF*..12]-(:Model {id: 'TheBloke/phi-2-GGUF'}))
    RETURN [n IN nodes(p) | n.id] AS models, [r IN relationships(p) | r.relation] AS relations;

    // The most built-upon models and how they are used
    MATCH (b:Model)-[r:BASE_OF]->(:Model)
    RETURN b.id AS base, count(r) AS derivatives, collect(DISTINCT r.relation) AS relations
    ORDER BY derivatives DESC LIMIT 20;

    // Parents that are gone from the Hub but still have many derivatives
    MATCH (p:Model {placeholder: true})-[:BASE_OF]->(d:Model)
    RETURN p.id AS missing_parent, count(d) AS children ORDER BY children DESC LIMIT 20;

Credentials come from ``NEO4J_USER`` (default ``neo4j``) and ``NEO4J_PASSWORD`` (unset: no
authentication), never from the command line, and are never logged or printed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

import orjson

from lineage.errors import LineageError
from lineage.export.sources import EDGE_LINK, NODE_ATTRS, StoreSource, open_reader
from lineage.store import Store
from lineage.times import now_iso

if TYPE_CHECKING:
    import neo4j

__all__ = [
    "DEFAULT_URI",
    "LABEL",
    "QUERIES",
    "REL_TYPE",
    "Neo4jSyncError",
    "PushProgress",
    "PushSummary",
    "connect",
    "graph_counts",
    "open_driver",
    "push",
    "redact_uri",
    "store_counts",
]

DEFAULT_URI = "bolt://localhost:7687"
LABEL = "Model"
REL_TYPE = "BASE_OF"
DEFAULT_BATCH = 5_000

Q_CONSTRAINT: LiteralString = (
    "CREATE CONSTRAINT model_id_unique IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE"
)
Q_COUNT_MODELS: LiteralString = "MATCH (m:Model) RETURN count(m) AS n"
Q_COUNT_RELS: LiteralString = "MATCH (:Model)-[r:BASE_OF]->(:Model) RETURN count(r) AS n"
#: rows: [{id, props: {every node attribute, null when missing}}]
Q_NODES: LiteralString = """UNWIND $rows AS row
OPTIONAL MATCH (old:Model {id: row.id})
WITH row, CASE
  WHEN old IS NULL THEN 'created'
  WHEN all(k IN keys(row.props) WHERE old[k] = row.props[k] OR (old[k] IS NULL AND row.props[k] IS NULL))
    THEN 'unchanged'
  ELSE 'updated' END AS status
FOREACH (ignored IN CASE WHEN status = 'unchanged' THEN [] ELSE [1] END |
  MERGE (m:Model {id: row.id})
  SET m += row.props)
RETURN status, count(*) AS n"""
#: rows: [{id, parents: [current parent ids]}]
Q_PRUNE: LiteralString = """UNWIND $rows AS row
MATCH (:Model {id: row.id})<-[r:BASE_OF]-(p:Model)
WHERE NOT p.id IN row.parents
DELETE r
RETURN count(r) AS n"""
#: rows: [{source, target, relation}]
Q_EDGES: LiteralString = """UNWIND $rows AS row
MATCH (p:Model {id: row.source})
MATCH (c:Model {id: row.target})
OPTIONAL MATCH (p)-[old:BASE_OF]->(c)
WITH p, c, row, CASE
  WHEN old IS NULL THEN 'created'
  WHEN old.relation = row.relation THEN 'unchanged'
  ELSE 'updated' END AS status
FOREACH (ignored IN CASE WHEN status = 'unchanged' THEN [] ELSE [1] END |
  MERGE (p)-[r:BASE_OF]->(c)
  SET r.relation = row.relation)
RETURN status, count(*) AS n"""
Q_ORPHANS: LiteralString = """MATCH (m:Model {placeholder: true})
WHERE NOT EXISTS { (m)--() }
DELETE m
RETURN count(m) AS n"""
#: Every statement a push sends (tests check nothing else is sent).
QUERIES: frozenset[str] = frozenset(
    {Q_CONSTRAINT, Q_COUNT_MODELS, Q_COUNT_RELS, Q_NODES, Q_PRUNE, Q_EDGES, Q_ORPHANS}
)

PHASES = ("nodes", "prune", "edges", "orphans")
_TEMP = "lineage_push_ids"


class Neo4jSyncError(LineageError, RuntimeError):
    """A push that cannot start or go on, with a message that says what to do."""


# -- connection -----------------------------------------------------------------------------
def redact_uri(uri: str) -> str:
    """``uri`` without user info, query or fragment (safe to print and to key progress on).

    >>> redact_uri("neo4j://user:secret@db.example:7687/?policy=x")
    'neo4j://db.example:7687/'
    """
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def open_driver(uri: str, env: dict[str, str] | None = None) -> neo4j.Driver:
    """A verified driver for ``uri``, authenticated from ``NEO4J_USER``/``NEO4J_PASSWORD``."""
    import neo4j
    from neo4j.exceptions import AuthError, ServiceUnavailable

    env = dict(os.environ) if env is None else env
    parts = urlsplit(uri)
    if parts.username or parts.password:
        raise Neo4jSyncError("put credentials in NEO4J_USER / NEO4J_PASSWORD, not in the URI")
    if parts.scheme not in {"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"}:
        raise Neo4jSyncError(
            f"{redact_uri(uri)!r} is not a Neo4j URI (bolt://host:7687 or neo4j://host:7687)"
        )
    password = env.get("NEO4J_PASSWORD")
    auth = (env.get("NEO4J_USER") or "neo4j", password) if password else None
    driver = neo4j.GraphDatabase.driver(uri, auth=auth)
    try:
        driver.verify_connectivity()
    except AuthError:
        driver.close()
        raise Neo4jSyncError(
            f"Neo4j at {redact_uri(uri)} refused the credentials: check NEO4J_USER and NEO4J_PASSWORD"
        ) from None
    except (ServiceUnavailable, OSError) as exc:
        driver.close()
        raise Neo4jSyncError(
            f"cannot reach Neo4j at {redact_uri(uri)} ({type(exc).__name__}); is it running? "
            "See `lineage neo4j push --help`"
        ) from None
    return driver


@contextmanager
def connect(uri: str, env: dict[str, str] | None = None) -> Iterator[neo4j.Driver]:
    """A verified driver (:func:`open_driver`) for the duration of the block. The driver's own
    errors, raised while connecting or by the work inside the block, become one
    :class:`Neo4jSyncError` that shows the URI only redacted."""
    from neo4j.exceptions import DriverError, Neo4jError

    def failed(exc: Exception) -> Neo4jSyncError:
        what = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}".replace(uri, redact_uri(uri))
        return Neo4jSyncError(
            f"Neo4j at {redact_uri(uri)} failed ({what[:300]}). Committed batches are recorded; "
            "run `lineage neo4j push` again to resume."
        )

    try:
        driver = open_driver(uri) if env is None else open_driver(uri, env)
    except (DriverError, Neo4jError, ValueError) as exc:
        raise failed(exc) from None
    try:
        with driver:
            yield driver
    except (DriverError, Neo4jError) as exc:
        raise failed(exc) from None


# -- bookkeeping -------------------------------------------------------------------------------
@dataclass
class PushProgress:
    """Where a push is, for progress displays."""

    phase: str
    done: int
    total: int
    batches: int


@dataclass
class PushSummary:
    """What a push did."""

    target: str
    mode: str  # "full" or "incremental"
    resumed: bool = False
    nodes_created: int = 0
    nodes_updated: int = 0
    nodes_unchanged: int = 0
    relationships_created: int = 0
    relationships_updated: int = 0
    relationships_unchanged: int = 0
    relationships_removed: int = 0
    relationships_skipped: int = 0  # an endpoint was not in Neo4j (a crawl ran meanwhile)
    placeholders_removed: int = 0
    batches: int = 0
    watermark: int | None = None
    seconds: float = 0.0
    graph_models: int | None = None
    graph_relationships: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _State:
    """What the store's ``meta`` table keeps per target (JSON)."""

    target: str
    watermark: int | None = None
    since: str | None = None
    aliases: str | None = None
    cycle_links: list[list[str]] = field(default_factory=list)  # [child, parent] set aside
    pending: dict[str, Any] | None = None


def _target_key(target: str, database: str | None) -> str:
    return (
        "neo4j_push:"
        + hashlib.sha1(f"{target}|{database or ''}".encode(), usedforsecurity=False).hexdigest()[:16]
    )


def _load_state(store: Store, key: str, target: str) -> _State:
    raw = store.get_meta(key)
    if not raw:
        return _State(target=target)
    data = orjson.loads(raw)
    return _State(**{k: v for k, v in data.items() if k in _State.__dataclass_fields__})


def _save_state(store: Store, key: str, state: _State) -> None:
    store.set_meta(key, orjson.dumps(asdict(state), option=orjson.OPT_SORT_KEYS).decode())


def _watermark(conn: sqlite3.Connection) -> int:
    """The highest crawl id below which no crawl can still write (0: no crawl)."""
    row = conn.execute(
        "SELECT (SELECT min(id) - 1 FROM crawls WHERE status NOT IN ('done', 'abandoned') AND id > "
        "coalesce((SELECT max(id) FROM crawls WHERE status IN ('done', 'abandoned')), 0)), "
        "(SELECT max(id) FROM crawls)"
    ).fetchone()
    return int(row[0] if row[0] is not None else row[1] or 0)


def _aliases_fingerprint() -> str:
    from lineage.families import default_registry

    items = sorted((str(k), str(v)) for k, v in default_registry().aliases.items())
    return hashlib.sha1(orjson.dumps(items), usedforsecurity=False).hexdigest()[:16]


def _cycle_links(conn: sqlite3.Connection) -> list[list[str]]:
    return [
        [str(c), str(p)]
        for c, p in conn.execute(
            "SELECT child, coalesce(parent, ref) FROM links WHERE resolution = 'cycle' ORDER BY 1, 2"
        )
    ]


def _select_changed(conn: sqlite3.Connection, pending: dict[str, Any], cycle_links: list[list[str]]) -> None:
    """Fill the TEMP table of models an incremental push sends (see the module docs)."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute(f"DELETE FROM temp.{_TEMP}")
    w = int(pending["from"])
    conn.execute(f"INSERT OR IGNORE INTO temp.{_TEMP} SELECT id FROM models WHERE last_seen_crawl > ?", (w,))
    if pending.get("since"):
        conn.execute(
            f"INSERT OR IGNORE INTO temp.{_TEMP} SELECT id FROM models "
            "WHERE deleted_at IS NOT NULL AND deleted_at >= ?",
            (pending["since"],),
        )
    conn.execute(
        f"INSERT OR IGNORE INTO temp.{_TEMP} SELECT DISTINCT l.child FROM links l "
        "JOIN models p ON p.id = l.parent WHERE p.first_seen_crawl > ?",
        (w,),
    )
    changed = {tuple(x) for x in cycle_links} ^ {tuple(x) for x in _cycle_links(conn)}
    conn.executemany(
        f"INSERT OR IGNORE INTO temp.{_TEMP} SELECT id FROM models WHERE id = ?",
        sorted({(c,) for c, _ in changed}),
    )


# -- counts --------------------------------------------------------------------------------------
def store_counts(store: Store | sqlite3.Connection) -> dict[str, int]:
    """Models (deleted and placeholders included) and relationships a full push creates."""
    conn = store.conn if isinstance(store, Store) else store
    models = conn.execute("SELECT count(*) FROM models").fetchone()[0]
    holders = conn.execute(
        f"SELECT count(DISTINCT l.parent) FROM links l WHERE {EDGE_LINK} "
        "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = l.parent)"
    ).fetchone()[0]
    edges = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM links l WHERE {EDGE_LINK} GROUP BY l.parent, l.child)"
    ).fetchone()[0]
    return {"models": int(models) + int(holders), "relationships": int(edges)}


def _read_n(tx: Any, query: LiteralString) -> int:
    return int(tx.run(query).data()[0]["n"])


def graph_counts(driver: neo4j.Driver, database: str | None = None) -> dict[str, int]:
    """``:Model`` nodes and ``BASE_OF`` relationships in the target database."""
    with driver.session(database=database) as session:
        return {
            "models": session.execute_read(_read_n, Q_COUNT_MODELS),
            "relationships": session.execute_read(_read_n, Q_COUNT_RELS),
        }


# -- batches ------------------------------------------------------------------------------------------
def _run_rows(tx: Any, query: LiteralString, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transaction function of every batch: one statement, rows as the only parameter."""
    records: list[dict[str, Any]] = tx.run(query, {"rows": rows}).data()
    return records


def _run_plain(tx: Any, query: LiteralString) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = tx.run(query).data()
    return records


def _statuses(records: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[str(r["status"])] = out.get(str(r["status"]), 0) + int(r["n"])
    return out


def _node_batches(source: StoreSource, after: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for chunk in source.node_chunks(after):
        rows = [{"id": mid, "props": {a.name: attrs.get(a.name) for a in NODE_ATTRS}} for mid, attrs in chunk]
        yield chunk[-1][0], rows


def _prune_batches(
    conn: sqlite3.Connection, within: bool, after: str, size: int
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    where = f" AND id IN (SELECT id FROM temp.{_TEMP})" if within else ""
    sql = f"SELECT id FROM models WHERE id > ?{where} ORDER BY id LIMIT ?"
    while ids := [str(r[0]) for r in conn.execute(sql, (after, size))]:
        parents: dict[str, list[str]] = {i: [] for i in ids}
        for k in range(0, len(ids), 900):
            part = ids[k : k + 900]
            marks = ",".join("?" * len(part))
            for child, parent in conn.execute(
                f"SELECT DISTINCT l.child, l.parent FROM links l WHERE l.child IN ({marks}) AND {EDGE_LINK} "
                "ORDER BY l.child, l.parent",
                part,
            ):
                parents[child].append(str(parent))
        after = ids[-1]
        yield after, [{"id": i, "parents": parents[i]} for i in ids]


def _edge_batches(
    source: StoreSource, after: tuple[str, str]
) -> Iterator[tuple[tuple[str, str], list[dict[str, Any]]]]:
    for chunk in source.edge_chunks(after):
        yield (
            (chunk[-1][0], chunk[-1][1]),
            [{"source": u, "target": v, "relation": a["relation"]} for u, v, a in chunk],
        )


def _remaining(conn: sqlite3.Connection, phase: str, within: bool, after: Any) -> int:
    """Rows left in ``phase`` after the saved position (for progress totals)."""
    sel = f" AND id IN (SELECT id FROM temp.{_TEMP})" if within else ""
    lsel = f" AND l.child IN (SELECT id FROM temp.{_TEMP})" if within else ""
    if phase == "nodes":
        a = after or ""
        models = conn.execute(f"SELECT count(*) FROM models WHERE id > ?{sel}", (a,)).fetchone()[0]
        holders = conn.execute(
            f"SELECT count(DISTINCT l.parent) FROM links l WHERE l.parent > ? AND {EDGE_LINK}{lsel} "
            "AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = l.parent)",
            (a,),
        ).fetchone()[0]
        return int(models) + int(holders)
    if phase == "prune":
        return int(
            conn.execute(f"SELECT count(*) FROM models WHERE id > ?{sel}", (after or "",)).fetchone()[0]
        )
    a2 = tuple(after) if after else ("", "")
    return int(
        conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM links l WHERE (l.parent, l.child) > (?, ?) "
            f"AND {EDGE_LINK}{lsel} GROUP BY l.parent, l.child)",
            a2,
        ).fetchone()[0]
    )


# -- push ---------------------------------------------------------------------------------------------------
def push(
    store: Store,
    driver: neo4j.Driver,
    *,
    database: str | None = None,
    target: str = DEFAULT_URI,
    batch_size: int = DEFAULT_BATCH,
    full: bool = False,
    on_batch: Callable[[PushProgress], None] | None = None,
) -> PushSummary:
    """Push ``store`` (opened writable: progress is saved in its ``meta`` table) into Neo4j.

    ``target`` names the server (a URI without credentials, see :func:`redact_uri`); with
    ``database`` it keys the saved progress. Resumes an interrupted push to the same target,
    else pushes what changed since the last push there (everything the first time, or with
    ``full``). See the module docs for exactly what is sent.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if store.readonly:
        raise Neo4jSyncError("the store must be opened writable: a push records its progress in it")
    start = time.monotonic()
    target = redact_uri(target)
    key = _target_key(target, database)
    state = _load_state(store, key, target)
    reader = open_reader(store.path)  # reads (and the TEMP selection) on a connection of our own
    try:
        return _push(store, reader, driver, key, state, database, target, batch_size, full, on_batch, start)
    finally:
        reader.close()


def _push(
    store: Store,
    reader: sqlite3.Connection,
    driver: Any,
    key: str,
    state: _State,
    database: str | None,
    target: str,
    batch_size: int,
    full: bool,
    on_batch: Callable[[PushProgress], None] | None,
    start: float,
) -> PushSummary:
    with driver.session(database=database) as session:
        session.execute_write(_run_plain, Q_CONSTRAINT)
        pending = state.pending
        if pending is not None and full and pending["mode"] != "full":
            pending = None  # a full push replaces an interrupted incremental one
        resumed = pending is not None
        if pending is None:
            in_graph = session.execute_read(_read_n, Q_COUNT_MODELS)
            fingerprint = _aliases_fingerprint()
            incremental = (
                not full and state.watermark is not None and in_graph > 0 and state.aliases == fingerprint
            )
            pending = {
                "mode": "incremental" if incremental else "full",
                "from": state.watermark,
                "to": _watermark(reader),
                "since": state.since,
                "started": now_iso(),
                "aliases": fingerprint,
                "prune": in_graph > 0,
                "cycle_links": state.cycle_links,
                "phase": "nodes",
                "after": None,
                "batches": 0,
                "counts": {},
            }
            state.pending = pending
            _save_state(store, key, state)
        summary = PushSummary(
            target=target + (f" (database {database})" if database else ""),
            mode=str(pending["mode"]),
            resumed=resumed,
        )
        within = pending["mode"] == "incremental"
        if within:
            _select_changed(reader, pending, list(pending.get("cycle_links") or []))
        source = StoreSource(reader, chunk=batch_size, within=_TEMP if within else None)
        _run_phases(store, reader, session, key, state, pending, source, within, batch_size, on_batch)
        counts = pending["counts"]
        state.watermark = int(pending["to"])
        state.since = str(pending["started"])
        state.aliases = str(pending["aliases"])
        state.cycle_links = _cycle_links(reader)
        state.pending = None
        _save_state(store, key, state)
    for name, value in counts.items():
        setattr(summary, name, int(value))
    summary.batches = int(pending["batches"])
    summary.watermark = state.watermark
    summary.graph_models, summary.graph_relationships = graph_counts(driver, database).values()
    summary.seconds = time.monotonic() - start
    return summary


def _run_phases(
    store: Store,
    reader: sqlite3.Connection,
    session: Any,
    key: str,
    state: _State,
    pending: dict[str, Any],
    source: StoreSource,
    within: bool,
    batch_size: int,
    on_batch: Callable[[PushProgress], None] | None,
) -> None:
    counts: dict[str, int] = pending["counts"]

    def add(name: str, n: int) -> None:
        counts[name] = counts.get(name, 0) + n

    def committed(phase: str, after: Any, done: int, total: int) -> None:
        pending["after"] = after
        pending["batches"] += 1
        _save_state(store, key, state)
        if on_batch is not None:
            on_batch(PushProgress(phase, done, total, int(pending["batches"])))

    for phase in PHASES[PHASES.index(pending["phase"]) :]:
        if pending["phase"] != phase:
            pending["phase"], pending["after"] = phase, None
            _save_state(store, key, state)
        after = pending["after"]
        if phase == "prune" and not pending["prune"]:
            continue
        if phase == "orphans":
            if counts.get("relationships_removed", 0) > 0:
                records = session.execute_write(_run_plain, Q_ORPHANS)
                add("placeholders_removed", int(records[0]["n"]) if records else 0)
                committed(phase, None, 1, 1)
            continue
        total = _remaining(reader, phase, within, after)
        done = 0
        if phase == "nodes":
            for pos, rows in _node_batches(source, after or ""):
                st = _statuses(session.execute_write(_run_rows, Q_NODES, rows))
                for status in ("created", "updated", "unchanged"):
                    add(f"nodes_{status}", st.get(status, 0))
                done += len(rows)
                committed(phase, pos, done, total)
        elif phase == "prune":
            for pos, rows in _prune_batches(reader, within, after or "", batch_size):
                records = session.execute_write(_run_rows, Q_PRUNE, rows)
                add("relationships_removed", sum(int(r["n"]) for r in records))
                done += len(rows)
                committed(phase, pos, done, total)
        else:
            for epos, rows in _edge_batches(source, (after[0], after[1]) if after else ("", "")):
                st = _statuses(session.execute_write(_run_rows, Q_EDGES, rows))
                for status in ("created", "updated", "unchanged"):
                    add(f"relationships_{status}", st.get(status, 0))
                add("relationships_skipped", len(rows) - sum(st.values()))
                done += len(rows)
                committed(phase, list(epos), done, total)
