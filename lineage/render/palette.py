"""One colour per family, org, region and relation, the same in every view and export.

A group keeps its colour whatever else is on screen (filters, periods, top N): the colour is
a function of the group's name, never of its rank.

* a **family** named in the registry with a ``colour`` (``lineage/data/registry.toml`` carries
  one for the main families; a user's registry may add or override them) gets that colour;
* an **org** that publishes a family (its first org: ``Qwen``, ``meta-llama``) gets the family's
  colour, so Share by org and by family agree;
* a **region** has a fixed colour; so do ``(other)`` and ``(parent not on the Hub)``;
* anything else (fallback families, merges such as ``Llama + Qwen``) gets a colour derived from
  a hash of its name: stable across runs and machines.

Relations have one colour and one order (:data:`RELATION_ORDER`, as in
:data:`lineage.records.RELATIONS`) for the whole app.

>>> group_colour("Qwen") == group_colour("Qwen", "org") == "#7c3aed"
True
>>> group_colour("china", "region"), group_colour(OTHER)
('#dc2626', '#b0b7c3')
>>> hashed_colour("someuser") == hashed_colour("someuser") != hashed_colour("otheruser")
True
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable
from functools import cache

from lineage.analytics.groups import NOT_ON_HUB
from lineage.analytics.ranking import OTHER
from lineage.analytics.view import RELATION_PLURAL
from lineage.families import Registry, default_registry
from lineage.records import RELATIONS

__all__ = [
    "CENTRE_COLOUR",
    "DRIFT_COLOUR",
    "LICENSE_CLASS_COLOURS",
    "NOT_ON_HUB",
    "OTHER",
    "PLAIN_LINK_COLOUR",
    "REGION_COLOURS",
    "RELATION_COLOURS",
    "RELATION_ORDER",
    "RELATION_PLURAL",
    "group_colour",
    "group_colours",
    "hashed_colour",
    "relation_label",
]

#: Relations in the order every chart, legend and table uses.
RELATION_ORDER: tuple[str, ...] = RELATIONS
RELATION_COLOURS: dict[str, str] = {
    "finetune": "#2563eb",
    "adapter": "#16a34a",
    "quantized": "#f59e0b",
    "merge": "#db2777",
    "unknown": "#6b7280",
}
REGION_COLOURS: dict[str, str] = {
    "china": "#dc2626",
    "us": "#2563eb",
    "eu": "#eab308",
    "other": "#16a34a",
    "unknown": "#6b7280",
}
#: Licence classes (:data:`lineage.licenses.CLASSES`): green permissive to purple non-commercial.
LICENSE_CLASS_COLOURS: dict[str, str] = {
    "permissive": "#16a34a",
    "copyleft": "#0891b2",
    "model-specific": "#f59e0b",
    "non-commercial": "#7c3aed",
    "unknown": "#9ca3af",
}
#: A link whose derivative drops its base's licence terms, and the other links, in a licence view.
DRIFT_COLOUR = "#dc2626"
PLAIN_LINK_COLOUR = "#cbd5e1"
_SPECIAL: dict[str, str] = {OTHER: "#b0b7c3", NOT_ON_HUB: "#8d7f74"}
#: The model a view is centred on (Explore).
CENTRE_COLOUR = "#dc2626"


def relation_label(relation: str, n: int) -> str:
    """``"1 finetune"``, ``"422 finetunes"``, ``"3 quantizations"``.

    >>> relation_label("quantized", 1), relation_label("quantized", 3412)
    ('1 quantized model', '3,412 quantizations')
    """
    if n == 1:
        return f"1 {relation}" + (" model" if relation in ("quantized", "unknown") else "")
    return f"{n:,} {RELATION_PLURAL.get(relation, relation)}"


def hashed_colour(name: str) -> str:
    """A stable colour for any name: hue, saturation and lightness from a hash of it."""
    d = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    hue = int.from_bytes(d[:2], "big") / 65536
    sat = 0.50 + d[2] / 255 * 0.30
    light = 0.36 + d[3] / 255 * 0.18
    r, g, b = colorsys.hls_to_rgb(hue, light, sat)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


@cache
def _named(registry: Registry) -> tuple[dict[str, str], dict[str, str]]:
    """The registry's family colours, and the colour of each family's first org (lower case)."""
    families = {f.name: f.colour for f in registry.families if f.colour}
    orgs: dict[str, str] = {}
    for f in registry.families:
        if f.colour:
            orgs.setdefault(f.orgs[0].lower(), f.colour)
    return families, orgs


def group_colour(name: str, by: str = "family", registry: Registry | None = None) -> str:
    """The colour of group ``name`` under the grouping ``by`` (``family``, ``org``, ``region``)."""
    special = _SPECIAL.get(name)
    if special is not None:
        return special
    if by == "region" and name in REGION_COLOURS:
        return REGION_COLOURS[name]
    families, orgs = _named(registry or default_registry())
    found = families.get(name) if by == "family" else orgs.get(name.lower()) if by == "org" else None
    return found or hashed_colour(name)


def group_colours(names: Iterable[str], by: str = "family", registry: Registry | None = None) -> list[str]:
    """:func:`group_colour` of each name, in order (a chart's colour range for its domain)."""
    return [group_colour(n, by, registry) for n in names]
