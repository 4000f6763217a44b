"""The offline demo: a simulated hub, crawled through HTTP into a store, with history.

Three full crawls a month apart (on a simulated clock) give the store a snapshot history, so
adoption over time can be charted and ``lineage diff`` (the app's What changed page) has changes
to show: each crawl lists the hub as it was on its date (the models created before it; the last
crawl lists them all), and between crawls downloads grow by family, as they would.
Everything it writes is labelled simulated (the app shows a banner).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from lineage.errors import InputError
from lineage.hub import CrawlConfig, Crawler, CrawlSummary
from lineage.sim.generate import generate
from lineage.sim.server import SimHub
from lineage.store import StoreError, delete_store, open_store
from lineage.store import default_demo_path as store_default_demo_path

__all__ = [
    "DEMO_BULK_RULES",
    "SNAPSHOT_DATES",
    "DemoStoreError",
    "build_demo_store",
    "default_demo_path",
    "prepare_demo_store",
    "replaceable",
]

#: Simulated crawl dates of the demo's snapshots.
SNAPSHOT_DATES = ("2026-09-01", "2026-10-01", "2026-11-01")
#: The demo store's bulk-upload thresholds (see lineage.analytics.bulk): the simulated hub's bulk
#: episodes shrink with the hub (about 400 models each at the real Hub's size, 4 at the demo's
#: 20,000), so below 300,000 models the demo flags 3 templated uploads within a day, not 10.
#: `lineage bulk --defaults` restores the defaults.
DEMO_BULK_RULES = {"min_templated": 3}
# Monthly growth of downloads per family in the demo's snapshot history.
_GROWTH = {"Qwen": 1.25, "DeepSeek": 1.15, "GLM": 1.2, "Llama": 0.95, "Mistral": 0.97}


class _DemoClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def build_demo_store(
    path: str | os.PathLike[str],
    models: int = 20_000,
    seed: int = 0,
    *,
    snapshots: int = len(SNAPSHOT_DATES),
    on_crawl: Callable[[CrawlSummary], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[CrawlSummary]:
    """Simulate ``models`` models, serve them on 127.0.0.1 and crawl them ``snapshots`` times;
    ``on_step`` hears each step as it starts, ``on_crawl`` each crawl as it ends."""
    step = on_step or (lambda _: None)
    begin = time.perf_counter()
    pairs = list(generate(models, seed))
    step(f"simulated {len(pairs):,} models in {time.perf_counter() - begin:.1f} s")
    summaries = []
    with open_store(path) as store:
        # Labelled before the first page: an interrupted demo is still a demo (replaceable).
        store.set_meta("simulated", "true")
        for k, day in enumerate(SNAPSHOT_DATES[:snapshots]):
            items = []
            last = k == snapshots - 1
            for item, truth in pairs:
                if not last and (item.get("createdAt") or "") >= day:
                    continue  # not created yet on this crawl's date
                growth = max((_GROWTH.get(f, 1.0) for f in truth["families"]), default=1.0)
                # 30-day downloads of the month before snapshot k; all-time downloads are the
                # final all-time figure minus the months still to come, so they grow too.
                monthly = [int(item["downloads"] * growth ** (j - snapshots + 1)) for j in range(snapshots)]
                all_time = int(item.get("downloadsAllTime") or 0) - sum(monthly[k + 1 :])
                items.append({**item, "downloads": monthly[k], "downloadsAllTime": max(monthly[k], all_time)})
            when = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
            step(f"crawling the hub as on {day} ({len(items):,} models) ...")
            with SimHub(items) as hub:
                crawler = Crawler(store, CrawlConfig(endpoint=hub.url), clock=_DemoClock(when))
                summary = crawler.run("full", restart=True)
            summaries.append(summary)
            if on_crawl is not None:
                on_crawl(summary)
        store.set_meta("simulated", "true")
        store.set_meta("demo", f"models={models} seed={seed}")
        if models < 300_000:
            store.set_bulk_rules(DEMO_BULK_RULES)
    return summaries


def default_demo_path() -> Path:
    """``demo.sqlite`` beside the default store (``$LINEAGE_STORE`` is not used by the demo)."""
    return store_default_demo_path()


class DemoStoreError(InputError):
    """The demo would replace a store that holds crawled (not simulated) data."""


def replaceable(path: str | os.PathLike[str]) -> bool:
    """True if the demo may replace the file at ``path``: absent, a simulated store, or an empty
    store (never a store a crawl filled from a real hub, nor a file that is not a store)."""
    if not Path(path).exists():
        return True
    try:
        with open_store(path, readonly=True) as old:
            return old.is_simulated() or not old.has_models(include_deleted=True)
    except StoreError:
        return False


def prepare_demo_store(path: str | os.PathLike[str] | None = None, *, force: bool = False) -> Path:
    """The demo store's path, emptied for a new demo; refuses to replace crawled data unless
    ``force``."""
    target = Path(path) if path is not None else default_demo_path()
    if not force and not replaceable(target):
        raise DemoStoreError(
            f"{target} holds crawled (not simulated) data; the demo will not replace it. "
            "Pass another --store, or --force to overwrite it."
        )
    delete_store(target)
    return target
