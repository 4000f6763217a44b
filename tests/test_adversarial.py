"""The defects an adversarial pass found at 5475c84, one test each, named after its ID.

Each test drives lineage the way the pass did (mostly the command line) and fails on that
commit. Hub-side defects (S3, S4, C2) are in tests/test_hub_security.py.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SimData, as_schema_1

from lineage.cli import cli


def lineage(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real command (a fresh process: no test state leaks in).

    ``LINEAGE_REFERENCE_TREE=<checkout>`` runs that checkout's command instead: how these
    tests were shown to fail on 5475c84 (``git worktree add /tmp/old 5475c84``)."""
    reference = os.environ.get("LINEAGE_REFERENCE_TREE")
    return subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {}), **({"PYTHONPATH": reference} if reference else {})},
        cwd=reference,
        check=False,
    )


def lineage_popen(*args: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start the real command in the background (see :func:`lineage`)."""
    reference = os.environ.get("LINEAGE_REFERENCE_TREE")
    return subprocess.Popen(
        [sys.executable, "-m", "lineage", *args],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, **({"PYTHONPATH": reference} if reference else {})},
        cwd=reference,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-1500:])
    assert "Traceback" not in proc.stderr, proc.stderr[-1500:]
    # Progress lines (key=value, when stderr is not a terminal) may precede it.
    lines = [x for x in proc.stderr.strip().splitlines() if x.strip() and not x.startswith("crawl id=")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


# -- C5 / E2: a SQLite file of another application ---------------------------------------------------
@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'a');"
    )
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("command", [["crawl", "--endpoint", "http://127.0.0.1:9"], ["info"], ["share"]])
def test_c5_e2_a_foreign_sqlite_file_is_refused_untouched(foreign: Path, command: list[str]) -> None:
    before = digest(foreign)
    proc = lineage(*command, "--store", str(foreign))
    one_line_error(proc, "not a lineage store", "users")
    assert digest(foreign) == before, "the file was modified"
    assert not Path(f"{foreign}-wal").exists(), "switched to WAL"


def test_c5_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("hello, not a database\n" * 100)
    before = digest(path)
    one_line_error(lineage("info", "--store", str(path)), "not a lineage store")
    one_line_error(
        lineage("crawl", "--store", str(path), "--endpoint", "http://127.0.0.1:9"), "not a lineage store"
    )
    assert digest(path) == before


# -- C6: schema versions -------------------------------------------------------------------------------
def test_c6_a_store_from_a_newer_lineage_is_refused_with_its_version(
    demo3k_store: Path, tmp_path: Path
) -> None:
    path = tmp_path / "future.sqlite"
    path.write_bytes(demo3k_store.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = digest(path)
    for command in (["info"], ["share"], ["crawl", "--endpoint", "http://127.0.0.1:9"]):
        one_line_error(lineage(*command, "--store", str(path)), "newer lineage", "schema 99")
    assert digest(path) == before


def test_c6_a_renamed_column_is_one_clear_line(demo3k_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "edited.sqlite"
    path.write_bytes(demo3k_store.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE models RENAME COLUMN license TO licence")
    conn.commit()
    conn.close()
    for command in (["info"], ["share"], ["tree", "Qwen/Qwen2.5-7B"]):
        one_line_error(lineage(*command, "--store", str(path)), "models", "license")


def test_c6_an_older_store_is_migrated_and_keeps_its_data(demo3k_store: Path, tmp_path: Path) -> None:
    """A store written by the first release (schema 1: no application id, fewer indexes)."""
    from lineage.store.schema import APPLICATION_ID, SCHEMA_VERSION

    path = tmp_path / "v1.sqlite"
    path.write_bytes(demo3k_store.read_bytes())
    as_schema_1(path)
    conn = sqlite3.connect(path)
    models = conn.execute("SELECT count(*) FROM models").fetchone()[0]
    last_crawl = conn.execute("SELECT max(id) FROM crawls").fetchone()[0]
    conn.close()
    proc = lineage("info", "--store", str(path), "--format", "json")  # read-only: upgrades anyway
    assert proc.returncode == 0, proc.stderr
    conn = sqlite3.connect(path)  # checked without lineage (which would upgrade it when opening)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            SCHEMA_VERSION
        )
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("SELECT count(*) FROM models").fetchone()[0] == models
        # Changes are recorded from the last crawl before the upgrade on.
        assert conn.execute("SELECT value FROM meta WHERE key = 'history_from'").fetchone() == (
            str(last_crawl),
        )
    finally:
        conn.close()


# -- E1: a write lock held for long ---------------------------------------------------------------------
def test_e1_a_long_held_write_lock_is_reported_as_busy(
    demo3k_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lineage.store import StoreBusyError, open_store

    path = tmp_path / "busy.sqlite"
    path.write_bytes(demo3k_store.read_bytes())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with open_store(path) as st:  # opening needs no lock: it writes nothing
            st.conn.execute("PRAGMA busy_timeout = 200")
            with pytest.raises(StoreBusyError, match="busy") as info:
                st.set_meta("x", "y")
            assert "not a lineage store" not in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- C4: a full disk ------------------------------------------------------------------------------------
def test_c4_a_full_disk_is_one_clear_line_and_the_crawl_resumes(
    sim5k, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """SQLite's "database or disk is full", made real with a page limit on the store."""
    from conftest import FakeClock

    from lineage.hub import CrawlConfig, Crawler
    from lineage.sim.server import SimHub
    from lineage.store import StoreFullError, open_store

    path = tmp_path / "full.sqlite"
    with SimHub(sim5k.items) as hub:
        with open_store(path) as st:
            st.conn.execute("PRAGMA max_page_count = 400")  # about 1.6 MB: fills up mid-crawl
            with pytest.raises(StoreFullError, match=r"disk holding .* is full") as info:
                Crawler(st, CrawlConfig(endpoint=hub.url, timeout=10), clock=FakeClock()).run()
            assert "Traceback" not in str(info.value)
        with open_store(path) as st:  # space freed: the same crawl resumes and finishes
            summary = Crawler(st, CrawlConfig(endpoint=hub.url, timeout=10), clock=FakeClock()).run()
            assert summary.resumed and summary.complete
            assert st.count_models() == len(sim5k.items)


# -- D5: a repair counted twice ---------------------------------------------------------------------------
def test_d5_a_model_listed_twice_in_one_batch_is_repaired_once(tmp_path: Path) -> None:
    from lineage.records import normalize_item
    from lineage.store import open_store

    item = {"id": "old/repo", "createdAt": "2022-03-02T23:29:04.000Z", "tags": []}
    with open_store(tmp_path / "d5.sqlite") as st:
        crawl = st.start_crawl(
            mode="full", endpoint="t", sort="createdAt", since=None, model_limit=None, first_query="q"
        )
        pairs = [normalize_item(item), normalize_item(item)]  # the listing repeats it
        st.write_page(
            crawl.id, [r for r, _ in pairs if r], [x for _, rs in pairs for x in rs], next_query=None
        )
        assert st.repair_counts() == {"legacy_date": 1}


# -- S1: exports write only regular files -----------------------------------------------------------------
def test_s1_export_refuses_a_fifo_and_a_device(demo3k_store: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    runner = CliRunner()
    for target in (fifo, Path("/dev/null")):
        before = os.stat(target)
        r = runner.invoke(cli, ["export", "--store", str(demo3k_store), "--root", "Qwen/Qwen2.5-7B",
                                "--format", "json", "-o", str(target), "--force"])  # fmt: skip
        assert r.exit_code == 1 and "not a regular file" in r.output, r.output
        after = os.stat(target)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode), "replaced"
        assert stat.S_ISFIFO(after.st_mode) or stat.S_ISCHR(after.st_mode)


def test_s1_exports_get_the_users_umask(demo3k_store: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        r = CliRunner().invoke(cli, ["export", "--store", str(demo3k_store), "--root", "Qwen/Qwen2.5-7B",
                                     "--format", "graphml", "-o", str(tmp_path / "q.graphml")])  # fmt: skip
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(os.stat(tmp_path / "q.graphml").st_mode) == 0o644


def test_minor_an_export_killed_midway_leaves_no_part_file_behind(demo3k_store: Path, tmp_path: Path) -> None:
    """A writer killed with SIGKILL cannot remove its temporary file; the next export to the same
    target removes such leftovers (untouched for an hour), and keeps a concurrent writer's."""
    target = tmp_path / "q.graphml"
    killed = tmp_path / ".q.graphml.abc123.part"  # what atomic_write's mkstemp names it
    killed.write_bytes(b"<graphml half written")
    hours_ago = time.time() - 2 * 3600
    os.utime(killed, (hours_ago, hours_ago))
    running = tmp_path / ".q.graphml.def456.part"  # another export, writing right now
    running.write_bytes(b"<graphml")
    r = CliRunner().invoke(cli, ["export", "--store", str(demo3k_store), "--root", "Qwen/Qwen2.5-7B",
                                 "--format", "graphml", "-o", str(target)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert not killed.exists() and running.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, target.name]


# -- S2: terminal escapes from Hub data in `lineage quality` --------------------------------------------
def test_s2_quality_prints_no_terminal_escape_sequences(tmp_path: Path) -> None:
    from conftest import ingest_items

    from lineage.store import open_store

    evil = "evil/\x1b]0;pwned\x07\x1b[2J"
    items = [{"id": evil, "createdAt": "2022-03-02T23:29:04.000Z", "tags": ["base_model:./local\x1b[31m"]}]
    path = tmp_path / "s2.sqlite"
    with open_store(path) as st:
        ingest_items(st, items)
    proc = lineage("quality", "--store", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\x1b]0;pwned\\x07" in proc.stdout  # shown, escaped


# -- C3: deep chains ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_c3_tree_of_a_chain_thousands_deep(tmp_path: Path, fmt: str) -> None:
    from conftest import ingest_items

    from lineage.store import open_store

    depth = 3000
    items = [{"id": "deep/m0", "createdAt": "2024-01-01T00:00:00.000Z", "tags": []}]
    items += [
        {
            "id": f"deep/m{k}",
            "createdAt": "2024-01-02T00:00:00.000Z",
            "tags": [f"base_model:finetune:deep/m{k - 1}"],
        }
        for k in range(1, depth)
    ]
    path = tmp_path / "deep.sqlite"
    with open_store(path) as st:
        ingest_items(st, items)
    for model, up, down in (("deep/m0", 0, depth), (f"deep/m{depth - 1}", depth, 0)):
        proc = lineage(
            "tree", model, "--store", str(path), "--up", str(up), "--down", str(down), "--format", fmt
        )
        assert proc.returncode == 0, proc.stderr[-1500:]
        assert "RecursionError" not in proc.stderr
        assert proc.stdout.count("deep/m") >= depth


def test_c3_tree_of_a_long_cycle_set_aside(tmp_path: Path) -> None:
    from conftest import ingest_items

    from lineage.store import open_store

    n = 1000  # m0 <- m1 <- ... <- m999 <- m0
    items = [
        {"id": f"cyc/m{k}", "createdAt": f"2024-01-01T00:{k // 60:02d}:{k % 60:02d}.000Z",
         "tags": [f"base_model:finetune:cyc/m{(k - 1) % n}"]}
        for k in range(n)
    ]  # fmt: skip
    path = tmp_path / "cycle.sqlite"
    with open_store(path) as st:
        ingest_items(st, items)
        cycles = st.conn.execute("SELECT count(*) FROM links WHERE resolution = 'cycle'").fetchone()[0]
    assert cycles == 1  # only m0's link to the newest model closes the cycle
    proc = lineage("tree", "cyc/m0", "--store", str(path), "--down", str(n), "--format", "json")
    assert proc.returncode == 0, proc.stderr[-1500:]


# -- C1: cycle breaking time ---------------------------------------------------------------------------------
def test_c1_cycle_breaking_is_linear_and_only_over_what_changed(tmp_path: Path) -> None:
    import time

    from conftest import ingest_items

    from lineage.families import default_registry
    from lineage.records import normalize_item
    from lineage.store import open_store

    def ring(prefix: str, n: int) -> list[dict[str, object]]:
        def at(k: int) -> str:
            return f"2024-01-01T{k // 3600:02d}:{k // 60 % 60:02d}:{k % 60:02d}Z"

        return [
            {"id": f"{prefix}/m{k}", "createdAt": at(k),
             "tags": [f"base_model:finetune:{prefix}/m{(k - 1) % n}"]}
            for k in range(n)
        ]  # fmt: skip

    path = tmp_path / "rings.sqlite"
    items = ring("big", 4000) + [x for k in range(500) for x in ring(f"small{k}", 4)]
    start = time.monotonic()
    with open_store(path) as st:
        ingest_items(st, items)  # one crawl: every link new, every cycle found
        took = time.monotonic() - start
        assert st.conn.execute("SELECT count(*) FROM links WHERE resolution = 'cycle'").fetchone()[0] == 501
        assert took < 20, f"{took:.1f} s (5475c84: a 4000-cycle alone took 107 s)"
        # A later page that touches none of the cycles does not pay for them again.
        crawl = st.start_crawl(mode="incremental", endpoint="t", sort="lastModified", since=None,
                               model_limit=None, first_query="q")  # fmt: skip
        rec, _ = normalize_item({"id": "new/one", "tags": ["base_model:finetune:big/m5"]})
        assert rec is not None
        start = time.monotonic()
        page = st.write_page(crawl.id, [rec], [], next_query=None, resolve=True,
                             aliases=default_registry().aliases)  # fmt: skip
        assert page.resolved is not None and page.resolved.exact == 1 and page.resolved.cycle == 0
        assert time.monotonic() - start < 1.0


# -- D1: one writer at a time ------------------------------------------------------------------------
def test_d1_a_second_crawl_is_refused_while_one_runs(sim5k: SimData, tmp_path: Path) -> None:
    from lineage.sim.server import SimHub

    path = tmp_path / "d1.sqlite"
    # The first two requests stall: the first crawl is running while the others try.
    with SimHub(sim5k.items, faults="stall@1,stall@2,stall@3,stall_seconds=8", seed=2) as hub:
        first = lineage_popen("crawl", "--endpoint", hub.url, "--store", str(path))
        try:
            deadline = time.monotonic() + 30
            while not Path(f"{path}.lock").exists() or not path.exists():
                assert time.monotonic() < deadline
                time.sleep(0.05)
            time.sleep(0.3)
            for extra in ([], ["--restart"], ["--full"]):
                second = lineage("crawl", "--endpoint", hub.url, "--store", str(path), *extra)
                one_line_error(second, "is being written by a crawl of", "pid", "since")
        finally:
            first.kill()
            first.wait()
        from lineage.store import open_store

        with open_store(path, readonly=True) as st:
            assert st.count_deleted() == 0, "no live model was tombstoned"
            statuses = [c.status for c in st.crawls()]
        assert statuses == ["running"], statuses  # the killed crawl, resumable; nothing abandoned
        # Killed with SIGKILL: the kernel released the lock, so the crawl resumes.
        done = lineage("crawl", "--endpoint", hub.url, "--store", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr[-1500:]
    assert '"resumed": true' in done.stdout


# -- D2: two steps to an empty store -----------------------------------------------------------------
def test_d2_a_full_crawl_of_an_empty_listing_does_not_empty_the_store(
    demo3k_store: Path, tmp_path: Path
) -> None:
    from lineage.sim.server import SimHub
    from lineage.store import open_store

    path = tmp_path / "d2.sqlite"
    path.write_bytes(demo3k_store.read_bytes())
    with open_store(path) as st:  # a crawled store, not a demo one
        st.set_meta("simulated", "false")
        live = st.count_models()
    with SimHub([]) as hub:
        proc = lineage("crawl", "--full", "--endpoint", hub.url, "--store", str(path))
        one_line_error(proc, "would mark", "--allow-mass-delete")
    with open_store(path, readonly=True) as st:
        assert st.count_models() == live and st.count_deleted() == 0
    # The demo refuses to replace it, counting tombstoned models too.
    with open_store(path) as st:
        st.conn.execute("UPDATE models SET deleted_at = '2026-12-01T00:00:00.000Z'")
    proc = lineage("demo", "--no-app", "--models", "200", "--store", str(path))
    one_line_error(proc, "holds crawled (not simulated) data", "--force")
    with open_store(path, readonly=True) as st:
        assert st.count_models(include_deleted=True) == live


# -- D3: a crawl in progress drops no lineage ----------------------------------------------------------
def test_d3_an_interrupted_recrawl_leaves_no_pending_links(sim5k: SimData, tmp_path: Path) -> None:
    """kill -9 during a --full re-crawl of an unchanged hub: every analysis still sees every link."""
    import json
    import signal
    import time

    from lineage.sim.server import SimHub
    from lineage.store import open_store

    path = tmp_path / "d3.sqlite"
    with SimHub(sim5k.items) as hub:
        first = lineage("crawl", "--endpoint", hub.url, "--store", str(path), "--format", "json")
        assert first.returncode == 0, first.stderr[-1000:]
        share_before = lineage("share", "--store", str(path), "--format", "json").stdout
        tree_before = lineage("tree", "Qwen/Qwen2.5-7B", "--store", str(path), "--format", "json").stdout
    with open_store(path, readonly=True) as st:
        links = st.count_links()
    with SimHub(sim5k.items, faults="stall:1.0,stall_seconds=1", seed=4) as hub:
        proc = lineage_popen("crawl", "--full", "--endpoint", hub.url, "--store", str(path))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open_store(path, readonly=True) as st:
                if st.crawls()[-1].pages >= 2 and st.crawls()[-1].mode == "full" and len(st.crawls()) == 2:
                    # a reader during the crawl sees the whole graph already
                    assert st.resolution_counts().get("pending", 0) == 0
                    break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with open_store(path, readonly=True) as st:
        assert st.crawls()[-1].status == "running" and st.count_links() == links
        assert st.resolution_counts().get("pending", 0) == 0
    assert lineage("share", "--store", str(path), "--format", "json").stdout == share_before
    assert lineage("tree", "Qwen/Qwen2.5-7B", "--store", str(path), "--format", "json").stdout == tree_before
    info = json.loads(lineage("info", "--store", str(path), "--format", "json").stdout)
    assert info["crawl_in_progress"] and "stopped before the end" in info["crawl_in_progress"]
    note = lineage("share", "--store", str(path))
    assert "note: crawl #2 (full) stopped before the end" in note.stdout


# -- D4: the simulated flag ----------------------------------------------------------------------------
def test_d4_the_simulated_flag_survives_a_kill_after_the_last_page(sim5k: SimData, tmp_path: Path) -> None:
    from lineage.hub import CrawlConfig, Crawler
    from lineage.sim.server import SimHub
    from lineage.store import open_store

    path = tmp_path / "d4.sqlite"
    with SimHub(sim5k.items) as hub, open_store(path) as st:

        class Killed(BaseException):
            pass

        def die(_: object) -> None:
            raise Killed  # the process dies right after the last page's commit

        crawler = Crawler(st, CrawlConfig(endpoint=hub.url, timeout=10, page_size=5000), on_page=die)
        with pytest.raises(Killed):
            crawler.run()
        assert st.is_simulated(), "recorded with the page"
        before = len(hub.request_log)
        summary = Crawler(st, CrawlConfig(endpoint=hub.url, timeout=10)).run()  # resumes: no page left
        assert summary.resumed and summary.complete and len(hub.request_log) == before
        assert st.is_simulated()


def test_d4_an_interrupted_demo_is_still_a_demo(tmp_path: Path) -> None:
    import signal
    import time

    path = tmp_path / "demo.sqlite"
    args = ("demo", "--no-app", "--models", "60000", "--store", str(path))
    proc = lineage_popen(*args, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # interrupted once the first crawl has stored models
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
            if conn.execute("SELECT count(*) FROM models").fetchone()[0] > 0:
                conn.close()
                break
            conn.close()
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # Ctrl-C in `make run`
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert f"the demo store {path} is incomplete. Run `lineage demo` again" in err.decode()  # what to do
    again = lineage("demo", "--no-app", "--models", "300", "--store", str(path))
    assert again.returncode == 0, again.stderr[-1000:]
    assert "holds crawled" not in again.stderr
