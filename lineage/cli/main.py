"""The ``lineage`` command line: thin commands over the library.

crawl -> store -> graph -> analytics -> render/export, each command opening the store and
calling one library function. Errors that users can fix are printed as one clear line.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from lineage import __version__
from lineage.render import FORMATS, render
from lineage.store import StoreError, default_store_path, delete_store, open_store

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("lineage")


# -- shared options ------------------------------------------------------------------------
def store_option(f: F) -> F:
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        envvar="LINEAGE_STORE",
        show_envvar=True,
        help=f"Store file (default: {default_store_path()}).",
    )(f)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    def deco(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices or FORMATS),
            default=default,
            show_default=True,
            help="Output format; json is stable for scripts.",
        )(f)

    return deco


def _emit(rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None) -> None:
    click.echo(render(rows, fmt, columns), nl=False)


def _emit_obj(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def _open_read(store_path: Path | None) -> Any:
    try:
        return open_store(store_path, readonly=True)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


class _Group(click.Group):
    """Turn library errors that users can act on into one-line messages, not tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        from lineage.hub import CrawlError

        try:
            return super().invoke(ctx)
        except (StoreError, CrawlError, ValueError, FileNotFoundError) as exc:
            if isinstance(exc, click.ClickException):
                raise
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Map who builds on whose AI models: Hugging Face Hub lineage as a graph.

    Typical session: `lineage crawl` (or `lineage demo` offline), then `lineage share`,
    `lineage tree MODEL`, `lineage export`, `lineage app`.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(logging.DEBUG, level),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# -- crawl ---------------------------------------------------------------------------------
@cli.command()
@store_option
@click.option("--full", is_flag=True, help="List every model and tombstone the ones that disappeared.")
@click.option("--since", metavar="DATE", help="Fetch models created or modified since DATE (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N models (newest first).")
@click.option("--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or huggingface.co).")
@click.option("--restart", is_flag=True, help="Abandon an unfinished crawl instead of resuming it.")
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
    restart: bool,
    timeout: float,
    fmt: str,
) -> None:
    """Crawl the Hub's model listing into the store (resumable, incremental).

    The first crawl lists every model (about 3,000 requests for 3M models; the Hub's rate
    limit, not lineage, sets the pace). Later crawls fetch only models created or modified
    since the last one. An interrupted crawl resumes where it stopped. HF_TOKEN raises the
    rate limit; it is never printed or logged.
    """
    from lineage.hub import CrawlConfig, Crawler
    from lineage.render.progress import crawl_progress

    if full and since:
        raise click.UsageError("--full and --since are exclusive")
    mode = "full" if full else "auto"
    with open_store(store_path) as store:
        config = CrawlConfig(endpoint=endpoint, timeout=timeout)
        with crawl_progress(enabled=fmt == "table") as on_page:
            crawler = Crawler(store, config, on_page=on_page)
            try:
                summary = crawler.run(mode, since=since, limit=limit, restart=restart)
            except KeyboardInterrupt:
                click.echo(
                    "\nInterrupted. Everything fetched so far is saved; run `lineage crawl` again to resume.",
                    err=True,
                )
                sys.exit(130)
    if fmt == "json":
        _emit_obj(summary.as_dict())
        return
    s = summary
    click.echo(
        f"Crawl #{s.crawl_id} ({s.mode}{', resumed' if s.resumed else ''}) of {s.endpoint}: "
        f"{'complete' if s.complete else 'partial (--limit)'} in {s.seconds:.1f} s\n"
        f"  models listed {s.models:,}: new {s.new:,}, updated {s.updated:,}, deleted {s.deleted:,}, "
        f"duplicates in listing {s.duplicates:,}, skipped {s.skipped:,}\n"
        f"  links in store {s.links:,}; resolved this pass: "
        + ", ".join(f"{k} {v:,}" for k, v in s.resolution.items())
        + f"\n  requests {s.requests:,}, retries {s.retries:,}, rate-limit waits {s.rate_limit_waits:,}\n"
        f"  repairs and skips: {sum(s.repairs.values()):,} (see `lineage quality`)"
    )


