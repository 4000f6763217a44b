"""Run one benchmark on an older commit and on the working tree, back to back, in one run.

    python bench/compare.py --ref 5475c84 bench_graph.py --models 1000000

The older commit is checked out into a temporary git worktree and run with its own code
(``PYTHONPATH`` points at it) but this tree's ``bench/out/`` cache (a symlink), so both measure the
same simulated store. The two outputs are printed one after the other, with the machine.
Run on an otherwise idle machine: the figures of both runs share its load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(tree: Path, script: str, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, str(tree / "bench" / script), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        return f"(failed with exit code {proc.returncode})\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", required=True, help="The older commit (or tag, branch).")
    ap.add_argument("script", help="A benchmark in bench/, e.g. bench_graph.py")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="Its arguments.")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-ref-") as tmp:
        old = Path(tmp) / "tree"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", str(old), opts.ref], check=True)
        (HERE / "out").mkdir(exist_ok=True)
        (old / "bench" / "out").symlink_to(HERE / "out")  # the same cached simulated stores
        try:
            print(f"=== {opts.ref} ===", flush=True)
            print(run(old, opts.script, opts.args), flush=True)
            print("=== working tree ===", flush=True)
            print(run(ROOT, opts.script, opts.args), flush=True)
        finally:
            subprocess.run([*git, "remove", "--force", str(old)], check=False)


if __name__ == "__main__":
    main()
