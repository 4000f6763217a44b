"""What every command shares: the ``--store``, ``--format`` and ``--registry`` options, opening
the store, and writing results. Commands stay a few lines each."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lineage.render import FORMATS, jsontext, render
from lineage.store import Store, default_store_path, open_store, store_to_read

if TYPE_CHECKING:
    from lineage.analytics import Table
    from lineage.families import Registry
    from lineage.graph import Lineage
    from lineage.licenses import LicenseTable

F = TypeVar("F", bound=Callable[..., Any])
_NOTED: set[str] = set()


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


def registry_option(f: F) -> F:
    return click.option(
        "--registry",
        "registry_path",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Your family registry TOML (extends the built-in one).",
    )(f)


def licenses_option(f: F) -> F:
    return click.option(
        "--licenses",
        "licenses_path",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Your licence class table TOML (extends the built-in one).",
    )(f)


def by_option(f: F) -> F:
    return click.option(
        "--by",
        type=click.Choice(["family", "org", "region"]),
        default="family",
        show_default=True,
        help="Group roots by registry family, Hub namespace (org), or region.",
    )(f)


def model_refs(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """A click callback: each model as typed, an id or a Hub URL of the model (or of a page
    below it, ``/tree/main``), made an id (:func:`lineage.refs.model_ref`)."""
    from lineage.refs import model_ref

    def one(text: str) -> str:
        ref = model_ref(text)
        if not ref:
            raise click.BadParameter(f"{text!r} names no model: give an id (Qwen/Qwen2.5-7B) or its Hub URL")
        return ref

    if isinstance(value, tuple):
        return tuple(one(v) for v in value)
    return one(value) if isinstance(value, str) else value


def registry(path: Path | None) -> Registry:
    from lineage.families import default_registry, load_registry

    return load_registry(path) if path else default_registry()


def license_table(path: Path | None) -> LicenseTable:
    from lineage.licenses import default_licenses, load_licenses

    return load_licenses(path) if path else default_licenses()


def store_path_to_read(store_path: Path | None) -> Path:
    """The store a reading command uses (the demo store when it is the only one, with a note)."""
    path, note = store_to_read(store_path)
    if note and note not in _NOTED:  # once per command, however often the store is opened
        _NOTED.add(note)
        click.echo(note, err=True)
    return path


@contextmanager
def read_store(store_path: Path | None) -> Iterator[Store]:
    """The store, read-only (a clear error when there is none)."""
    with open_store(store_path_to_read(store_path), readonly=True) as store:
        yield store


def load_lineage(store_path: Path | None) -> Lineage:
    """The whole graph of a non-empty store."""
    from lineage.graph import Lineage

    with read_store(store_path) as store:
        if not store.has_models():
            raise click.ClickException(
                f"The store {store.path} is empty. Run `lineage crawl` (or `lineage demo`) first."
            )
        return Lineage.load(store)


def refresh_snapshot(path: Path) -> None:
    """After a crawl: detect the bulk uploads (the store's flags, with its chosen thresholds) and
    bring the graph snapshot and the cached root classifications of the built-in registry up to
    date, so the next question opens them in a fraction of a second."""
    import time

    from lineage.analytics import BY, group_index
    from lineage.analytics.bulk_flags import bulk_is_current, refresh_bulk
    from lineage.graph import snapshot
    from lineage.store import StoreBusyError

    with open_store(path, readonly=True) as store:
        if not store.has_models(include_deleted=True):
            return
        if snapshot.status(store) == "up to date" and bulk_is_current(store):
            return
    start = time.monotonic()
    click.echo("Updating the graph snapshot and the bulk-upload flags ...", err=True, nl=False)
    try:
        with open_store(path) as store:
            lin, done = refresh_bulk(store)
    except StoreBusyError as exc:
        click.echo(f" skipped: {exc}", err=True)
        return
    for by in BY:
        group_index(lin, by)
    click.echo(
        f" {len(lin):,} nodes, {done.models:,} bulk uploads flagged "
        f"({f'detection {done.detect_seconds:.2f} s' if done.detected else 'flags already current'}), "
        f"in {time.monotonic() - start:.1f} s",
        err=True,
    )


def crawl_note(store_path: Path | None) -> str | None:
    """A note when the store is mid-crawl (running or stopped part-way); None otherwise."""
    with read_store(store_path) as store:
        return store.crawl_status()


def unknown_models(store_path: Path | None, missing: Sequence[str]) -> Exception:
    """The error for model ids that are not in the store, with the closest ids that are."""
    from lineage.errors import UnknownModelError

    with read_store(store_path) as store:
        return UnknownModelError(missing, store.suggest(missing))


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None) -> None:
    click.echo(render(rows, fmt, columns), nl=False)


def emit_json(obj: Any) -> None:
    """``obj`` as indented JSON with sorted keys (any nesting depth: a deep tree is fine)."""
    click.echo(jsontext.dumps(obj))


def emit_table(
    table: Table,
    fmt: str,
    rows: list[dict[str, Any]] | None = None,
    explain: bool = False,
    store_path: Path | None = None,
) -> None:
    """A table, then (for ``table`` output) its notes and method; ``--explain`` prints the method
    in full. A crawl in progress or stopped part-way is noted (on stderr for csv and json, so
    the data stays parseable)."""
    emit(table.rows if rows is None else rows, fmt, table.columns)
    crawl = crawl_note(store_path)
    if crawl:
        click.echo(f"note: {crawl}", err=fmt != "table")
    if fmt == "table":
        for note in table.notes:
            click.echo(f"note: {note}")
        if table.method:
            click.echo(table.method if explain else "Method: `--explain` prints how shares are computed.")
    elif explain and table.method:
        click.echo(table.method, err=True)