# -- simulated hub ---------------------------------------------------------------------------
@cli.command()
@click.option("--models", "n", type=click.IntRange(min=1), required=True, help="Number of models.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for models.jsonl, truth.jsonl and meta.json.",
)
@click.option(
    "--dirt",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply every dirty-metadata rate by this factor (0 = clean).",
)
def simulate(n: int, seed: int, out: Path, dirt: float) -> None:
    """Write a synthetic hub (Hub listing items as JSON Lines) with its ground truth."""
    from lineage.render.progress import count_progress
    from lineage.sim.generate import DirtRates, write_hub

    with count_progress("simulating", total=n) as advance:
        meta = write_hub(out, n, seed, dirt=DirtRates().scaled(dirt), progress=advance)
    click.echo(f"Wrote {meta['models']:,} models and {meta['edges']:,} true parent links to {out}/")


@cli.command()
@click.option("--models", "n", type=click.IntRange(min=1), help="Serve a freshly simulated hub of N models.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--data",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Serve DIR/models.jsonl (e.g. ../shared/data/real-sample or a `simulate` folder).",
)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address (loopback by default).")
@click.option("--faults", metavar="SPEC", help="Fault injection, e.g. '503:0.05,stall:0.01,quota=500'.")
def simhub(n: int | None, seed: int, data: Path | None, port: int, host: str, faults: str | None) -> None:
    """Serve a simulated Hugging Face Hub API on 127.0.0.1 (for tests, benchmarks, demos)."""
    from lineage.sim.server import SimHub, SimHubError

    if (n is None) == (data is None):
        raise click.UsageError("give exactly one of --models N or --data DIR")
    if data is not None:
        hub = SimHub.from_dir(data, faults=faults, seed=seed)
    else:
        from lineage.sim.generate import generate

        assert n is not None
        hub = SimHub((item for item, _ in generate(n, seed)), faults=faults, seed=seed)

    def ready(url: str) -> None:
        click.echo(f"Serving {len(hub):,} models at {url}  (Ctrl-C to stop)", err=True)
        click.echo(f"  crawl it: lineage crawl --endpoint {url}", err=True)

    try:
        hub.serve_forever(host, port, ready=ready)
    except SimHubError as exc:
        raise click.ClickException(str(exc)) from None


# -- data quality ------------------------------------------------------------------------------
@cli.command()
@store_option
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Example models shown per kind.",
)
@format_option("table", "json")
def quality(store_path: Path | None, examples: int, fmt: str) -> None:
    """Data-quality report: what was repaired, skipped, left unresolved, and why."""
    from lineage.analytics.quality import quality_report

    with _open_read(store_path) as store:
        report = quality_report(store, examples=examples)
    if fmt == "json":
        _emit_obj(report)
        return
    from lineage.analytics.quality import format_quality

    click.echo(format_quality(report), nl=False)


@cli.command()
@store_option
@format_option("table", "json")
def info(store_path: Path | None, fmt: str) -> None:
    """What is in the store: models, links, crawls, watermark."""
    with _open_read(store_path) as store:
        data = store.info()
    if fmt == "json":
        _emit_obj(data)
    else:
        for k, v in data.items():
            click.echo(f"{k:>22}: {v}")


# -- analytics ------------------------------------------------------------------------------
def registry_option(f: F) -> F:
    return click.option(
        "--registry",
        "registry_path",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Your family registry TOML (extends the built-in one).",
    )(f)


def _registry(path: Path | None) -> Any:
    from lineage.families import default_registry, load_registry

    return load_registry(path) if path else default_registry()


def _load_lineage(store_path: Path | None) -> Any:
    from lineage.graph import Lineage

    with _open_read(store_path) as store:
        if store.count_models() == 0:
            raise click.ClickException(
                f"The store {store.path} is empty. Run `lineage crawl` (or `lineage demo`) first."
            )
        return Lineage.load(store)


def _footer(table: Any, fmt: str, explain: bool) -> None:
    if fmt == "table":
        for note in table.notes:
            click.echo(f"note: {note}")
        if table.method:
            click.echo(table.method if explain else "Method: `--explain` prints how shares are computed.")
    elif explain and table.method:
        click.echo(table.method, err=True)


