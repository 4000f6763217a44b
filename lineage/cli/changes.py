"""``lineage diff`` and ``lineage licenses``: what changed between crawls, and declared licences
along links."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.cli import cli
from lineage.cli.options import (
    by_option,
    crawl_note,
    emit,
    emit_json,
    format_option,
    license_table,
    licenses_option,
    load_lineage,
    model_refs,
    read_store,
    registry,
    registry_option,
    store_option,
    unknown_models,
)
from lineage.errors import UnknownModelError


def _note(store_path: Path | None, fmt: str) -> None:
    note = crawl_note(store_path)
    if note:
        click.echo(f"note: {note}", err=fmt != "table")


@cli.command()
@store_option
@registry_option
@licenses_option
@click.option(
    "--from", "from_id", type=click.IntRange(min=1), metavar="CRAWL", help="The earlier crawl (an id)."
)
@click.option("--to", "to_id", type=click.IntRange(min=1), metavar="CRAWL", help="The later crawl (an id).")
@by_option
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Bases and groups listed (and rows per section in the table).",
)
@format_option()
def diff(
    store_path: Path | None,
    registry_path: Path | None,
    licenses_path: Path | None,
    from_id: int | None,
    to_id: int | None,
    by: str,
    top: int,
    fmt: str,
) -> None:
    """What changed between two crawls (default: the last two complete ones).

    Models added, deleted and restored; links added and removed, parents changed; the bases
    with the most new derivatives; group counts and shares before and after; licences changed;
    parents gone from the Hub. Crawl ids: `lineage info`. JSON: see the README (stable).
    """
    from lineage.analytics.diff import crawl_diff
    from lineage.render.changes import diff_text

    with read_store(store_path) as store:
        result = crawl_diff(
            store,
            from_id,
            to_id,
            by=by,
            top=top,
            registry=registry(registry_path),
            licenses=license_table(licenses_path),
        )
    if fmt == "json":
        emit_json(result.as_dict())
    elif fmt == "csv":
        emit(result.rows(), "csv", ["kind", "id", "parent", "relation", "before", "after", "note"])
    else:
        click.echo(diff_text(result, top), nl=False)
    _note(store_path, fmt)


@cli.command()
@store_option
@registry_option
@licenses_option
@click.option(
    "--root", "roots", multiple=True, metavar="ID", callback=model_refs,
    help="A model and its descendants (its id or Hub URL); repeatable.",
)  # fmt: skip
@click.option("--family", metavar="F", help="Every model of a registry family (Qwen, Llama, ...).")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Top offenders (by downloads) and families listed.",
)
@format_option()
def licenses(
    store_path: Path | None,
    registry_path: Path | None,
    licenses_path: Path | None,
    roots: tuple[str, ...],
    family: str | None,
    top: int,
    fmt: str,
) -> None:
    """Declared licences along links: the same, changed, or dropped terms.

    Per link where base and derivative both declare a licence: the pair, their classes and the
    status (dropped terms: a derivative of a non-commercial or model-specific base declaring a
    more permissive class); counts by family and the most downloaded offenders. Declared
    metadata, not legal advice. csv: one row per link; json: see the README.
    """
    from lineage.analytics.licenses import license_pairs
    from lineage.export import select
    from lineage.render.changes import licenses_text

    if roots and family is not None:
        raise click.UsageError("give --root ID (repeatable) or --family F, not both")
    lin = load_lineage(store_path)
    reg = registry(registry_path)
    nodes = None
    scope = "all models"
    if roots or family is not None:
        try:
            nodes = select(lin, roots=roots, family=family, registry=reg)
        except UnknownModelError as exc:
            raise unknown_models(store_path, exc.missing) from None
        scope = f"family {family}" if family is not None else "descendants of " + ", ".join(roots)
    report = license_pairs(lin, nodes, scope=scope, registry=reg, table=license_table(licenses_path), top=top)
    if fmt == "json":
        emit_json(report.as_dict())
    elif fmt == "csv":
        emit(report.links, "csv", list(report.links[0]) if report.links else _LINK_COLUMNS)
    else:
        click.echo(licenses_text(report, top), nl=False)
    _note(store_path, fmt)


_LINK_COLUMNS = [
    "parent",
    "child",
    "relation",
    "parent_license",
    "child_license",
    "parent_class",
    "child_class",
    "status",
    "family",
    "downloads",
]
