"""The simulated hub: deterministic, realistic by construction (measured on 200k models)."""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import built_once

from lineage.records import is_valid_repo_id
from lineage.sim.generate import FAMILIES, DirtRates, generate, write_hub


def digest(n: int, seed: int) -> str:
    h = hashlib.sha256()
    for item, truth in generate(n, seed):
        h.update(orjson.dumps(item, option=orjson.OPT_SORT_KEYS))
        h.update(orjson.dumps(truth, option=orjson.OPT_SORT_KEYS))
    return h.hexdigest()


def test_deterministic_for_a_seed() -> None:
    assert digest(3000, 5) == digest(3000, 5)
    assert digest(3000, 5) != digest(3000, 6)


def test_write_hub_files(tmp_path: Path) -> None:
    meta = write_hub(tmp_path, 1000, 3)
    lines = (tmp_path / "models.jsonl").read_bytes().splitlines()
    truth = (tmp_path / "truth.jsonl").read_bytes().splitlines()
    assert len(lines) == len(truth) == meta["models"] == 1000
    assert meta["simulated"] is True and meta["edges"] == sum(len(orjson.loads(t)["parents"]) for t in truth)
    keys = {
        "_id",
        "id",
        "author",
        "createdAt",
        "lastModified",
        "downloads",
        "downloadsAllTime",
        "likes",
        "library_name",
        "pipeline_tag",
        "gated",
        "tags",
    }
    assert all(keys <= set(orjson.loads(line)) for line in lines)


def test_clean_hub_has_no_dirt() -> None:
    clean = DirtRates().scaled(0)
    dirt = Counter(k for _, t in generate(5000, 1, dirt=clean) for k in t["dirt"])
    assert set(dirt) <= {"alias", "no_card"}  # legacy names and card-less models are normal


class Hub:
    def __init__(self, n: int, seed: int) -> None:
        self.items: list[dict[str, Any]] = []
        self.truth: list[dict[str, Any]] = []
        for item, truth in generate(n, seed):
            self.items.append(item)
            self.truth.append(truth)


