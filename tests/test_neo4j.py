"""The Neo4j push: statements, batches, parameters, idempotency, resume, incremental sync.

Offline, a fake driver stands in at the driver's API boundary: ``driver.session(database=)``
-> ``session.execute_write(fn, *args)`` / ``execute_read`` -> ``tx.run(query, parameters)`` ->
``result.data()``; it retries retryable errors like the real ``Session._run_transaction``,
rolls back a transaction whose function raised, round-trips every parameter through the
driver's own PackStream codec, and plays the push's fixed statements against an in-memory
graph (the statements' Cypher itself is checked by Neo4j's parser below, and by a real server
in the ``neo4j_live`` tests).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from helpers import (
    DEMO3K_MODELS,
    DEMO3K_SEED,
    DIRTY_IDS,
    LINT,
    CypherLint,
    SimData,
    copy_store,
    graph_from_tables,
    ingest_items,
)
from neo4j._codec.packstream.v1 import Packer, Unpacker
from neo4j.exceptions import ServiceUnavailable, TransientError

import lineage.neo4j.push as sync
from lineage.cli import cli
from lineage.export.sources import NODE_ATTRS
from lineage.licenses import default_licenses, drops_terms
from lineage.neo4j.push import (
    Q_CONSTRAINT,
    Q_COUNT_MODELS,
    Q_COUNT_RELS,
    Q_EDGES,
    Q_NODES,
    Q_ORPHANS,
    Q_PRUNE,
    QUERIES,
    PushSummary,
    push,
    store_counts,
)
from lineage.store import Store, open_store
from lineage.times import now_iso as store_now


# -- the fake driver -------------------------------------------------------------------------------
def bolt_round_trip(value: Any) -> Any:
    """``value`` packed and unpacked by the driver's PackStream v1 codec (what goes on the wire)."""
    buf = Packer.new_packable_buffer()
    Packer(buf).pack(value)
    data = bytes(buf.data)
    ub = Unpacker.new_unpackable_buffer()
    ub.data = bytearray(data)
    ub.used = len(data)
    return Unpacker(ub).unpack()


def plain(value: Any) -> bool:
    """Only the types Cypher parameters map to (no numpy, no tuples)."""
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and plain(v) for k, v in value.items())
    return False


@dataclass
class Call:
    mode: str  # "write" or "read"
    query: str
    parameters: dict[str, Any]
    attempt: int
    database: str | None


@dataclass
class Graph:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rels: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    constraints: set[str] = field(default_factory=set)
    writes: int = 0  # property or structure changes

    def copy(self) -> Graph:
        """An independent copy, to stage a transaction in (property values are scalars, so
        copying each node's and relationship's dict is a deep copy, and much faster)."""
        return Graph(
            {m: dict(p) for m, p in self.nodes.items()},
            {pc: dict(p) for pc, p in self.rels.items()},
            set(self.constraints),
            self.writes,
        )

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The push's statements, as Neo4j runs them (unknown statements fail the test)."""
        rows = params.get("rows", [])
        if query == Q_CONSTRAINT:
            self.constraints.add("model_id_unique")
            return []
        if query == Q_COUNT_MODELS:
            return [{"n": len(self.nodes)}]
        if query == Q_COUNT_RELS:
            return [{"n": len(self.rels)}]
        if query == Q_NODES:
            statuses: dict[str, int] = {}
            for row in rows:
                old = self.nodes.get(row["id"])
                if old is None:
                    status = "created"
                elif all(old.get(k) == v for k, v in row["props"].items()):
                    status = "unchanged"
                else:
                    status = "updated"
                if status != "unchanged":
                    node = self.nodes.setdefault(row["id"], {"id": row["id"]})
                    for k, v in row["props"].items():
                        if v is None:
                            node.pop(k, None)
                        else:
                            node[k] = v
                    self.writes += 1
                statuses[status] = statuses.get(status, 0) + 1
            return [{"status": s, "n": n} for s, n in statuses.items()]
        if query == Q_PRUNE:
            removed = 0
            for row in rows:
                for p, c in [k for k in self.rels if k[1] == row["id"] and k[0] not in row["parents"]]:
                    del self.rels[p, c]
                    removed += 1
            self.writes += removed
            return [{"n": removed}]
        if query == Q_EDGES:
            statuses = {}
            for row in rows:
                if row["source"] not in self.nodes or row["target"] not in self.nodes:
                    continue  # MATCH finds nothing: the row disappears
                old_rel = self.rels.get((row["source"], row["target"]))
                status = (
                    "created"
                    if old_rel is None
                    else "unchanged"
                    if old_rel.get("relation") == row["relation"]
                    and old_rel.get("license_drift") == row["license_drift"]
                    else "updated"
                )
                if status != "unchanged":
                    self.rels[row["source"], row["target"]] = {
                        "relation": row["relation"],
                        "license_drift": row["license_drift"],
                    }
                    self.writes += 1
                statuses[status] = statuses.get(status, 0) + 1
            return [{"status": s, "n": n} for s, n in statuses.items()]
        if query == Q_ORPHANS:
            linked = {x for k in self.rels for x in k}
            gone = [m for m, d in self.nodes.items() if d.get("placeholder") is True and m not in linked]
            for m in gone:
                del self.nodes[m]
            self.writes += len(gone)
            return [{"n": len(gone)}]
        raise AssertionError(f"a statement outside the push's fixed set: {query!r}")


