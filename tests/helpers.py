"""Helpers shared by the test modules (the fixtures that use them are in conftest.py).

Paths to the shared data, the simulated clock, generated hubs with their truth, writing listing
items into a store without HTTP, reading a store back with plain SQL (independent of the
package's readers), running the command line in-process, and Neo4j's Cypher parser.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lineage.sim.generate import generate
from lineage.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
REAL_SAMPLE = SHARED / "real-sample"
ATOM = SHARED / "atom"
README = ROOT / "README.md"
LINT = ROOT / "tools" / "cypher-lint" / "lint.mjs"
# The simulated hub of the ``demo3k_store`` fixture (its truth: ``SimData(DEMO3K_MODELS, DEMO3K_SEED)``).
DEMO3K_MODELS, DEMO3K_SEED = 3000, 1


# -- simulated time and hubs ---------------------------------------------------------------------
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

    @classmethod
    def shared(cls, n: int, seed: int, tmp_path_factory: pytest.TempPathFactory) -> SimData:
        """``SimData(n, seed)``, generated once per test run (see :func:`built_once`)."""

        def write(folder: Path) -> None:
            (folder / "sim.pickle").write_bytes(pickle.dumps(cls(n, seed), pickle.HIGHEST_PROTOCOL))

        folder = built_once(tmp_path_factory, f"sim-{n}-{seed}", write)
        data: SimData = pickle.loads((folder / "sim.pickle").read_bytes())  # written by this run
        return data


def crawl(path: Path, url: str, clock: FakeClock | None = None, **kw: Any) -> Any:
    """One crawl of the hub at ``url`` into the store at ``path`` (``kw``: ``Crawler.run``'s)."""
    from lineage.hub import CrawlConfig, Crawler
    from lineage.store import open_store

    with open_store(path) as st:
        return Crawler(st, CrawlConfig(endpoint=url, timeout=10), clock=clock or FakeClock()).run(**kw)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that ``build(folder)`` filled, once per test run: under pytest-xdist the first
    worker that asks builds it (under a file lock) and the others wait and reuse it, so an
    expensive session fixture costs its time once, not once per worker. Callers must treat
    what is in it as read-only (copy it to change it)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's shared folder
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not folder.is_dir():
            partial = root / f"shared-{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)  # left by a worker that failed
            partial.mkdir()
            build(partial)
            partial.rename(folder)
    return folder


# -- stores --------------------------------------------------------------------------------------
def ingest_items(
    store: Store,
    items: list[dict[str, Any]],
    *,
    mode: str = "full",
    endpoint: str = "test",
    finished_at: str = "2025-10-07T00:00:00.000Z",
    resolve: bool = True,
) -> int:
    """Write listing items into ``store`` as one completed crawl, without HTTP, and resolve
    (unless ``resolve=False``: the resolution tests run it themselves). Returns the crawl id."""
    from lineage.families import default_registry
    from lineage.records import normalize_item

    records, repairs = [], []
    for item in items:
        rec, reps = normalize_item(item)
        assert rec is not None, item
        records.append(rec)
        repairs.extend(reps)
    crawl = store.start_crawl(
        mode=mode,
        endpoint=endpoint,
        sort="createdAt",
        since=None,
        model_limit=None,
        first_query="/api/models",
    )
    store.write_page(crawl.id, records, repairs, next_query=None, requests=1)
    store.update_crawl(crawl.id, status="done", finished_at=finished_at)
    if resolve:
        store.resolve_links(default_registry().aliases)
    return crawl.id


def build_store(path: Path, items: list[dict[str, Any]]) -> Path:
    """A store at ``path`` holding ``items`` as one crawl (resolved)."""
    from lineage.store import open_store

    with open_store(path) as st:
        ingest_items(st, items, finished_at="2025-03-01T00:00:00.000Z")
    return path


def store_edges(store: Store) -> set[tuple[str, str, str]]:
    """(child, parent, relation) of every link in the graph (cycle links set aside)."""
    return {(c, p, r) for c, p, r, _ in store.iter_links()}


def store_ids(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT id FROM models WHERE deleted_at IS NULL")}


Nodes = dict[str, dict[str, Any]]
Edges = dict[tuple[str, str], str]


def graph_from_tables(store: Store) -> tuple[Nodes, Edges]:
    """The graph ``store`` holds, read from its ``models`` and ``links`` tables with plain SQL
    and the documented rules, independent of the package's readers, streams and exporters.

    Nodes by id, with their attributes (None values left out): every model row, and a
    placeholder for each parent that is not a model. Edges ``(parent, child) -> relation``:
    links that are resolved and not set aside as a cycle; when several links join the same
    pair, the relation that comes first in RELATIONS (an unknown one counts as the last).
    """
    from lineage.records import RELATIONS

    nodes: Nodes = {}
    for row in store.conn.execute(
        "SELECT id, author, created_at, last_modified, downloads, downloads_all_time, likes, "
        "pipeline_tag, library_name, license, license_name, gated, legacy_date, deleted_at FROM models"
    ):
        (
            mid,
            author,
            created,
            modified,
            dl,
            dl_all,
            likes,
            pipe,
            lib,
            lic,
            lic_name,
            gated,
            legacy,
            deleted_at,
        ) = row
        attrs = {
            "author": author,
            "created_at": created,
            "last_modified": modified,
            "downloads": dl,
            "downloads_all_time": dl_all if dl_all is not None and dl_all >= 0 else None,
            "likes": likes,
            "pipeline_tag": pipe,
            "library_name": lib,
            "license": lic,
            "license_name": lic_name,
            "gated": gated,
            "legacy_date": legacy == 1,
            "deleted": deleted_at is not None,
            "placeholder": False,
        }
        nodes[mid] = {k: v for k, v in attrs.items() if v is not None}
    rank = {r: k for k, r in enumerate(RELATIONS)}
    edges: Edges = {}
    for child, parent, relation in store.conn.execute(
        "SELECT child, parent, relation FROM links WHERE resolution IS NOT NULL AND resolution != 'cycle'"
    ):
        old = edges.get((parent, child))
        if old is None or rank.get(relation, len(RELATIONS)) < rank.get(old, len(RELATIONS)):
            edges[parent, child] = relation if relation in rank else RELATIONS[-1]
        if parent not in nodes:
            author = {"author": parent.split("/")[0]} if "/" in parent else {}
            nodes[parent] = {
                **author,
                "downloads": 0,
                "likes": 0,
                "legacy_date": False,
                "deleted": False,
                "placeholder": True,
            }
    return nodes, edges


def copy_store(src: Path, dst: Path) -> Path:
    """A consistent, writable copy of the store at ``src`` (``VACUUM INTO``)."""
    from lineage.store import open_store

    with open_store(src, readonly=True) as st:
        st.conn.execute("VACUUM INTO ?", (str(dst),))
    return dst


# -- dirty ids -------------------------------------------------------------------------------------
# Model ids that break naive quoting, escaping, XML, CSV, paths and terminals.
DIRTY_IDS = [
    "it's/a'model",
    'say/"hi"',
    "back\\slash/x\\",
    "tag/<b>&amp;</b>",
    "uni/ünïcödé-模型-😀",
    "tick/`drop` x",
    "semi/x;y",
    "line/a\nb",
    "tab/a\tb",
    "cr/a\rb",
    "brace/{x: 1}",
    "../../etc/passwd",
    "dollar/$rows",
    "comment/x//y /* z */",
    "sep/a\u2028\u2029b",
    "esc/\\u0041\\n",
]


def dirty_items() -> list[dict[str, Any]]:
    """Hub listing items whose own ids are dirty (the store keeps them as given)."""
    items: list[dict[str, Any]] = [
        {"id": "base/clean", "createdAt": "2024-01-01T00:00:00.000Z", "downloads": 5, "tags": []},
    ]
    for k, mid in enumerate(DIRTY_IDS):
        parent = "base/clean" if k % 3 else "ghost/deleted-parent"
        items.append(
            {
                "id": mid,
                "author": 'o"rg',
                "downloads": k,
                "likes": k,
                "createdAt": "2025-02-03T04:05:06.000Z",
                "tags": [f"base_model:{'merge' if k % 2 else 'finetune'}:{parent}", "license:it's-mine"],
            }
        )
    return items


# -- the command line ----------------------------------------------------------------------------
def invoke(*args: str) -> Result:
    """``lineage ARGS`` in-process. Errors the CLI maps to a message give their exit code; any
    other exception (a bug) propagates with its traceback."""
    from lineage.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="lineage")


def run_ok(*args: str) -> str:
    """``lineage ARGS`` in-process; it must succeed. Returns its standard output."""
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def run_json(*args: str) -> Any:
    """``lineage ARGS`` (which ask for ``--format json``) in-process; the parsed output."""
    return json.loads(run_ok(*args))


# -- Neo4j's Cypher parser -----------------------------------------------------------------------
LINT_MISSING = (
    "the Cypher linter is not installed: run `make cypher-lint` (needs node and npm), or set "
    "LINEAGE_SKIP_CYPHER_LINT=1 to skip this check"
)


class CypherLint:
    """tools/cypher-lint (Neo4j's parser and semantic analysis) as one long-running process.

    ``lint(text, params)`` returns the linter's report: ``statements``, ``errors``,
    ``warnings`` and ``diagnostics`` (severity, message, line, column, offset, statement).
    ``params`` are the query parameters a driver would send (an undeclared one is an error).
    """

    def __init__(self, script: Path = LINT) -> None:
        node = shutil.which("node")
        if (
            node is None
            or not (script.parent / "node_modules" / "@neo4j-cypher" / "language-support").is_dir()
        ):
            pytest.fail(LINT_MISSING, pytrace=False)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._proc = subprocess.Popen(
            [node, str(script), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )

    def __call__(self, text: str, params: Iterable[str] = ()) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        request = json.dumps({"text": text, "params": list(params)})
        try:
            self._proc.stdin.write(request + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # the linter ended: reported below
        line = self._proc.stdout.readline()
        if not line:
            self._stderr.seek(0)
            raise AssertionError(f"the Cypher linter ended: {self._stderr.read().decode()[-2000:]}")
        report: dict[str, Any] = json.loads(line)
        assert "error" not in report, report["error"]
        return report

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()


def cypher_lint_skipped() -> bool:
    return os.environ.get("LINEAGE_SKIP_CYPHER_LINT") == "1"
