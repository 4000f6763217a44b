"""Command-line answers on a whole-Hub store: wall time and peak memory per command.

    python bench/bench_cli.py [--models 3000000] [--repeat 1]

Builds (once, cached in bench/out/) a store by crawling a simulated hub of --models models
over HTTP, then runs each command in its own process — ``lineage info``, ``tree`` of a small
model and of the model with the most derivatives, ``share`` (default and filtered),
``families``, ``downloads`` and ``export --root X --depth 2`` — three ways:

* ``old``: ``LINEAGE_SNAPSHOT=off``, every command reads the whole graph from SQLite (the
  path before the graph snapshot);
* ``new``: the graph snapshot is up to date (as after ``lineage crawl``);
* ``stale``: the snapshot is out of date (as during a crawl): point questions read only what
  they need from the store.

Each figure is the wall time of the whole process (interpreter start included) and its peak
resident memory (``VmHWM``). Also timed: building the snapshot after a crawl. Targets on the
project's 2-core machine at 3M models: tree, info and a one-root export within 1 s and 300 MB;
share, families and downloads within 2 s each; the snapshot within 25 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import machine, simulated_store

CHILD = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK_KB " + line.split()[1] + "\\n")
atexit.register(peak)
sys.argv = ["lineage", *sys.argv[1:]]
from lineage.cli import main
main()
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    peak = next((int(x.split()[1]) for x in proc.stderr.splitlines() if x.startswith("PEAK_KB")), 0)
    if proc.returncode:
        print(f"  ! {' '.join(args)} failed: {proc.stderr[-500:]}", file=sys.stderr)
    return wall, peak / 1024, proc.returncode


def pick_models(store: Path) -> tuple[str, str, str]:
    """A small model (a few descendants), the model with the most children, and a typical
    family root to export: the median of the roots with at least 100 children (on the real Hub,
    a model such as Qwen/Qwen3-8B)."""
    from lineage.graph import Lineage

    lin = Lineage.load(store)
    out = lin.out_degree
    hub = int(out.argmax())
    small = int(((out > 2) & (out < 6)).nonzero()[0][0])
    roots = np.flatnonzero((lin.in_degree == 0) & (out >= 100))
    typical = int(roots[np.argsort(out[roots], kind="stable")[len(roots) // 2]])
    return lin.ids[small], lin.ids[hub], lin.ids[typical]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=3_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="Runs per figure (the best is shown).")
    args = ap.parse_args()
    store = simulated_store(args.models)
    from lineage.graph import snapshot
    from lineage.store import open_store

    for stale in store.parent.glob(store.name + ".graph*"):
        stale.unlink()
    small, hub, root = pick_models(store)  # (this also writes the snapshot; timed again below)
    for stale in store.parent.glob(store.name + ".graph*"):
        stale.unlink()
    env = {**os.environ, "LINEAGE_STORE": str(store)}
    start = time.perf_counter()
    run(["info"], env)  # warm the page cache of the store file
    t = time.perf_counter()
    code = subprocess.run(
        [sys.executable, "-c", "import sys; from lineage.cli.options import refresh_snapshot; "
         f"refresh_snapshot(__import__('pathlib').Path({str(store)!r}))"],
        check=False,
    ).returncode  # fmt: skip
    build = time.perf_counter() - t
    out_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "lineage-bench-cli"
    shutil.rmtree(out_dir, ignore_errors=True)
    commands = {
        "info": ["info"],
        "tree (small model)": ["tree", small, "--down", "2"],
        f"tree (biggest hub, {hub})": ["tree", hub, "--down", "1", "--max-children", "8"],
        "share (default)": ["share"],
        "share (filtered)": ["share", "--since", "2025-09-01", "--until", "2025-10-31", "--top", "5",
                             "--pipeline-tag", "text-generation"],
        "families": ["families"],
        "downloads": ["downloads"],
        f"export --root {root} --depth 2": ["export", "--root", root, "--depth", "2", "--format",
                                            "json", "-o", str(out_dir / "x.json"), "--force"],
        "export --root (biggest hub) --depth 2": ["export", "--root", hub, "--depth", "2", "--format",
                                                  "json", "-o", str(out_dir / "hub.json"), "--force"],
    }  # fmt: skip
    print(f"machine: {machine()}; store: {store.name}")
    print(f"snapshot build after a crawl: {build:.1f} s (exit {code})")
    print(f"{'command':<44} {'old':>16} {'new':>16} {'stale snapshot':>16}")
    with open_store(store, readonly=True) as st:
        assert snapshot.status(st) == "up to date"
    results: dict[tuple[str, str], str] = {}
    for mode in ("old", "new", "stale"):
        graph = snapshot.snapshot_path(store)
        aside = graph.with_name(graph.name + ".aside")
        if mode == "stale":  # as during a crawl: no usable snapshot
            graph.rename(aside)
        try:
            for label, argv in commands.items():
                if mode == "stale" and argv[0] not in ("tree", "info"):
                    results[label, mode] = "-"
                    continue
                menv = {**env, "LINEAGE_SNAPSHOT": "off"} if mode == "old" else env
                best = min((run(argv, menv) for _ in range(args.repeat)), key=lambda r: r[0])
                results[label, mode] = f"{best[0]:6.2f} s {best[1]:5.0f} MB"
        finally:
            if mode == "stale":
                aside.rename(graph)
    for label in commands:
        cells = [results[label, m] for m in ("old", "new", "stale")]
        print(f"{label:<44} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
