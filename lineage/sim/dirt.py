"""Dirty metadata of the simulated hub: how a model's true parents end up declared.

The real Hub shows ``base_model`` as a string or a list, with duplicates, full URLs, local
paths, case differences, legacy un-namespaced names, self-references, relation synonyms,
parents only in the card or only in the tags, deleted parents and cycles. :class:`DirtRates`
sets how often each happens; :func:`declare` turns true parents into what a listing shows.

>>> import random
>>> d = declare("me/ft", ["org/base"], "finetune", random.Random(1), DirtRates().scaled(0))
>>> d.card_values, d.tag_refs, d.dirt
(['org/base'], [('org/base', 'finetune')], [])
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields

from lineage.sim.catalog import ALIASES

__all__ = ["SYNONYM", "Declared", "DirtRates", "declare"]

#: The relation names some cards use instead of the Hub's.
SYNONYM = {"finetune": "finetuned", "quantized": "quantization", "adapter": "lora", "merge": "merged"}
_LOCAL_PATHS = (
    "./outputs/checkpoint-500",
    "/home/user/models/base",
    "../merged",
    "~/ckpt/final",
    "C:\\Users\\me\\model",
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


@dataclass
class Declared:
    """What a listing declares: ``cardData.base_model`` values, ``base_model:`` tag references
    with their relation, the dirt kinds injected, and flags for the listing builder."""

    card_values: list[str] = field(default_factory=list)
    tag_refs: list[tuple[str, str]] = field(default_factory=list)
    dirt: list[str] = field(default_factory=list)
    card_only: bool = False
    synonym: bool = False


def _case_variant(mid: str) -> str:
    low = mid.lower()
    return low if low != mid else mid.upper()


def declare(
    mid: str,
    pids: list[str],
    relation: str | None,
    rng: random.Random,
    rates: DirtRates,
    cycle_child: str | None = None,
) -> Declared:
    """The declared form of model ``mid``'s true parents ``pids`` (all of ``relation``);
    ``cycle_child``: a newer model that ``mid`` also claims as its base (a cycle)."""
    out = Declared()
    dirt = out.dirt
    declared: list[tuple[str, str | None, str]] = []  # (card form, tag form, relation)
    raw_tags = rng.random() < rates.raw_tags
    for pid in pids:
        assert relation is not None
        card_form = pid
        tag_form: str | None = pid
        if pid in ALIASES and rng.random() < rates.alias:
            card_form = tag_form = ALIASES[pid]
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
    if declared and rng.random() < rates.card_only:
        out.card_only = True
        dirt.append("card_only")
        declared = [(c, None, r) for c, _, r in declared]
    if cycle_child is not None:
        declared.append((cycle_child, cycle_child, "finetune"))
        dirt.append("cycle")
    out.card_values = [c for c, _, _ in declared]
    out.tag_refs = [(tf, r) for _, tf, r in declared if tf is not None]
    if declared and rng.random() < rates.duplicate:
        out.card_values.extend([out.card_values[0]] * rng.randint(1, 6))
        dirt.append("duplicate")
    if declared and rng.random() < rates.local_path:
        junk = _LOCAL_PATHS[int(rng.random() * len(_LOCAL_PATHS))]
        out.card_values.append(junk)
        if raw_tags and not junk.startswith(("C:", "~")):
            out.tag_refs.append((junk, relation or "finetune"))
        dirt.append("local_path")
    if declared and rng.random() < rates.self_reference:
        out.card_values.append(mid)
        out.tag_refs.append((mid, relation or "finetune"))
        dirt.append("self_reference")
    out.synonym = bool(out.tag_refs) and rng.random() < rates.synonym_relation
    if out.synonym:
        dirt.append("synonym_relation")
    return out
