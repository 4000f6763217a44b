"""``lineage crawl``, ``info``, ``quality`` and ``bulk``: the Hub into the store, what the store
holds, and its automated bulk uploads."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lineage.cli import cli
from lineage.cli.options import (
    emit_json,
    format_option,
    read_store,
    refresh_snapshot,
    store_option,
    store_path_to_read,
)
from lineage.store import open_store


@cli.command()
@store_option
@click.option("--full", is_flag=True, help="List every model and tombstone the ones that disappeared.")
@click.option("--since", metavar="DATE", help="Fetch models created or modified since DATE (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N models (newest first).")
@click.option("--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or huggingface.co).")
@click.option(
    "--trust-endpoint",
    is_flag=True,
    help="Send HF_TOKEN to --endpoint although it is not huggingface.co (https or localhost only; "
    "same as LINEAGE_TRUST_ENDPOINT=1).",
)
@click.option("--restart", is_flag=True, help="Abandon an unfinished crawl instead of resuming it.")
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Let a --full crawl mark more than 10% of the store deleted (it stops and asks otherwise).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds per request.",
)
@format_option("table", "json")
def crawl(
    store_path: Path | None,
    full: bool,
    since: str | None,
    limit: int | None,
    endpoint: str | None,
    trust_endpoint: bool,
    restart: bool,
    allow_mass_delete: bool,
    timeout: float,
    fmt: str,
) -> None:
    """Crawl the Hub's model listing into the store (resumable, incremental).

    The first crawl lists every model (about 3,000 requests for 3M models; the Hub's rate
    limit, not lineage, sets the pace). Later crawls fetch only models created or modified
    since the last one. An interrupted crawl resumes where it stopped. HF_TOKEN raises the
    rate limit; it is never printed or logged, and is sent only to huggingface.co over https,
    to the endpoint named in HF_ENDPOINT, or with --trust-endpoint (never over plain http to
    another machine).
    """
    from lineage.hub import CrawlConfig, Crawler
    from lineage.render.progress import crawl_progress
    from lineage.render.summaries import crawl_text

    if full and since is not None:
        raise click.UsageError("--full and --since are exclusive")
    if since is not None and not since.strip():
        raise click.BadParameter("give a date (YYYY-MM-DD), or leave --since out", param_hint="--since")
    with open_store(store_path) as store, crawl_progress(enabled=fmt == "table") as on_page:
        crawler = Crawler(
            store,
            CrawlConfig(
                endpoint=endpoint,
                timeout=timeout,
                trust_endpoint=trust_endpoint,
                allow_mass_delete=allow_mass_delete,
            ),
            on_page=on_page,
        )
        try:
            summary = crawler.run("full" if full else "auto", since=since, limit=limit, restart=restart)
        except KeyboardInterrupt:
            click.echo(
                "\nInterrupted. Everything fetched so far is saved; run `lineage crawl` again to resume.",
                err=True,
            )
            sys.exit(130)
    if fmt == "json":
        emit_json(summary.as_dict())
    else:
        click.echo(crawl_text(summary))
    refresh_snapshot(store.path)


@cli.command()
@store_option
@format_option("table", "json")
def info(store_path: Path | None, fmt: str) -> None:
    """What is in the store: models, links, crawls, watermark."""
    from lineage.graph import snapshot
    from lineage.render.summaries import info_text

    with read_store(store_path) as store:
        data = store.info()
        data["graph_snapshot"] = snapshot.status(store)
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(info_text(data))


@cli.command()
@store_option
@click.option(
    "--uploaders",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Biggest bulk uploaders shown.",
)
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Example models shown per kind.",
)
@format_option("table", "json")
def quality(store_path: Path | None, uploaders: int, examples: int, fmt: str) -> None:
    """Data-quality report: what was repaired, skipped, left unresolved, and why; the biggest
    automated bulk uploaders."""
    from lineage.analytics.quality import quality_report
    from lineage.render.summaries import quality_text

    with read_store(store_path) as store:
        report = quality_report(store, examples=examples, uploaders=uploaders)
    if fmt == "json":
        emit_json(report)
    else:
        click.echo(quality_text(report), nl=False)


@cli.command()
@store_option
@click.option(
    "--min-models",
    "min_templated",
    type=click.IntRange(min=2),
    help="Rule `templated`: at least N derivatives of one base by one author within the window "
    "under one name template (default 10).",
)
@click.option(
    "--min-any",
    type=click.IntRange(min=0),
    help="Rule `volume`: at least N derivatives of one base by one author within the window, "
    "whatever their names; 0 turns the rule off (default 50).",
)
@click.option(
    "--window",
    "window_hours",
    type=click.FloatRange(min=0, min_open=True),
    help="The window, in hours (default 24).",
)
@click.option("--defaults", is_flag=True, help="Back to the default thresholds (then apply any given).")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="Uploaders shown.")
@format_option("table", "json")
def bulk(
    store_path: Path | None,
    min_templated: int | None,
    min_any: int | None,
    window_hours: float | None,
    defaults: bool,
    top: int,
    fmt: str,
) -> None:
    """Detect automated bulk uploads and store the flags (`lineage share --bulk` uses them).

    Thresholds given here are remembered by the store: the detection that runs after every
    crawl uses them too. Without options, runs again with the store's thresholds.
    """
    from dataclasses import replace

    from lineage.analytics.bulk import BulkRules
    from lineage.analytics.bulk_flags import bulk_report, refresh_bulk, store_rules
    from lineage.render.summaries import bulk_text

    path = store_path_to_read(store_path)
    with read_store(path):  # a clear error when there is no store
        pass
    with open_store(path) as store:
        rules = BulkRules() if defaults else store_rules(store)
        if min_templated is not None:
            rules = replace(rules, min_templated=min_templated)
        if min_any is not None:
            rules = replace(rules, min_any=min_any)
        if window_hours is not None:
            rules = replace(rules, window_hours=window_hours)
        store.set_bulk_rules(None if rules == BulkRules() else rules.as_dict())
        _, done = refresh_bulk(store, rules)
        report = bulk_report(store, top)
    report["written"], report["seconds"] = done.written, round(done.seconds, 3)
    if fmt == "json":
        emit_json(report)
    else:
        click.echo(bulk_text(report), nl=False)
        click.echo(f"({'flags updated' if done.written else 'no flag changed'} in {done.seconds:.1f} s)")
