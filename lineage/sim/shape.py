"""The shape of the real Hub that the simulated one reproduces, at real-Hub scale.

Figures from ``../shared/data/hub-facts`` (monthly.csv: ModelRank, zhingoll/ModelRank, derived
data under ODbL, attribution: ModelRank authors; top_parents.csv: HF Landscape study data;
totals.csv: hub-stats and ModelRank), and where they are silent, guesses consistent with them:

* :data:`MONTHLY_LINKS`: new lineage links per month by relation, 2024-07 … 2026-02, as
  published; before 2024-07 and after 2026-02 the volumes and relation mix of
  :data:`DERIVED_BEFORE` / :data:`RELATIONS_BEFORE` / :data:`AFTER` (chosen so that 28% of the
  models on the Hub declare a base on 2025-10-23 with the published relation split);
* :data:`ROOTS_PER_MONTH`: new models without a declared base (the Hub's 2.16M models on
  2025-10-23 and 2.90M on 2026-07-13);
* :data:`HEADLINE`: direct derivatives per month of the bases that top the published lists
  (the most-derived base of each month, the most-derived bases of the whole Hub);
* :data:`BULK`: automated bulk uploads (one author, one small base, one day, templated names,
  almost all adapters) on Qwen1.5-0.5B, Qwen1.5-1.8B, gemma-2b, ... in Jul–Oct 2024 and on
  Qwen3-4B-Instruct-2507 in Feb 2026: what made those months' raw counts jump.

All counts are real-Hub counts; the generator scales them by ``models / real models``.
Anchored curves are linear between anchor months, zero before the first anchor and flat after
the last.

>>> curve({"2024-01": 100, "2024-03": 300})[month_index("2024-02")]
200.0
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

__all__ = [
    "BULK",
    "BULK_RELATION",
    "HEADLINE",
    "MERGE_SIZES",
    "MONTHLY_LINKS",
    "START_MONTH",
    "curve",
    "month_index",
    "month_key",
]

START_MONTH = "2022-03"
LAST_MONTH = "2026-12"


def month_index(key: str) -> int:
    """Months since :data:`START_MONTH` (``"2022-03"`` is 0)."""
    year, month = int(key[:4]), int(key[5:7])
    return (year - 2022) * 12 + month - 3


def month_key(index: int) -> str:
    year, month = divmod(index + 2, 12)
    return f"{2022 + year}-{month + 1:02d}"


N_MONTHS = month_index(LAST_MONTH) + 1


def curve(anchors: Mapping[str, float], *, before: float | None = 0.0) -> list[float]:
    """Monthly values (index = :func:`month_index`) interpolated linearly between anchors;
    ``before`` the first anchor (None: hold the first value), flat after the last."""
    points = sorted((month_index(k), float(v)) for k, v in anchors.items())
    out = []
    for m in range(N_MONTHS):
        if m <= points[0][0]:
            out.append(points[0][1] if m == points[0][0] or before is None else before)
            continue
        if m >= points[-1][0]:
            out.append(points[-1][1])
            continue
        for (m0, v0), (m1, v1) in itertools.pairwise(points):
            if m0 <= m <= m1:
                out.append(v0 + (v1 - v0) * (m - m0) / (m1 - m0))
                break
    return out


#: Published new links per month: (finetune, adapter, quantized, merge), monthly.csv.
MONTHLY_LINKS: dict[str, tuple[int, int, int, int]] = {
    "2024-07": (6113, 10053, 2953, 692),
    "2024-08": (5618, 27798, 3329, 837),
    "2024-09": (6735, 67333, 4279, 1351),
    "2024-10": (6824, 11614, 4455, 1702),
    "2024-11": (9558, 6724, 10239, 1599),
    "2024-12": (13844, 11544, 10098, 3066),
    "2025-01": (11216, 33815, 9105, 2869),
    "2025-02": (9982, 13930, 8334, 3596),
    "2025-03": (13884, 8411, 8885, 4646),
    "2025-04": (15578, 7083, 7169, 3246),
    "2025-05": (12896, 7870, 7256, 1651),
    "2025-06": (10229, 6263, 5501, 985),
    "2025-07": (10711, 5094, 4690, 1719),
    "2025-08": (10711, 4409, 5084, 1108),
    "2025-09": (8777, 4195, 4653, 1129),
    "2025-10": (9746, 4733, 4126, 495),
    "2025-11": (10493, 2905, 4040, 555),
    "2025-12": (10081, 4268, 5339, 965),
    "2026-01": (9878, 4849, 4919, 1242),
    "2026-02": (11127, 10412, 5163, 702),
}
#: New models declaring a base per month before 2024-07 (base_model metadata spread in 2023-24).
DERIVED_BEFORE = {
    "2022-03": 350,
    "2022-09": 700,
    "2023-01": 1200,
    "2023-07": 3500,
    "2024-01": 5500,
    "2024-06": 13000,
}
#: Relation split of links before 2024-07 (hub-stats totals minus the published months).
RELATIONS_BEFORE = {
    "2022-03": (0.70, 0.16, 0.10, 0.04),
    "2023-06": (0.58, 0.22, 0.14, 0.06),
    "2024-06": (0.45, 0.31, 0.19, 0.05),
}
#: After 2026-02: new derived models per month and the relation split of 2025-11 … 2026-01.
AFTER = (21_000, (0.511, 0.202, 0.240, 0.047))
#: New models without a declared base, per month.
ROOTS_PER_MONTH = {
    "2022-03": 7_500,
    "2023-01": 15_000,
    "2023-07": 23_000,
    "2024-01": 31_000,
    "2024-07": 44_000,
    "2025-01": 58_000,
    "2025-10": 62_000,
    "2026-07": 64_000,
    "2026-12": 65_000,
}
#: Parents per merge: (count, probability); 2.1% of children have several parents, at most 64.
MERGE_SIZES: tuple[tuple[int, float], ...] = (
    (2, 0.62),
    (3, 0.20),
    (4, 0.08),
    (5, 0.05),
    *((k, 0.048 / 9) for k in range(6, 15)),
    *((k, 0.002 / 50) for k in range(15, 65)),
)

#: Direct derivatives per month (besides bulk uploads) of the bases the published lists name.
# fmt: off
HEADLINE: dict[str, dict[str, float]] = {
    "black-forest-labs/FLUX.1-dev": {
        "2024-08": 3000, "2024-09": 3500, "2024-10": 2514, "2024-11": 2741, "2024-12": 2868,
        "2025-01": 3937, "2025-02": 4054, "2025-03": 4415, "2025-04": 2512, "2025-05": 2361,
        "2025-06": 2167, "2025-07": 1480, "2025-08": 1201, "2025-09": 1051, "2025-10": 806,
        "2025-11": 500, "2025-12": 450, "2026-01": 420, "2026-02": 400, "2026-10": 250,
    },
    "lerobot/smolvla_base": {
        "2025-06": 200, "2025-07": 300, "2025-08": 350, "2025-09": 400, "2025-10": 500,
        "2025-11": 551, "2025-12": 650, "2026-01": 943, "2026-02": 450, "2026-06": 360, "2026-10": 300,
    },
    "Qwen/Qwen3-4B-Instruct-2507": {
        "2025-08": 150, "2025-09": 220, "2025-10": 250, "2026-01": 260, "2026-02": 480,
        "2026-03": 260, "2026-10": 200,
    },
    "meta-llama/Llama-3.1-8B-Instruct": {"2024-07": 100, "2024-08": 280, "2025-06": 280, "2026-10": 150},
    "distilbert/distilbert-base-uncased": {
        "2022-03": 50, "2023-01": 150, "2023-07": 250, "2024-01": 300, "2024-07": 300,
        "2025-07": 250, "2026-10": 200,
    },
    "google-bert/bert-base-uncased": {
        "2022-03": 40, "2023-01": 110, "2023-07": 150, "2024-07": 150, "2025-07": 120, "2026-10": 100,
    },
    "stabilityai/stable-diffusion-xl-base-1.0": {
        "2023-08": 350, "2024-01": 400, "2024-07": 330, "2025-07": 250, "2026-10": 150,
    },
    # early 2025: the wave of reasoning (GRPO, R1-style) fine-tunes of small instruct models
    "Qwen/Qwen2.5-7B-Instruct": {
        "2024-10": 150, "2024-12": 350, "2025-03": 500, "2025-04": 650, "2025-06": 350,
        "2025-10": 150, "2026-06": 80,
    },
    "Qwen/Qwen2.5-1.5B-Instruct": {
        "2024-11": 100, "2025-02": 350, "2025-04": 600, "2025-06": 300, "2025-10": 120, "2026-06": 60,
    },
    "Qwen/Qwen2.5-0.5B-Instruct": {
        "2024-11": 100, "2025-02": 300, "2025-04": 550, "2025-06": 250, "2025-10": 100, "2026-06": 50,
    },
    "google/gemma-3-4b-it": {"2025-03": 300, "2025-04": 450, "2025-07": 250, "2025-12": 120, "2026-06": 80},
    "google/gemma-7b": {"2024-02": 100, "2024-03": 350, "2024-06": 150, "2024-12": 50, "2025-12": 10},
    "google/gemma-2b": {"2024-02": 150, "2024-03": 400, "2024-06": 300, "2024-12": 100, "2025-12": 20},
    "Qwen/Qwen1.5-0.5B": {"2024-02": 50, "2024-03": 150, "2024-06": 200, "2024-12": 100, "2025-12": 20},
    "Qwen/Qwen1.5-1.8B": {"2024-02": 40, "2024-03": 100, "2024-06": 120, "2024-12": 60, "2025-12": 15},
    "Qwen/Qwen1.5-7B": {
        "2024-02": 80, "2024-03": 250, "2024-06": 300, "2024-07": 400, "2024-12": 150, "2025-12": 30,
    },
}
# fmt: on

#: Bulk-uploaded derivatives per month and base (models; nearly all adapters).
BULK: dict[str, dict[str, int]] = {
    "Qwen/Qwen1.5-0.5B": {"2024-07": 1500, "2024-08": 6600, "2024-09": 19950, "2024-10": 1800},
    "Qwen/Qwen1.5-1.8B": {"2024-07": 1400, "2024-08": 6300, "2024-09": 19400, "2024-10": 1700},
    "google/gemma-2b": {"2024-07": 1300, "2024-08": 5000, "2024-09": 13000, "2024-10": 1500},
    "google/gemma-7b": {"2024-07": 900, "2024-08": 2300, "2024-09": 3800, "2024-10": 700},
    "Qwen/Qwen1.5-7B": {"2024-07": 1600, "2024-08": 700, "2024-09": 400},
    "Qwen/Qwen2-0.5B": {"2024-08": 1000, "2024-09": 2500, "2024-10": 500},
    "Qwen/Qwen3-4B-Instruct-2507": {"2026-02": 4800},
}
#: Probability that a bulk episode uploads adapters (else fine-tunes).
BULK_RELATION = 0.95
#: Mean models per bulk episode at real-Hub scale (an author-day); scaled down on small hubs.
BULK_EPISODE_SIZE = 400
