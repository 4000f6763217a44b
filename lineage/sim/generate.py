"""A synthetic Hugging Face Hub with known ground truth.

``generate(n, seed)`` builds a realistic lineage DAG in creation-time order and streams it as
Hub listing items (the same keys and formats as ``GET /api/models``), plus the ground truth
for every model: its true parents after cleaning, its roots, root families and regions.

Realistic by construction:

* families rooted in real organisations' base models (Qwen, Llama, Gemma, Mistral, ...), each
  root appearing at its real release date, plus many small independent roots;
* derivatives attach preferentially (popular bases get more children), across all four
  relations; merges take 2–5 parents, a quarter of the extra ones from another family;
  chains of iterative fine-tunes reach depth 20; quantized models and adapters are mostly
  leaves;
* the mix of families among new derivatives shifts over time (Llama dominant in 2023–24,
  Qwen above 40% by late 2025, Chinese bases ~10% of new derivatives in early 2024 and ~70%
  by early 2026), the number of new models grows exponentially, and a block of legacy repos
  carries the placeholder date ``2022-03-02T23:29:04.000Z``;
* heavy-tailed downloads and likes;
* dirty metadata at configurable rates (:class:`DirtRates`): string vs list ``base_model``,
  duplicates, URLs, case differences, legacy un-namespaced names, local paths,
  self-references, relation synonyms, parents only in the card or only in the tags, deleted
  parents, and a few cycles.

Memory is linear in ``n`` with small constants (flat arrays, no per-model objects), so
3,000,000 models fit in well under 2 GB and are generated in a few minutes.

>>> items = list(generate(300, seed=1))
>>> len(items), sorted(items[0][0])[:3]
(300, ['_id', 'author', 'cardData'])
"""

from __future__ import annotations

import bisect
import math
import random
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "DEFAULT_END",
    "FAMILIES",
    "DirtRates",
    "SimFamily",
    "generate",
    "write_hub",
]

LEGACY_DATE = "2022-03-02T23:29:04.000Z"
DEFAULT_END = "2026-11-01T00:00:00"
_START = "2022-03-03T00:00:00"
RELATIONS = ("finetune", "quantized", "adapter", "merge")
_REL_P = (0.45, 0.28, 0.19, 0.08)
_SYNONYM = {"finetune": "finetuned", "quantized": "quantization", "adapter": "lora", "merge": "merged"}
_MAX_DEPTH = 20
# Years at which the family mix of new derivatives is specified; linear in between.
_ANCHORS = (2022.2, 2023.0, 2023.5, 2024.0, 2024.5, 2025.0, 2025.5, 2025.8, 2026.2, 2026.9)


@dataclass(frozen=True)
class SimFamily:
    """A model family of the simulation: its roots (id, release date) and its share curve."""

    name: str
    region: str
    roots: tuple[tuple[str, str], ...]
    weights: tuple[float, ...]  # relative weight among new derivatives at each _ANCHORS year
    pipeline: str = "text-generation"
    library: str = "transformers"
    gated: str = "false"


def _f(name: str, region: str, roots: str, weights: str, **kw: str) -> SimFamily:
    pairs = tuple((r.split("@")[0], r.split("@")[1]) for r in roots.split())
    return SimFamily(name, region, pairs, tuple(float(w) for w in weights.split()), **kw)


