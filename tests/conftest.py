"""Shared fixtures: simulated hubs with ground truth, the real sample, a simulated clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.sim.generate import generate
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


def ingest_items(
    store: Store,
    items: list[dict[str, Any]],
    *,
    endpoint: str = "test",
    finished_at: str = "2025-10-07T00:00:00.000Z",
) -> None:
    """Write listing items into ``store`` as one completed crawl, without HTTP, and resolve."""
    from lineage.families import default_registry
    from lineage.records import normalize_item

    records, repairs = [], []
    for item in items:
        rec, reps = normalize_item(item)
        assert rec is not None
        records.append(rec)
        repairs.extend(reps)
    crawl = store.start_crawl(
        mode="full",
        endpoint=endpoint,
        sort="createdAt",
        since=None,
        model_limit=None,
        first_query="/api/models",
    )
    store.write_page(crawl.id, records, repairs, next_query=None, requests=1)
    store.update_crawl(crawl.id, status="done", finished_at=finished_at)
    store.resolve_links(default_registry().aliases)


def as_schema_1(path: Path) -> None:
    """Make a store look as the first release wrote it (schema 1): no application id, none of
    the later indexes, tables (the change history) and columns (``license_name``)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        for (name,) in names.fetchall():
            conn.execute(f"DROP INDEX {name}")
        conn.execute("DROP TABLE link_events")
        conn.execute("DROP TABLE model_events")
        conn.execute("ALTER TABLE models DROP COLUMN license_name")
        conn.execute("DELETE FROM meta WHERE key = 'history_from'")
        conn.execute("PRAGMA application_id = 0")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.commit()
    finally:
        conn.close()


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
    from lineage.hub import CrawlConfig, Crawler
    from lineage.sim.server import SimHub
    from lineage.store import open_store

    path = tmp_path_factory.mktemp("sim100k") / "lineage.sqlite"
    with SimHub(sim100k.items) as hub, open_store(path) as st:
        Crawler(st, CrawlConfig(endpoint=hub.url)).run()
    return path


# -- export and Neo4j tests (appended) ----------------------------------------------------------
@pytest.fixture(scope="session")
def real_sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 363 real Hub models of ../shared/data/real-sample crawled into a store, once."""
    from lineage.hub import CrawlConfig, Crawler
    from lineage.sim.server import SimHub
    from lineage.store import open_store

    path = tmp_path_factory.mktemp("real-sample") / "lineage.sqlite"
    with SimHub.from_dir(REAL_SAMPLE) as hub, open_store(path) as st:
        Crawler(st, CrawlConfig(endpoint=hub.url)).run()
    return path


@pytest.fixture(scope="session")
def demo3k_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3000-model simulated hub crawled into a store (one snapshot), once."""
    from lineage.sim.demo import build_demo_store

    path = tmp_path_factory.mktemp("demo3k") / "lineage.sqlite"
    build_demo_store(path, models=3000, seed=1, snapshots=1)
    return path


# -- app fixtures (tests/test_app.py, tests/test_browser_e2e.py) ---------------------------------
@pytest.fixture(scope="session")
def app_demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated store (simulate -> serve on 127.0.0.1 -> crawl), labelled simulated."""
    from lineage.sim.demo import build_demo_store

    path = tmp_path_factory.mktemp("app-demo") / "demo.sqlite"
    # 20,000 models (the demo's default): since the simulator follows the real Hub (28% of models
    # declare a base, spread over many bases), a small hub has no Qwen tree big enough for the
    # Explore tests (BIG in test_app.py).
    build_demo_store(path, models=20_000, seed=1, snapshots=1)
    return path


@pytest.fixture(scope="session")
def xss_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A crawled (not simulated) store whose model ids and card fields carry HTML/JS payloads.

    Returns the store path and the payload model ids by name: ``script`` and ``img`` (ids with a
    ``<script>`` and an ``"><img onerror>`` payload), ``markdown`` (Markdown/LaTeX directives),
    ``base`` (their clean parent) and ``org_root`` (a root whose org, hence fallback family, is a
    payload).
    """
    from lineage.store import open_store

    script = "<script>alert(1)</script>"
    img = '"><img src=x onerror=window.__pwned=1>'
    ids = {
        "base": "Qwen/Qwen2.5-7B",
        "script": f"evil/{script}",
        "img": f"evil/{img}",
        "markdown": "evil/[click](javascript:alert(1)) :red[red] $x^2$",
        "org_root": f"{img}/root",
    }
    items: list[dict[str, Any]] = [
        {
            "id": ids["base"],
            "createdAt": "2024-09-01T00:00:00.000Z",
            "downloads": 9000,
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "tags": ["license:apache-2.0"],
        },
        {
            "id": ids["script"],
            "createdAt": "2025-10-02T00:00:00.000Z",
            "downloads": 50,
            "author": img,
            "pipeline_tag": img,
            "library_name": script,
            "tags": ["base_model:finetune:Qwen/Qwen2.5-7B", f"license:{img}"],
        },
        {
            "id": ids["img"],
            "createdAt": "2025-10-03T00:00:00.000Z",
            "downloads": 40,
            "tags": ["base_model:quantized:Qwen/Qwen2.5-7B", f"license:{script}"],
            "cardData": {"base_model": ["Qwen/Qwen2.5-7B", script, img]},
        },
        {
            "id": ids["markdown"],
            "createdAt": "2025-10-04T00:00:00.000Z",
            "downloads": 30,
            "tags": ["base_model:adapter:Qwen/Qwen2.5-7B"],
        },
        {"id": ids["org_root"], "createdAt": "2025-10-05T00:00:00.000Z", "downloads": 20},
        {
            "id": "ok/Qwen2.5-7B-GGUF",
            "createdAt": "2025-10-06T00:00:00.000Z",
            "downloads": 60,
            "tags": ["base_model:quantized:evil/" + script],
        },
    ]
    path = tmp_path_factory.mktemp("xss") / "xss.sqlite"
    with open_store(path) as store:
        ingest_items(store, items, endpoint="http://127.0.0.1:9")
    return path, ids