@cli.command()
@store_option
@registry_option
@click.option(
    "--period", type=click.Choice(["month", "quarter", "week", "year"]), default="month", show_default=True
)
@click.option("--since", metavar="DATE", help="First day included (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Last day included (YYYY-MM-DD).")
@click.option(
    "--by",
    type=click.Choice(["family", "org", "region"]),
    default="family",
    show_default=True,
    help="Group roots by registry family, Hub namespace (org), or region.",
)
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
    type=click.Choice(["finetune", "adapter", "quantized", "merge", "unknown"]),
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
    top: int | None,
    explain: bool,
    fmt: str,
) -> None:
    """Share of new models descending from each family (or org, or region), per period.

    JSON rows: {"period", "group", "models", "share"}; models is the weighted count and share
    is in 0..1.
    """
    from lineage.analytics import ShareQuery, share_table, top_groups

    q = ShareQuery(
        period=period,
        since=since,
        until=until,
        by=by,
        pipeline_tags=pipeline_tags,
        libraries=libraries,
        relations=relations,
        population=population,
        attribution=attribution,
    )
    table = share_table(_load_lineage(store_path), q, _registry(registry_path))
    limit = top if top is not None else (10 if fmt == "table" else None)
    rows = top_groups(table.rows, limit) if limit else table.rows
    _emit(rows, fmt, table.columns)
    _footer(table, fmt, explain)


@cli.command()
@store_option
@registry_option
@click.option("--by", type=click.Choice(["family", "org", "region"]), default="family", show_default=True)
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

    table = family_summary(
        _load_lineage(store_path), by, _registry(registry_path), top=top, window_days=window_days
    )
    _emit(table.rows, fmt, table.columns)
    _footer(table, fmt, False)