class FakeResult:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._records = records

    def data(self) -> list[dict[str, Any]]:
        return self._records


class FakeTx:
    def __init__(self, session: FakeSession, mode: str, attempt: int, graph: Graph) -> None:
        self.session, self.mode, self.attempt, self.graph = session, mode, attempt, graph

    def run(self, query: str, parameters: dict[str, Any] | None = None, **kwparameters: Any) -> FakeResult:
        assert not kwparameters, "values go in the parameters dict"
        params = parameters or {}
        assert plain(params), "parameters must be plain str/int/float/bool/None/list/dict values"
        wire = bolt_round_trip(params)
        assert wire == params
        driver = self.session.driver
        driver.calls.append(Call(self.mode, query, wire, self.attempt, self.session.database))
        if driver.fail is not None:
            exc = driver.fail(driver.calls[-1], len(driver.calls))
            if exc is not None:
                raise exc
        if self.mode == "read":
            return FakeResult(self.graph.copy().run(query, wire))
        return FakeResult(self.graph.run(query, wire))


class FakeSession:
    def __init__(self, driver: FakeDriver, database: str | None) -> None:
        self.driver, self.database = driver, database

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def _transaction(self, mode: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Like ``Session._run_transaction``: commit on return, roll back on error, retry
        retryable errors (no delay here)."""
        for attempt in range(1, 6):
            staged = self.driver.graph.copy()
            try:
                result = fn(FakeTx(self, mode, attempt, staged), *args, **kwargs)
            except (TransientError, ServiceUnavailable) as exc:
                if not exc.is_retryable() or attempt == 5:
                    raise
                continue
            if mode == "write":
                self.driver.graph = staged
                self.driver.commits += 1
                if self.driver.fail_after_commit is not None and self.driver.fail_after_commit(
                    self.driver.commits
                ):
                    raise ServiceUnavailable("connection lost after COMMIT was sent")
            return result
        raise AssertionError("unreachable")

    def execute_write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._transaction("write", fn, *args, **kwargs)

    def execute_read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._transaction("read", fn, *args, **kwargs)


class FakeDriver:
    def __init__(self) -> None:
        self.graph = Graph()
        self.calls: list[Call] = []
        self.commits = 0
        self.fail: Callable[[Call, int], BaseException | None] | None = None
        self.fail_after_commit: Callable[[int], bool] | None = None

    def session(self, database: str | None = None, **config: Any) -> FakeSession:
        assert not config
        return FakeSession(self, database)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def rows(self, query: str, start: int = 0) -> list[dict[str, Any]]:
        """Rows of the committed (last attempt) calls of ``query`` since call ``start``."""
        return [r for c in self.calls[start:] if c.query == query for r in c.parameters.get("rows", [])]


# -- helpers ---------------------------------------------------------------------------------------
def expected_graph(store: Store) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    """What Neo4j should hold, from the store's tables with plain SQL (not from the streams the
    push sends): nodes with their ``id`` property and licence class, relationships with their
    ``relation`` and licence drift flag (the classification itself is tested in
    test_licenses.py against pairs computed from the real sample's tags)."""
    nodes, edges = graph_from_tables(store)
    table = default_licenses()
    classes = {m: table.classify(a.get("license"), a.get("license_name")) for m, a in nodes.items()}
    return (
        {m: {"id": m, **a, "license_class": classes[m]} for m, a in nodes.items()},
        {
            (p, c): {"relation": r, "license_drift": drops_terms(classes[p], classes[c])}
            for (p, c), r in edges.items()
        },
    )


def expected_counts(path: Path) -> dict[str, int]:
    with open_store(path, readonly=True) as store:
        nodes, rels = expected_graph(store)
    return {"models": len(nodes), "relationships": len(rels)}


def assert_graph_equals_store(driver: FakeDriver, store: Store) -> None:
    nodes, rels = expected_graph(store)
    assert driver.graph.nodes == nodes
    assert driver.graph.rels == rels
    assert store_counts(store) == {"models": len(nodes), "relationships": len(rels)}


@pytest.fixture
def dirty(dirty_store: Path, tmp_path: Path) -> Path:
    """A writable copy of the dirty-id store (a push records its progress in the store)."""
    return copy_store(dirty_store, tmp_path / "dirty.sqlite")


@pytest.fixture
def demo_copy(demo3k_store: Path, tmp_path: Path) -> Path:
    """A writable copy of the 3000-model simulated store."""
    return copy_store(demo3k_store, tmp_path / "demo.sqlite")


# -- statements, batches, parameters ---------------------------------------------------------------
def test_statements_batches_and_parameters(dirty: Path) -> None:
    driver = FakeDriver()
    with open_store(dirty) as store:
        summary = push(store, driver, database="lineage", target="bolt://fake:7687", batch_size=4)
    counts = expected_counts(dirty)
    calls = driver.calls
    assert calls[0].query == Q_CONSTRAINT and calls[0].mode == "write"
    assert {c.database for c in calls} == {"lineage"}
    assert {c.query for c in calls} <= QUERIES
    writes = [c for c in calls if c.mode == "write" and c.query in (Q_NODES, Q_EDGES, Q_PRUNE)]
    kinds = [c.query for c in writes]
    assert kinds == sorted(kinds, key=[Q_NODES, Q_PRUNE, Q_EDGES].index)  # nodes before relationships
    assert Q_PRUNE not in kinds  # the target was empty: nothing to prune
    for q, total in ((Q_NODES, counts["models"]), (Q_EDGES, counts["relationships"])):
        sizes = [len(c.parameters["rows"]) for c in writes if c.query == q]
        assert sum(sizes) == total and set(sizes[:-1]) == {4} and 1 <= sizes[-1] <= 4
    for c in writes:
        assert set(c.parameters) == {"rows"}
    # Ids and values travel only as parameters, intact through the Bolt codec.
    sent = {r["id"] for r in driver.rows(Q_NODES)}
    assert set(DIRTY_IDS) <= sent
    texts = "\n".join(c.query for c in calls)
    assert not [m for m in sent if m in texts]
    assert all(set(r["props"]) == {a.name for a in NODE_ATTRS} for r in driver.rows(Q_NODES))
    assert (
        summary.nodes_created == counts["models"] and summary.relationships_created == counts["relationships"]
    )
    assert summary.mode == "full" and not summary.resumed
    assert (summary.graph_models, summary.graph_relationships) == (counts["models"], counts["relationships"])
    with open_store(dirty) as store:
        assert_graph_equals_store(driver, store)


def test_push_equals_the_real_sample(real_sample_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "real.sqlite"
    shutil.copy(real_sample_store, path)
    driver = FakeDriver()
    with open_store(path) as store:
        summary = push(store, driver, batch_size=100)
        assert_graph_equals_store(driver, store)
    placeholders = [m for m, d in driver.graph.nodes.items() if d["placeholder"]]
    assert placeholders and all(d.get("author") for m, d in driver.graph.nodes.items() if "/" in m)
    assert summary.batches == -(-summary.nodes_created // 100) + -(-summary.relationships_created // 100)


# -- idempotency -----------------------------------------------------------------------------------
def test_pushing_twice_changes_nothing(demo_copy: Path) -> None:
    driver = FakeDriver()
    with open_store(demo_copy) as store:
        first = push(store, driver, batch_size=500)
        graph, writes = driver.graph.copy(), driver.graph.writes
        start = len(driver.calls)
        again = push(store, driver, batch_size=500)
        assert again.mode == "incremental" and again.batches == 0
        assert not driver.rows(Q_NODES, start) and not driver.rows(Q_EDGES, start)
        full = push(store, driver, batch_size=500, full=True)
        assert_graph_equals_store(driver, store)
    # a 3,000-model hub where, as on the real Hub, 28% of models declare a base: ~800 links
    assert first.nodes_created > 3000 and first.relationships_created > 600
    assert full.mode == "full" and full.nodes_created == full.nodes_updated == 0
    assert full.nodes_unchanged == first.nodes_created
    assert full.relationships_unchanged == first.relationships_created and full.relationships_removed == 0
    assert driver.graph == graph and driver.graph.writes == writes  # nothing was written again
    # The graph is the simulated hub's: its models, plus a placeholder for each parent it
    # does not list, joined as the simulator declared them.
    sim = SimData(DEMO3K_MODELS, DEMO3K_SEED)
    want = {
        (p, c): {"relation": r, "license_drift": p in t["license_drift"]}
        for c, t in sim.truth.items()
        for p, r in t["parents"]
    }
    assert driver.graph.rels == want
    assert set(driver.graph.nodes) == set(sim.truth) | {p for p, _ in want}
    assert {m for m, d in driver.graph.nodes.items() if d["placeholder"]} == {p for p, _ in want} - set(
        sim.truth
    )


# -- resume ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("stop_in", [Q_NODES, Q_EDGES])
def test_interrupted_push_resumes_after_the_last_committed_batch(demo_copy: Path, stop_in: str) -> None:
    driver = FakeDriver()
    seen = {"n": 0}

    def interrupt(call: Call, _: int) -> BaseException | None:
        if call.query == stop_in:
            seen["n"] += 1
            if seen["n"] == 4:
                return KeyboardInterrupt()
        return None

    driver.fail = interrupt
    with open_store(demo_copy) as store:
        with pytest.raises(KeyboardInterrupt):
            push(store, driver, batch_size=200)
        state = orjson.loads(
            next(
                v for k, v in store.conn.execute("SELECT key, value FROM meta") if k.startswith("neo4j_push:")
            )
        )
        assert state["pending"]["batches"] >= 3 and state["watermark"] is None
        committed_rows = driver.rows(stop_in)[: 3 * 200]  # the 4th call was interrupted before its commit
        driver.fail = None
        start = len(driver.calls)
        summary = push(store, driver, batch_size=200)
        assert summary.resumed and summary.mode == "full"
        resent = driver.rows(stop_in, start)
        key = (lambda r: r["id"]) if stop_in == Q_NODES else (lambda r: (r["source"], r["target"]))
        assert not {key(r) for r in resent} & {key(r) for r in committed_rows}  # only the rest
        assert min(key(r) for r in resent) > max(key(r) for r in committed_rows)
        if stop_in == Q_EDGES:
            assert not driver.rows(Q_NODES, start)  # the nodes phase was complete
        assert_graph_equals_store(driver, store)
    counts = expected_counts(demo_copy)
    # Counters add up over both runs.
    assert (
        summary.nodes_created == counts["models"] and summary.relationships_created == counts["relationships"]
    )


def test_a_batch_committed_but_not_recorded_is_resent_harmlessly(demo_copy: Path) -> None:
    driver = FakeDriver()
    driver.fail_after_commit = lambda commits: commits == 3  # constraint, 2 batches, then the ack is lost
    with open_store(demo_copy) as store:
        with pytest.raises(ServiceUnavailable):
            push(store, driver, batch_size=300)
        driver.fail_after_commit = None
        summary = push(store, driver, batch_size=300)
        assert_graph_equals_store(driver, store)
    assert summary.resumed and summary.nodes_unchanged == 300  # the re-sent batch changed nothing


def test_transient_errors_are_retried_by_execute_write(dirty: Path) -> None:
    driver = FakeDriver()
    failures = iter([TransientError("deadlock"), TransientError("deadlock")])

    def flaky(call: Call, _: int) -> BaseException | None:
        return next(failures, None) if call.query == Q_EDGES else None

    driver.fail = flaky
    with open_store(dirty) as store:
        summary = push(store, driver, batch_size=5)
        assert_graph_equals_store(driver, store)
    attempts = [c.attempt for c in driver.calls if c.query == Q_EDGES]
    assert attempts[:3] == [1, 2, 3]
    assert summary.relationships_created == expected_counts(dirty)["relationships"]


# -- incremental -----------------------------------------------------------------------------------
def test_incremental_push_after_a_new_crawl(tmp_path: Path) -> None:
    t0 = "2025-01-01T00:00:00.000Z"
    items = [
        {"id": "org/base", "createdAt": t0, "tags": []},
        {"id": "org/other-base", "createdAt": t0, "tags": []},
        {"id": "a/ft", "createdAt": t0, "tags": ["base_model:finetune:org/base"], "downloads": 1},
        {"id": "b/moved", "createdAt": t0, "tags": ["base_model:finetune:gone/only-parent"]},
        {"id": "c/waits", "createdAt": t0, "tags": ["base_model:quantized:late/parent"]},
        {
            "id": "d/quiet",
            "createdAt": t0,
            "tags": ["base_model:merge:org/base", "base_model:merge:org/other-base"],
        },
        {"id": "e/to-delete", "createdAt": t0, "tags": ["base_model:adapter:org/base"]},
    ]
    path = tmp_path / "inc.sqlite"
    driver = FakeDriver()
    with open_store(path) as store:
        ingest_items(store, items, finished_at="2026-01-01T00:00:00.000Z")
        first = push(store, driver, batch_size=3)
        assert first.mode == "full"
        assert driver.graph.nodes["gone/only-parent"]["placeholder"] is True
        # A new crawl: a new model, a model whose parent changed, a parent that appears
        # (c/waits is not re-listed), and a model tombstoned.
        ingest_items(
            store,
            [
                {
                    "id": "f/new",
                    "createdAt": "2026-01-01T00:00:00.000Z",
                    "tags": ["base_model:finetune:a/ft"],
                },
                {
                    "id": "b/moved",
                    "createdAt": t0,
                    "lastModified": "2026-01-02T00:00:00.000Z",
                    "tags": ["base_model:finetune:org/other-base"],
                },
                {"id": "late/parent", "createdAt": "2026-01-03T00:00:00.000Z", "tags": []},
            ],
            mode="incremental",
            finished_at="2026-01-01T00:00:00.000Z",
        )
        store.conn.execute("UPDATE models SET deleted_at = ? WHERE id = 'e/to-delete'", (store_now(),))
        time.sleep(0.01)  # the next push starts after the tombstone
        start = len(driver.calls)
        second = push(store, driver, batch_size=3)
        sent = {r["id"] for r in driver.rows(Q_NODES, start)}
        assert second.mode == "incremental"
        assert sent == {"f/new", "b/moved", "late/parent", "c/waits", "e/to-delete"}
        assert {r["id"] for r in driver.rows(Q_PRUNE, start)} == sent  # their links made current
        assert second.relationships_removed == 1 and second.placeholders_removed == 1
        assert "gone/only-parent" not in driver.graph.nodes
        assert driver.graph.nodes["late/parent"]["placeholder"] is False
        assert driver.graph.nodes["e/to-delete"]["deleted"] is True
        assert_graph_equals_store(driver, store)
        # Nothing new: nothing sent.
        start = len(driver.calls)
        assert push(store, driver).batches == 0 and not driver.rows(Q_NODES, start)


def test_each_target_keeps_its_own_progress(dirty: Path) -> None:
    a, b = FakeDriver(), FakeDriver()
    with open_store(dirty) as store:
        assert push(store, a, target="bolt://one:7687").mode == "full"
        assert push(store, b, target="bolt://two:7687").mode == "full"
        assert push(store, b, target="bolt://two:7687", database="other").mode == "full"
        assert push(store, a, target="bolt://one:7687").mode == "incremental"
        a.graph = Graph()  # the server was wiped: the next push is full again
        assert push(store, a, target="bolt://one:7687").mode == "full"
        assert_graph_equals_store(a, store)
        keys = [k for (k,) in store.conn.execute("SELECT key FROM meta WHERE key LIKE 'neo4j_push:%'")]
    assert len(keys) == 3


def test_a_readonly_store_is_refused(dirty: Path) -> None:
    with open_store(dirty, readonly=True) as store, pytest.raises(sync.Neo4jSyncError, match="writable"):
        push(store, FakeDriver())


# -- CLI and credentials ---------------------------------------------------------------------------
def test_cli_push_with_progress_and_summary(dirty: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FakeDriver()
    monkeypatch.setattr(sync, "open_driver", lambda uri: driver)
    r = CliRunner().invoke(cli, ["neo4j", "push", "--store", str(dirty), "--batch-size", "5"])
    assert r.exit_code == 0, r.output
    n = expected_counts(dirty)["models"]
    assert re.search(r"full, \d+ batches", r.output) and f"models:        created {n}" in r.output
    assert "push phase=nodes" in r.output  # not a terminal: plain progress lines
    r = CliRunner().invoke(cli, ["neo4j", "push", "--store", str(dirty), "--format", "json"])
    data = orjson.loads(r.output)
    assert data["mode"] == "incremental" and data["nodes_created"] == 0 and data["graph_models"] == n


def test_cli_push_progress_bars_on_a_terminal(dirty: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lineage.render.progress as progress

    monkeypatch.setattr(progress, "_interactive", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich shows every column
    monkeypatch.setattr(sync, "open_driver", lambda uri: FakeDriver())
    r = CliRunner().invoke(cli, ["neo4j", "push", "--store", str(dirty), "--batch-size", "5"])
    assert r.exit_code == 0, r.output
    want = expected_counts(dirty)
    assert re.search(rf"nodes .* {want['models']}/{want['models']}", r.stderr), r.stderr
    assert re.search(rf"edges .* {want['relationships']}/{want['relationships']}", r.stderr), r.stderr


def test_credentials_come_from_the_environment_and_are_never_shown(
    dirty: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import neo4j

    seen: dict[str, Any] = {}

    class Unreachable:
        def verify_connectivity(self) -> None:
            raise ServiceUnavailable("Couldn't connect to 127.0.0.1:1")

        def close(self) -> None:
            pass

    def fake_driver(uri: str, *, auth: Any = None) -> Unreachable:
        seen["uri"], seen["auth"] = uri, auth
        return Unreachable()

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", fake_driver)
    monkeypatch.setenv("NEO4J_USER", "alice")
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cr3t-pw")
    caplog.set_level(logging.DEBUG)
    r = CliRunner().invoke(
        cli, ["-vv", "neo4j", "push", "--store", str(dirty), "--uri", "bolt://127.0.0.1:1"]
    )
    assert r.exit_code == 1 and "cannot reach Neo4j at bolt://127.0.0.1:1" in r.output
    assert seen == {"uri": "bolt://127.0.0.1:1", "auth": ("alice", "s3cr3t-pw")}
    r2 = CliRunner().invoke(
        cli, ["neo4j", "push", "--store", str(dirty), "--uri", "bolt://bob:s3cr3t-pw@host:7687"]
    )
    assert r2.exit_code == 1 and "not in the URI" in r2.output
    for text in (r.output, r2.output, caplog.text):
        assert "s3cr3t" not in text
    monkeypatch.delenv("NEO4J_PASSWORD")
    CliRunner().invoke(cli, ["neo4j", "push", "--store", str(dirty)])
    assert seen["auth"] is None and seen["uri"] == "bolt://localhost:7687"
    monkeypatch.setenv("NEO4J_URI", "neo4j://from-env:7687")
    CliRunner().invoke(cli, ["neo4j", "push", "--store", str(dirty)])
    assert seen["uri"] == "neo4j://from-env:7687"


# -- Cypher syntax of the statements and the README queries ----------------------------------------
def test_push_statements_parse(cypher_lint: CypherLint) -> None:
    report = cypher_lint(";\n".join(sorted(QUERIES)) + ";\n", ("rows",))
    assert report["statements"] == len(QUERIES)
    assert report["errors"] == 0 and report["warnings"] == 0, report["diagnostics"]
    undeclared = cypher_lint(Q_NODES + ";\n")  # the check can fail: $rows must be declared
    assert [d["message"] for d in undeclared["diagnostics"]] == ["Parameter $rows is not defined."]


def test_readme_queries_parse(cypher_lint: CypherLint) -> None:
    from lineage.neo4j.queries import EXAMPLES

    report = cypher_lint(EXAMPLES)
    assert report["statements"] == 6
    assert report["errors"] == 0 and report["warnings"] == 0, report["diagnostics"]


def test_lint_tool_is_pinned() -> None:
    pkg = orjson.loads((LINT.parent / "package.json").read_bytes())
    assert pkg["dependencies"] == {"@neo4j-cypher/language-support": "2.0.0-next.38"}
    assert (LINT.parent / "package-lock.json").exists()


# -- live Neo4j ------------------------------------------------------------------------------------
LIVE_SKIP = (
    "NEO4J_URI is not set: start Neo4j (see README 'Neo4j') and export "
    "NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD to run live tests"
)


@pytest.fixture
def live_driver() -> Any:
    """The server at NEO4J_URI. Its database (NEO4J_DATABASE, default: the server's) loses
    every :Model node: point it at a scratch server."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip(LIVE_SKIP)
    driver = sync.open_driver(uri)
    database = os.environ.get("NEO4J_DATABASE") or None

    def wipe(tx: Any) -> None:
        tx.run("MATCH (m:Model) DETACH DELETE m").consume()

    with driver.session(database=database) as session:
        session.execute_write(wipe)
    yield driver, database, uri
    driver.close()


class Interrupting:
    """A real driver whose sessions raise KeyboardInterrupt at the k-th write transaction."""

    def __init__(self, driver: Any, k: int) -> None:
        self.driver, self.k, self.n = driver, k, 0

    def session(self, **config: Any) -> Any:
        outer = self
        real = self.driver.session(**config)

        class S:
            def __enter__(self) -> Any:
                real.__enter__()
                return self

            def __exit__(self, *exc: object) -> None:
                real.__exit__(*exc)

            def execute_read(self, fn: Any, *a: Any) -> Any:
                return real.execute_read(fn, *a)

            def execute_write(self, fn: Any, *a: Any) -> Any:
                outer.n += 1
                if outer.n == outer.k:
                    raise KeyboardInterrupt
                return real.execute_write(fn, *a)

        return S()


@pytest.mark.neo4j_live
def test_live_push_repush_resume(live_driver: Any, real_sample_store: Path, tmp_path: Path) -> None:
    driver, database, uri = live_driver
    path = tmp_path / "live.sqlite"
    shutil.copy(real_sample_store, path)
    want = expected_counts(path)
    with open_store(path) as store:
        with pytest.raises(KeyboardInterrupt):
            push(store, Interrupting(driver, 5), database=database, target=uri, batch_size=50)
        resumed: PushSummary = push(store, driver, database=database, target=uri, batch_size=50)
        assert resumed.resumed and sync.graph_counts(driver, database) == want
        again = push(store, driver, database=database, target=uri, batch_size=50, full=True)
        assert again.nodes_created == again.nodes_updated == again.relationships_created == 0
        assert (
            again.nodes_unchanged == want["models"] and again.relationships_unchanged == want["relationships"]
        )
        assert sync.graph_counts(driver, database) == want


@pytest.mark.neo4j_live
def test_live_dirty_ids(live_driver: Any, dirty: Path) -> None:
    driver, database, uri = live_driver
    with open_store(dirty) as store:
        push(store, driver, database=database, target=uri, batch_size=4)
        nodes, rels = expected_graph(store)

    def read(tx: Any) -> Any:
        got_nodes = {r["m"]["id"]: dict(r["m"]) for r in tx.run("MATCH (m:Model) RETURN m")}
        got_rels = {
            (r["p"], r["c"]): {"relation": r["rel"]}
            for r in tx.run(
                "MATCH (p:Model)-[r:BASE_OF]->(c:Model) RETURN p.id AS p, c.id AS c, r.relation AS rel"
            )
        }
        return got_nodes, got_rels

    with driver.session(database=database) as session:
        assert session.execute_read(read) == (nodes, rels)


def test_live_tests_say_why_they_skip() -> None:
    if os.environ.get("NEO4J_URI"):
        pytest.skip("NEO4J_URI is set: the live tests run")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-m",
            "neo4j_live",
            str(Path(__file__)),
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "NEO4J_URI"},
    )
    assert "NEO4J_URI is not set: start Neo4j (see README 'Neo4j')" in proc.stdout, proc.stdout[-2000:]