#: The simulated families. Names and regions are the simulation's own ground truth; the
#: shipped registry must map these roots to the same names (tests check it).
FAMILIES: tuple[SimFamily, ...] = (
    _f(
        "Qwen",
        "china",
        "Qwen/Qwen-7B@2023-08-03 Qwen/Qwen1.5-7B@2024-02-04 Qwen/Qwen2-7B@2024-06-04 "
        "Qwen/Qwen2.5-7B@2024-09-15 Qwen/Qwen2.5-7B-Instruct@2024-09-16 Qwen/Qwen2.5-Coder-7B@2024-09-18 "
        "Qwen/Qwen2.5-VL-7B-Instruct@2025-01-26 Qwen/Qwen3-8B@2025-04-28 Qwen/Qwen3-4B@2025-04-28 "
        "Qwen/Qwen3-30B-A3B@2025-04-28 Qwen/Qwen3-Next-80B-A3B-Instruct@2025-09-10 "
        "Qwen/Qwen3-VL-8B-Instruct@2025-10-11",
        "0 0 1 3 10 24 38 46 56 56",
    ),
    _f(
        "Llama",
        "us",
        "huggyllama/llama-7b@2023-04-03 meta-llama/Llama-2-7b-hf@2023-07-18 "
        "meta-llama/Llama-2-13b-chat-hf@2023-07-18 meta-llama/Meta-Llama-3-8B@2024-04-17 "
        "meta-llama/Meta-Llama-3-8B-Instruct@2024-04-17 meta-llama/Llama-3.1-8B@2024-07-14 "
        "meta-llama/Llama-3.1-8B-Instruct@2024-07-14 meta-llama/Llama-3.2-1B@2024-09-18 "
        "meta-llama/Llama-3.2-3B-Instruct@2024-09-18 meta-llama/Llama-3.3-70B-Instruct@2024-11-26 "
        "meta-llama/Llama-4-Scout-17B-16E-Instruct@2025-04-02",
        "0 2 50 52 46 30 20 13 7 6",
        gated="manual",
    ),
    _f(
        "Mistral",
        "eu",
        "mistralai/Mistral-7B-v0.1@2023-09-20 mistralai/Mixtral-8x7B-v0.1@2023-12-01 "
        "mistralai/Mistral-7B-Instruct-v0.2@2023-12-11 mistralai/Mistral-Nemo-Instruct-2407@2024-07-17 "
        "mistralai/Mistral-Small-24B-Instruct-2501@2025-01-28 "
        "mistralai/Mistral-Small-3.2-24B-Instruct-2506@2025-06-19",
        "0 0 2 16 10 7 5 4 2.5 2.5",
    ),
    _f(
        "Gemma",
        "us",
        "google/gemma-2b@2024-02-08 google/gemma-7b@2024-02-08 google/gemma-2-9b@2024-06-24 "
        "google/gemma-2-2b-it@2024-07-16 google/gemma-3-4b-it@2025-03-12 google/gemma-3-27b-it@2025-03-12 "
        "google/gemma-3-270m@2025-08-05",
        "0 0 0 3 6 7 6 5 3.5 3.5",
        gated="manual",
    ),
    _f(
        "DeepSeek",
        "china",
        "deepseek-ai/deepseek-coder-6.7b-instruct@2023-10-29 deepseek-ai/DeepSeek-V3@2024-12-25 "
        "deepseek-ai/DeepSeek-R1@2025-01-20 deepseek-ai/Janus-Pro-7B@2025-01-27 "
        "deepseek-ai/DeepSeek-V3.1@2025-08-21",
        "0 0 0 1 1 6 9 8 9 9",
    ),
    _f(
        "Phi",
        "us",
        "microsoft/phi-1_5@2023-09-10 microsoft/phi-2@2023-12-13 microsoft/Phi-3-mini-4k-instruct@2024-04-22 "
        "microsoft/phi-4@2024-12-11 microsoft/Phi-4-mini-instruct@2025-02-19",
        "0 0 1 4 5 4 3 2 2 2",
    ),
    _f(
        "GLM",
        "china",
        "THUDM/chatglm2-6b@2023-06-24 THUDM/glm-4-9b-chat@2024-06-04 zai-org/GLM-4.5-Air@2025-07-20 "
        "zai-org/GLM-4.6@2025-09-29",
        "0 0 0.5 0.5 1 1 2 3 6 6",
    ),
    _f(
        "Kimi",
        "china",
        "moonshotai/Kimi-VL-A3B-Instruct@2025-04-09 moonshotai/Kimi-K2-Instruct@2025-07-11",
        "0 0 0 0 0 0 0.5 1 2 2",
    ),
    _f(
        "MiniMax",
        "china",
        "MiniMaxAI/MiniMax-Text-01@2025-01-14 MiniMaxAI/MiniMax-M2@2025-10-22",
        "0 0 0 0 0 0.2 0.3 0.5 1 1",
    ),
    _f(
        "Yi",
        "china",
        "01-ai/Yi-6B@2023-11-01 01-ai/Yi-1.5-9B-Chat@2024-05-10",
        "0 0 0 2 1 0.5 0.3 0.2 0.2 0.2",
    ),
    _f(
        "InternLM",
        "china",
        "internlm/internlm2-chat-7b@2024-01-11 internlm/internlm3-8b-instruct@2025-01-13",
        "0 0 0 0.5 0.5 0.5 0.5 0.5 0.5 0.5",
    ),
    _f(
        "Baichuan",
        "china",
        "baichuan-inc/Baichuan2-7B-Chat@2023-08-29",
        "0 0 0.5 0.5 0.3 0.2 0.1 0.1 0.1 0.1",
    ),
    _f("ERNIE", "china", "baidu/ERNIE-4.5-0.3B-PT@2025-06-28", "0 0 0 0 0 0 0.3 0.5 0.5 0.5"),
    _f("Hunyuan", "china", "tencent/Hunyuan-7B-Instruct@2025-07-30", "0 0 0 0 0 0 0.3 0.5 0.5 0.5"),
    _f(
        "Wan",
        "china",
        "Wan-AI/Wan2.1-T2V-14B@2025-02-25 Wan-AI/Wan2.2-T2V-A14B@2025-07-28",
        "0 0 0 0 0 0.5 1.5 2 2 2",
        pipeline="text-to-video",
        library="diffusers",
    ),
    _f(
        "Falcon",
        "other",
        "tiiuae/falcon-7b@2023-04-24 tiiuae/falcon-40b@2023-05-24 tiiuae/Falcon3-7B-Instruct@2024-12-14",
        "0 1 7 2 1 0.5 0.3 0.2 0.2 0.2",
    ),
    _f(
        "OLMo",
        "us",
        "allenai/OLMo-7B@2024-01-31 allenai/OLMo-2-1124-7B@2024-11-22",
        "0 0 0 0.5 0.5 0.5 0.5 0.5 0.5 0.5",
    ),
    _f(
        "Granite",
        "us",
        "ibm-granite/granite-3.1-8b-instruct@2024-12-18 ibm-granite/granite-4.0-h-tiny@2025-10-02",
        "0 0 0 0 0 0.5 0.5 0.5 0.8 0.8",
    ),
    _f(
        "gpt-oss", "us", "openai/gpt-oss-20b@2025-08-05 openai/gpt-oss-120b@2025-08-05", "0 0 0 0 0 0 0 3 3 3"
    ),
    _f(
        "Nemotron",
        "us",
        "nvidia/Llama-3.1-Nemotron-Nano-8B-v1@2025-03-18 nvidia/NVIDIA-Nemotron-Nano-9B-v2@2025-08-12",
        "0 0 0 0 0 0.3 0.5 0.5 0.5 0.5",
    ),
    _f(
        "SmolLM",
        "us",
        "HuggingFaceTB/SmolLM2-1.7B-Instruct@2024-10-31 HuggingFaceTB/SmolLM3-3B@2025-07-08",
        "0 0 0 0 0 1 1 1 1 1",
    ),
    _f(
        "GPT-2",
        "us",
        "openai-community/gpt2@legacy openai-community/gpt2-medium@legacy",
        "30 14 4 2 1.5 1 0.6 0.5 0.4 0.4",
    ),
    _f(
        "BERT",
        "us",
        "google-bert/bert-base-uncased@legacy google-bert/bert-base-multilingual-cased@legacy",
        "40 20 8 5 3.5 2.5 2 1.5 1.5 1.5",
        pipeline="fill-mask",
    ),
    _f(
        "Stable Diffusion",
        "eu",
        "CompVis/stable-diffusion-v1-4@2022-08-10 runwayml/stable-diffusion-v1-5@2022-10-20 "
        "stabilityai/stable-diffusion-2-1@2022-12-06 stabilityai/stable-diffusion-xl-base-1.0@2023-07-25 "
        "stabilityai/stable-diffusion-3-medium@2024-06-12",
        "10 30 14 7 4 2.5 1.5 1.2 1 1",
        pipeline="text-to-image",
        library="diffusers",
    ),
    _f(
        "FLUX",
        "eu",
        "black-forest-labs/FLUX.1-dev@2024-07-31 black-forest-labs/FLUX.1-schnell@2024-07-31 "
        "black-forest-labs/FLUX.1-Kontext-dev@2025-06-26",
        "0 0 0 0 3 5 4 3 2.5 2.5",
        pipeline="text-to-image",
        library="diffusers",
    ),
    _f(
        "Whisper",
        "us",
        "openai/whisper-small@2022-09-26 openai/whisper-large-v3@2023-11-07 "
        "openai/whisper-large-v3-turbo@2024-10-01",
        "5 6 3 2 1.5 1.2 1 0.8 0.7 0.7",
        pipeline="automatic-speech-recognition",
    ),
)
#: Legacy un-namespaced names of some roots (the Hub moved them into organisations).
_ALIASES = {
    "openai-community/gpt2": "gpt2",
    "openai-community/gpt2-medium": "gpt2-medium",
    "google-bert/bert-base-uncased": "bert-base-uncased",
    "google-bert/bert-base-multilingual-cased": "bert-base-multilingual-cased",
}
_INDIE_WEIGHT = (12, 10, 8, 7, 6, 5, 4, 3.5, 2.5, 2.5)  # derivatives of small independent roots
_LOCAL_PATHS = (
    "./outputs/checkpoint-500",
    "/home/user/models/base",
    "../merged",
    "~/ckpt/final",
    "C:\\Users\\me\\model",
)
_INDIE_PIPELINES = (
    "text-generation",
    "text-classification",
    "image-classification",
    "text-to-image",
    None,
    None,
    "feature-extraction",
    "token-classification",
)


