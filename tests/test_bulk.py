"""Automated bulk uploads: detection against the simulator's truth, the stored flags, and shares
with and without them.

The truth marks every model of a simulated bulk episode (``bulk``: one author's derivatives of
one small base within a day). Detection is measured against it on a 300,000-model hub with the
default thresholds (the simulator's episodes have their real-Hub size scaled to the hub, about
40 models at 300k) and on the 100,000-model hub crawled over HTTP with thresholds scaled to its
smaller episodes (about 14 models; ``lineage bulk --min-models 4``). On both, detection is exact
(precision and recall 1.0; the tests require at least 0.95), so ``--bulk exclude`` shares equal
the truth without bulk models exactly (the tests would allow 0.5 pp only if it were not).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from click.testing import CliRunner
from conftest import SimData, ingest_items
from filelock import FileLock
from test_analytics import truth_share

from lineage.analytics import ShareQuery, share_table
from lineage.analytics.bulk import BulkRules, detect_bulk, flag_bursts, name_template
from lineage.analytics.bulk_flags import bulk_codes, bulk_is_current, refresh_bulk
from lineage.cli import cli
from lineage.graph import Lineage, snapshot
from lineage.sim.generate import write_hub
from lineage.store import open_store
from lineage.store.schema import SCHEMA_VERSION

TRUTH_KEYS = ("id", "created_at", "legacy", "parents", "families", "regions", "roots", "bulk", "first_party")


class Hub:
    """A simulated hub read back from ``truth.jsonl`` (the keys the share truth needs)."""

    def __init__(self, truth_path: Path) -> None:
        self.truth: dict[str, dict[str, Any]] = {}
        with truth_path.open("rb") as fh:
            for line in fh:
                t = orjson.loads(line)
                self.truth[t["id"]] = {k: t[k] for k in TRUTH_KEYS}
        self.items = [{"id": m} for m in self.truth]


def ingest_jsonl(path: Path, models: Path) -> None:
    """Listing items from a JSON Lines file into a new store, in pages, as one crawl."""
    lines = models.read_bytes().splitlines()
    with open_store(path) as store:
        for k in range(0, len(lines), 20_000):
            items = [orjson.loads(line) for line in lines[k : k + 20_000]]
            _write(store, items, first=k == 0, last=k + 20_000 >= len(lines))


def _write(store: Any, items: list[dict[str, Any]], *, first: bool, last: bool) -> None:
    from lineage.families import default_registry
    from lineage.records import normalize_item

    if first:
        store.start_crawl(
            mode="full", endpoint="test", sort="createdAt", since=None, model_limit=None, first_query="/"
        )
    crawl = store.crawls()[-1]
    pairs = [normalize_item(i) for i in items]
    records = [r for r, _ in pairs if r is not None]
    repairs = [x for _, reps in pairs for x in reps]
    store.write_page(crawl.id, records, repairs, next_query=None if last else "/next", requests=1)
    if last:
        store.update_crawl(crawl.id, status="done", finished_at="2026-11-01T00:00:00.000Z")
        store.resolve_links(default_registry().aliases)


@pytest.fixture(scope="session")
def hub300k(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 300,000-model simulated hub in a store, bulk uploads detected as after a crawl; built
    once per session (shared by the xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    out = base / "bulk-300k"
    store = out / "lineage.sqlite"
    with FileLock(str(out) + ".lock"):
        if not (out / "done").exists():
            write_hub(out, 300_000, seed=3)
            ingest_jsonl(store, out / "models.jsonl")
            with open_store(store) as st:
                refresh_bulk(st)
            (out / "done").touch()
    return store, out / "truth.jsonl"


@pytest.fixture(scope="module")
def big(hub300k: tuple[Path, Path]) -> tuple[Lineage, Hub]:
    return Lineage.load(hub300k[0]), Hub(hub300k[1])


def precision_recall(
    lin: Lineage, truth: dict[str, dict[str, Any]], codes: np.ndarray
) -> tuple[float, float]:
    flagged = set(lin.ids.take(np.flatnonzero(codes))) if hasattr(lin.ids, "take") else set()
    true = {m for m, t in truth.items() if t["bulk"]}
    hit = len(flagged & true)
    return hit / max(1, len(flagged)), hit / max(1, len(true))


def assert_close(rows: list[dict[str, Any]], expected: dict[tuple[str, str], float], tol: float) -> None:
    got = {(r["period"], r["group"]): r["share"] for r in rows}
    assert set(got) == set(expected), sorted(set(got) ^ set(expected))[:5]
    bad = {k: (got[k], expected[k]) for k in got if abs(got[k] - expected[k]) > tol}
    assert not bad, list(bad.items())[:5]


# -- the rules, on hand-made uploads -----------------------------------------------------------------
def graph(uploads: list[tuple[str, str, float]]) -> Lineage:
    """``(model id, base, hours after 2024-09-01)`` -> a graph."""
    created = {
        m: str(np.datetime64("2024-09-01T00:00:00") + np.timedelta64(int(h * 3600), "s"))
        for m, _, h in uploads
    }
    return Lineage.from_edges([(b, m, "adapter") for m, b, _ in uploads], created=created)


def flagged(lin: Lineage, rules: BulkRules | None = None) -> dict[str, str]:
    f = detect_bulk(lin, rules)
    return dict(zip((lin.ids[int(i)] for i in f.nodes), f.rule_names(), strict=True))


def test_templates_ignore_digits_and_case() -> None:
    assert name_template("bot/Qwen1.5-0.5B-task12-0007") == name_template("bot/QWEN1.5-0.5b-TASK9-1")
    assert name_template("bot/gemma-2b-lora-3") != name_template("bot/gemma-2b-sft-3")


def test_ten_templated_uploads_within_a_day_are_flagged_nine_are_not() -> None:
    ten = [(f"bot/m-task7-{k}", "Qwen/Qwen1.5-0.5B", 2.6 * k) for k in range(10)]  # 23.4 h
    assert flagged(graph(ten)) == {m: "templated" for m, _, _ in ten}
    assert flagged(graph(ten[:9])) == {}
    spread = [(f"bot/m-task7-{k}", "Qwen/Qwen1.5-0.5B", 2.7 * k) for k in range(10)]  # 24.3 h
    assert flagged(graph(spread)) == {}
    assert len(flagged(graph(spread), BulkRules(window_hours=25))) == 10


def test_authors_bases_and_templates_are_separate_groups() -> None:
    mixed = [(f"bot{k % 2}/m-task7-{k}", "Qwen/Qwen1.5-0.5B", 0.1 * k) for k in range(18)]
    mixed += [(f"bot/m-task7-{k}", f"Qwen/base-{k % 2}", 0.1 * k) for k in range(18)]
    mixed += [(f"bot/{'lora' if k % 2 else 'sft'}-x-{k}", "google/gemma-2b", 0.1 * k) for k in range(18)]
    assert flagged(graph(mixed)) == {}
    assert len(flagged(graph(mixed), BulkRules(min_templated=9))) == 54


def test_untemplated_mass_uploads_need_the_volume_rule() -> None:
    rng = random.Random(1)
    names = [f"bot/{''.join(rng.choice('abcdefghij') for _ in range(8))}" for _ in range(50)]
    mass = [(m, "google/gemma-2b", 0.3 * k) for k, m in enumerate(names)]
    assert flagged(graph(mass)) == {m: "volume" for m in names}
    assert flagged(graph(mass[:49])) == {}
    assert flagged(graph(mass), BulkRules(min_any=0)) == {}
    # a templated burst inside a volume burst keeps the first rule that fired
    both = mass + [(f"bot/m-task7-{k}", "google/gemma-2b", 0.3 * k) for k in range(10)]
    assert Counter(flagged(graph(both)).values()) == {"volume": 50, "templated": 10}


def test_bursts_and_their_start() -> None:
    f, start = flag_bursts(np.array([1, 1, 1, 1, 1, 1]), np.array([0, 10, 20, 500, 505, 510]), 100, 3)
    assert f.tolist() == [True] * 6 and start.tolist() == [0, 0, 0, 500, 500, 500]
    lin = graph([(f"bot/m-task7-{k}", "Qwen/Qwen1.5-0.5B", 1 + 0.5 * k) for k in range(12)])
    flags = detect_bulk(lin)
    assert set(flags.burst_start.tolist()) == {
        int(np.datetime64("2024-09-01T01:00:00", "s").astype(np.int64))
    }
    assert {lin.ids[int(b)] for b in flags.base} == {"Qwen/Qwen1.5-0.5B"}


def test_bad_thresholds_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        BulkRules(min_templated=1)
    with pytest.raises(ValueError, match="positive"):
        BulkRules(window_hours=0)
    with pytest.raises(ValueError, match="bulk must be one of"):
        ShareQuery(bulk="drop")


# -- 300k hub, default thresholds ---------------------------------------------------------------------
def test_detection_precision_and_recall_at_300k(big: tuple[Lineage, Hub]) -> None:
    lin, hub = big
    assert lin.bulk_current  # detected and stored as after a crawl, carried by the snapshot
    codes, stored = bulk_codes(lin)
    assert stored
    precision, recall = precision_recall(lin, hub.truth, codes)
    print(f"300k hub, default rules: precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.95 and recall >= 0.95
    assert precision == recall == 1.0  # exact here: the exclude test below compares exactly


@pytest.mark.parametrize("by", ["family", "region"])
def test_bulk_exclude_and_only_equal_the_truth_at_300k(big: tuple[Lineage, Hub], by: str) -> None:
    lin, hub = big
    codes, _ = bulk_codes(lin)
    exact = precision_recall(lin, hub.truth, codes) == (1.0, 1.0)
    tol = 1e-9 if exact else 0.005
    for bulk, keep in (("exclude", lambda i, t: not t["bulk"]), ("only", lambda i, t: t["bulk"])):
        table = share_table(lin, ShareQuery(by=by, bulk=bulk))
        assert_close(table.rows, truth_share(hub, by, "fractional", keep=keep), tol)  # type: ignore[arg-type]
    include = share_table(lin, ShareQuery(by=by))
    assert_close(include.rows, truth_share(hub, by, "fractional"), 1e-9)  # type: ignore[arg-type]
    n_bulk = sum(t["bulk"] for t in hub.truth.values())
    assert (
        f"{n_bulk:,} of these models are automated bulk uploads (--bulk exclude leaves them out)"
        in include.notes
    )


def test_bulk_exclude_moves_the_qwen_share_in_september_2024(big: tuple[Lineage, Hub]) -> None:
    lin, _ = big
    share = {
        bulk: {(r["period"], r["group"]): r["share"] for r in share_table(lin, bulk=bulk).rows}
        for bulk in ("include", "exclude")
    }
    assert share["include"]["2024-09", "Qwen"] - share["exclude"]["2024-09", "Qwen"] > 0.2


# -- the 100k hub crawled over HTTP, thresholds for its scale -------------------------------------------
@pytest.fixture
def store100k(sim100k_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "lineage.sqlite"
    with sqlite3.connect(sim100k_store) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return path


def test_flags_after_a_crawl_are_stored_incremental_and_survive_reloads(
    store100k: Path, sim100k: SimData
) -> None:
    rules = BulkRules(min_templated=4)
    with open_store(store100k) as store:
        store.set_bulk_rules(rules.as_dict())
        assert not bulk_is_current(store)
        lin, done = refresh_bulk(store)
        assert done.written and done.rules == rules and bulk_is_current(store)
        version = store.data_version()
        _, again = refresh_bulk(store)  # nothing changed: nothing written, the snapshot stays valid
        assert not again.written and store.data_version() == version
        assert snapshot.status(store) == "up to date"
    precision, recall = precision_recall(lin, sim100k.truth, bulk_codes(lin)[0])
    print(f"100k hub, --min-models 4: precision {precision:.4f}, recall {recall:.4f}")
    assert precision == recall == 1.0
    reloaded = Lineage.load(store100k)  # from the snapshot
    assert reloaded.bulk_current and np.array_equal(bulk_codes(reloaded)[0], bulk_codes(lin)[0])
    table = share_table(reloaded, bulk="exclude")
    assert_close(
        table.rows, truth_share(sim100k, "family", "fractional", keep=lambda i, t: not t["bulk"]), 1e-9
    )
    assert not any("detected now" in n for n in table.notes)
    fresh = Lineage.load(store100k, snapshot=False)  # from the store's tables
    assert np.array_equal(bulk_codes(fresh)[0], bulk_codes(lin)[0])

    # A later crawl writes new models: the flags no longer describe the store; questions detect
    # the bulk uploads anew (and say so) until the next detection stores them.
    new = [
        {"id": f"botnew/Qwen1.5-0.5B-task999-{k}", "createdAt": f"2026-10-20T0{k % 10}:00:00.000Z",
         "tags": ["base_model:adapter:Qwen/Qwen1.5-0.5B"]}
        for k in range(6)
    ]  # fmt: skip
    with open_store(store100k) as store:
        ingest_items(store, new)
        assert not bulk_is_current(store)
    stale = Lineage.load(store100k)
    assert not stale.bulk_current
    table = share_table(stale, ShareQuery(bulk="only", since="2026-10-01"))
    assert any("detected now" in n for n in table.notes)
    assert sum(r["models"] for r in table.rows if r["period"] == "2026-10") >= 6
    with open_store(store100k) as store:
        after, done = refresh_bulk(store)
        assert done.written and bulk_is_current(store)
    assert (
        after.bulk_current
        and int((bulk_codes(after)[0] > 0).sum()) == int((bulk_codes(lin)[0] > 0).sum()) + 6
    )


def test_lineage_bulk_and_quality_show_the_biggest_uploaders(store100k: Path, sim100k: SimData) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["bulk", "--store", str(store100k), "--min-models", "4", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    true = Counter(m.split("/")[0] for m, t in sim100k.truth.items() if t["bulk"])
    assert report["models"] == sum(true.values()) and report["current"]
    assert report["rules"] == {"min_any": 50, "min_templated": 4, "window_hours": 24.0}
    uploaders = [(u["author"], u["models"]) for u in report["uploaders"]]
    assert uploaders == sorted(true.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    with open_store(store100k, readonly=True) as store:  # the thresholds are remembered
        assert store.bulk_rules() == report["rules"]
    result = runner.invoke(cli, ["quality", "--store", str(store100k), "--format", "json"])
    assert result.exit_code == 0, result.output
    quality = json.loads(result.stdout)
    assert [(u["author"], u["models"]) for u in quality["bulk"]["uploaders"]] == uploaders
    result = runner.invoke(cli, ["quality", "--store", str(store100k)])
    assert "Automated bulk uploads" in result.stdout and uploaders[0][0] in result.stdout
    result = runner.invoke(cli, ["bulk", "--store", str(store100k), "--defaults"])
    assert result.exit_code == 0 and "at least 10 derivatives" in result.stdout
    with open_store(store100k, readonly=True) as store:
        assert store.bulk_rules() is None


def test_crawl_command_detects_bulk_uploads_after_the_crawl(sim5k: SimData, tmp_path: Path) -> None:
    from lineage.sim.server import SimHub

    path = tmp_path / "lineage.sqlite"
    with SimHub(sim5k.items) as hub:
        result = CliRunner().invoke(cli, ["crawl", "--store", str(path), "--endpoint", hub.url])
    assert result.exit_code == 0, result.output
    assert "bulk uploads flagged" in result.stderr
    with open_store(path, readonly=True) as store:
        assert bulk_is_current(store) and snapshot.status(store) == "up to date"


def test_a_schema_2_store_is_migrated(demo3k_store: Path, tmp_path: Path) -> None:
    """A store written before bulk detection (schema 2) gets the table and keeps its data."""
    path = tmp_path / "v2.sqlite"
    path.write_bytes(demo3k_store.read_bytes())
    conn = sqlite3.connect(path)
    # Schema 2: no bulk_uploads, and none of what later schemas added (history, licence names).
    for statement in (
        "DROP TABLE bulk_uploads",
        "DROP TABLE link_events",
        "DROP TABLE model_events",
        "ALTER TABLE models DROP COLUMN license_name",
        "DELETE FROM meta WHERE key = 'history_from'",
    ):
        conn.execute(statement)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(cli, ["share", "--store", str(path), "--bulk", "exclude", "--format", "json"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            SCHEMA_VERSION
        )
        assert conn.execute("SELECT count(*) FROM bulk_uploads").fetchone()[0] == 0
    finally:
        conn.close()
