"""``lineage diff`` against simulated hubs served by SimHub: crawl, change what the hub serves
(add and delete models, change parents and licences, delete a parent, restore a model), crawl
again (incremental and --full), and the diff reports exactly the changes made.

Two independent truths: the changes the test made, written down by hand from the simulator's
truth (:class:`Scenario`); and copies of the store taken after each crawl, whose links and
family counts a diff between two crawls must turn into each other. The same holds for crawls
killed with SIGKILL at random instants and resumed, which must also record exactly the events
an uninterrupted crawl records.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from conftest import FakeClock

from lineage.analytics import family_summary
from lineage.analytics.diff import crawl_diff
from lineage.cli import cli
from lineage.graph import Lineage
from lineage.hub import CrawlConfig, Crawler
from lineage.sim.generate import generate
from lineage.sim.licenses import license_class
from lineage.sim.server import SimHub
from lineage.store import Store, open_store

Link = tuple[str, str, str, str]  # child, parent, relation, why


@dataclass
class Expected:
    """What a diff between two crawls must report, written down from the changes made."""

    added: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    restored: set[str] = field(default_factory=set)
    links_added: set[Link] = field(default_factory=set)
    links_removed: set[Link] = field(default_factory=set)
    parents: dict[str, tuple[list[list[str]], list[list[str]]]] = field(default_factory=dict)
    licenses: dict[str, tuple[tuple[str | None, str | None], tuple[str | None, str | None]]] = field(
        default_factory=dict
    )
    vanished: dict[str, int] = field(default_factory=dict)


def _item(mid: str, parents: list[tuple[str, str]], lic: str | None, now: str) -> dict[str, Any]:
    tags = [t for p, r in parents for t in (f"base_model:{p}", f"base_model:{r}:{p}")]
    card: dict[str, Any] = {}
    if parents:
        card["base_model"] = [p for p, _ in parents] if len(parents) > 1 else parents[0][0]
    if lic:
        tags.append(f"license:{lic}")
        card["license"] = lic
    return {"_id": f"{abs(hash(mid)):024x}"[:24], "id": mid, "createdAt": now, "lastModified": now,
            "tags": tags, "cardData": card}  # fmt: skip


class Scenario:
    """A simulated hub and the changes made to it between four crawls: 1 (full), 2
    (incremental), 3 (--full), 4 (incremental). ``step(k, hub)`` makes the changes before crawl
    ``k``; ``expected(a, b)`` is what ``lineage diff --from a --to b`` must report."""

    def __init__(self, n: int, seed: int) -> None:
        pairs = list(generate(n, seed=seed))
        self.items = [item for item, _ in pairs]
        self.truth = {t["id"]: t for _, t in pairs}
        t = self.truth
        kids: dict[str, set[str]] = collections.defaultdict(set)
        for mid, tr in t.items():
            for p, _ in tr["parents"]:
                kids[p].add(mid)
        # Models whose declared links are exactly their true links (a link set aside as a
        # cycle is declared but not true), and that are nobody's child of the deleted parent.
        clean = [m for m, tr in t.items() if "cycle" not in tr["dirt"]]
        self.doomed = next(
            m for m in sorted(kids, key=lambda k: (-len(kids[k]), k)) if m in t and t[m]["parents"]
        )
        near = kids[self.doomed] | {self.doomed}
        free = [m for m in clean if m not in near and not kids.get(m)]
        self.base = next(
            m for m in sorted(kids, key=lambda k: (-len(kids[k]), k)) if m in t and m not in near
        )
        self.c1 = next(m for m in free if len(t[m]["parents"]) == 1 and t[m]["parents"][0][0] != self.base)
        self.c2 = next(m for m in free if t[m]["parents"] and m != self.c1)
        self.leaf = next(m for m in free if t[m]["parents"] and m not in (self.c1, self.c2))
        used = {self.c1, self.c2, self.leaf}
        self.l1 = next(m for m in free if t[m]["license"] == "apache-2.0" and m not in used)
        self.l2 = next(m for m in free if t[m]["license"] == "mit" and m not in used | {self.l1})
        self.l3 = next(m for m in free if t[m]["license"] == "mit" and m not in used | {self.l1, self.l2})
        used |= {self.l1, self.l2, self.l3}
        # Many more models relicensed and re-listed unchanged (their lastModified bumped):
        # an incremental crawl of many pages, with events on many of them.
        rest = [m for m in free if m not in used and t[m]["license"] in ("apache-2.0", "mit")]
        self.flips = rest[: n // 40]
        self.touched = [m for m in t if m not in used and m not in near and m not in self.flips][: n // 4]
        self.new = ["newcomer/base-ft", "newcomer/base-ft-GGUF", "newcomer/fresh-base"]
        self.c1_new = [(self.base, "adapter"), (t[self.c1]["parents"][0][0], "merge")]

    def pairs(self, mid: str) -> set[tuple[str, str]]:
        return {(p, r) for p, r in self.truth[mid]["parents"]}

    def step(self, k: int, hub: SimHub) -> None:
        if k == 2:
            now = hub.now_iso()
            hub.add(
                [
                    _item(self.new[0], [(self.base, "finetune")], "apache-2.0", now),
                    _item(self.new[1], [(self.new[0], "quantized")], "apache-2.0", now),
                    _item(self.new[2], [], "llama3.1", now),
                ]
            )
            hub.set_parents(self.c1, self.c1_new)
            hub.set_parents(self.c2, [])
            hub.set_license(self.l1, "other", license_name="my-own-terms")
            hub.set_license(self.l2, None)
            hub.remove([self.leaf, self.doomed])  # only a --full crawl notices
            for m in self.flips:
                hub.set_license(m, "gpl-3.0")
            for m in self.touched:
                hub.update(m)
        elif k == 3:
            hub.set_license(self.l3, "cc-by-nc-4.0")
        elif k == 4:
            original = next(i for i in self.items if i["id"] == self.leaf)
            hub.add([{**original, "lastModified": hub.now_iso()}])  # back on the Hub
            hub.set_license(self.l1, "apache-2.0")  # back to what it was at crawl 1
            for m in self.touched:
                hub.update(m)

    def _changes(self, k: int) -> Expected:
        """What crawl ``k`` changed, against the crawl before it."""
        e = Expected()
        if k == 2:
            e.added = set(self.new)
            e.links_added = {
                (self.new[0], self.base, "finetune", "new-model"),
                (self.new[1], self.new[0], "quantized", "new-model"),
            }
            for child, new in ((self.c1, set(self.c1_new)), (self.c2, set())):
                old = self.pairs(child)
                e.links_added |= {(child, p, r, "changed") for p, r in new - old}
                e.links_removed |= {(child, p, r, "changed") for p, r in old - new}
                e.parents[child] = (sorted(map(list, old)), sorted(map(list, new)))
            e.licenses = {
                self.l1: (("apache-2.0", None), ("other", "my-own-terms")),
                self.l2: (("mit", None), (None, None)),
            }
            e.licenses |= {m: ((self.truth[m]["license"], None), ("gpl-3.0", None)) for m in self.flips}
        elif k == 3:
            e.deleted = {self.leaf, self.doomed}
            for m in e.deleted:
                e.links_removed |= {(m, p, r, "deleted-model") for p, r in self.pairs(m)}
            children = {c for c, tr in self.truth.items() if any(p == self.doomed for p, _ in tr["parents"])}
            e.vanished = {self.doomed: len(children - {self.leaf})}
            e.licenses = {self.l3: (("mit", None), ("cc-by-nc-4.0", None))}
        elif k == 4:
            e.restored = {self.leaf}
            e.links_added = {(self.leaf, p, r, "restored-model") for p, r in self.pairs(self.leaf)}
            e.licenses = {self.l1: (("other", "my-own-terms"), ("apache-2.0", None))}
        return e

    def expected(self, a: int, b: int) -> Expected:
        """Net changes from crawl ``a`` to crawl ``b``: the changes of each crawl between,
        composed (a model deleted and restored, a licence changed and changed back: no change)."""
        if b == a + 1:
            return self._changes(b)
        assert (a, b) == (1, 4), "the scenario composes 1 -> 4 only"
        e2, e3 = self._changes(2), self._changes(3)
        return Expected(
            added=e2.added,
            deleted={self.doomed},
            links_added=e2.links_added,
            # The leaf was deleted and restored: alive at both crawls, with the same links.
            links_removed=e2.links_removed | {x for x in e3.links_removed if x[0] == self.doomed},
            parents=e2.parents,
            licenses={m: v for m, v in e2.licenses.items() if m != self.l1} | e3.licenses,  # l1 is back
            vanished=e3.vanished,
        )


def check(report: dict[str, Any], e: Expected) -> None:
    """``report`` (``lineage diff --format json``) says exactly what ``e`` says."""
    assert set(report["models"]["added"]) == e.added
    assert set(report["models"]["deleted"]) == e.deleted
    assert set(report["models"]["restored"]) == e.restored
    got_added = {(x["child"], x["parent"], x["relation"], x["why"]) for x in report["links"]["added"]}
    got_removed = {(x["child"], x["parent"], x["relation"], x["why"]) for x in report["links"]["removed"]}
    assert got_added == e.links_added
    assert got_removed == e.links_removed
    assert {x["model"]: (x["before"], x["after"]) for x in report["parents_changed"]} == e.parents
    lic = {
        x["model"]: (
            (x["before"]["license"], x["before"]["license_name"]),
            (x["after"]["license"], x["after"]["license_name"]),
        )
        for x in report["licenses_changed"]
    }
    assert lic == e.licenses
    for x in report["licenses_changed"]:  # classes as the simulator's own table has them
        assert x["after"]["class"] == license_class(x["after"]["license"], x["after"]["license_name"])
    assert {x["model"]: x["derivatives"] for x in report["vanished_parents"]} == e.vanished
    counts = report["counts"]
    assert counts == {
        "models_added": len(e.added),
        "models_deleted": len(e.deleted),
        "models_restored": len(e.restored),
        "links_added": len(e.links_added),
        "links_removed": len(e.links_removed),
        "parents_changed": len(e.parents),
        "licenses_changed": len(e.licenses),
        "vanished_parents": len(e.vanished),
    }


# -- the store's own state after each crawl: a second truth ----------------------------------------
def copy_store(store_path: Path, to: Path) -> Path:
    """A copy of the store as it is now (SQLite's online backup)."""
    src, dst = sqlite3.connect(store_path), sqlite3.connect(to)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return to


def live_links(path: Path) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return set(
            conn.execute(
                "SELECT l.child, coalesce(l.parent, l.ref), l.relation FROM links l JOIN models m "
                "ON m.id = l.child WHERE m.deleted_at IS NULL"
            ).fetchall()
        )
    finally:
        conn.close()


def family_counts(path: Path) -> dict[str, float]:
    with open_store(path) as st:
        table = family_summary(Lineage.load(st, snapshot=False), top=None)
    return {r["group"]: r["derivatives"] for r in table.rows if r["derivatives"]}


def check_against_copies(report: dict[str, Any], before: Path, after: Path) -> None:
    """The links and family counts of the two crawls, as the store held them then."""
    a, b = live_links(before), live_links(after)
    assert {(x["child"], x["parent"], x["relation"]) for x in report["links"]["added"]} == b - a
    assert {(x["child"], x["parent"], x["relation"]) for x in report["links"]["removed"]} == a - b
    fa, fb = family_counts(before), family_counts(after)
    groups = {g["group"]: g for g in report["groups"]}
    assert "(other)" not in groups
    assert {g: pytest.approx(r["before"], abs=1e-5) for g, r in groups.items() if r["before"]} == fa
    assert {g: pytest.approx(r["after"], abs=1e-5) for g, r in groups.items() if r["after"]} == fb


# -- the tests ----------------------------------------------------------------------------------------
def test_diff_reports_exactly_the_changes_made_incremental_and_full(tmp_path: Path) -> None:
    sc = Scenario(3000, seed=4)
    clock = FakeClock()
    path = tmp_path / "s.sqlite"
    copies: dict[int, Path] = {}
    with SimHub(sc.items, clock=clock) as hub, open_store(path) as store:
        for k, mode in ((1, "full"), (2, "auto"), (3, "full"), (4, "auto")):
            if k > 1:
                sc.step(k, hub)
            summary = Crawler(store, CrawlConfig(endpoint=hub.url, timeout=10.0), clock=clock).run(mode)
            assert summary.crawl_id == k and summary.mode == ("full" if k in (1, 3) else "incremental")
            copies[k] = copy_store(path, tmp_path / f"after-{k}.sqlite")
            if k > 1:  # default: the last two complete crawls
                report = crawl_diff(store, top=1000).as_dict()
                assert (report["from"]["id"], report["to"]["id"]) == (k - 1, k)
                check(report, sc.expected(k - 1, k))
                check_against_copies(report, copies[k - 1], copies[k])
        report = crawl_diff(store, 1, 4, top=1000).as_dict()
        check(report, sc.expected(1, 4))
        check_against_copies(report, copies[1], copies[4])
        # The bases with the most new derivatives: the base gained a fine-tune and an adapter.
        top = crawl_diff(store, 1, 2).as_dict()["top_bases"][0]
        assert top == {"base": sc.base, "group": top["group"], "new_derivatives": 2}
        # By region: the same models, grouped otherwise.
        by_region = crawl_diff(store, 1, 2, by="region", top=1000).as_dict()
        by_family = crawl_diff(store, 1, 2, top=1000).as_dict()
        assert {g["group"] for g in by_region["groups"]} <= {"china", "us", "eu", "other", "unknown"}
        for side in ("before", "after"):
            total = sum(g[side] for g in by_family["groups"])
            assert sum(g[side] for g in by_region["groups"]) == pytest.approx(total)
    # The command line gives the same JSON, and csv rows for every change.
    args = ["diff", "--store", str(path), "--from", "1", "--to", "4", "--top", "1000", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output) == orjson.loads(orjson.dumps(report))
    csv = CliRunner().invoke(cli, ["diff", "--store", str(path), "--format", "csv"])
    kinds = collections.Counter(line.split(",")[0] for line in csv.output.splitlines()[1:])
    assert kinds["model_restored"] == 1 and kinds["link_added"] == len(sc.pairs(sc.leaf))
    table = CliRunner().invoke(cli, ["diff", "--store", str(path)])
    assert table.exit_code == 0 and "Changes from crawl #3" in table.output and "restored" in table.output


def test_diff_needs_two_crawls_with_history(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        store.start_crawl(
            mode="full", endpoint="x", sort="createdAt", since=None, model_limit=None, first_query="q"
        )
        store.update_crawl(1, status="done")
    runner = CliRunner()
    for args, message in (
        ([], "nothing to compare"),
        (["--from", "1", "--to", "1"], "earlier crawl"),
        (["--from", "7"], "no crawl #7"),
    ):
        result = runner.invoke(cli, ["diff", "--store", str(tmp_path / "s.sqlite"), *args])
        assert result.exit_code == 1 and message in result.output, result.output


def test_an_upgraded_store_has_history_from_its_last_crawl(tmp_path: Path) -> None:
    """A store of schema 3 (before history) gets history from its last crawl on: a diff from an
    earlier crawl is refused, not answered wrongly."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    from lineage.store.schema import MIGRATIONS, TABLES

    conn.executescript(TABLES + MIGRATIONS[1] + MIGRATIONS[2])
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    for k in (1, 2):
        conn.execute(
            "INSERT INTO crawls (id, mode, endpoint, sort, started_at, status) "
            "VALUES (?, 'full', 'x', 'c', 't', 'done')",
            (k,),
        )
    conn.commit()
    conn.close()
    with open_store(path) as store:
        assert store.history_from() == 2
        result = CliRunner().invoke(cli, ["diff", "--store", str(path), "--from", "1", "--to", "2"])
    assert result.exit_code == 1 and "from crawl #2 on" in result.output


# -- kill -9 ---------------------------------------------------------------------------------------
def _events(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {
            "link_events": conn.execute("SELECT * FROM link_events ORDER BY 1, 2, 3, 4").fetchall(),
            "model_events": conn.execute("SELECT * FROM model_events ORDER BY 1, 2, 3").fetchall(),
            "crawls": conn.execute(
                "SELECT id, mode, status, models, new_models, deleted_models FROM crawls"
            ).fetchall(),
        }
    finally:
        conn.close()


def _done(path: Path, crawl: int) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT status FROM crawls WHERE id = ?", (crawl,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row == ("done",)


def _crawl_killed(cmd: list[str], path: Path, crawl: int, rng: random.Random, env: dict[str, str]) -> int:
    """Run the crawl, killing it with SIGKILL at random instants until it finishes (another run
    after that would be another crawl); return the number of kills."""
    kills = 0
    while kills < 6:
        proc = subprocess.Popen(
            [*cmd, "--store", str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.6, 3.0))
        if proc.poll() is not None or _done(path, crawl):
            proc.wait()
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    if not _done(path, crawl):
        final = subprocess.run([*cmd, "--store", str(path)], env=env, capture_output=True, timeout=600)
        assert final.returncode == 0, final.stderr[-2000:]
    assert _done(path, crawl)
    return kills


@pytest.mark.slow
def test_killed_and_resumed_crawls_record_what_uninterrupted_ones_do(tmp_path: Path) -> None:
    sc = Scenario(10_000, seed=9)
    rng = random.Random(15)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    clean, killed = tmp_path / "clean.sqlite", tmp_path / "killed.sqlite"
    kills = []
    # Small pages that each take a moment: a crawl lasts long enough to be killed mid-way.
    with SimHub(sc.items, faults="stall:1.0,stall_seconds=0.03", seed=1, max_limit=100) as hub:
        for k, extra in ((1, []), (2, []), (3, ["--full"]), (4, [])):
            if k > 1:
                sc.step(k, hub)
            # An incremental crawl reads a few dozen pages: slower ones, to be killed too.
            hub.faults = f"stall:1.0,stall_seconds={0.03 if k in (1, 3) else 0.1}"
            cmd = [
                sys.executable,
                "-m",
                "lineage",
                "crawl",
                "--endpoint",
                hub.url,
                "--format",
                "json",
                *extra,
            ]
            subprocess.run(
                [*cmd, "--store", str(clean)], check=True, env=env, capture_output=True, timeout=600
            )
            kills.append(_crawl_killed(cmd, killed, k, rng, env))
            for path in (clean, killed):
                if k > 1:
                    result = CliRunner().invoke(cli, ["diff", "--store", str(path), "--format", "json"])
                    assert result.exit_code == 0, result.output
                    check(orjson.loads(result.output), sc.expected(k - 1, k))
    print("kills per crawl", kills)
    assert all(kills) and sum(kills) >= 8, kills
    assert _events(clean) == _events(killed)
    for path in (clean, killed):
        result = CliRunner().invoke(
            cli, ["diff", "--store", str(path), "--from", "1", "--to", "4", "--format", "json"]
        )
        check(orjson.loads(result.output), sc.expected(1, 4))


def test_events_are_net_per_crawl(tmp_store: Store) -> None:
    """A model listed twice in one crawl, changed in between: one net event, or none when the
    second listing undoes the first — as if the crawl had seen only the last listing."""
    from lineage.records import normalize_item

    def page(crawl: int, *items: dict[str, Any]) -> None:
        tmp_store.write_page(crawl, [normalize_item(i)[0] for i in items], [], next_query="q", resolve=True)  # type: ignore[misc]

    first = tmp_store.start_crawl(
        mode="full", endpoint="x", sort="c", since=None, model_limit=None, first_query="q"
    )
    page(first.id, {"id": "a/base"}, {"id": "b/ft", "tags": ["base_model:finetune:a/base", "license:mit"]})
    second = tmp_store.start_crawl(
        mode="full", endpoint="x", sort="c", since=None, model_limit=None, first_query="q"
    )
    page(second.id, {"id": "b/ft", "tags": ["base_model:adapter:a/base", "license:apache-2.0"]})
    page(second.id, {"id": "b/ft", "tags": ["base_model:finetune:a/base", "license:mit"]})  # undone
    page(second.id, {"id": "c/new", "tags": ["base_model:a/base", "license:mit"]})
    page(second.id, {"id": "c/new", "tags": ["license:gpl-3.0"]})  # added, then changed: still "added"
    assert tmp_store.link_events(first.id) == []
    assert tmp_store.model_events(first.id) == [(second.id, "c/new", "added", None, None, None, None)]
