"""The graph snapshot: equal to a fresh load, never stale, never damaged, never half-written.

Every comparison is against ``Lineage.load(snapshot=False)``, which reads the store's tables
directly (the path the snapshot replaces), array by array.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FakeClock, SimData
from helpers import crawl

from lineage.analytics import BY, group_index
from lineage.analytics.groups import NOT_ON_HUB, save_group_indexes
from lineage.families import default_registry
from lineage.graph import Lineage, snapshot
from lineage.graph.snapshot import SnapshotError, open_snapshot, read_arrays, snapshot_path
from lineage.sim.server import SimHub
from lineage.store import open_store

ARRAYS = (
    "created", "legacy", "deleted", "placeholder", "downloads", "downloads_all_time", "likes",
    "pipeline", "library", "parent", "child", "relation", "rowid",
)  # fmt: skip


def assert_same_graph(a: Lineage, b: Lineage) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert list(a.ids) == list(b.ids)
    assert a.pipeline_labels == b.pipeline_labels and a.library_labels == b.library_labels
    for name in ("down_csr", "up_csr", "root_pairs"):
        for x, y in zip(getattr(a, name), getattr(b, name), strict=True):
            assert np.array_equal(x, y), name
    assert np.array_equal(a.levels, b.levels)


def fresh(path: Path) -> Lineage:
    return Lineage.load(path, snapshot=False)


def snap(path: Path) -> Lineage:
    with open_store(path, readonly=True) as st:
        return open_snapshot(st)


def test_snapshot_equals_a_fresh_load_after_full_incremental_and_tombstoning_crawls(
    sim5k: SimData, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite"
    clock = FakeClock(start=1_795_000_000.0)
    with SimHub(sim5k.items, clock=clock) as hub:
        crawl(path, hub.url, clock)
        first = Lineage.load(path)  # writes the snapshot
        assert snapshot_path(path).exists()
        assert_same_graph(snap(path), fresh(path))
        assert_same_graph(first, fresh(path))
        # An incremental crawl: new models, a changed parent, then a full crawl with a deletion.
        hub.add(
            [
                {
                    "_id": f"eeee{k:020x}",
                    "id": f"late/ft-{k}",
                    "createdAt": "2026-11-20T10:00:00.000Z",
                    "lastModified": "2026-11-20T10:00:00.000Z",
                    "tags": ["base_model:finetune:Qwen/Qwen3-8B"],
                }
                for k in range(300)
            ]
        )
        hub.update(sim5k.items[100]["id"], tags=["base_model:adapter:meta-llama/Llama-3.1-8B"])
        assert crawl(path, hub.url, clock).mode == "incremental"
        with open_store(path, readonly=True) as st:
            assert snapshot.status(st) == "out of date"
        assert_same_graph(Lineage.load(path), fresh(path))
        assert_same_graph(snap(path), fresh(path))
        hub.delete(sim5k.items[200]["id"])
        assert crawl(path, hub.url, clock, mode="full").deleted == 1
        assert_same_graph(Lineage.load(path), fresh(path))
        lin = snap(path)
        node = lin.find(sim5k.items[200]["id"])
        assert node is not None and lin.deleted[node]


def test_snapshot_equals_a_fresh_load_after_a_crawl_killed_and_resumed(
    sim5k: SimData, tmp_path: Path
) -> None:
    path = tmp_path / "k.sqlite"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with SimHub(sim5k.items, faults="stall:0.2,stall_seconds=0.3", seed=3) as hub:
        cmd = [sys.executable, "-m", "lineage", "crawl", "--endpoint", hub.url, "--store", str(path)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _committed(path):
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _committed(path), "killed after a first commit"
        # The graph of the part crawled so far: the snapshot (rebuilt on demand) equals it.
        assert_same_graph(Lineage.load(path), fresh(path))
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    with open_store(path, readonly=True) as st:
        assert snapshot.status(st) == "up to date", "the crawl command refreshed it"
    assert_same_graph(snap(path), fresh(path))


def _committed(path: Path) -> bool:
    try:
        with open_store(path, readonly=True) as st:
            return st.count_models() > 0
    except Exception:
        return False


@pytest.fixture
def built(demo3k_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.sqlite"
    shutil.copy(demo3k_store, path)
    Lineage.load(path)
    return path


def test_a_snapshot_of_an_older_store_state_is_never_used(built: Path, sim5k: SimData) -> None:
    stale = snap(built)
    with open_store(built) as st:  # the store changes after the snapshot was written
        from lineage.records import normalize_item

        crawl_row = st.start_crawl(
            mode="incremental",
            endpoint="t",
            sort="lastModified",
            since=None,
            model_limit=None,
            first_query="q",
        )
        rec, _ = normalize_item({"id": "new/model", "tags": ["base_model:finetune:Qwen/Qwen2.5-7B"]})
        assert rec is not None
        st.write_page(crawl_row.id, [rec], [], next_query=None, resolve=True)
        assert snapshot.status(st) == "out of date"
        with pytest.raises(SnapshotError, match="out of date"):
            open_snapshot(st)
    again = Lineage.load(built)
    assert again.find("new/model") is not None and stale.find("new/model") is None
    assert again.data_version != stale.data_version
    assert_same_graph(again, fresh(built))


def test_a_new_store_at_the_same_path_never_uses_the_old_snapshot(built: Path, sim5k: SimData) -> None:
    """Same path, same number of write transactions: still another store."""
    from lineage.store import delete_store

    old = snap(built)
    delete_store(built)
    with SimHub(sim5k.items) as hub:
        crawl(built, hub.url)
    with open_store(built, readonly=True) as st:
        assert snapshot.status(st) == "out of date"
        with pytest.raises(SnapshotError, match="out of date"):
            open_snapshot(st)
    new = Lineage.load(built)
    assert new.store_id != old.store_id and new.store_id is not None
    assert_same_graph(new, fresh(built))


@pytest.mark.parametrize("damage", ["truncate", "flip", "header", "garbage"])
def test_a_damaged_snapshot_is_detected_and_rebuilt(built: Path, damage: str) -> None:
    path = snapshot_path(built)
    good = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "flip":  # one byte in the middle of the arrays: only the checksum sees it
        data = bytearray(good)
        data[len(data) * 2 // 3] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "header":
        path.write_bytes(good[:20] + b"{not json" + good[29:])
    else:
        path.write_bytes(b"\x00" * 100)
    with open_store(built, readonly=True) as st:
        assert snapshot.status(st) in ("damaged", "out of date") or damage == "flip"
        with pytest.raises(SnapshotError):
            open_snapshot(st)
    lin = Lineage.load(built)  # rebuilt: no crash, no wrong answer
    assert_same_graph(lin, fresh(built))
    assert_same_graph(snap(built), fresh(built))


def test_the_root_classification_cache_equals_a_fresh_classification(built: Path) -> None:
    lin = snap(built)
    for by in BY:
        cached = group_index(lin, by)  # read from the cache the first load wrote
        roots = np.flatnonzero(lin.in_degree == 0)
        got = [cached.labels[c] for c in cached.codes(roots)]
        ids = [lin.ids[int(r)] for r in roots]
        if by == "org":
            want = [i.split("/", 1)[0] for i in ids]
        else:
            want = [f if by == "family" else g for f, g in default_registry().classify(ids)]
        assert got == want, by


def test_cached_group_codes_are_not_copied_and_a_change_never_reaches_the_cache(built: Path) -> None:
    """A tree question read all 3M roots' codes into memory (24 MB per grouping, twice). They
    are now mapped copy-on-write: nothing is copied until written, and a root classified again
    in one process (a graph edited in memory) never changes the cache the next process reads."""
    group_index(snap(built), "family")  # classifies every root and writes the cache if none
    lin = snap(built)
    index = group_index(lin, "family")
    assert isinstance(index._codes, np.memmap) and index._codes.mode == "c"
    root = int(np.flatnonzero(lin.in_degree == 0)[0])
    before = index.labels[int(index.codes(np.array([root]))[0])]
    index.fill(np.array([root]), ["Not a real family"])
    assert index.labels[int(index.codes(np.array([root]))[0])] == "Not a real family"
    again = group_index(snap(built), "family")
    assert again.labels[int(again.codes(np.array([root]))[0])] == before
    assert "Not a real family" not in again.labels


def test_saving_classifications_again_never_overwrites_a_grouping_with_its_unlisted_variant(
    built: Path,
) -> None:
    """``save_group_indexes`` (after new bulk flags) saved every index of the graph under its
    grouping's name, the derived ``unlisted`` one too: the next process would have read
    "(parent not on the Hub)" as a family of the plain grouping."""
    lin = snap(built)
    plain = group_index(lin, "family")
    unlisted = group_index(lin, "family", unlisted=True)
    assert NOT_ON_HUB in unlisted.labels and NOT_ON_HUB not in plain.labels  # the graph has some
    save_group_indexes(lin)
    again = group_index(snap(built), "family")
    roots = np.flatnonzero(lin.in_degree == 0)
    assert [again.labels[c] for c in again.codes(roots)] == [plain.labels[c] for c in plain.codes(roots)]


@pytest.mark.parametrize("unfit", ["no codes", "no labels", "labels not a list", "int64", "short"])
def test_a_groups_cache_that_does_not_fit_is_classified_again_not_a_crash(built: Path, unfit: str) -> None:
    """A cache beside the snapshot, tagged with the store's state, but not as this version
    writes it (another version's layout, a hand-made file): ignored and rewritten. Missing
    arrays or labels raised KeyError out of every page that groups models."""
    from lineage.analytics.groups import _cache_name

    lin = snap(built)
    roots = np.flatnonzero(lin.in_degree == 0)
    ids = [lin.ids[int(r)] for r in roots]
    want = [f for f, _ in default_registry().classify(ids)]
    codes = np.zeros(len(lin), dtype=np.int32)
    arrays = {
        "no codes": {"other": codes},
        "int64": {"codes": codes.astype(np.int64)},
        "short": {"codes": codes[:-1]},
    }.get(unfit, {"codes": codes})
    meta = {"no labels": {}, "labels not a list": {"labels": "Qwen"}}.get(unfit, {"labels": ["Qwen"]})
    snapshot.save_extra(lin, _cache_name("family", default_registry()), arrays, meta)
    index = group_index(snap(built), "family")
    assert [index.labels[c] for c in index.codes(roots)] == want
    again = group_index(snap(built), "family")  # the cache written again is the right one
    assert isinstance(again._codes, np.memmap) and [again.labels[c] for c in again.codes(roots)] == want


def _reader(path: str, rounds: int, out: Any) -> None:
    """Open the snapshot over and over while another process rewrites it."""
    opened = 0
    for _ in range(rounds):
        try:
            arrays, meta = read_arrays(Path(path), verify=True)
        except SnapshotError as exc:
            out.put(f"damaged: {exc}")
            return
        opened += 1
        assert int(meta["state"]["data_version"]) >= 0 and len(arrays["parent"]) == meta["links"]
    out.put(opened)


def test_readers_never_see_a_half_written_snapshot(built: Path) -> None:
    """Writers rename a complete file into place: a reader opens the old file or the new one."""
    path = snapshot_path(built)
    (built.parent / f"{path.name}.verified").unlink(missing_ok=True)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    readers = [ctx.Process(target=_reader, args=(str(path), 40, out)) for _ in range(2)]
    for r in readers:
        r.start()
    lin = fresh(built)
    for _ in range(15):  # rewrite it while they read
        snapshot.save(lin, path)
    for r in readers:
        r.join(120)
    results = [out.get(timeout=5) for _ in readers]
    assert all(isinstance(n, int) and n == 40 for n in results), results


def test_point_reads_do_not_map_the_whole_store_into_memory(demo3k_store: Path) -> None:
    """`lineage info` at 3M models peaked at 0.95 GB because every reader memory-mapped 1 GB of
    the file and a count touched all of it. Readers now map nothing; a whole-graph read maps the
    file only while it reads, then the connection goes back to no map."""
    with open_store(demo3k_store, readonly=True) as st:
        assert st.conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
        with st.bulk_read():
            assert st.conn.execute("PRAGMA mmap_size").fetchone()[0] > 0
        st.graph_columns()
        assert st.conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
        assert st.info()["models"] == 3000  # the demo hub's size


def test_find_gives_the_same_node_with_or_without_the_id_dict(built: Path) -> None:
    """The explorer builds ``lin.index``; ``find`` then looks ids up in it, and must still answer
    exactly as the snapshot's binary search does (exact ids, other letter cases, absent ids)."""
    ids = fresh(built).ids
    probes = ids[::97] + [m.upper() for m in ids[::131]] + ["no/such-model", ""]
    plain, indexed = snap(built), snap(built)
    _ = indexed.index
    assert "index" not in plain.__dict__ and type(plain.ids).__name__ == "IdColumn"  # the binary search
    assert [indexed.find(m) for m in probes] == [plain.find(m) for m in probes]
    assert [plain.ids[plain.find(m)] for m in ids[::97]] == ids[::97]


def test_most_downloaded_from_the_columns_equals_the_stores_order(demo3k_store: Path) -> None:
    """The explorer's first page takes its starting points from the snapshot instead of sorting
    the store's table: the same models, in the same order (downloads, then id), as SQL gives."""
    from lineage.analytics.panel import most_downloaded

    lin = Lineage.load(demo3k_store)
    with open_store(demo3k_store, readonly=True) as st:
        for limit in (1, 12, 300):
            want = [
                r[0]
                for r in st.conn.execute(
                    "SELECT id FROM models WHERE deleted_at IS NULL ORDER BY downloads DESC, id LIMIT ?",
                    (limit,),
                )
            ]
            got = most_downloaded(lin, limit)
            assert got is not None and [lin.ids[int(k)] for k in got] == want
    assert most_downloaded(lin, 3000, candidates=100) is None  # too many ties at the cut: ask the store


def test_a_snapshot_just_written_is_not_read_again_to_check_it(built: Path) -> None:
    """After a crawl the writer records the checksums it wrote as verified for that file (inode,
    size, time), so the first question does not read the whole file to check them; a file
    changed afterwards no longer matches the record and is checked (the damage test above)."""
    import json

    path = snapshot_path(built)
    path.unlink()
    Lineage.load(built)  # rebuilds and writes the snapshot
    st = path.stat()
    stamp = json.loads(path.with_name(path.name + ".verified").read_text(encoding="utf-8"))
    assert stamp == {"inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
