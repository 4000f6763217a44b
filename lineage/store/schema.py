"""The store's tables, as SQL, and how an older store is brought up to date.

A new store runs :data:`TABLES` (the tables of schema version 1) and then every migration in
order, so a new store and a migrated one are the same. To change the schema, append a
migration to :data:`MIGRATIONS` (version ``k`` -> ``k + 1``); never edit a released one.
A lineage store is recognised by ``PRAGMA application_id`` = :data:`APPLICATION_ID` (stores
of schema 1 predate it: they are recognised by their tables and get it when migrated).

Tables
------
``meta``       key/value settings: ``schema_version``, ``simulated``, Neo4j push records, ...
``crawls``     one row per crawl: mode, cursor, watermark, counters, status.
``models``     one row per model ever seen (tombstoned with ``deleted_at`` when a full crawl no
               longer lists it — never erased).
``links``      declared parent links after per-record cleaning: ``child``, ``ref`` (the id as
               declared), ``relation``, ``source``; and after cross-record resolution
               (:mod:`lineage.store.resolve`): ``parent`` (the canonical id, or ``ref`` when the
               parent is not in the store) and ``resolution`` (exact, case, alias, unresolved,
               cycle).
``snapshots``  downloads/likes of each model at each crawl that saw it (adoption over time).
``repairs``    what cleaning repaired or skipped, per model, for ``lineage quality``.
``bulk_uploads`` (schema 3) the models flagged as automated bulk uploads
               (:mod:`lineage.analytics.bulk`): ``model_id``, the ``rule`` that fired, the
               ``author`` and ``base`` of the burst and its start (``burst_start``). Derived
               data, rewritten by every detection; the thresholds and the store state they
               describe are in ``meta`` (``bulk_rules``, ``bulk_detection``).

History (schema 4; :mod:`lineage.store.history`), written in the transaction of the page (or
the tombstoning) that made the change, at most one event per thing per crawl — what the crawl
changed, net (a change undone later in the same crawl leaves no event), so a crawl killed and
resumed records exactly what an uninterrupted one would:

``link_events``   a declared link (``child``, ``ref``, ``relation``) ``added`` or ``removed`` by
                  crawl ``crawl_id``.
``model_events``  a model ``added`` (first listed), ``deleted`` (tombstoned), ``restored``
                  (listed again after a tombstone) or its ``license`` changed (from
                  ``license``/``license_name`` to ``new_license``/``new_license_name``) by
                  crawl ``crawl_id``. A store upgraded to schema 4 has history from the crawl
                  in ``meta.history_from`` on (the last crawl before the upgrade).
"""

from __future__ import annotations

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "TABLES"]

#: ``PRAGMA application_id`` of a lineage store (the bytes "line").
APPLICATION_ID = 0x6C696E65

#: The tables of schema version 1 (the first release).
TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS crawls (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    sort TEXT NOT NULL,
    since TEXT,
    model_limit INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    next_query TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    models INTEGER NOT NULL DEFAULT 0,
    new_models INTEGER NOT NULL DEFAULT 0,
    updated_models INTEGER NOT NULL DEFAULT 0,
    deleted_models INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    max_last_modified TEXT,
    watermark TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,
    author TEXT,
    created_at TEXT,
    last_modified TEXT,
    downloads INTEGER NOT NULL DEFAULT 0,
    downloads_all_time INTEGER,
    likes INTEGER NOT NULL DEFAULT 0,
    pipeline_tag TEXT,
    library_name TEXT,
    license TEXT,
    gated TEXT,
    legacy_date INTEGER NOT NULL DEFAULT 0,
    first_seen_crawl INTEGER,
    last_seen_crawl INTEGER,
    deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS links (
    child TEXT NOT NULL,
    ref TEXT NOT NULL,
    relation TEXT NOT NULL,
    source TEXT NOT NULL,
    parent TEXT,
    resolution TEXT,
    PRIMARY KEY (child, ref)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    crawl_id INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    downloads INTEGER NOT NULL,
    downloads_all_time INTEGER,
    likes INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, model_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS repairs (
    model_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    n INTEGER NOT NULL,
    crawl_id INTEGER,
    PRIMARY KEY (model_id, kind, detail)
) WITHOUT ROWID;
"""

#: Migrations: ``MIGRATIONS[k]`` takes a store from schema ``k`` to ``k + 1``.
MIGRATIONS: dict[int, str] = {
    1: """
-- Children of a model: descendant walks, and the cycle search among what a crawl changed.
CREATE INDEX IF NOT EXISTS links_parent ON links (parent);
-- Case-insensitive id lookups: resolving declared parents as each page is written.
CREATE INDEX IF NOT EXISTS models_id_lower ON models (lower(id));
-- Parents not (yet) in the store, by spelling: resolved as soon as a page brings them in.
CREATE INDEX IF NOT EXISTS links_unresolved ON links (lower(ref)) WHERE resolution = 'unresolved';
-- Tombstoned models, counted by `lineage info` without a scan.
CREATE INDEX IF NOT EXISTS models_deleted ON models (id) WHERE deleted_at IS NOT NULL;
-- Links still to settle at the end of a crawl: pending ones and those set aside as cycles.
CREATE INDEX IF NOT EXISTS links_unsettled ON links (child) WHERE resolution IS NULL OR resolution = 'cycle';
""",
    2: """
-- Automated bulk uploads: one row per flagged model, with the rule that fired.
CREATE TABLE IF NOT EXISTS bulk_uploads (
    model_id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    author TEXT NOT NULL,
    base TEXT NOT NULL,
    burst_start TEXT NOT NULL
) WITHOUT ROWID;
-- The biggest bulk uploaders (lineage quality).
CREATE INDEX IF NOT EXISTS bulk_uploads_author ON bulk_uploads (author);
""",
    3: """
-- The name of an `other` licence (cardData.license_name).
ALTER TABLE models ADD COLUMN license_name TEXT;
-- When each declared link appeared and disappeared, by crawl.
CREATE TABLE IF NOT EXISTS link_events (
    crawl_id INTEGER NOT NULL,
    child TEXT NOT NULL,
    ref TEXT NOT NULL,
    relation TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (child, ref, relation, crawl_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS link_events_crawl ON link_events (crawl_id);
-- Models added, deleted (tombstoned), restored, and licence changes, by crawl.
CREATE TABLE IF NOT EXISTS model_events (
    crawl_id INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    event TEXT NOT NULL,
    license TEXT,
    license_name TEXT,
    new_license TEXT,
    new_license_name TEXT,
    PRIMARY KEY (model_id, crawl_id, event)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS model_events_crawl ON model_events (crawl_id);
-- History is exact from this crawl on (0: a new store, history from its first crawl).
INSERT OR REPLACE INTO meta (key, value) SELECT 'history_from', coalesce(max(id), 0) FROM crawls;
""",
}

#: The schema version this lineage writes (and reads).
SCHEMA_VERSION = 1 + len(MIGRATIONS)
