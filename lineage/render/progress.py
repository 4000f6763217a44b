"""Progress display for long work: a rich bar on a terminal, sparse key=value lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from lineage.hub import CrawlProgress

__all__ = ["count_progress", "crawl_progress", "phase_progress"]


def _interactive() -> bool:
    return sys.stderr.isatty()


@contextmanager
def crawl_progress(enabled: bool = True) -> Iterator[Callable[[CrawlProgress], None]]:
    """Yield an ``on_page`` callback for :class:`lineage.hub.Crawler`."""
    start = time.monotonic()
    if not enabled:
        yield lambda p: None
        return
    if not _interactive():
        last = [0.0]

        def log_line(p: CrawlProgress) -> None:
            now = time.monotonic()
            if now - last[0] >= 15 or p.pages == 1:
                last[0] = now
                rate = p.models / max(1e-9, now - start)
                print(
                    f"crawl id={p.crawl_id} mode={p.mode} pages={p.pages} models={p.models} new={p.new} "
                    f"updated={p.updated} skipped={p.skipped} requests={p.requests} retries={p.retries} "
                    f"rate_limit_waits={p.rate_limit_waits} models_per_s={rate:.0f} at={p.last_date}",
                    file=sys.stderr,
                    flush=True,
                )

        yield log_line
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8} models/s"),
        TextColumn("pages {task.fields[pages]}  retries {task.fields[retries]}  at {task.fields[at]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        task = progress.add_task("crawl", total=None, rate="-", pages=0, retries=0, at="")

        def update(p: CrawlProgress) -> None:
            elapsed = max(1e-9, time.monotonic() - start)
            total = p.expected_total if p.expected_total and p.expected_total >= p.models else None
            progress.update(
                task,
                completed=p.models,
                total=total,
                description=f"crawl ({p.mode})",
                rate=f"{p.models / elapsed:,.0f}",
                pages=p.pages,
                retries=p.retries,
                at=(p.last_date or "")[:10],
            )

        yield update


@contextmanager
def count_progress(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)`` for a counted job (a bar on a terminal, nothing otherwise)."""
    if not _interactive():
        yield lambda n: None
        return
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def phase_progress(enabled: bool = True, label: str = "push") -> Iterator[Callable[[Any], None]]:
    """Yield a callback for work in phases (``p.phase``, ``p.done``, ``p.total``, ``p.batches``),
    such as a Neo4j push: a bar per phase on a terminal, a line per phase (at most every 15 s)
    otherwise."""
    if not enabled:
        yield lambda p: None
        return
    if not _interactive():
        last_phase, last_time = [""], [0.0]

        def log_line(p: Any) -> None:
            now = time.monotonic()
            if p.phase != last_phase[0] or now - last_time[0] >= 15 or p.done == p.total:
                last_phase[0], last_time[0] = p.phase, now
                print(
                    f"{label} phase={p.phase} done={p.done} total={p.total} batches={p.batches}",
                    file=sys.stderr,
                    flush=True,
                )

        yield log_line
        return
    bars = Progress(
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    tasks: dict[str, Any] = {}
    with bars:

        def update(p: Any) -> None:
            if p.phase not in tasks:
                tasks[p.phase] = bars.add_task(p.phase, total=p.total)
            bars.update(tasks[p.phase], completed=p.done, total=p.total)

        yield update