@cli.command()
@store_option
@registry_option
@click.option("--by", type=click.Choice(["family", "org", "region"]), default="family", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--over-time", is_flag=True, help="One row per group per crawl snapshot (adoption over time).")
@format_option()
def downloads(
    store_path: Path | None, registry_path: Path | None, by: str, top: int, over_time: bool, fmt: str
) -> None:
    """Downloads by family/org/region (30-day and all-time), now or over crawl snapshots."""
    from lineage.analytics import downloads_by_group, downloads_over_time

    lin = _load_lineage(store_path)
    reg = _registry(registry_path)
    if over_time:
        with _open_read(store_path) as store:
            table = downloads_over_time(lin, store.iter_snapshots(), by, reg, top=top)
    else:
        table = downloads_by_group(lin, by, reg, top=top)
    _emit(table.rows, fmt, table.columns)
    _footer(table, fmt, False)


@cli.command()
@click.argument("model_id")
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
    from lineage.render.tree import render_tree, tree_data

    lin = _load_lineage(store_path)
    node = lin.find(model_id)
    if node is None:
        from lineage.store import open_store as _open

        with _open(store_path, readonly=True) as store:
            hints = store.search_ids(model_id.split("/")[-1], limit=5)
        hint = ("; did you mean: " + ", ".join(hints)) if hints else ""
        raise click.ClickException(f"{model_id!r} is not in the store{hint}")
    reg = _registry(registry_path)
    if fmt == "json":
        _emit_obj(tree_data(lin, node, up=up, down=down, max_children=max_children, registry=reg))
    else:
        click.echo(render_tree(lin, node, up=up, down=down, max_children=max_children, registry=reg))


# -- demo, app, start ----------------------------------------------------------------------------
def _run_app(store: Path, port: int, open_browser: bool = False) -> None:
    import os
    import subprocess

    from lineage.app import streamlit_command

    cmd = streamlit_command(port, "--client.toolbarMode", "viewer")
    click.echo(f"Serving the app at http://127.0.0.1:{port}  (store: {store}; Ctrl-C to stop)", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(f"http://127.0.0.1:{port}")
    import signal

    env = {**os.environ, "LINEAGE_STORE": str(store)}
    proc = subprocess.Popen(cmd, env=env)  # noqa: S603 (our own interpreter and script)

    def forward(signum: int, _frame: Any) -> None:  # stop the app with us (SIGTERM, SIGHUP)
        proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches both; wait for streamlit to finish
        code = proc.wait()
    raise SystemExit(0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code)


@cli.command()
@store_option
@click.option("--port", type=int, default=8501, show_default=True)
def app(store_path: Path | None, port: int) -> None:
    """Open the Streamlit explorer on 127.0.0.1 (streamlit run app.py)."""
    _run_app(store_path or default_store_path(), port)


def _demo_store(store_path: Path | None, models: int, seed: int, force: bool = False) -> Path:
    from lineage.sim.demo import build_demo_store, default_demo_path

    path = store_path or default_demo_path()
    if path.exists():
        # Only ever replace a demo store: never a store a crawl filled (unless --force).
        try:
            with open_store(path, readonly=True) as old:
                simulated = old.is_simulated() or old.count_models() == 0
        except StoreError:
            simulated = False
        if not simulated and not force:
            raise click.ClickException(
                f"{path} holds crawled (not simulated) data; the demo will not replace it. "
                "Pass another --store, or --force to overwrite it."
            )
        delete_store(path)
    click.echo(
        f"Simulating a hub of {models:,} models (seed {seed}), serving it on 127.0.0.1 and "
        f"crawling it into {path} ...",
        err=True,
    )

    def report(s: Any) -> None:
        click.echo(
            f"  crawl #{s.crawl_id}: {s.models:,} models, {s.links:,} links, {s.requests} requests", err=True
        )

    build_demo_store(path, models, seed, on_crawl=report)
    return path


@cli.command()
@click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Demo store file (default: demo.sqlite beside the default store; LINEAGE_STORE is "
    "not used, so the demo never overwrites your crawled store).",
)
@click.option("--models", type=click.IntRange(min=200), default=20_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--no-app", is_flag=True, help="Build the demo store and stop.")
@click.option("--force", is_flag=True, help="Replace the store even if it holds crawled data.")
def demo(store_path: Path | None, models: int, seed: int, port: int, no_app: bool, force: bool) -> None:
    """Offline demo: simulated hub -> crawl -> store -> app, in one command (data labelled simulated)."""
    path = _demo_store(store_path, models, seed, force)
    click.echo(
        f"Demo store ready: {path}\n  try: lineage share --store {path}\n"
        f"       lineage tree Qwen/Qwen2.5-7B --store {path}",
        err=True,
    )
    if not no_app:
        _run_app(path, port)


@cli.command()
@store_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50_000,
    show_default=True,
    help="Newest models to crawl from the live Hub.",
)
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--no-app", is_flag=True)
def start(store_path: Path | None, limit: int, port: int, no_app: bool) -> None:
    """First run: crawl the newest models from the live Hub if reachable, else the offline demo;
    then open the app."""
    from lineage.hub import CrawlConfig, Crawler, hub_reachable, resolve_endpoint
    from lineage.render.progress import crawl_progress

    endpoint = resolve_endpoint(None)
    if hub_reachable(endpoint):
        path = store_path or default_store_path()
        with open_store(path) as store, crawl_progress() as on_page:
            crawler = Crawler(store, CrawlConfig(), on_page=on_page)
            if store.has_complete_full_crawl():  # keep it fresh: only what changed
                click.echo(f"{endpoint} is reachable: updating {path} incrementally", err=True)
                crawler.run("auto")
            else:  # first run (or an unfinished first run, which this resumes)
                click.echo(
                    f"{endpoint} is reachable: crawling the newest {limit:,} models into {path}", err=True
                )
                crawler.run("full", limit=limit)
    else:
        click.echo(
            f"The Hub ({endpoint}) is not reachable from here: running the offline demo on a "
            "simulated hub instead (the app labels it SIMULATED).",
            err=True,
        )
        path = _demo_store(None, 20_000, 0)
    if not no_app:
        _run_app(path, port)


# -- export and Neo4j ---------------------------------------------------------------------------
def _export_formats() -> tuple[str, ...]:
    from lineage.export import FORMATS as EXPORT_FORMATS

    return EXPORT_FORMATS


@cli.command("export")
@click.option(
    "--root",
    "roots",
    multiple=True,
    metavar="ID",
    help="A model whose descendants to export (case-insensitive); repeatable.",
)
@click.option("--family", metavar="F", help="Every model of a registry family (Qwen, Llama, ...).")
@click.option("--all", "everything", is_flag=True, help="The whole store, streamed (flat memory).")
@click.option("--depth", type=click.IntRange(min=0), help="Keep descendants at most N links below the roots.")
@click.option("--format", "fmt", type=click.Choice(_export_formats()), required=True)
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
    from lineage.export import ExportResult, UnknownModelError, export_store, select

    if sum((bool(roots), family is not None, everything)) != 1:
        raise click.UsageError("give exactly one of --root ID (repeatable), --family F or --all")
    if everything and depth is not None:
        raise click.UsageError("--depth applies to --root and --family, not --all")
    result: ExportResult
    try:
        if everything:
            with _open_read(store_path) as store:
                result = export_store(store, fmt, output, label=store.path.stem, overwrite=force)
        else:
            lin = _load_lineage(store_path)
            try:
                nodes = select(
                    lin, roots=roots, family=family, depth=depth, registry=_registry(registry_path)
                )
            except UnknownModelError as exc:
                with _open_read(store_path) as store:
                    hints = list(
                        dict.fromkeys(
                            h for m in exc.missing for h in store.search_ids(m.split("/")[-1], limit=4)
                        )
                    )
                hint = ("; did you mean: " + ", ".join(hints[:8])) if hints else ""
                raise click.ClickException(f"{exc}{hint}") from None
            label = family if family is not None else roots[0] if len(roots) == 1 else f"{roots[0]}-and-more"
            result = export_store(lin, fmt, output, nodes=nodes, label=label, overwrite=force)
    except FileExistsError as exc:
        raise click.ClickException(f"{exc}: pass --force to overwrite") from None
    except IsADirectoryError as exc:
        raise click.ClickException(f"{exc}: choose another -o") from None
    click.echo(f"Wrote {result.nodes:,} models and {result.edges:,} links ({fmt}):")
    for p in result.paths:
        click.echo(f"  {p}")


@cli.group()
def neo4j() -> None:
    """Sync the store into Neo4j (credentials from NEO4J_USER / NEO4J_PASSWORD)."""


class _PushProgress:
    """Progress of a push: a rich bar per phase on a terminal, a line per phase otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: Any = None
        self.tasks: dict[str, Any] = {}
        self.last = ("", 0.0)

    def __enter__(self) -> Callable[[Any], None]:
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bars = Progress(
                TextColumn("[bold]{task.description:<8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self.bars.__enter__()
        return self.update

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.__exit__(*exc)

    def update(self, p: Any) -> None:
        import time

        if not self.enabled:
            return
        if self.bars is not None:
            if p.phase not in self.tasks:
                self.tasks[p.phase] = self.bars.add_task(p.phase, total=p.total)
            self.bars.update(self.tasks[p.phase], completed=p.done, total=p.total)
            return
        now = time.monotonic()
        if p.phase != self.last[0] or now - self.last[1] >= 15 or p.done == p.total:
            self.last = (p.phase, now)
            click.echo(f"push phase={p.phase} done={p.done} total={p.total} batches={p.batches}", err=True)


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
    from lineage.neo4j.push import Neo4jSyncError, open_driver, push, redact_uri

    with _open_read(store_path) as ro:  # a clear error if there is no store
        path = ro.path
    from neo4j.exceptions import DriverError, Neo4jError

    def driver_error(exc: Exception) -> click.ClickException:
        # The driver's messages can quote the URI: only its redacted form is shown.
        what = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}".replace(uri, redact_uri(uri))
        return click.ClickException(
            f"Neo4j at {redact_uri(uri)} failed ({what[:300]}). Committed batches are recorded; "
            "run `lineage neo4j push` again to resume."
        )

    try:
        driver = open_driver(uri)
    except Neo4jSyncError as exc:
        raise click.ClickException(str(exc)) from None
    except (DriverError, Neo4jError, ValueError) as exc:
        raise driver_error(exc) from None
    try:
        with open_store(path) as store, driver, _PushProgress(fmt == "table") as on_batch:
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
    except Neo4jSyncError as exc:
        raise click.ClickException(str(exc)) from None
    except (DriverError, Neo4jError) as exc:
        raise driver_error(exc) from None
    if fmt == "json":
        _emit_obj(summary.as_dict())
        return
    s = summary
    click.echo(
        f"Pushed to {redact_uri(uri)}{f' (database {database})' if database else ''}: {s.mode}"
        f"{', resumed' if s.resumed else ''}, {s.batches:,} batches in {s.seconds:.1f} s\n"
        f"  models:        created {s.nodes_created:,}, updated {s.nodes_updated:,}, "
        f"unchanged {s.nodes_unchanged:,}\n"
        f"  relationships: created {s.relationships_created:,}, updated {s.relationships_updated:,}, "
        f"unchanged {s.relationships_unchanged:,}, removed {s.relationships_removed:,}"
        + (
            f", skipped {s.relationships_skipped:,} (endpoint not pushed yet; the next push adds them)"
            if s.relationships_skipped
            else ""
        )
        + (f"\n  placeholders removed: {s.placeholders_removed:,}" if s.placeholders_removed else "")
        + f"\n  Neo4j now holds {s.graph_models:,} models and {s.graph_relationships:,} BASE_OF relationships"
    )


def main() -> None:
    cli(prog_name="lineage")
