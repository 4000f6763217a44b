"""Shared fixtures: simulated hubs with ground truth, the real sample, a simulated clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.simulate import generate
from lineage.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_SAMPLE = SHARED / "real-sample"
ATOM = SHARED / "atom"


class FakeClock:
    """A simulated clock: ``sleep`` advances time instantly. Shared by crawler and simhub."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start
        self.slept = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def __call__(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(0.0, seconds)
            self.slept += max(0.0, seconds)


class SimData:
    """A generated hub: listing items in creation order and the truth per model id."""

    def __init__(self, n: int, seed: int) -> None:
        self.items: list[dict[str, Any]] = []
        self.truth: dict[str, dict[str, Any]] = {}
        for item, truth in generate(n, seed):
            self.items.append(item)
            self.truth[truth["id"]] = truth

    def true_edges(self) -> set[tuple[str, str, str]]:
        return {(c, p, r) for c, t in self.truth.items() for p, r in t["parents"]}


@pytest.fixture(scope="session")
def sim100k() -> SimData:
    return SimData(100_000, seed=7)


@pytest.fixture(scope="session")
def sim5k() -> SimData:
    return SimData(5_000, seed=11)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def real_sample_items() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (REAL_SAMPLE / "models.jsonl").read_bytes().splitlines() if line]


def store_edges(store: Store) -> set[tuple[str, str, str]]:
    """(child, parent, relation) of every link in the graph (cycle links set aside)."""
    return {(c, p, r) for c, p, r, _ in store.iter_links()}


def store_ids(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT id FROM models WHERE deleted_at IS NULL")}


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[Store]:
    from lineage.store import open_store

    with open_store(tmp_path / "lineage.sqlite") as st:
        yield st


@pytest.fixture(scope="session")
def sim100k_store(sim100k: SimData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 100k simulated hub crawled (through HTTP) into a store, once per session."""
    from lineage.crawl import CrawlConfig, Crawler
    from lineage.simhub import SimHub
    from lineage.store import open_store

    path = tmp_path_factory.mktemp("sim100k") / "lineage.sqlite"
    with SimHub(sim100k.items) as hub, open_store(path) as st:
        Crawler(st, CrawlConfig(endpoint=hub.url)).run()
    return path
