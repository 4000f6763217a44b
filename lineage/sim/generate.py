"""A synthetic Hugging Face Hub with known ground truth, shaped like the real one.

``generate(n, seed)`` builds a lineage DAG in creation-time order and streams it as Hub listing
items (the same keys and formats as ``GET /api/models``), with the ground truth of every model.
The hub is calibrated to the published real-Hub figures (``../shared/data/hub-facts``; see
:mod:`lineage.sim.shape` and ``bench/calibration.py``): 28% of models declare a base, the
relation split and its drift over 2024–2026, the concentration of each month's new derivatives
on a few bases, the most-derived bases' degree relative to hub size, bulk uploads on small
bases in Jul–Oct 2024; families rooted in real organisations' base models at their real dates
(:mod:`lineage.sim.catalog`), instruct models descending from their base, licences following
the family, merges within one modality, heavy-tailed downloads, a legacy block dated
``2022-03-02T23:29:04.000Z``, and dirty metadata at configurable rates (:class:`DirtRates`).

**Truth** (one dict per model; ``truth.jsonl`` holds them, one per line):

``id``, ``created_at`` (as listed), ``legacy`` (bool: the placeholder date), ``first_party``
(a family's own model); ``parents``: ``[[parent id, relation], ...]``, the true links after
cleaning (canonical ids; deleted parents kept as named, ``ghost-*``); ``roots``,
``families``, ``regions``: sorted root ancestors and their families and regions;
``dirt``: the dirty-metadata kinds injected into this listing;
``bulk`` (bool) and ``bulk_episode`` (``"bulk-00012"`` or None): an automated bulk upload, and
which one (an episode is one author's derivatives of one base within one day);
``license`` / ``license_name``: the licence the listing declares (``license:<id>`` tag;
``cardData.license_name`` for ``other``, None without a card), ``license_class``
(:mod:`lineage.sim.licenses`), and ``license_drift``: the sorted ids of the parents whose
terms this model drops (the parent's listing declares a non-commercial or model-specific
licence, this model's a more permissive class; both as declared, so a detector reading the
listings finds exactly these). The ``license_drift`` argument of :func:`generate` (default
0.03) is the probability that a derivative of such a parent drifts.

Memory is linear in ``n`` with small constants (flat arrays, no per-model objects).

>>> items = list(generate(300, seed=1))
>>> len(items), sorted(items[0][0])[:3]
(300, ['_id', 'author', 'cardData'])
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from lineage.sim.build import RELATIONS, Structure, build
from lineage.sim.catalog import FAMILIES, MODALITIES, SimFamily
from lineage.sim.dirt import SYNONYM, DirtRates, declare
from lineage.sim.licenses import is_drift, license_class
from lineage.sim.plan import ts

__all__ = ["DEFAULT_END", "FAMILIES", "GENERATOR_VERSION", "DirtRates", "SimFamily", "generate", "write_hub"]

LEGACY_DATE = "2022-03-02T23:29:04.000Z"
DEFAULT_END = "2026-11-01T00:00:00"
#: Changes whenever the same (n, seed) would give another hub (cached hubs are rebuilt).
GENERATOR_VERSION = 2


_DAYS: dict[int, str] = {}
_CLASS: dict[tuple[str | None, str | None], str] = {}


def _iso(t: float) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC), as the Hub writes dates (fast: days are cached).

    >>> _iso(1_700_000_000.25)
    '2023-11-14T22:13:20.250Z'
    """
    ms = int(t * 1000)
    sec, ms = divmod(ms, 1000)
    day, sec = divmod(sec, 86400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
    hour, sec = divmod(sec, 3600)
    minute, sec = divmod(sec, 60)
    return f"{date}{hour:02d}:{minute:02d}:{sec:02d}.{ms:03d}Z"


def _family_name(s: Structure, root: int) -> tuple[str, str]:
    """Ground-truth (family, region) of a root index (ghosts are >= n)."""
    if root < s.n and s.family[root] >= 0:
        fam = FAMILIES[s.family[root]]
        return fam.name, fam.region
    if root >= s.n:
        return s.ghosts[root - s.n].split("/")[0], "unknown"
    fi = s.family[root]
    if fi >= 0:
        return FAMILIES[fi].name, FAMILIES[fi].region
    return s.ids[root].split("/")[0], "unknown"


def _declared(s: Structure, i: int) -> tuple[str | None, str | None]:
    """The licence model ``i``'s listing declares (no ``license_name`` without a card)."""
    lic = s.licenses[s.license[i]]
    return (lic[0], None) if s.card_less[i] else lic


def generate(
    n: int,
    seed: int = 0,
    *,
    dirt: DirtRates | None = None,
    end: str = DEFAULT_END,
    progress: Callable[[int], None] | None = None,
    license_drift: float = 0.03,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(listing_item, truth)`` for ``n`` models in creation order, deterministically
    (the truth keys are listed in the module docstring)."""
    if not 0.0 <= license_drift <= 1.0:
        raise ValueError("license_drift must be between 0 and 1")
    rates = dirt or DirtRates()
    s = build(n, seed, end, rates.ghost_parent, license_drift)
    rng = random.Random(seed * 7919 + 17)
    end_ts = ts(end)
    # Cycles: an older model A also claims its newer fine-tune B as a base (A <- B <- A).
    n_cycles = max(1, round(n * rates.cycles_per_100k / 100_000)) if rates.cycles_per_100k else 0
    cycle_extra: dict[int, int] = {}
    candidates = [
        i for i in range(n) if s.relation[i] == 0 and s.p_start[i + 1] - s.p_start[i] == 1 and s.bulk[i] < 0
    ]
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


def _downloads(rng: random.Random, first_party: bool, age_days: float) -> tuple[int, int]:
    """(30-day, all-time) downloads: 40% of models never downloaded, a heavy tail, recent
    models more active (hub-stats: 59.7% with downloads, 35.5% in the last 30 days, median 19)."""
    if rng.random() < (0.02 if first_party else 0.39):
        return 0, 0
    all_time = int(math.exp(rng.gauss(5.4, 2.2)) * (3000 if first_party else 1))
    if not all_time or rng.random() > (0.98 if first_party else 0.595):
        return 0, all_time
    recent = max(1, int(all_time * min(1.0, 30 / max(30.0, age_days)) * rng.uniform(0.5, 1.5)))
    return min(all_time, recent), all_time


def _emit(
    s: Structure, i: int, rng: random.Random, rates: DirtRates, cycle_child: int | None, end_ts: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    n = s.n
    mid = s.ids[i]
    t = s.time[i]
    legacy = bool(s.legacy[i])
    first_party = bool(s.official[i])
    rel_i = s.relation[i]
    plist = s.parents(i)
    pids = [s.ghosts[p - n] if p >= n else s.ids[p] for p in plist]
    relation = RELATIONS[rel_i] if rel_i >= 0 else None
    fam_i = s.family[i]
    fam = FAMILIES[fam_i] if fam_i >= 0 else None
    d = declare(mid, pids, relation, rng, rates, s.ids[cycle_child] if cycle_child is not None else None)
    dirt = d.dirt

    # --- listing item -----------------------------------------------------------------
    pipeline, library, _ = MODALITIES[s.modality[i]]
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
    for ref, rel in dict.fromkeys(d.tag_refs):
        tags.append(f"base_model:{ref}")
        tags.append(f"base_model:{SYNONYM[rel] if d.synonym else rel}:{ref}")
    license_, license_name = s.licenses[s.license[i]]
    if license_ is not None:
        tags.append(f"license:{license_}")
    tags.append("region:us")

    age_days = max(1.0, (end_ts - t) / 86400) if not legacy else 1700.0
    downloads, all_time = _downloads(rng, first_party, age_days)
    if s.bulk[i] >= 0:  # nobody downloads automated uploads
        downloads, all_time = 0, min(all_time, int(rng.random() * 4))
    likes = int(rng.paretovariate(1.6)) - 1 + (int(math.sqrt(downloads) / 8) if first_party else 0)
    created = LEGACY_DATE if legacy else _iso(t)
    modified = (
        _iso(min(end_ts, t + rng.expovariate(1 / (25 * 86400))))
        if not legacy
        else _iso(ts("2022-03-03") + rng.random() * 3e7)
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
        "gated": fam.gated if (fam is not None and first_party) else False,
        "private": False,
        "tags": tags,
    }
    # The card is left out only where that hides no dirt (so every injected kind is visible).
    has_card = True
    if pids and rng.random() < rates.no_card and not d.card_only and set(dirt) <= {"alias", "cycle"}:
        dirt.append("no_card")
        has_card = False
        s.card_less[i] = 1
    else:
        card: dict[str, Any] = {}
        if license_ is not None:
            card["license"] = license_
            if license_name is not None:
                card["license_name"] = license_name
        if d.card_values:
            if len(d.card_values) == 1 and rng.random() < rates.string_form:
                card["base_model"] = d.card_values[0]
            else:
                card["base_model"] = d.card_values
            if d.card_only and relation:
                card["base_model_relation"] = relation
        item["cardData"] = card

    declared = (license_, license_name if has_card else None)
    roots = s.roots_of(i)
    if len(roots) == 1:
        (r,) = roots
        family, region = _family_name(s, r)
        root_ids = [s.ghosts[r - n] if r >= n else s.ids[r]]
        families, regions = [family], [region]
    else:
        fam_reg = {_family_name(s, r) for r in roots}
        root_ids = sorted(s.ghosts[r - n] if r >= n else s.ids[r] for r in roots)
        families, regions = sorted({f for f, _ in fam_reg}), sorted({g for _, g in fam_reg})
    drift: list[str] = []
    if plist and declared[0] is not None:
        drift = sorted({s.ids[p] for p in plist if p < n and is_drift(_declared(s, p), declared)})
    bulk = s.bulk[i]
    truth = {
        "id": mid,
        "parents": [[pids[0], relation]] if len(pids) == 1 else sorted([p, relation] for p in pids),
        "roots": root_ids,
        "families": families,
        "regions": regions,
        "legacy": legacy,
        "created_at": created,
        "first_party": first_party,
        "dirt": sorted(set(dirt)) if dirt else [],
        "bulk": bulk >= 0,
        "bulk_episode": s.episodes[bulk][0] if bulk >= 0 else None,
        "license": license_,
        "license_name": declared[1],
        "license_class": _CLASS.get(declared) or _CLASS.setdefault(declared, license_class(*declared)),
        "license_drift": drift,
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
    license_drift: float = 0.03,
) -> dict[str, Any]:
    """Write ``models.jsonl``, ``truth.jsonl`` and ``meta.json`` into ``out``; return the meta.

    Files are written under temporary names and renamed at the end, so an interrupted run
    never leaves a half-written hub that looks complete.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rates = dirt or DirtRates()
    counts: Counter[str] = Counter()
    edges = bulk = drifted = 0
    tmp_models, tmp_truth = out / "models.jsonl.part", out / "truth.jsonl.part"
    dumps = orjson.dumps
    with tmp_models.open("wb") as fm, tmp_truth.open("wb") as ft:
        buf_m: list[bytes] = []
        buf_t: list[bytes] = []
        pairs = generate(n, seed, dirt=rates, end=end, progress=progress, license_drift=license_drift)
        for item, truth in pairs:
            buf_m.append(dumps(item))
            buf_t.append(dumps(truth))
            if truth["dirt"]:
                counts.update(truth["dirt"])
            edges += len(truth["parents"])
            bulk += truth["bulk"]
            drifted += bool(truth["license_drift"])
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
        "version": GENERATOR_VERSION,
        "simulated": True,
        "models": n,
        "edges": edges,
        "bulk_models": bulk,
        "license_drift_models": drifted,
        "seed": seed,
        "end": end,
        "dirt_rates": asdict(rates),
        "license_drift": license_drift,
        "dirt_models": dict(sorted(counts.items())),
        "families": {f.name: f.region for f in FAMILIES},
    }
    tmp_models.replace(out / "models.jsonl")
    tmp_truth.replace(out / "truth.jsonl")
    (out / "meta.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return meta