@pytest.fixture(scope="session")
def hub200k(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    """Generated once per test run, shared by the xdist workers."""

    def write(folder: Path) -> None:
        (folder / "hub.pickle").write_bytes(pickle.dumps(Hub(200_000, seed=42), pickle.HIGHEST_PROTOCOL))

    hub: Hub = pickle.loads((built_once(tmp_path_factory, "hub200k", write) / "hub.pickle").read_bytes())
    return hub


def shares(hub: Hub, key: str, start: str, end: str) -> dict[str, float]:
    cells: dict[str, float] = defaultdict(float)
    total = 0
    for t in hub.truth:
        if t["parents"] and not t["legacy"] and start <= t["created_at"][:7] <= end:
            total += 1
            for g in t[key]:
                cells[g] += 1 / len(t[key])
    return {g: v / total for g, v in cells.items()}


def test_family_mix_shifts_over_time(hub200k: Hub) -> None:
    early = shares(hub200k, "families", "2023-07", "2024-06")
    assert max(early, key=early.__getitem__) == "Llama" and early["Llama"] > 0.35
    oct25 = shares(hub200k, "families", "2025-10", "2025-10")
    assert oct25["Qwen"] > 0.40 and 0.08 < oct25["Llama"] < 0.20
    china_early = shares(hub200k, "regions", "2024-01", "2024-03")["china"]
    china_late = shares(hub200k, "regions", "2026-01", "2026-03")["china"]
    assert 0.05 < china_early < 0.16 and 0.62 < china_late < 0.78


def test_structure(hub200k: Hub) -> None:
    ids = [i["id"] for i in hub200k.items]
    assert len(set(ids)) == len(ids) and all(is_valid_repo_id(i) for i in ids)
    truth = {t["id"]: t for t in hub200k.truth}
    for fam in FAMILIES:  # every family's real base models exist, as roots
        for root, _ in fam.roots:
            assert root in truth and truth[root]["parents"] == [] and truth[root]["families"] == [fam.name]
    relations = Counter(r for t in hub200k.truth for _, r in t["parents"][:1])
    total = sum(relations.values())
    assert set(relations) == {"finetune", "adapter", "quantized", "merge"}
    # hub-facts/totals.csv: 35.91% fine-tunes and 2.30% merges among models with a base (was
    # 4-12% merges before the simulator was calibrated to the real Hub).
    assert 0.35 < relations["finetune"] / total < 0.55 and 0.01 < relations["merge"] / total < 0.04
    merges = [t for t in hub200k.truth if t["parents"] and t["parents"][0][1] == "merge"]
    sizes = Counter(len(t["parents"]) for t in merges)
    # Mostly 2 parents; the real Hub has merges of up to 64 (totals.csv: "most parents of one model").
    assert max(sizes) <= 64 and sizes[2] > sizes[3] > sizes[5] > 0 and max(sizes) > 5
    assert sum(1 for t in merges if len(t["families"]) > 1) > 0.05 * len(merges)  # across families
    children: Counter[str] = Counter(p for t in hub200k.truth for p, _ in t["parents"])
    quantized = [t["id"] for t in hub200k.truth if t["parents"] and t["parents"][0][1] == "quantized"]
    assert sum(1 for q in quantized if children[q]) < 0.1 * len(quantized)  # mostly leaves
    depth: dict[str, int] = {}
    for t in hub200k.truth:  # creation order: parents first
        depth[t["id"]] = 1 + max((depth.get(p, 0) for p, _ in t["parents"]), default=-1)
    assert 14 <= max(depth.values()) <= 20
    roots = sum(1 for t in hub200k.truth if not t["parents"])
    # totals.csv: 28.09% of the Hub's models declare a base (the simulator had 45-65% before).
    assert 0.65 < roots / len(hub200k.truth) < 0.78


def test_dates_and_legacy_block(hub200k: Hub) -> None:
    created = [i["createdAt"] for i in hub200k.items]
    legacy = [c for c in created if c.startswith("2022-03-02T23:29:04")]
    assert 0.015 < len(legacy) / len(created) < 0.03
    dated = sorted(c for c in created if not c.startswith("2022-03-02T23:29:04"))
    assert dated[0] >= "2022-03-03" and dated[-1] < "2026-11-02"
    per_year = Counter(c[:4] for c in dated)
    assert per_year["2022"] < per_year["2023"] < per_year["2024"] < per_year["2025"]  # the Hub grows


def test_heavy_tailed_downloads_and_likes(hub200k: Hub) -> None:
    downloads = sorted((i["downloads"] for i in hub200k.items), reverse=True)
    top1 = sum(downloads[: len(downloads) // 100])
    assert top1 > 0.5 * sum(downloads)
    assert downloads[len(downloads) // 2] < 20  # most models are barely downloaded
    likes = sorted((i["likes"] for i in hub200k.items), reverse=True)
    assert likes[0] > 100 * max(1, likes[len(likes) // 2])
    assert all(i["downloadsAllTime"] >= i["downloads"] for i in hub200k.items)


def test_every_kind_of_dirt_is_injected(hub200k: Hub) -> None:
    dirt = Counter(k for t in hub200k.truth for k in t["dirt"])
    assert set(dirt) >= {
        "url",
        "case",
        "alias",
        "duplicate",
        "local_path",
        "self_reference",
        "synonym_relation",
        "card_only",
        "no_card",
        "cycle",
    }
    forms = Counter(
        type(i.get("cardData", {}).get("base_model")).__name__
        for i in hub200k.items
        if i.get("cardData", {}).get("base_model")
    )
    assert forms["str"] > 1000 and forms["list"] > 1000
    ghosts = {p for t in hub200k.truth for p, _ in t["parents"] if p.startswith("ghost-")}
    assert ghosts and not ghosts & {i["id"] for i in hub200k.items}  # parents that do not exist


def test_truth_marks_bulk_uploads_and_licences() -> None:
    pairs = list(generate(20_000, 3))
    keys = {"bulk", "bulk_episode", "first_party", "license", "license_name", "license_class"}
    keys.add("license_drift")
    assert all(keys <= set(t) for _, t in pairs)
    bulk = [t for _, t in pairs if t["bulk"]]
    assert bulk and all(t["bulk_episode"].startswith("bulk-") and t["parents"] for t in bulk)
    assert all(t["bulk_episode"] is None for _, t in pairs if not t["bulk"])
    for item, t in pairs:  # the listing declares what the truth says
        tag = next((x[8:] for x in item["tags"] if x.startswith("license:")), None)
        assert tag == t["license"]
        if "cardData" in item:
            assert item["cardData"].get("license") == t["license"]
            assert item["cardData"].get("license_name") == t["license_name"]


@pytest.mark.parametrize("rate", [0.0, 0.25])
def test_license_drift_rate_is_configurable(rate: float) -> None:
    restrictive = drifted = 0
    licences: dict[str, str] = {}
    for _, t in generate(20_000, 5, license_drift=rate):
        licences[t["id"]] = t["license_class"]
        strict = [p for p, _ in t["parents"] if licences.get(p) in ("model-specific", "non-commercial")]
        if strict and not t["bulk"]:
            restrictive += 1
            drifted += bool(t["license_drift"])
        assert set(t["license_drift"]) <= set(strict)
    assert restrictive > 1000
    assert abs(drifted / restrictive - rate) < 0.03
