"""Neo4j: the Cypher shared with the Cypher exporter, and the push (the only user of the driver)."""
