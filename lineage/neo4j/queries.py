"""The Cypher of lineage's Neo4j data model, shared by the push and the Cypher exporter.

``(:Model {id, ..., license, license_class})-[:BASE_OF {relation, license_drift}]->(:Model)``,
base -> derived, with a uniqueness constraint on ``:Model(id)``; ``license_drift`` is true when
the derivative's declared licence drops the base's terms (:mod:`lineage.licenses`). Every
statement is a constant; values travel only as parameters (``UNWIND $rows``) or, in an exported
script, as escaped literals.
"""

from __future__ import annotations

from typing import LiteralString

__all__ = [
    "CONSTRAINT",
    "EXAMPLES",
    "LABEL",
    "QUERIES",
    "Q_CONSTRAINT",
    "Q_COUNT_MODELS",
    "Q_COUNT_RELS",
    "Q_EDGES",
    "Q_NODES",
    "Q_ORPHANS",
    "Q_PRUNE",
    "REL_TYPE",
]

LABEL = "Model"
REL_TYPE = "BASE_OF"

#: The uniqueness constraint on ``:Model(id)`` (it also indexes the ``MERGE`` lookups).
CONSTRAINT: LiteralString = (
    "CREATE CONSTRAINT model_id_unique IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE"
)
Q_CONSTRAINT: LiteralString = CONSTRAINT
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
#: rows: [{source, target, relation, license_drift}]
Q_EDGES: LiteralString = """UNWIND $rows AS row
MATCH (p:Model {id: row.source})
MATCH (c:Model {id: row.target})
OPTIONAL MATCH (p)-[old:BASE_OF]->(c)
WITH p, c, row, CASE
  WHEN old IS NULL THEN 'created'
  WHEN old.relation = row.relation AND old.license_drift = row.license_drift THEN 'unchanged'
  ELSE 'updated' END AS status
FOREACH (ignored IN CASE WHEN status = 'unchanged' THEN [] ELSE [1] END |
  MERGE (p)-[r:BASE_OF]->(c)
  SET r.relation = row.relation, r.license_drift = row.license_drift)
RETURN status, count(*) AS n"""
Q_ORPHANS: LiteralString = """MATCH (m:Model {placeholder: true})
WHERE NOT EXISTS { (m)--() }
DELETE m
RETURN count(m) AS n"""
#: Every statement a push sends (tests check nothing else is sent).
QUERIES: frozenset[str] = frozenset(
    {Q_CONSTRAINT, Q_COUNT_MODELS, Q_COUNT_RELS, Q_NODES, Q_PRUNE, Q_EDGES, Q_ORPHANS}
)

#: Useful queries on a pushed graph (Neo4j Browser at http://localhost:7474, or
#: ``cypher-shell``); the README shows the same ones, and tests parse them with Neo4j's parser.
EXAMPLES = """// Every descendant of a model, most downloaded first
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

// Derivatives whose declared licence drops their base's terms, most downloaded first
MATCH (b:Model)-[r:BASE_OF {license_drift: true}]->(d:Model)
RETURN d.id AS derivative, d.license AS licence, b.id AS base, b.license AS base_licence,
  b.license_class AS base_class, d.downloads AS downloads
ORDER BY downloads DESC LIMIT 20;

// Parents that are gone from the Hub but still have many derivatives
MATCH (p:Model {placeholder: true})-[:BASE_OF]->(d:Model)
RETURN p.id AS missing_parent, count(d) AS children ORDER BY children DESC LIMIT 20;
"""