@dataclass(frozen=True)
class DirtRates:
    """Per-model probabilities of each kind of dirty metadata (``scale`` multiplies all)."""

    string_form: float = 0.5  # single base_model written as a string rather than a list
    duplicate: float = 0.01
    url: float = 0.01
    case: float = 0.01
    alias: float = 0.5  # a child of gpt2/bert roots names the legacy id
    local_path: float = 0.005
    self_reference: float = 0.003
    synonym_relation: float = 0.003
    no_card: float = 0.10
    card_only: float = 0.01
    ghost_parent: float = 0.01
    raw_tags: float = 0.5  # dirty card values also copied verbatim into the tags
    cycles_per_100k: float = 2.0

    def scaled(self, scale: float) -> DirtRates:
        keep = {"string_form", "raw_tags", "alias", "no_card"}
        return DirtRates(
            **{
                f.name: getattr(self, f.name) if f.name in keep else min(1.0, getattr(self, f.name) * scale)
                for f in fields(self)
            }
        )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _ts(date: str) -> float:
    return datetime.fromisoformat(date).replace(tzinfo=UTC).timestamp()


def _year(ts: float) -> float:
    return 1970 + ts / (365.2425 * 86400)


class _Structure:
    """The generated DAG in flat arrays (index = creation order)."""

    def __init__(self, n: int) -> None:
        self.ids: list[str] = []
        self.time = array("d")  # seconds since epoch; legacy models get the legacy timestamp
        self.legacy = bytearray()
        self.family = array("h")  # index into FAMILIES; -1 independent tree; -2 ghost-rooted
        self.relation = array("b")  # index into RELATIONS; -1 root
        self.depth = array("b")
        self.p_start = array("q", [0])
        self.p_flat = array("q")  # parent model index; >= n means ghost (n + ghost number)
        self.root_single = array("q")  # single root index, or -1 if several (see root_multi)
        self.root_multi: dict[int, frozenset[int]] = {}
        self.ghosts: list[str] = []
        self.n = n

    def roots_of(self, i: int) -> frozenset[int]:
        r = self.root_single[i]
        return frozenset((r,)) if r >= 0 else self.root_multi[i]


