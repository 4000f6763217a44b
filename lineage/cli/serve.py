"""``lineage app``, ``demo``, ``start``, ``simulate`` and ``simhub``: the explorer and the simulated Hub."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from lineage.cli import cli
from lineage.cli.options import refresh_snapshot, store_option, store_path_to_read
from lineage.store import default_store_path, open_store

_PORT = click.option("--port", type=int, default=8501, show_default=True, help="Port on 127.0.0.1.")


def _serve(store: Path, port: int) -> None:
    from lineage.app.serve import serve

    def started(url: str) -> None:
        click.echo(f"Serving the app at {url}  (store: {store}; Ctrl-C to stop)", err=True)

    raise SystemExit(serve(store, port, on_start=started))


def _check_port(port: int, no_app: bool) -> None:
    """Before any long work: the app will be able to start (Streamlit installed, port free)."""
    if not no_app:
        from lineage.app.serve import check_can_serve

        check_can_serve(port)


def _build_demo(store_path: Path | None, models: int, seed: int, force: bool) -> Path:
    from lineage.hub import CrawlSummary
    from lineage.sim.demo import build_demo_store, prepare_demo_store

    path = prepare_demo_store(store_path, force=force)
    click.echo(
        f"Simulating a hub of {models:,} models (seed {seed}), serving it on 127.0.0.1 and "
        f"crawling it into {path} ...",
        err=True,
    )

    started = [time.monotonic()]

    def step(text: str) -> None:
        started[0] = time.monotonic()
        click.echo(f"  {text}", err=True)

    def report(s: CrawlSummary) -> None:  # (its own clock is the demo's simulated one)
        click.echo(
            f"  crawl #{s.crawl_id}: {s.models:,} models, {s.links:,} links, {s.requests} requests, "
            f"in {time.monotonic() - started[0]:.1f} s",
            err=True,
        )

    try:
        build_demo_store(path, models, seed, on_crawl=report, on_step=step)
    except KeyboardInterrupt:
        click.echo(
            f"\nInterrupted: the demo store {path} is incomplete. Run `lineage demo` again to build it anew.",
            err=True,
        )
        sys.exit(130)
    refresh_snapshot(path)
    return path


@cli.command()
@store_option
@_PORT
def app(store_path: Path | None, port: int) -> None:
    """Open the Streamlit explorer on 127.0.0.1 (streamlit run app.py)."""
    _serve(store_path_to_read(store_path), port)


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
@_PORT
@click.option("--no-app", is_flag=True, help="Build the demo store and stop.")
@click.option("--force", is_flag=True, help="Replace the store even if it holds crawled data.")
def demo(store_path: Path | None, models: int, seed: int, port: int, no_app: bool, force: bool) -> None:
    """Offline demo: simulated hub -> crawl -> store -> app, in one command (data labelled simulated)."""
    _check_port(port, no_app)
    path = _build_demo(store_path, models, seed, force)
    click.echo(
        f"Demo store ready: {path}\n  try: lineage share --store {path}\n"
        f"       lineage tree Qwen/Qwen2.5-7B --store {path}",
        err=True,
    )
    if not no_app:
        _serve(path, port)


@cli.command()
@store_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50_000,
    show_default=True,
    help="Newest models to crawl from the live Hub.",
)
@_PORT
@click.option("--no-app", is_flag=True, help="Fill the store and stop.")
def start(store_path: Path | None, limit: int, port: int, no_app: bool) -> None:
    """First run: crawl the newest models from the live Hub if reachable, else the offline demo;
    then open the app."""
    from lineage.hub import CrawlConfig, Crawler, hub_reachable, resolve_endpoint
    from lineage.render.progress import crawl_progress

    _check_port(port, no_app)
    endpoint = resolve_endpoint(None)
    if hub_reachable(endpoint):
        path = store_path or default_store_path()
        click.echo(f"{endpoint} is reachable: crawling it into {path} (newest {limit:,} first)", err=True)
        with open_store(path) as store, crawl_progress() as on_page:
            Crawler(store, CrawlConfig(), on_page=on_page).refresh(limit)
        refresh_snapshot(path)
    else:
        click.echo(
            f"The Hub ({endpoint}) is not reachable from here: running the offline demo on a "
            "simulated hub instead (the app labels it SIMULATED).",
            err=True,
        )
        path = _build_demo(None, 20_000, 0, force=False)
    if not no_app:
        _serve(path, port)


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
