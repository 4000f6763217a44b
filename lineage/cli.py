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

from . import __version__
from .render import FORMATS, render
from .store import StoreError, default_store_path, open_store

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("lineage")


# -- shared options ------------------------------------------------------------------------
def store_option(f: F) -> F:
    return click.option(
        "--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        envvar="LINEAGE_STORE", show_envvar=True,
        help=f"Store file (default: {default_store_path()}).",
    )(f)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    def deco(f: F) -> F:
        return click.option(
            "--format", "fmt", type=click.Choice(choices or FORMATS), default=default, show_default=True,
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
        from .crawl import CrawlError

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
    logging.basicConfig(level=max(logging.DEBUG, level), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# -- crawl ---------------------------------------------------------------------------------
@cli.command()
@store_option
@click.option("--full", is_flag=True, help="List every model and tombstone the ones that disappeared.")
@click.option("--since", metavar="DATE", help="Fetch models created or modified since DATE (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N models (newest first).")
@click.option("--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or huggingface.co).")
@click.option("--restart", is_flag=True, help="Abandon an unfinished crawl instead of resuming it.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
@format_option("table", "json")
def crawl(store_path: Path | None, full: bool, since: str | None, limit: int | None,
          endpoint: str | None, restart: bool, timeout: float, fmt: str) -> None:
    """Crawl the Hub's model listing into the store (resumable, incremental).

    The first crawl lists every model (about 3,000 requests for 3M models; the Hub's rate
    limit, not lineage, sets the pace). Later crawls fetch only models created or modified
    since the last one. An interrupted crawl resumes where it stopped. HF_TOKEN raises the
    rate limit; it is never printed or logged.
    """
    from .crawl import CrawlConfig, Crawler
    from .progress import crawl_progress

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
                click.echo("\nInterrupted. Everything fetched so far is saved; run `lineage crawl` "
                           "again to resume.", err=True)
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
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for models.jsonl, truth.jsonl and meta.json.")
@click.option("--dirt", type=float, default=1.0, show_default=True,
              help="Multiply every dirty-metadata rate by this factor (0 = clean).")
def simulate(n: int, seed: int, out: Path, dirt: float) -> None:
    """Write a synthetic hub (Hub listing items as JSON Lines) with its ground truth."""
    from .progress import count_progress
    from .simulate import DirtRates, write_hub

    with count_progress("simulating", total=n) as advance:
        meta = write_hub(out, n, seed, dirt=DirtRates().scaled(dirt), progress=advance)
    click.echo(f"Wrote {meta['models']:,} models and {meta['edges']:,} true parent links to {out}/")


@cli.command()
@click.option("--models", "n", type=click.IntRange(min=1), help="Serve a freshly simulated hub of N models.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--data", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Serve DIR/models.jsonl (e.g. ../shared/data/real-sample or a `simulate` folder).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address (loopback by default).")
@click.option("--faults", metavar="SPEC", help="Fault injection, e.g. '503:0.05,stall:0.01,quota=500'.")
def simhub(n: int | None, seed: int, data: Path | None, port: int, host: str, faults: str | None) -> None:
    """Serve a simulated Hugging Face Hub API on 127.0.0.1 (for tests, benchmarks, demos)."""
    from .simhub import SimHub

    if (n is None) == (data is None):
        raise click.UsageError("give exactly one of --models N or --data DIR")
    if data is not None:
        hub = SimHub.from_dir(data, faults=faults, seed=seed)
    else:
        from .simulate import generate

        assert n is not None
        hub = SimHub((item for item, _ in generate(n, seed)), faults=faults, seed=seed)
    click.echo(f"Serving {len(hub):,} models at http://{host}:{port}  (Ctrl-C to stop)\n"
               f"  crawl it: lineage crawl --endpoint http://{host}:{port}", err=True)
    hub.serve_forever(host, port)


# -- data quality ------------------------------------------------------------------------------
@cli.command()
@store_option
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Example models shown per kind.")
@format_option("table", "json")
def quality(store_path: Path | None, examples: int, fmt: str) -> None:
    """Data-quality report: what was repaired, skipped, left unresolved, and why."""
    from .quality import quality_report

    with _open_read(store_path) as store:
        report = quality_report(store, examples=examples)
    if fmt == "json":
        _emit_obj(report)
        return
    from .quality import format_quality

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


def main() -> None:
    cli(prog_name="lineage")
