"""Apache Parquet (pyarrow, pandas, DuckDB, Spark, Polars): ``nodes.parquet`` + ``edges.parquet``.

``nodes``: ``id`` (string, not null) then one column per attribute (string -> ``string``,
long -> ``int64``, boolean -> ``bool``, double -> ``float64``; null where a node has no value).
``edges``: ``source``, ``target`` (not null), ``relation``. Sorted like every export; one
row group per :data:`ROW_GROUP` rows (whatever the source's chunks), so memory stays flat and
the bytes do not depend on how the graph was read. Needs the ``parquet`` extra (pyarrow).
"""

from __future__ import annotations

from typing import IO, Any

from lineage.export.sources import Attr, Source, rebatch

NAME = "parquet"
SUFFIX = ".parquet"
MIME = "application/vnd.apache.parquet"
TABLES = True
#: Rows per Parquet row group.
ROW_GROUP = 32_768


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"string": pa.string(), "long": pa.int64(), "boolean": pa.bool_(), "double": pa.float64()}[kind]


def _schema(keys: list[str], attrs: tuple[Attr, ...]) -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            *(pa.field(k, pa.string(), nullable=False) for k in keys),
            *(pa.field(a.name, _arrow_type(a.type)) for a in attrs),
        ]
    )


def write_tables(source: Source, nodes: IO[bytes], edges: IO[bytes]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RuntimeError("parquet export needs pyarrow: pip install 'lineage[parquet]'") from exc

    nschema = _schema(["id"], source.node_attrs)
    with pq.ParquetWriter(nodes, nschema) as writer:
        for chunk in rebatch(source.node_chunks(), ROW_GROUP):
            cols: dict[str, list[Any]] = {"id": [m for m, _ in chunk]}
            for a in source.node_attrs:
                cols[a.name] = [attrs.get(a.name) for _, attrs in chunk]
            writer.write_table(pa.Table.from_pydict(cols, schema=nschema))
    eschema = _schema(["source", "target"], source.edge_attrs)
    with pq.ParquetWriter(edges, eschema) as writer:
        for echunk in rebatch(source.edge_chunks(), ROW_GROUP):
            ecols: dict[str, list[Any]] = {
                "source": [u for u, _, _ in echunk],
                "target": [v for _, v, _ in echunk],
            }
            for a in source.edge_attrs:
                ecols[a.name] = [attrs.get(a.name) for _, _, attrs in echunk]
            writer.write_table(pa.Table.from_pydict(ecols, schema=eschema))
