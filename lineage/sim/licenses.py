"""Licences of the simulated hub: the Hub's licence ids, their classes, and drift along links.

The simulator's own table (it shares no code with lineage's licence normalisation). A model
declares a licence the way the Hub shows it: a ``license:<id>`` tag and ``cardData.license``,
plus ``cardData.license_name`` when the id is ``other``. Classes, from most to least permissive:

==================  ====  ===============================================================
class               rank  ids (``other`` is classed by its ``license_name``)
==================  ====  ===============================================================
``permissive``      0     apache-2.0, mit, bsd-3-clause, cc-by-4.0, ...; other: modified-mit
``copyleft``        1     gpl-3.0, agpl-3.0, lgpl-3.0, cc-by-sa-4.0
``model-specific``  2     llama2 … llama3.3, gemma, the OpenRAIL family; other: llama4,
                          tongyi-qianwen, qwen, deepseek, glm-4, ... (terms of one model family)
``non-commercial``  3     cc-by-nc-4.0, cc-by-nc-sa-4.0, cc-by-nc-nd-4.0; other: the FLUX
                          dev non-commercial licences
``unknown``         –     nothing declared, ``unknown``, ``other`` without a known name
==================  ====  ===============================================================

**Drift** (dropped terms) on a link parent → child: the parent declares a ``non-commercial`` or
``model-specific`` licence and the child declares a licence of a lower rank (for example a
fine-tune of a ``llama3.1`` base released as ``apache-2.0``, a quantization of a
``cc-by-nc-4.0`` model marked ``mit``). Nothing declared is never drift.

>>> license_class("other", "flux-1-dev-non-commercial-license"), license_class("llama3.1")
('non-commercial', 'model-specific')
>>> is_drift(("llama3.1", None), ("apache-2.0", None)), is_drift(("mit", None), ("apache-2.0", None))
(True, False)
"""

from __future__ import annotations

import random

__all__ = ["CLASSES", "CLASS_RANK", "INDIE_LICENSES", "is_drift", "license_class", "restrictive", "successor"]

CLASSES = ("permissive", "copyleft", "model-specific", "non-commercial", "unknown")
CLASS_RANK = {"permissive": 0, "copyleft": 1, "model-specific": 2, "non-commercial": 3}
_IDS = {
    "permissive": "apache-2.0 mit bsd-2-clause bsd-3-clause cc-by-4.0 cc0-1.0 unlicense artistic-2.0 bsl-1.0",
    "copyleft": "gpl-2.0 gpl-3.0 agpl-3.0 lgpl-3.0 cc-by-sa-4.0",
    "model-specific": "llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 gemma creativeml-openrail-m "
    "openrail openrail++ bigscience-openrail-m bigscience-bloom-rail-1.0",
    "non-commercial": "cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nc-sa-4.0 cc-by-nc-nd-4.0",
}
_NAMES = {  # license_name of `other`
    "permissive": "modified-mit",
    "model-specific": "llama-license llama4 tongyi-qianwen tongyi-qianwen-research qwen qwen-research "
    "deepseek chatglm3 glm-4 minimax-model-license internlm baichuan2 tencent-hunyuan-community "
    "falcon-llm-license nvidia-open-model-license stabilityai-ai-community",
    "non-commercial": "flux-1-dev-non-commercial-license flux-dev-non-commercial-license",
}
_BY_ID = {lic: cls for cls, ids in _IDS.items() for lic in ids.split()}
_BY_NAME = {name: cls for cls, names in _NAMES.items() for name in names.split()}

#: Licences of independent models (None: nothing declared), drawn with these weights.
INDIE_LICENSES: tuple[tuple[tuple[str | None, str | None], float], ...] = (
    (("apache-2.0", None), 0.38),
    (("mit", None), 0.22),
    (("cc-by-4.0", None), 0.04),
    (("cc-by-nc-4.0", None), 0.07),
    (("cc-by-nc-sa-4.0", None), 0.02),
    (("openrail", None), 0.05),
    (("gpl-3.0", None), 0.02),
    (("cc-by-sa-4.0", None), 0.01),
    ((None, None), 0.19),
)
#: A licence of the same class that a derivative may declare instead of its parent's.
_SAME_CLASS = {
    "apache-2.0": "mit",
    "mit": "apache-2.0",
    "cc-by-4.0": "apache-2.0",
    "cc-by-nc-4.0": "cc-by-nc-sa-4.0",
    "cc-by-nc-sa-4.0": "cc-by-nc-4.0",
    "gpl-3.0": "agpl-3.0",
    "cc-by-sa-4.0": "gpl-3.0",
    "llama3.1": "llama3",
    "llama3.2": "llama3.1",
    "llama3": "llama3.1",
    "openrail": "creativeml-openrail-m",
    "creativeml-openrail-m": "openrail",
    "openrail++": "openrail",
}


def license_class(license: str | None, name: str | None = None) -> str:
    """The class of a declared licence (see the module docstring)."""
    if license is None:
        return "unknown"
    if license == "other":
        return _BY_NAME.get(name or "", "unknown")
    return _BY_ID.get(license, "unknown")


def is_drift(parent: tuple[str | None, str | None], child: tuple[str | None, str | None]) -> bool:
    """True when ``child`` (licence, name) drops terms of ``parent``'s (see the docstring)."""
    if parent[0] is None or child[0] is None or parent == child:
        return False
    p, c = license_class(*parent), license_class(*child)
    return p in ("model-specific", "non-commercial") and c in CLASS_RANK and CLASS_RANK[c] < CLASS_RANK[p]


def restrictive(licenses: list[tuple[str | None, str | None]]) -> tuple[str | None, str | None]:
    """The most restrictive of several parents' licences (a merge keeps the strictest terms);
    ``(None, None)`` when none is known."""
    best: tuple[str | None, str | None] = (None, None)
    rank = -1
    for lic in licenses:
        r = CLASS_RANK.get(license_class(*lic), -1)
        if r > rank:
            best, rank = lic, r
    return best


def successor(
    parent: tuple[str | None, str | None], rng: random.Random, drift: float
) -> tuple[str | None, str | None]:
    """The licence a derivative declares, given its (strictest) parent's: usually the same,
    sometimes nothing or another id of the same class, and with probability ``drift`` (only
    below a non-commercial or model-specific parent) a permissive one."""
    cls = license_class(*parent)
    if cls in ("model-specific", "non-commercial") and rng.random() < drift:
        return ("apache-2.0", None) if rng.random() < 0.6 else ("mit", None)
    x = rng.random()
    if x < 0.10 or parent[0] is None:
        return (None, None)
    if x < 0.15 and parent[0] in _SAME_CLASS:
        return (_SAME_CLASS[parent[0]], None)
    return parent
