"""Generate a large simulated hub and print time and peak memory.

    python bench/bench_simulate.py [--models 3000000] [--seed 0]

Writes bench/out/sim-<models>/ (models.jsonl, truth.jsonl, meta.json).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, machine, peak_rss_mb

from lineage.sim.generate import write_hub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=3_000_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = OUT / f"sim-{args.models}"
    start = time.perf_counter()
    meta = write_hub(out, args.models, args.seed)
    took = time.perf_counter() - start
    size = sum(f.stat().st_size for f in out.iterdir()) / 1e9
    print(f"machine: {machine()}")
    print(
        f"simulate {args.models:,} models ({meta['edges']:,} true links): {took:.1f} s, "
        f"{args.models / took:,.0f} models/s, peak RSS {peak_rss_mb():,.0f} MB, "
        f"{size:.2f} GB written to {out}"
    )


if __name__ == "__main__":
    main()