def _build(n: int, seed: int, end: str, ghost_rate: float) -> _Structure:
    rng = random.Random(seed)
    roots = [(fi, rid, date) for fi, fam in enumerate(FAMILIES) for rid, date in fam.roots]
    legacy_roots = [(fi, rid) for fi, rid, d in roots if d == "legacy"]
    dated_roots = sorted(((_ts(d), fi, rid) for fi, rid, d in roots if d != "legacy"))
    if n < len(roots) + 20:
        raise ValueError(
            f"--models must be at least {len(roots) + 20} (the simulated families have "
            f"{len(roots)} base models)"
        )
    n_legacy = max(len(legacy_roots) + 4, n // 50)
    n_dated = n - n_legacy - len(dated_roots)
    t0, t1 = _ts(_START), _ts(end)
    tau = 1.6 * 365.2425 * 86400
    span = math.expm1((t1 - t0) / tau)
    us = sorted(rng.random() for _ in range(n_dated))
    times = [t0 + tau * math.log1p(u * span) for u in us]

    s = _Structure(n)
    fam_members: list[list[int]] = [[] for _ in FAMILIES]  # urn per family (repeats = popularity)
    fam_last: list[int] = [-1] * len(FAMILIES)  # most recent finetune/merge (for chains)
    indie_urn: list[int] = []
    indie_last = -1

    def add(mid: str, t: float, legacy: bool, fam: int, rel: int, parents: list[int]) -> int:
        i = len(s.ids)
        s.ids.append(mid)
        s.time.append(t)
        s.legacy.append(1 if legacy else 0)
        s.family.append(fam)
        s.relation.append(rel)
        depth = 0
        rootset: set[int] = set()
        for p in parents:
            s.p_flat.append(p)
            if p >= n:
                rootset.add(p)
                depth = max(depth, 1)
            else:
                rootset.update(s.roots_of(p))
                depth = max(depth, s.depth[p] + 1)
        s.p_start.append(len(s.p_flat))
        s.depth.append(min(depth, 127))
        if not parents:
            s.root_single.append(i)
        elif len(rootset) == 1:
            s.root_single.append(next(iter(rootset)))
        else:
            s.root_single.append(-1)
            s.root_multi[i] = frozenset(rootset)
        return i

    # Legacy block first (all roots: the real date is unknown).
    legacy_t = _ts(LEGACY_DATE[:19])
    for fi, rid in legacy_roots:
        i = add(rid, legacy_t, True, fi, -1, [])
        fam_members[fi].extend((i, i))
    for k in range(n_legacy - len(legacy_roots)):
        i = add(f"legacy-user{k % 97}/old-model-{k}", legacy_t, True, -1, -1, [])
        indie_urn.append(i)

    # Pre-compute the family mix per month.
    month0 = _year(t0)
    n_months = int((_year(t1) - month0) * 12) + 2
    mix: list[list[float]] = []
    for m in range(n_months):
        y = month0 + m / 12
        k = max(0, min(len(_ANCHORS) - 2, bisect.bisect_right(_ANCHORS, y) - 1))
        a = max(0.0, min(1.0, (y - _ANCHORS[k]) / (_ANCHORS[k + 1] - _ANCHORS[k])))
        w = [fam.weights[k] * (1 - a) + fam.weights[k + 1] * a for fam in FAMILIES]
        w.append(_INDIE_WEIGHT[k] * (1 - a) + _INDIE_WEIGHT[k + 1] * a)
        mix.append(w)

    user_count = max(50, n // 40)
    ghost_count = 0

    def pick_user() -> str:
        # Zipf-like: a few prolific uploaders, a long tail.
        return f"user{int(user_count ** rng.random()) - 1}"

    def pick_family(month: int, available: list[bool]) -> int:
        w = mix[month]
        total = sum(wi for wi, ok in zip(w, available, strict=True) if ok)
        x = rng.random() * total
        for fi, (wi, ok) in enumerate(zip(w, available, strict=True)):
            if ok:
                x -= wi
                if x <= 0:
                    return fi
        return len(w) - 1

    def pick_parent(fam: int, chain_ok: bool) -> int:
        urn = indie_urn if fam == len(FAMILIES) else fam_members[fam]
        last = indie_last if fam == len(FAMILIES) else fam_last[fam]
        if chain_ok and last >= 0 and s.depth[last] < _MAX_DEPTH and rng.random() < 0.10:
            return last
        p = urn[int(rng.random() * len(urn))]
        if s.depth[p] >= _MAX_DEPTH:
            p = next(iter(s.roots_of(p)))
            if p >= n:
                p = urn[0]
        return p

    available = [False] * (len(FAMILIES) + 1)
    available[-1] = True
    for fi in {fi for fi, _ in legacy_roots}:
        available[fi] = True
    root_k = 0
    rel_cum = [sum(_REL_P[: k + 1]) for k in range(len(_REL_P))]
    for t in times:
        while root_k < len(dated_roots) and dated_roots[root_k][0] <= t:
            rt, fi, rid = dated_roots[root_k]
            i = add(rid, rt, False, fi, -1, [])
            fam_members[fi].extend((i, i, i))
            available[fi] = True
            root_k += 1
        month = min(n_months - 1, int((_year(t) - month0) * 12))
        if rng.random() < 0.42:  # an independent model with no parent
            i = add(f"{pick_user()}/indie-model-{len(s.ids)}", t, False, -1, -1, [])
            indie_urn.append(i)
            continue
        fam = pick_family(month, available)
        x = rng.random()
        rel = next(k for k, c in enumerate(rel_cum) if x <= c)
        parents: list[int] = []
        if rng.random() < ghost_rate:
            if ghost_count and rng.random() < 0.5:
                parents.append(n + int(rng.random() * ghost_count))
            else:
                s.ghosts.append(f"ghost-{ghost_count % 53}/deleted-model-{ghost_count}")
                parents.append(n + ghost_count)
                ghost_count += 1
        else:
            parents.append(pick_parent(fam, rel in (0, 3)))
            if rel == 3:
                k = rng.choices((2, 3, 4, 5), (0.6, 0.2, 0.1, 0.1))[0]
                for _ in range(k * 3):
                    if len(parents) >= k:
                        break
                    other = fam
                    if rng.random() < 0.25:
                        other = pick_family(month, available)
                    cand = pick_parent(other, False)
                    if cand not in parents:
                        parents.append(cand)
        own_fam = fam if fam < len(FAMILIES) else -1
        user = pick_user()
        base = _base_name(s.ids[parents[0]]) if parents[0] < n else "model"
        suffix = ("ft", "GGUF", "lora", "merge")[rel]
        i = add(f"{user}/{base}-{suffix}-{len(s.ids)}", t, False, own_fam, rel, parents)
        if rel in (0, 3):  # fine-tunes and merges get derived further; quantized/adapters rarely
            target = indie_urn if fam == len(FAMILIES) else fam_members[fam]
            target.append(i)
            if fam == len(FAMILIES):
                indie_last = i
            else:
                fam_last[fam] = i
        elif rng.random() < 0.05:
            (indie_urn if fam == len(FAMILIES) else fam_members[fam]).append(i)
        for p in parents:  # preferential attachment: each child makes its parent likelier
            if p < n and s.relation[p] in (-1, 0, 3):
                pf = s.family[p]
                urn = indie_urn if pf < 0 else fam_members[pf]
                urn.append(p)
                if s.relation[p] == -1:  # base models attract most derivatives
                    urn.append(p)
    while root_k < len(dated_roots):  # roots released after the last generated time
        rt, fi, rid = dated_roots[root_k]
        add(rid, rt, False, fi, -1, [])
        root_k += 1
    assert len(s.ids) == n, (len(s.ids), n)
    return s


_SUFFIX_RE = re.compile(r"-(?:ft|GGUF|lora|merge)-\d+.*$")


def _base_name(parent_id: str) -> str:
    """A derivative's name stem: its parent's name without our suffixes (valid repo name)."""
    stem = _SUFFIX_RE.sub("", parent_id.split("/")[-1])[:40].rstrip("-._")
    return stem or "model"


def _family_name(s: _Structure, root: int) -> tuple[str, str]:
    """Ground-truth (family, region) of a root index (ghosts are >= n)."""
    if root >= s.n:
        return s.ghosts[root - s.n].split("/")[0], "unknown"
    fi = s.family[root]
    if fi >= 0:
        return FAMILIES[fi].name, FAMILIES[fi].region
    return s.ids[root].split("/")[0], "unknown"


def _case_variant(mid: str) -> str:
    low = mid.lower()
    return low if low != mid else mid.upper()


def generate(
    n: int,
    seed: int = 0,
    *,
    dirt: DirtRates | None = None,
    end: str = DEFAULT_END,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(listing_item, truth)`` for ``n`` models in creation order, deterministically.

    ``truth`` is ``{"id", "parents": [[parent, relation], ...], "roots", "families",
    "regions", "legacy", "dirt": [kinds injected]}`` where parents are the true, cleaned links
    (canonical ids; deleted parents kept as they are named).
    """
    rates = dirt or DirtRates()
    s = _build(n, seed, end, rates.ghost_parent)
    rng = random.Random(seed * 7919 + 17)
    end_ts = _ts(end)
    # Cycles: an older model A also claims its newer fine-tune B as a base (A <- B <- A).
    n_cycles = max(1, round(n * rates.cycles_per_100k / 100_000)) if rates.cycles_per_100k else 0
    cycle_extra: dict[int, int] = {}
    candidates = [i for i in range(n) if s.relation[i] == 0 and s.p_start[i + 1] - s.p_start[i] == 1]
    for i in rng.sample(candidates, min(n_cycles, len(candidates))):
        a = s.p_flat[s.p_start[i]]
        if a < n and not s.legacy[a] and a not in cycle_extra:
            cycle_extra[a] = i
    for i in range(n):
        if progress is not None and i % 10_000 == 0 and i:
            progress(10_000)
        yield _emit(s, i, rng, rates, cycle_extra.get(i), end_ts)
    if progress is not None:
        progress(n % 10_000 or 10_000)


def _emit(
    s: _Structure, i: int, rng: random.Random, rates: DirtRates, cycle_child: int | None, end_ts: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    n = s.n
    mid = s.ids[i]
    t = s.time[i]
    legacy = bool(s.legacy[i])
    rel_i = s.relation[i]
    plist = [s.p_flat[k] for k in range(s.p_start[i], s.p_start[i + 1])]
    pids = [s.ghosts[p - n] if p >= n else s.ids[p] for p in plist]
    relation = RELATIONS[rel_i] if rel_i >= 0 else None
    fam_i = s.family[i] if s.family[i] >= 0 else (s.family[plist[0]] if plist and plist[0] < n else -1)
    fam = FAMILIES[fam_i] if fam_i >= 0 else None
    dirt: list[str] = []

    # --- declared parents: (card form, tag form, relation) ------------------------------
    declared: list[tuple[str, str | None, str]] = []
    raw_tags = rng.random() < rates.raw_tags
    for pid in pids:
        assert relation is not None
        card_form = pid
        tag_form: str | None = pid
        if pid in _ALIASES and rng.random() < rates.alias:
            card_form = tag_form = _ALIASES[pid]
            dirt.append("alias")
        elif rng.random() < rates.url:
            card_form = f"https://huggingface.co/{pid}"
            dirt.append("url")
        elif rng.random() < rates.case and not pid.startswith("ghost-"):  # unrepairable if deleted
            card_form = _case_variant(pid)
            dirt.append("case")
        if card_form != pid and raw_tags:
            tag_form = card_form
        declared.append((card_form, tag_form, relation))
    card_only = bool(declared) and rng.random() < rates.card_only
    if card_only:
        dirt.append("card_only")
        declared = [(c, None, r) for c, _, r in declared]
    if cycle_child is not None:
        declared.append((s.ids[cycle_child], s.ids[cycle_child], "finetune"))
        dirt.append("cycle")

    card_values: list[str] = [c for c, _, _ in declared]
    tag_refs: list[tuple[str, str]] = [(tf, r) for _, tf, r in declared if tf is not None]
    if declared and rng.random() < rates.duplicate:
        card_values.extend([card_values[0]] * rng.randint(1, 6))
        dirt.append("duplicate")
    if declared and rng.random() < rates.local_path:
        junk = _LOCAL_PATHS[int(rng.random() * len(_LOCAL_PATHS))]
        card_values.append(junk)
        if raw_tags and not junk.startswith(("C:", "~")):
            tag_refs.append((junk, relation or "finetune"))
        dirt.append("local_path")
    if declared and rng.random() < rates.self_reference:
        card_values.append(mid)
        tag_refs.append((mid, relation or "finetune"))
        dirt.append("self_reference")
    synonym = bool(tag_refs) and rng.random() < rates.synonym_relation
    if synonym:
        dirt.append("synonym_relation")

    # --- listing item -----------------------------------------------------------------
    pipeline = fam.pipeline if fam else _INDIE_PIPELINES[i % len(_INDIE_PIPELINES)]
    library = fam.library if fam else ("transformers" if pipeline else None)
    tags: list[str] = []
    if relation == "adapter":
        library = "peft"
        if rng.random() < 0.5:
            pipeline = None
    elif relation == "quantized" and rng.random() < 0.6:
        library = "gguf"
        tags.append("gguf")
        if rng.random() < 0.4:
            pipeline = None
    if library:
        tags.insert(0, library)
    tags.append("safetensors")
    if pipeline:
        tags.append(pipeline)
    for ref, rel in dict.fromkeys(tag_refs):
        tags.append(f"base_model:{ref}")
        tags.append(f"base_model:{_SYNONYM[rel] if synonym else rel}:{ref}")
    license_ = ("apache-2.0", "mit", "llama3.1", "other", "cc-by-nc-4.0")[i % 5]
    tags.append(f"license:{license_}")
    tags.append("region:us")

    is_root = not plist
    age_days = max(1.0, (end_ts - t) / 86400) if not legacy else 1700.0
    base_dl = rng.lognormvariate(1.0, 2.4)
    if is_root and fam is not None:
        base_dl *= 20_000
    downloads = int(base_dl * (1.0 if age_days < 400 else 0.5))
    all_time = downloads + int(base_dl * min(age_days, 1500) / 30 * rng.uniform(0.3, 1.2))
    likes = int(rng.paretovariate(1.6)) - 1 + (int(math.sqrt(downloads) / 8) if is_root else 0)
    created = LEGACY_DATE if legacy else _iso(t)
    modified = (
        _iso(min(end_ts, t + rng.expovariate(1 / (25 * 86400))))
        if not legacy
        else _iso(_ts("2022-03-03") + rng.random() * 3e7)
    )
    item: dict[str, Any] = {
        "_id": f"{int(t) & 0xFFFFFFFF:08x}{i:016x}",
        "id": mid,
        "author": mid.split("/")[0],
        "createdAt": created,
        "lastModified": modified,
        "downloads": downloads,
        "downloadsAllTime": all_time,
        "likes": likes,
        "library_name": library,
        "pipeline_tag": pipeline,
        "gated": fam.gated if (fam is not None and is_root) else False,
        "private": False,
        "tags": tags,
    }
    # The card is left out only where that hides no dirt (so every injected kind is visible).
    if declared and rng.random() < rates.no_card and not card_only and set(dirt) <= {"alias", "cycle"}:
        dirt.append("no_card")
    else:
        card: dict[str, Any] = {"license": license_}
        if card_values:
            if len(card_values) == 1 and rng.random() < rates.string_form:
                card["base_model"] = card_values[0]
            else:
                card["base_model"] = card_values
            if card_only and relation:
                card["base_model_relation"] = relation
        item["cardData"] = card

    roots = sorted(s.roots_of(i))
    fam_reg = sorted({_family_name(s, r) for r in roots})
    truth = {
        "id": mid,
        "parents": sorted([p, relation] for p in pids),
        "roots": sorted(s.ghosts[r - n] if r >= n else s.ids[r] for r in roots),
        "families": sorted({f for f, _ in fam_reg}),
        "regions": sorted({g for _, g in fam_reg}),
        "legacy": legacy,
        "created_at": created,
        "dirt": sorted(set(dirt)),
    }
    return item, truth


def write_hub(
    out: str | Path,
    n: int,
    seed: int = 0,
    *,
    dirt: DirtRates | None = None,
    end: str = DEFAULT_END,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write ``models.jsonl``, ``truth.jsonl`` and ``meta.json`` into ``out``; return the meta.

    Files are written under temporary names and renamed at the end, so an interrupted run
    never leaves a half-written hub that looks complete.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rates = dirt or DirtRates()
    counts: Counter[str] = Counter()
    edges = 0
    tmp_models, tmp_truth = out / "models.jsonl.part", out / "truth.jsonl.part"
    with tmp_models.open("wb") as fm, tmp_truth.open("wb") as ft:
        buf_m: list[bytes] = []
        buf_t: list[bytes] = []
        for item, truth in generate(n, seed, dirt=rates, end=end, progress=progress):
            buf_m.append(orjson.dumps(item))
            buf_t.append(orjson.dumps(truth))
            counts.update(truth["dirt"])
            edges += len(truth["parents"])
            if len(buf_m) >= 5000:
                fm.write(b"\n".join(buf_m) + b"\n")
                ft.write(b"\n".join(buf_t) + b"\n")
                buf_m.clear()
                buf_t.clear()
        if buf_m:
            fm.write(b"\n".join(buf_m) + b"\n")
            ft.write(b"\n".join(buf_t) + b"\n")
    meta = {
        "generator": "lineage.sim.generate",
        "simulated": True,
        "models": n,
        "edges": edges,
        "seed": seed,
        "end": end,
        "dirt_rates": asdict(rates),
        "dirt_models": dict(sorted(counts.items())),
        "families": {f.name: f.region for f in FAMILIES},
    }
    tmp_models.replace(out / "models.jsonl")
    tmp_truth.replace(out / "truth.jsonl")
    (out / "meta.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return meta
