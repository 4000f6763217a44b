"""Every benchmark, one after the other, at one size (``make bench``).

    python bench/run_all.py [--models 200000] [--only graph,cli]

Each benchmark runs in its own process (peak memory is per process) and prints its own
table; the simulated stores are built once and cached in ``bench/out/``. The default size is
small enough to finish in minutes; the figures in the README come from the individual
benchmarks at 1M and 3M models (their docstrings give the commands).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("simulate", "crawl", "graph", "cli", "export", "app")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=200_000)
    ap.add_argument("--only", help=f"Comma-separated subset of {', '.join(BENCHES)}.")
    args = ap.parse_args()
    chosen = args.only.split(",") if args.only else list(BENCHES)
    failed = []
    for name in chosen:
        script = HERE / f"bench_{name}.py"
        if not script.exists():
            print(f"== {name}: no {script.name} (skipped)\n", flush=True)
            continue
        print(f"== {name} ({script.name} --models {args.models:,})", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), "--models", str(args.models)])
        print(
            f"== {name}: {'ok' if code == 0 else f'FAILED ({code})'} in {time.perf_counter() - start:.0f} s\n"
        )
        if code:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
