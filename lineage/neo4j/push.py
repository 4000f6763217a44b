"""Sync the store into Neo4j (``lineage neo4j push``) with the official ``neo4j`` driver.

Data model
----------
* ``(:Model {id, author, created_at, last_modified, downloads, downloads_all_time, likes,
  pipeline_tag, library_name, license, license_name, license_class, gated, legacy_date,
  deleted, placeholder})`` — one
  node per model in the store (deleted ones kept, ``deleted: true``) and one per parent
  missing from the Hub (``placeholder: true``); the properties and their types are the
  export's node attributes (:mod:`lineage.export`); a missing value is no property.
* ``(base:Model)-[:BASE_OF {relation, license_drift}]->(derived:Model)`` — one relationship
  per (parent, child) link, base -> derived; ``relation`` is ``finetune``, ``adapter``,
  ``quantized``, ``merge`` or ``unknown``; ``license_drift``: the derivative drops the base's
  licence terms (:mod:`lineage.licenses`). The relation is a
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
3. models with a link to a model first seen (a placeholder parent that now resolves) or
   relicensed (drift flags) after ``W``, and models whose cycle links changed since the last push;
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

Useful queries: :data:`lineage.neo4j.queries.EXAMPLES` (also in the README).

Credentials come from ``NEO4J_USER`` (default ``neo4j``) and ``NEO4J_PASSWORD`` (unset: no
authentication), never from the command line, and are never logged or printed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

import orjson

from lineage.errors import LineageError
from lineage.export.sources import NODE_ATTRS, StoreSource
from lineage.neo4j.queries import (
    LABEL,
    Q_CONSTRAINT,
    Q_COUNT_MODELS,
    Q_COUNT_RELS,
    Q_EDGES,
    Q_NODES,
    Q_ORPHANS,
    Q_PRUNE,
    QUERIES,
    REL_TYPE,
)
from lineage.store import Store, open_store
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
DEFAULT_BATCH = 5_000

PHASES = ("nodes", "prune", "edges", "orphans")


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


def _aliases_fingerprint() -> str:
    from lineage.families import default_registry

    items = sorted((str(k), str(v)) for k, v in default_registry().aliases.items())
    return hashlib.sha1(orjson.dumps(items), usedforsecurity=False).hexdigest()[:16]


# -- counts --------------------------------------------------------------------------------------
def store_counts(store: Store) -> dict[str, int]:
    """Models (deleted and placeholders included) and relationships a full push creates."""
    return store.graph_counts()


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
    reader: Store, within: bool, after: str, size: int
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    rows: list[dict[str, Any]] = []
    for model_id, parents in reader.stream_parents(after, selected=within, limit=size):
        rows.append({"id": model_id, "parents": parents})
        if len(rows) >= size:
            yield model_id, rows
            rows = []
    if rows:
        yield rows[-1]["id"], rows


def _edge_batches(
    source: StoreSource, after: tuple[str, str]
) -> Iterator[tuple[tuple[str, str], list[dict[str, Any]]]]:
    for chunk in source.edge_chunks(after):
        yield (
            (chunk[-1][0], chunk[-1][1]),
            [{"source": u, "target": v, **a} for u, v, a in chunk],  # relation, license_drift
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
    # Reads (and the selection of what to send) on a streaming connection of our own.
    with open_store(store.path, streaming=True) as reader:
        return _push(store, reader, driver, key, state, database, target, batch_size, full, on_batch, start)


def _push(
    store: Store,
    reader: Store,
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
                "to": reader.crawl_watermark(),
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
            reader.select_changed(
                int(pending["from"]), pending.get("since"), list(pending.get("cycle_links") or [])
            )
        source = StoreSource(reader, chunk=batch_size, selected=within)
        _run_phases(store, reader, session, key, state, pending, source, within, batch_size, on_batch)
        counts = pending["counts"]
        state.watermark = int(pending["to"])
        state.since = str(pending["started"])
        state.aliases = str(pending["aliases"])
        state.cycle_links = reader.cycle_links()
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
    reader: Store,
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
        total = reader.count_stream("models" if phase == "prune" else phase, after, selected=within)
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
