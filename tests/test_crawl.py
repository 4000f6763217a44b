"""The crawler against the simulated hub: ground truth, faults, quota, kill -9, incremental."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import REAL_SAMPLE, FakeClock, SimData, store_edges, store_ids

from lineage.hub import CrawlConfig, Crawler, CrawlError
from lineage.sim.server import SimHub
from lineage.store import Store, open_store


def crawl(store: Store, url: str, clock: FakeClock | None = None, **kw: Any) -> Any:
    config = CrawlConfig(endpoint=url, timeout=kw.pop("timeout", 10.0), **kw.pop("config", {}))
    return Crawler(store, config, clock=clock or FakeClock()).run(**kw)


def assert_equals_truth(store: Store, sim: SimData) -> None:
    assert store_ids(store) == set(sim.truth)
    got, want = store_edges(store), sim.true_edges()
    assert got == want, (
        f"{len(got - want)} unexpected, {len(want - got)} missing; e.g. "
        f"{sorted(got - want)[:3]} / {sorted(want - got)[:3]}"
    )


def test_full_crawl_equals_ground_truth(sim100k: SimData, tmp_store: Store) -> None:
    with SimHub(sim100k.items) as hub:
        summary = crawl(tmp_store, hub.url)
        listing = [e for e in hub.request_log if e.path == "/api/models"]
    assert_equals_truth(tmp_store, sim100k)
    assert summary.complete and summary.mode == "full"
    assert summary.models == summary.new == 100_000
    assert summary.requests == len(listing) == 100  # one request per 1000 models
    # Every kind of injected dirt was seen and repaired or resolved, counted per model.
    dirt = Counter(k for t in sim100k.truth.values() for k in t["dirt"])
    repaired = {
        kind: {
            r[0]
            for r in tmp_store.conn.execute("SELECT DISTINCT model_id FROM repairs WHERE kind = ?", (kind,))
        }
        for kind in (
            "url",
            "self_reference",
            "local_path",
            "relation_synonym",
            "card_only_parent",
            "duplicate_parent",
        )
    }
    assert len(repaired["url"]) == dirt["url"]
    assert len(repaired["self_reference"]) == dirt["self_reference"]
    assert len(repaired["local_path"]) == dirt["local_path"]
    assert len(repaired["relation_synonym"]) == dirt["synonym_relation"]
    assert len(repaired["card_only_parent"]) == dirt["card_only"]
    assert len(repaired["duplicate_parent"]) >= dirt["duplicate"]
    assert summary.resolution["cycle"] == dirt["cycle"] > 0
    assert summary.resolution["alias"] > 0 and summary.resolution["case"] > 0
    ghosts = {p for t in sim100k.truth.values() for p, _ in t["parents"] if p.startswith("ghost-")}
    unresolved = {
        r[0]
        for r in tmp_store.conn.execute("SELECT DISTINCT parent FROM links WHERE resolution = 'unresolved'")
    }
    assert unresolved == ghosts  # deleted parents kept as unresolved links, never dropped


# Every fault kind, at fixed requests (KIND@N) so the counts below are exact: a 5,000-model hub
# in pages of 100 is 50 requests, some faults on the first page, some late, some in a row.
FAULTS = [
    "429@2,429@9,429@10,retry_after=2",
    "500@1,500@25",
    "502@7,502@8,502@9",
    "503@30,503@49",
    "504@1,504@2,504@44",
    "stall@4,stall@33,stall_seconds=3",
    "truncate@3,truncate@40",
    "empty@5,empty@6,empty@47",
    "dup@12,dup@13,dup@50",
    "503@1,503@2,truncate@3",  # the first page fails too
]


@pytest.mark.parametrize("spec", FAULTS)
def test_full_crawl_under_faults_equals_ground_truth(sim5k: SimData, tmp_store: Store, spec: str) -> None:
    clock = FakeClock()
    with SimHub(sim5k.items, faults=spec, seed=3, clock=clock) as hub:
        # A short timeout only where stalls are injected (a loaded machine could time out a
        # normal page and add a retry that was not injected).
        stall = "stall" in spec
        summary = crawl(
            tmp_store, hub.url, clock=clock, timeout=0.75 if stall else 30, config={"page_size": 100}
        )
        injected = hub.faults_injected()
    assert_equals_truth(tmp_store, sim5k)
    assert sum(injected.values()) > 0, "the fault was never injected"
    kind = spec.split(":")[0].split("@")[0]
    if kind in ("dup",):
        assert summary.duplicates == injected["dup"]
        assert summary.retries == 0
    elif kind == "empty":
        assert summary.requests == 50 + injected["empty"]
    elif stall:
        assert summary.retries >= injected["stall"]
    else:
        assert summary.retries == sum(injected.values())
    assert summary.models == 5_000


def test_quota_never_exceeded_in_any_window(sim5k: SimData, tmp_store: Store) -> None:
    """A 429 storm cannot happen: the crawler spends the announced quota, then waits."""
    clock = FakeClock(start=1_790_000_123.0)
    quota, window = 7, 300
    with SimHub(sim5k.items, faults=f"quota={quota},window={window}", clock=clock) as hub:
        summary = crawl(tmp_store, hub.url, clock=clock, config={"page_size": 50})  # 100 requests
        log = list(hub.request_log)
    per_window = Counter(int(e.time // window) for e in log)
    assert max(per_window.values()) <= quota
    assert [e for e in log if e.status == 429] == []
    assert len(per_window) >= 100 // quota  # it really had to wait across windows
    assert summary.rate_limit_waits >= len(per_window) - 1
    assert_equals_truth(tmp_store, sim5k)


def test_quota_with_other_clients_and_injected_429s(sim5k: SimData, tmp_store: Store) -> None:
    """Other clients' 429s (Retry-After) plus our quota: waits, never exceeds, completes."""
    clock = FakeClock()
    with SimHub(sim5k.items, faults="429:0.3,retry_after=30,quota=3,window=300", seed=5, clock=clock) as hub:
        summary = crawl(tmp_store, hub.url, clock=clock, config={"page_size": 500})
        log = list(hub.request_log)
    per_window = Counter(int(e.time // 300) for e in log)
    assert max(per_window.values()) <= 3
    assert summary.rate_limit_waits > 0
    assert_equals_truth(tmp_store, sim5k)


def test_stalled_server_is_bounded_by_timeout(sim5k: SimData, tmp_store: Store) -> None:
    clock = FakeClock()
    with SimHub(sim5k.items, faults="stall@1,stall@2,stall_seconds=5", clock=clock) as hub:
        started = time.monotonic()
        summary = crawl(tmp_store, hub.url, clock=clock, timeout=0.5)
    assert time.monotonic() - started < 4.5  # two stalls of 5 s each would take 10 s
    assert summary.retries == 2
    assert_equals_truth(tmp_store, sim5k)


def test_gives_up_with_a_clear_error_and_resumes(sim5k: SimData, tmp_store: Store) -> None:
    clock = FakeClock()
    with SimHub(sim5k.items, faults="503@3,503@4,503@5", clock=clock) as hub:
        with pytest.raises(CrawlError, match="run `lineage crawl` again to resume"):
            crawl(tmp_store, hub.url, clock=clock, config={"max_retries": 2})
        state = tmp_store.unfinished_crawl()
        assert state is not None and state.status == "failed" and state.pages == 2
        summary = crawl(tmp_store, hub.url, clock=clock)
    assert summary.resumed and summary.crawl_id == state.id
    assert_equals_truth(tmp_store, sim5k)


def test_incremental_crawl_costs_only_new_pages(sim5k: SimData, tmp_store: Store) -> None:
    clock = FakeClock(start=1_795_000_000.0)  # after the simulated hub's end date
    with SimHub(sim5k.items, clock=clock) as hub:
        first = crawl(tmp_store, hub.url, clock=clock, config={"page_size": 500})
        assert first.mode == "full" and first.requests == 10
        new_items = []
        for k in range(1200):
            new_items.append(
                {
                    "_id": f"ffff{k:020x}",
                    "id": f"newuser/qwen-ft-{k}",
                    "author": "newuser",
                    "createdAt": "2026-11-20T10:00:00.000Z",
                    "lastModified": "2026-11-20T10:00:00.000Z",
                    "downloads": 1,
                    "likes": 0,
                    "tags": ["base_model:Qwen/Qwen3-8B", "base_model:finetune:Qwen/Qwen3-8B"],
                    "cardData": {"base_model": "Qwen/Qwen3-8B"},
                }
            )
        hub.add(new_items)
        changed = sim5k.items[100]["id"]
        hub.update(
            changed,
            tags=["base_model:Qwen/Qwen3-8B", "base_model:adapter:Qwen/Qwen3-8B"],
            cardData={"base_model": "Qwen/Qwen3-8B"},
        )
        hub.delete(sim5k.items[200]["id"])
        before = len(hub.request_log)
        second = crawl(tmp_store, hub.url, clock=clock, config={"page_size": 500})
        requests = len(hub.request_log) - before
        assert second.mode == "incremental"
        assert requests == second.requests <= 4  # 1201 changed models / 500 per page (+1 overlap)
        assert second.new == 1200 and second.updated >= 1
        assert ("newuser/qwen-ft-7", "Qwen/Qwen3-8B", "finetune") in store_edges(tmp_store)
        assert (changed, "Qwen/Qwen3-8B", "adapter") in store_edges(tmp_store)
        # Deletions are only noticed by a full crawl, which tombstones them.
        assert tmp_store.model(sim5k.items[200]["id"])["deleted_at"] is None
        third = crawl(tmp_store, hub.url, clock=clock, mode="full")
    assert third.deleted == 1
    row = tmp_store.model(sim5k.items[200]["id"])
    assert row is not None and row["deleted_at"] is not None  # kept, marked deleted
    assert tmp_store.count_models() == 5000 + 1200 - 1


def test_real_sample_crawls_item_for_item(tmp_store: Store, real_sample_items: list[dict[str, Any]]) -> None:
    with SimHub.from_dir(REAL_SAMPLE) as hub:
        summary = crawl(tmp_store, hub.url)
    assert summary.models == 363 == tmp_store.count_models()
    assert store_ids(tmp_store) == {i["id"] for i in real_sample_items}
    links = {(c, r): rel for c, r, rel in tmp_store.conn.execute("SELECT child, ref, relation FROM links")}
    expected = 0
    for item in real_sample_items:
        for tag in item["tags"]:
            parts = tag.split(":")
            if tag.startswith("base_model:") and len(parts) == 3:
                expected += 1
                assert links.get((item["id"], parts[2])) == parts[1], (item["id"], tag)
    assert expected == 356
    # The rest are parents named only in cardData.base_model (the study recorded one parent
    # per model in the tags): kept with relation "unknown" and reported as card_only_parent.
    card_only = {(c, r) for (c, r), rel in links.items() if rel == "unknown"}
    assert len(links) == 356 + len(card_only) and len(card_only) == 4
    assert ("TencentARC/GeometryCrafter", "tencent/DepthCrafter") in card_only
    reported = {(m, d.strip("'")) for m, _, d, _ in tmp_store.repairs("card_only_parent", limit=100)}
    assert reported == card_only


def test_limit_stops_early_without_tombstones(sim5k: SimData, tmp_store: Store) -> None:
    with SimHub(sim5k.items) as hub:
        summary = crawl(tmp_store, hub.url, limit=1500, config={"page_size": 1000})
    assert summary.models == 1500 == tmp_store.count_models()
    assert not summary.complete and summary.requests == 2
    newest = sorted(sim5k.items, key=lambda i: (i["createdAt"], i["_id"]), reverse=True)[:1500]
    assert store_ids(tmp_store) == {i["id"] for i in newest}
    assert tmp_store.last_watermark() is None  # a partial crawl sets no watermark


def _store_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {
            "models": conn.execute(
                "SELECT id, author, created_at, last_modified, downloads, downloads_all_time, likes, "
                "pipeline_tag, library_name, license, gated, legacy_date, deleted_at FROM models ORDER BY id"
            ).fetchall(),
            "links": conn.execute("SELECT * FROM links ORDER BY child, ref").fetchall(),
            "snapshots": conn.execute(
                "SELECT model_id, downloads, downloads_all_time, likes FROM snapshots ORDER BY model_id"
            ).fetchall(),
            "repairs": conn.execute(
                "SELECT model_id, kind, detail, n FROM repairs ORDER BY 1, 2, 3"
            ).fetchall(),
            "crawls": conn.execute(
                "SELECT mode, status, models, new_models, duplicates, skipped, watermark FROM crawls"
            ).fetchall(),
            # The detection record names the store state (data_version) and time it ran; the
            # flags themselves are compared in bulk_uploads. store_id: each store's own identity.
            "meta": conn.execute(
                "SELECT key, value FROM meta WHERE key NOT IN ('data_version', 'bulk_detection', 'store_id') "
                "ORDER BY key"
            ).fetchall(),
            "bulk_uploads": conn.execute("SELECT * FROM bulk_uploads ORDER BY model_id").fetchall(),
        }
    finally:
        conn.close()


def _crawl_done(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT status FROM crawls ORDER BY id DESC LIMIT 1").fetchone() == ("done",)
        finally:
            conn.close()
    except sqlite3.Error:  # nothing committed yet
        return False


def _committed_pages(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT coalesce(max(pages), 0) FROM crawls").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0])


@pytest.mark.slow
def test_kill_9_at_random_points_ends_identical(sim100k: SimData, tmp_path: Path) -> None:
    """A crawl killed with SIGKILL at 20 random instants (and 3 more after its last page, while
    it settles links and refreshes the graph snapshot), restarted each time, ends with exactly
    the store an uninterrupted crawl produces — every table, and the simulated flag."""
    rng = random.Random(20261123)
    # Every page takes 0.15 s: the crawl lasts long enough for 20 kills at random instants.
    with SimHub(sim100k.items, faults="stall:1.0,stall_seconds=0.15", seed=1) as hub:
        clean = tmp_path / "clean.sqlite"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "lineage", "crawl", "--endpoint", hub.url, "--format", "json"]
        subprocess.run([*cmd, "--store", str(clean)], check=True, env=env, capture_output=True)
        killed = tmp_path / "killed.sqlite"
        kills: list[int] = []
        # The first 20 kills: each run is killed at a random instant after the crawl reached a
        # random page (sorted targets, so kills spread over the whole crawl however long a
        # run takes to start on a loaded machine): before the first commit, mid-request,
        # mid-commit.
        targets = sorted(rng.randrange(0, 70) for _ in range(20))
        while len(kills) < 23:
            proc = subprocess.Popen(
                [*cmd, "--store", str(killed)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if len(kills) < 20:
                deadline = time.monotonic() + 120
                while (
                    proc.poll() is None
                    and _committed_pages(killed) < targets[len(kills)]
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 1.5))  # commits come every 2 s: mostly before the next
            else:  # once every page is committed: while links settle and the snapshot is written
                deadline = time.monotonic() + 120
                while proc.poll() is None and _committed_pages(killed) < 100 and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.5))
            if proc.poll() is not None or _crawl_done(killed):
                proc.wait()
                break  # it finished before this kill point: another run would be a new crawl
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills.append(_committed_pages(killed))
        if not _crawl_done(killed):  # (once done, another run would be a new crawl)
            final = subprocess.run([*cmd, "--store", str(killed)], env=env, capture_output=True, timeout=300)
            assert final.returncode == 0, final.stderr[-2000:]
    assert len(kills) >= 20, kills
    # Really killed at different points: before any commit, between commits, and after the
    # last page while links were settled and the snapshot written.
    assert len(set(kills)) >= 4 and any(0 < k < 100 for k in kills), kills
    a, b = _store_dump(clean), _store_dump(killed)
    assert b["crawls"][0][1] == "done"
    for table in ("models", "links", "snapshots", "repairs", "crawls", "meta", "bulk_uploads"):
        assert a[table] == b[table], table
    with open_store(killed, readonly=True) as st:
        assert_equals_truth(st, sim100k)
        assert st.is_simulated()


def test_lone_surrogates_and_huge_numbers_do_not_stop_a_crawl(tmp_store: Store) -> None:
    """orjson rejects "\\ud83d" (JSON allows it); SQLite rejects ints over 2**63-1."""
    import http.server
    import threading

    body = (
        b'[{"_id": "1", "id": "u/emoji", "createdAt": "2025-01-01T00:00:00.000Z", '
        b'"downloads": 100000000000000000000, "cardData": {"model_name": "half \\ud83d emoji"}, '
        b'"tags": ["base_model:finetune:Qwen/Qwen3-8B"]}]'
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        summary = crawl(tmp_store, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert summary.models == 1 and summary.retries == 0
    row = tmp_store.model("u/emoji")
    assert row is not None and row["downloads"] == 2**63 - 1
