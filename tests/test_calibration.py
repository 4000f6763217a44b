"""The simulated hub is shaped like the real one: every calibration target, at 300k models.

The published figures are read from ``../shared/data/hub-facts`` (third-party measurements of
the real Hub); the simulator's from its ground truth and listing items, computed here and in
``bench/calibration.py`` (whose :func:`measure` gives the table that ``python
bench/calibration.py`` prints), never with lineage code. The hub is generated once per test
session (shared by the xdist workers through a file under pytest's base temp directory).

Tolerances are stated with each check. Monthly counts are compared after scaling by hub size
(simulated models / published models on 2026-07-13).
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from filelock import FileLock

from lineage.sim.generate import generate

BENCH = Path(__file__).resolve().parents[1] / "bench" / "calibration.py"
FACTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "hub-facts"
MODELS = 300_000
RELATIONS = ("finetune", "adapter", "quantized", "merge")
INSTRUCT = re.compile(r"(-instruct|-chat|-it)(-|$)", re.IGNORECASE)
# The licence classes of the ids the simulator uses (a table of this test's own).
PERMISSIVE = {"apache-2.0", "mit", "cc-by-4.0", "other:modified-mit"}
COPYLEFT = {"gpl-3.0", "agpl-3.0", "cc-by-sa-4.0"}
NON_COMMERCIAL = {
    "cc-by-nc-4.0",
    "cc-by-nc-sa-4.0",
    "other:flux-1-dev-non-commercial-license",
    "other:flux-dev-non-commercial-license",
}
RANK = {"permissive": 0, "copyleft": 1, "model-specific": 2, "non-commercial": 3}

pytestmark = pytest.mark.skipif(not FACTS.exists(), reason="../shared/data/hub-facts is not there")


def _load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_calibration", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def licence_class(declared: str | None) -> str:
    if declared is None or declared == "other":
        return "unknown"
    if declared in PERMISSIVE:
        return "permissive"
    if declared in COPYLEFT:
        return "copyleft"
    if declared in NON_COMMERCIAL:
        return "non-commercial"
    return "model-specific"  # llama*, gemma, OpenRAIL, other:<a family's terms>


def declared_licence(item: dict[str, Any]) -> str | None:
    """``id`` or ``other:<license_name>`` from the listing item alone."""
    tag = next((t[8:] for t in item["tags"] if t.startswith("license:")), None)
    card = item.get("cardData") or {}
    if tag == "other" and card.get("license_name"):
        return f"other:{card['license_name']}"
    return tag


def _summarise() -> dict[str, Any]:
    """One pass over a 300k-model hub: the bench figures plus what the checks below need."""
    bench = _load_bench()
    pairs = list(generate(MODELS, seed=0))
    fig = bench.measure(pairs)
    pipeline: dict[str, str | None] = {}
    licence: dict[str, str | None] = {}
    out: dict[str, Any] = {
        "monthly": fig.monthly,
        "derivatives": dict(fig.derivatives),
        "top_hub_models": fig.top_hub_models,
        "totals": fig.totals,
        "cross_modality_merges": [],
        "merges": 0,
        "instruct": [],
        "episodes": defaultdict(list),
        "bulk_months": Counter(),
        "bulk_relations": Counter(),
        "first_party_licences": {},
        "inherit": Counter(),
        "drift_population": 0,
        "drift_models": 0,
        "drift_mismatch": [],
        "licence_shape": [],
        "hub_at": Counter(),
    }
    for item, truth in pairs:
        mid = item["id"]
        pipeline[mid] = item["pipeline_tag"]
        own = declared_licence(item)
        licence[mid] = own
        created = truth["created_at"][:10]
        for day in ("2025-10-23", "2026-07-13"):
            out["hub_at"][day] += truth["legacy"] or created <= day
        card = item.get("cardData")
        lic_tags = [t for t in item["tags"] if t.startswith("license:")]
        if card is not None and (
            (card.get("license") is None) != (not lic_tags)
            or (lic_tags and card.get("license") != lic_tags[0][8:])
            or (("license_name" in card) != (card.get("license") == "other"))
        ):
            out["licence_shape"].append(mid)
        parents = [p for p, _ in truth["parents"]]
        if truth["first_party"]:
            out["first_party_licences"][mid] = [own, truth["families"]]
            if INSTRUCT.search(mid.split("/")[1]):
                rels = {r for _, r in truth["parents"]}
                ok = parents and rels == {"finetune"} and all(not INSTRUCT.search(r) for r in truth["roots"])
                if not ok:
                    out["instruct"].append(mid)
        if parents and parents[0] and truth["parents"][0][1] == "merge":
            out["merges"] += 1
            kinds = {pipeline.get(r) for r in truth["roots"] if r in pipeline} - {None}
            if len(kinds) > 1:
                out["cross_modality_merges"].append([mid, sorted(kinds)])
        if truth["bulk"]:
            out["episodes"][truth["bulk_episode"]].append(
                [mid.split("/")[0], parents[0], truth["created_at"], re.sub(r"\d+", "#", mid.split("/")[1])]
            )
            out["bulk_months"][truth["created_at"][:7]] += 1
            out["bulk_relations"][truth["parents"][0][1]] += 1
        # licences along links, from the listing items alone
        known = [p for p in parents if p in licence]
        if len(known) == 1 and licence[known[0]] is not None and own is not None:
            out["inherit"]["same" if own == licence[known[0]] else "other"] += 1
        strict = [p for p in known if licence_class(licence[p]) in ("model-specific", "non-commercial")]
        drift = sorted(
            p
            for p in known
            if licence_class(licence[p]) in ("model-specific", "non-commercial")
            and licence_class(own) in RANK
            and RANK[licence_class(own)] < RANK[licence_class(licence[p])]
        )
        if drift != truth["license_drift"]:
            out["drift_mismatch"].append([mid, drift, truth["license_drift"]])
        if strict and not truth["bulk"]:
            out["drift_population"] += 1
            out["drift_models"] += bool(drift)
    out["episodes"] = dict(out["episodes"])
    return out


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers' temp dirs share this session's parent
        base = base.parent
    shared = base / "calibration-300k.json"
    with FileLock(str(shared) + ".lock"):
        if shared.exists():
            data: dict[str, Any] = orjson.loads(shared.read_bytes())
            return data
        data = orjson.loads(orjson.dumps(_summarise()))
        shared.write_bytes(orjson.dumps(data))
        return data


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    def rows(name: str) -> list[dict[str, str]]:
        with (FACTS / name).open() as fh:
            return list(csv.DictReader(fh))

    return {
        "monthly": {r["month"]: r for r in rows("monthly.csv")},
        "top": rows("top_parents.csv"),
        "totals": {(r["date"], r["figure"]): r for r in rows("totals.csv")},
    }


def scale(sim: dict[str, Any], published: dict[str, Any]) -> float:
    """Simulated models per real model (hub sizes on 2026-07-13)."""
    return float(sim["top_hub_models"]) / int(published["top"][0]["hub_models"])


# ---------------------------------------------------------------------------------------------
# totals.csv


def test_share_of_models_declaring_a_base(sim: dict[str, Any], published: dict[str, Any]) -> None:
    real = 607_148 / 2_161_698  # 28.09% on 2025-10-23
    assert abs(sim["totals"]["share with a declared base"] - real) < 0.02  # ±2 pp


def test_relation_split_of_models_with_a_base(sim: dict[str, Any], published: dict[str, Any]) -> None:
    for rel in RELATIONS:
        row = published["totals"][("2025-10-23", f"baseModels relation {rel}")]
        real = int(row["value"]) / 607_148
        tolerance = 0.01 if rel == "merge" else 0.03  # ±1 pp for merges, ±3 pp for the others
        assert abs(sim["totals"][f"relation {rel}"] - real) < tolerance, rel


def test_hub_growth_between_the_published_counts(sim: dict[str, Any]) -> None:
    real = 2_903_100 / 2_161_698  # 2026-07-13 vs 2025-10-23
    got = sim["hub_at"]["2026-07-13"] / sim["hub_at"]["2025-10-23"]
    assert abs(got / real - 1) < 0.05  # ±5%


def test_download_coverage(sim: dict[str, Any]) -> None:
    t = sim["totals"]
    assert abs(t["30-day downloads > 0"] - 0.355) < 0.04  # ±4 pp
    assert abs(t["all-time downloads > 0"] - 0.597) < 0.04
    assert 10 <= t["median all-time downloads"] <= 30  # published: 19


def test_network_shape(sim: dict[str, Any]) -> None:
    t = sim["totals"]
    assert abs(t["single-parent share"] - 0.979) < 0.01  # ±1 pp
    assert 20 <= t["most parents of one model"] <= 64  # published: 64


# ---------------------------------------------------------------------------------------------
# monthly.csv


def test_monthly_links_scale_with_hub_size(sim: dict[str, Any], published: dict[str, Any]) -> None:
    k = scale(sim, published)
    for month, real in published["monthly"].items():
        got = sim["monthly"][month]["edges"]
        assert abs(got / (k * int(real["edges"])) - 1) < 0.15, month  # ±15% per month


def test_relation_split_drifts_by_month_as_published(sim: dict[str, Any], published: dict[str, Any]) -> None:
    deviations = []
    for month, real in published["monthly"].items():
        row = sim["monthly"][month]
        for rel in RELATIONS:
            want = int(real[rel]) / int(real["edges"])
            got = row[rel] / row["edges"]
            assert abs(got - want) < 0.06, (month, rel, got, want)  # ±6 pp per month and relation
            deviations.append(abs(got - want))
    assert statistics.mean(deviations) < 0.015  # and ±1.5 pp on average
    # the drift itself: adapters peak in Sep 2024, fine-tunes lead from 2025-04 on
    sep = sim["monthly"]["2024-09"]
    assert sep["adapter"] / sep["edges"] > 0.75
    assert all(
        sim["monthly"][m]["finetune"] >= sim["monthly"][m]["adapter"]
        for m in ("2025-04", "2025-10", "2026-01")
    )


def test_concentration_on_the_top_bases(sim: dict[str, Any], published: dict[str, Any]) -> None:
    top1_dev, top10_dev, same_top = [], [], 0
    for month, real in published["monthly"].items():
        row = sim["monthly"][month]
        want1, want10 = float(real["top1_share_pct"]), float(real["top10_share_pct"])
        assert abs(row["top1_share_pct"] - want1) < max(2.0, 0.25 * want1), month  # ±max(2 pp, 25%)
        assert abs(row["top10_share_pct"] - want10) < 10.0, month  # ±10 pp
        top1_dev.append(abs(row["top1_share_pct"] - want1))
        top10_dev.append(abs(row["top10_share_pct"] - want10))
        same_top += row["top1_base"] == real["top1_base"]
    assert statistics.mean(top1_dev) < 1.0 and statistics.mean(top10_dev) < 4.0  # on average
    assert same_top >= 17  # the same most-derived base in at least 17 of the 20 months


def test_bulk_months_concentrate_on_small_bases(sim: dict[str, Any], published: dict[str, Any]) -> None:
    """Aug–Sep 2024: a quarter of the links on Qwen1.5-0.5B, most of the month on 10 bases."""
    for month in ("2024-08", "2024-09"):
        row = sim["monthly"][month]
        assert row["top1_base"] == "Qwen/Qwen1.5-0.5B"
        assert row["top10_share_pct"] > 65
    assert sim["monthly"]["2024-10"]["top1_base"] == "black-forest-labs/FLUX.1-dev"


# ---------------------------------------------------------------------------------------------
# top_parents.csv


def test_most_derived_bases_scale_with_hub_size(sim: dict[str, Any], published: dict[str, Any]) -> None:
    hub, real_hub = sim["top_hub_models"], int(published["top"][0]["hub_models"])
    for row in published["top"]:
        real = int(row["derivatives"]) / real_hub
        got = sim["derivatives"].get(row["base_model"], 0) / hub
        assert abs(got / real - 1) < 0.25, row["base_model"]  # ±25% of the per-model degree
    ranked = sorted(sim["derivatives"].items(), key=lambda kv: -kv[1])
    assert {b for b, _ in ranked[:4]} == {r["base_model"] for r in published["top"][:4]}
    # No hub of 255,885 children at 3M any more: the biggest stays near FLUX.1-dev's 1.5%.
    assert ranked[0][1] / hub < 1.25 * int(published["top"][0]["derivatives"]) / real_hub
    eleventh = int(published["top"][-1]["derivatives"]) / real_hub
    others = [b for b, c in ranked[:15] if c / hub > 1.25 * eleventh]
    assert set(others) <= {r["base_model"] for r in published["top"]}, others


# ---------------------------------------------------------------------------------------------
# plausible lineages: bulk uploads, merges, instruct models, licences


def test_bulk_episodes_are_one_author_one_base_one_day(sim: dict[str, Any]) -> None:
    episodes = sim["episodes"]
    assert len(episodes) >= 100
    small = {
        "Qwen/Qwen1.5-0.5B",
        "Qwen/Qwen1.5-1.8B",
        "google/gemma-2b",
        "google/gemma-7b",
        "Qwen/Qwen2-0.5B",
    }
    on_small = 0
    for rows in episodes.values():
        authors, bases, times, names = zip(*rows, strict=True)
        assert len(set(authors)) == 1 and len(set(bases)) == 1 and len(set(names)) == 1
        assert len(rows) >= 3
        assert times[-1][:10] >= times[0][:10]
        first, last = min(times), max(times)
        assert (_seconds(last) - _seconds(first)) < 86_400  # within a day
        on_small += len(rows) if bases[0] in small else 0
    months = sim["bulk_months"]
    total = sum(months.values())
    assert set(months) <= {"2024-07", "2024-08", "2024-09", "2024-10", "2026-02"}
    assert sum(months[m] for m in ("2024-08", "2024-09", "2024-10")) > 0.75 * total
    assert on_small > 0.85 * total
    assert sim["bulk_relations"]["adapter"] > 0.9 * total  # mostly adapters
    sep = sim["monthly"]["2024-09"]
    assert months["2024-09"] > 0.6 * sep["edges"]  # most of Sep 2024 is bulk


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_merges_stay_within_one_modality(sim: dict[str, Any]) -> None:
    assert sim["merges"] > 500
    assert sim["cross_modality_merges"] == []  # no Qwen + Stable Diffusion + Whisper merges


def test_instruct_models_descend_from_their_base(sim: dict[str, Any]) -> None:
    licences = sim["first_party_licences"]
    assert sum(1 for mid in licences if INSTRUCT.search(mid.split("/")[1])) > 50
    assert sim["instruct"] == []


def test_licences_follow_the_family(sim: dict[str, Any]) -> None:
    lic = {mid: own for mid, (own, _) in sim["first_party_licences"].items()}
    assert lic["Qwen/Qwen3-8B"] == lic["Qwen/Qwen2.5-7B-Instruct"] == "apache-2.0"
    assert lic["Qwen/Qwen1.5-7B"] == "other:tongyi-qianwen"
    assert lic["meta-llama/Llama-3.1-8B-Instruct"] == "llama3.1"
    assert lic["meta-llama/Llama-3.2-1B-Instruct"] == "llama3.2"
    assert lic["meta-llama/Llama-2-7b-hf"] == "llama2"
    assert {lic[m] for m in lic if m.startswith("google/gemma")} == {"gemma"}
    assert lic["black-forest-labs/FLUX.1-dev"] == "other:flux-1-dev-non-commercial-license"
    assert {lic[m] for m in lic if m.startswith("microsoft/")} == {"mit"}
    assert sim["licence_shape"] == []  # tag, cardData.license and license_name agree
    same, other = sim["inherit"]["same"], sim["inherit"]["other"]
    assert same / (same + other) > 0.85  # derivatives mostly keep their parent's licence


def test_license_drift_rate_and_truth(sim: dict[str, Any]) -> None:
    assert sim["drift_mismatch"] == []  # truth["license_drift"] equals the drift seen in the listings
    rate = sim["drift_models"] / sim["drift_population"]
    assert sim["drift_population"] > 10_000
    assert 0.02 < rate < 0.04  # the default rate, 3%
