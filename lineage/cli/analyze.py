"""``lineage share``, ``families``, ``downloads`` and ``tree``: questions answered from the graph."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.cli import cli
from lineage.cli.options import (
    by_option,
    emit_json,
    emit_table,
    format_option,
    load_lineage,
    model_refs,
    read_store,
    registry,
    registry_option,
    store_option,
    unknown_models,
)
from lineage.records import RELATIONS


@cli.command()
@store_option
@registry_option
@click.option(
    "--period", type=click.Choice(["month", "quarter", "week", "year"]), default="month", show_default=True
)
@click.option("--since", metavar="DATE", help="First day included (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Last day included (YYYY-MM-DD).")
@by_option
@click.option(
    "--pipeline-tag",
    "pipeline_tags",
    multiple=True,
    metavar="TAG",
    help="Only models with this pipeline tag (e.g. text-generation); repeatable.",
)
@click.option("--library", "libraries", multiple=True, metavar="LIB", help="Only this library; repeatable.")
@click.option(
    "--relation",
    "relations",
    multiple=True,
    type=click.Choice(RELATIONS),
    help="Only models linked to a parent by this relation; repeatable.",
)
@click.option(
    "--population",
    type=click.Choice(["derivatives", "all"]),
    default="derivatives",
    show_default=True,
    help="derivatives: new models with at least one parent; all: every new model.",
)
@click.option(
    "--attribution",
    type=click.Choice(["fractional", "any"]),
    default="fractional",
    show_default=True,
    help="fractional: split a model over its families; any: count it for each.",
)
@click.option(
    "--scope",
    type=click.Choice(["tree", "direct"]),
    default="tree",
    show_default=True,
    help="tree: count a model for every family it descends from; direct: only direct children of a "
    "family's own (first-party) models.",
)
@click.option(
    "--bulk",
    type=click.Choice(["include", "exclude", "only"]),
    default="include",
    show_default=True,
    help="Automated bulk uploads (see `lineage bulk`): counted, left out, or counted alone.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    help="Keep the N largest groups per period, the rest "
    "summed as '(other)' (default: 10 for --format table, all otherwise).",
)
@click.option("--explain", is_flag=True, help="Print the method in full.")
@format_option()
def share(
    store_path: Path | None,
    registry_path: Path | None,
    period: str,
    since: str | None,
    until: str | None,
    by: str,
    pipeline_tags: tuple[str, ...],
    libraries: tuple[str, ...],
    relations: tuple[str, ...],
    population: str,
    attribution: str,
    scope: str,
    bulk: str,
    top: int | None,
    explain: bool,
    fmt: str,
) -> None:
    """Share of new models descending from each family (or org, or region), per period.

    JSON rows: {"period", "group", "models", "share"}; models is the weighted count and share
    is in 0..1.
    """
    from lineage.analytics import ShareQuery, share_table, top_groups

    query = ShareQuery(
        period=period,
        since=since,
        until=until,
        by=by,
        pipeline_tags=pipeline_tags,
        libraries=libraries,
        relations=relations,
        population=population,
        attribution=attribution,
        scope=scope,
        bulk=bulk,
    )
    table = share_table(load_lineage(store_path), query, registry(registry_path))
    limit = top if top is not None else (10 if fmt == "table" else None)
    emit_table(table, fmt, top_groups(table.rows, limit) if limit else table.rows, explain, store_path)


@cli.command()
@store_option
@registry_option
@by_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--window",
    "window_days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="Days compared for growth (last N days vs the N before).",
)
@format_option()
def families(
    store_path: Path | None, registry_path: Path | None, by: str, top: int, window_days: int, fmt: str
) -> None:
    """Top families: derivatives, base models, downloads, growth and relation mix."""
    from lineage.analytics import family_summary

    lin = load_lineage(store_path)
    table = family_summary(lin, by, registry(registry_path), top=top, window_days=window_days)
    emit_table(table, fmt, store_path=store_path)


@cli.command()
@store_option
@registry_option
@by_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--over-time", is_flag=True, help="One row per group per crawl snapshot (adoption over time).")
@click.option(
    "--population",
    type=click.Choice(["family", "first-party"]),
    default="family",
    show_default=True,
    help="family: downloads of a family's whole tree; first-party: of the models its own "
    "organisations uploaded (the ATOM Project's count).",
)
@click.option("--explain", is_flag=True, help="Print the method in full.")
@format_option()
def downloads(
    store_path: Path | None,
    registry_path: Path | None,
    by: str,
    top: int,
    over_time: bool,
    population: str,
    explain: bool,
    fmt: str,
) -> None:
    """Downloads by family/org/region (30-day and all-time), now or over crawl snapshots."""
    from lineage.analytics import downloads_by_group, downloads_over_time

    lin, reg = load_lineage(store_path), registry(registry_path)
    if over_time:
        with read_store(store_path) as store:
            table = downloads_over_time(lin, store.iter_snapshots(), by, reg, top=top, population=population)
    else:
        table = downloads_by_group(lin, by, reg, top=top, population=population)
    emit_table(table, fmt, explain=explain, store_path=store_path)


@cli.command()
@click.argument("model_id", callback=model_refs)
@store_option
@registry_option
@click.option("--up", type=click.IntRange(min=0), default=2, show_default=True, help="Levels of ancestors.")
@click.option(
    "--down", type=click.IntRange(min=0), default=2, show_default=True, help="Levels of descendants."
)
@click.option(
    "--max-children",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Children shown per node; the rest are summarised per relation.",
)
@format_option("text", "json", default="text")
def tree(
    model_id: str,
    store_path: Path | None,
    registry_path: Path | None,
    up: int,
    down: int,
    max_children: int,
    fmt: str,
) -> None:
    """A model's family tree: ancestors above, descendants below, with relations and counts."""
    from lineage.graph import Lineage
    from lineage.render.tree import render_tree, tree_data

    with read_store(store_path) as store:
        found = Lineage.for_model(store, model_id)
    if found is None:
        raise unknown_models(store_path, [model_id])
    lin, node = found
    reg = registry(registry_path)
    if fmt == "json":
        emit_json(tree_data(lin, node, up=up, down=down, max_children=max_children, registry=reg))
    else:
        click.echo(render_tree(lin, node, up=up, down=down, max_children=max_children, registry=reg))
