"""Shared fixtures: simulated hubs with ground truth, the real sample, stores built once per
session, a simulated clock, and Neo4j's Cypher parser. Plain helpers are in helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import (
    DEMO3K_MODELS,
    DEMO3K_SEED,
    REAL_SAMPLE,
    CypherLint,
    FakeClock,
    SimData,
    build_store,
    built_once,
    cypher_lint_skipped,
    dirty_items,
    ingest_items,
    store_edges,
    store_ids,
)

from lineage.store import Store

# Imported from here by test modules written before helpers.py (test_crawl).
__all__ = ["REAL_SAMPLE", "FakeClock", "SimData", "store_edges", "store_ids"]


@pytest.fixture(scope="session")
def sim100k(tmp_path_factory: pytest.TempPathFactory) -> SimData:
    return SimData.shared(100_000, 7, tmp_path_factory)


@pytest.fixture(scope="session")
def sim5k() -> SimData:
    return SimData(5_000, seed=11)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def real_sample_items() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (REAL_SAMPLE / "models.jsonl").read_bytes().splitlines() if line]


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


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[Store]:
    from lineage.store import open_store

    with open_store(tmp_path / "lineage.sqlite") as st:
        yield st


@pytest.fixture(scope="session")
def sim20k(tmp_path_factory: pytest.TempPathFactory) -> SimData:
    """A 20k-model simulated hub and its truth: the analytics' ground truth."""
    return SimData.shared(20_000, 7, tmp_path_factory)


@pytest.fixture(scope="session")
def sim20k_store(sim20k: SimData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 20k simulated hub written into a store, once per run: cleaned and resolved as a crawl
    does, without the HTTP round trip (test_crawl checks that crawls give the simulator's truth;
    the analytics are checked against that truth)."""
    from lineage.store import open_store

    def build(folder: Path) -> None:
        with open_store(folder / "lineage.sqlite") as st:
            ingest_items(st, sim20k.items)

    return built_once(tmp_path_factory, "sim20k-store", build) / "lineage.sqlite"


@pytest.fixture(scope="session")
def sim100k_store(sim100k: SimData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 100k simulated hub crawled through HTTP into a store (bulk detection included, as
    after `lineage crawl`), once per run."""
    from lineage.hub import CrawlConfig, Crawler
    from lineage.sim.server import SimHub
    from lineage.store import open_store

    def build(folder: Path) -> None:
        with SimHub(sim100k.items) as hub, open_store(folder / "lineage.sqlite") as st:
            Crawler(st, CrawlConfig(endpoint=hub.url)).run()

    return built_once(tmp_path_factory, "sim100k-store", build) / "lineage.sqlite"


# -- export and Neo4j tests ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def real_sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 363 real Hub models of ../shared/data/real-sample crawled into a store, once."""
    from lineage.hub import CrawlConfig, Crawler
    from lineage.sim.server import SimHub
    from lineage.store import open_store

    def build(folder: Path) -> None:
        with SimHub.from_dir(REAL_SAMPLE) as hub, open_store(folder / "lineage.sqlite") as st:
            Crawler(st, CrawlConfig(endpoint=hub.url)).run()

    return built_once(tmp_path_factory, "real-sample-store", build) / "lineage.sqlite"


@pytest.fixture(scope="session")
def demo3k_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3000-model simulated hub crawled into a store (one snapshot), once."""
    from lineage.sim.demo import build_demo_store

    def build(folder: Path) -> None:
        build_demo_store(folder / "lineage.sqlite", models=DEMO3K_MODELS, seed=DEMO3K_SEED, snapshots=1)

    return built_once(tmp_path_factory, "demo3k-store", build) / "lineage.sqlite"


@pytest.fixture(scope="session")
def dirty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Listing items with dirty ids (helpers.DIRTY_IDS) written into a store, once. Read only:
    tests that write (a push records its progress) copy it first."""
    return build_store(tmp_path_factory.mktemp("dirty") / "lineage.sqlite", dirty_items())


@pytest.fixture(scope="session")
def cypher_lint() -> Iterator[CypherLint]:
    """Neo4j's Cypher parser (tools/cypher-lint), started once per session (per xdist worker):
    ``cypher_lint(text, params=())`` returns its report."""
    if cypher_lint_skipped():
        pytest.skip("LINEAGE_SKIP_CYPHER_LINT=1: the Cypher syntax check is switched off")
    linter = CypherLint()
    yield linter
    linter.close()


# -- app fixtures (tests/test_app.py, tests/test_browser_e2e.py) ---------------------------------
@pytest.fixture(scope="session")
def app_demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated store (simulate -> serve on 127.0.0.1 -> crawl), labelled simulated."""
    from lineage.sim.demo import build_demo_store

    # 20,000 models (the demo's default): since the simulator follows the real Hub (28% of models
    # declare a base, spread over many bases), a small hub has no Qwen tree big enough for the
    # Explore tests (BIG in test_app.py).
    def build(folder: Path) -> None:
        build_demo_store(folder / "demo.sqlite", models=20_000, seed=1, snapshots=1)

    return built_once(tmp_path_factory, "app-demo-store", build) / "demo.sqlite"


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
