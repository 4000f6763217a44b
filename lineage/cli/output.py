"""``lineage export`` and ``lineage neo4j push``: subgraphs to files, the store to Neo4j."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lineage.cli import cli
from lineage.cli.options import (
    emit_json,
    format_option,
    load_lineage,
    model_refs,
    read_store,
    registry,
    registry_option,
    store_option,
    unknown_models,
)
from lineage.errors import UnknownModelError
from lineage.export import FORMATS as EXPORT_FORMATS
from lineage.store import open_store


@cli.command("export")
@click.option(
    "--root",
    "roots",
    multiple=True,
    metavar="ID",
    callback=model_refs,
    help="A model whose descendants to export (case-insensitive, or its Hub URL); repeatable.",
)
@click.option("--family", metavar="F", help="Every model of a registry family (Qwen, Llama, ...).")
@click.option("--all", "everything", is_flag=True, help="The whole store, streamed (flat memory).")
@click.option("--depth", type=click.IntRange(min=0), help="Keep descendants at most N links below the roots.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(),  # a str: a trailing "/" means "a directory", which Path() would drop
    required=True,
    help="Output file (or an existing directory: a safe name is made); csv/parquet: a directory.",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@store_option
@registry_option
def export_cmd(
    roots: tuple[str, ...],
    family: str | None,
    everything: bool,
    depth: int | None,
    fmt: str,
    output: str,
    force: bool,
    store_path: Path | None,
    registry_path: Path | None,
) -> None:
    """Export a subgraph (or the whole store) as graphml, gexf, json, csv, parquet or cypher.

    Edges go base -> derived with a `relation`; nodes carry the store's columns (see the
    README's export section). Output is sorted, so the same store gives the same bytes.
    """
    from lineage.export import export_store, select

    if sum((bool(roots), family is not None, everything)) != 1:
        raise click.UsageError("give exactly one of --root ID (repeatable), --family F or --all")
    if everything and depth is not None:
        raise click.UsageError("--depth applies to --root and --family, not --all")
    if everything:
        with read_store(store_path) as store:
            result = export_store(store, fmt, output, label=store.path.stem, overwrite=force)
    else:
        lin = load_lineage(store_path)
        try:
            nodes = select(lin, roots=roots, family=family, depth=depth, registry=registry(registry_path))
        except UnknownModelError as exc:
            raise unknown_models(store_path, exc.missing) from None
        label = family if family is not None else roots[0] if len(roots) == 1 else f"{roots[0]}-and-more"
        result = export_store(lin, fmt, output, nodes=nodes, label=label, overwrite=force)
    click.echo(f"Wrote {result.nodes:,} models and {result.edges:,} links ({fmt}):")
    for p in result.paths:
        click.echo(f"  {p}")


@cli.group()
def neo4j() -> None:
    """Sync the store into Neo4j (credentials from NEO4J_USER / NEO4J_PASSWORD)."""


@neo4j.command("push")
@store_option
@click.option(
    "--uri",
    envvar="NEO4J_URI",
    show_envvar=True,
    default="bolt://localhost:7687",
    show_default=True,
    help="Neo4j Bolt URI (no credentials in it).",
)
@click.option("--database", metavar="NAME", help="Database (default: the server's default database).")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="Rows per write transaction.",
)
@click.option("--full", is_flag=True, help="Send everything, not only what changed since the last push.")
@format_option("table", "json")
def neo4j_push(
    store_path: Path | None, uri: str, database: str | None, batch_size: int, full: bool, fmt: str
) -> None:
    """Push the store into Neo4j: idempotent, resumable, incremental.

    (:Model {id, ...})-[:BASE_OF {relation}]->(:Model), base -> derived. An interrupted push
    resumes where it stopped; later pushes send only what changed since the last one (see the
    README's Neo4j section). Credentials: NEO4J_USER (default neo4j) and NEO4J_PASSWORD
    (unset: no authentication); never taken on the command line, never printed.

    Start Neo4j: docker run -d -p 7687:7687 -e NEO4J_AUTH=neo4j/PASSWORD neo4j:5
    """
    from lineage.neo4j.push import connect, push, redact_uri
    from lineage.render.progress import phase_progress
    from lineage.render.summaries import push_text

    with read_store(store_path) as ro:  # a clear error if there is no store
        path = ro.path
    try:
        with connect(uri) as driver, open_store(path) as store, phase_progress(fmt == "table") as on_batch:
            summary = push(
                store,
                driver,
                database=database,
                target=uri,
                batch_size=batch_size,
                full=full,
                on_batch=on_batch,
            )
    except KeyboardInterrupt:
        click.echo(
            "\nInterrupted. Committed batches are recorded; run `lineage neo4j push` again to resume.",
            err=True,
        )
        sys.exit(130)
    if fmt == "json":
        emit_json(summary.as_dict())
    else:
        click.echo(push_text(summary, redact_uri(uri), database))
