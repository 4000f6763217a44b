"""Licence classes: which class a declared licence belongs to, and when a link drops terms.

A model's licence is normalised once, in :mod:`lineage.records` (the id as the Hub spells it,
plus the ``license_name`` of ``other``); :func:`lineage.records.license_key` makes one string
of the two (``apache-2.0``, ``other:flux-1-dev-non-commercial-license``). This module maps a
key to one of :data:`CLASSES`, with a table that is data, not code:
``lineage/data/licenses.toml`` (its header documents the format), which users extend with
their own file through :func:`load_licenses` (``--licenses PATH`` on the command line).

======================  =====  ================================================================
class                   rank   e.g.
======================  =====  ================================================================
``permissive``          0      apache-2.0, mit, bsd-3-clause, cc-by-4.0, other: modified-mit
``copyleft``            1      gpl-3.0, agpl-3.0, lgpl-3.0, cc-by-sa-4.0, mpl-2.0
``model-specific``      2      llama2 … llama4, gemma, the OpenRAIL family; other: tongyi-qianwen,
                               qwen, deepseek, glm-4, falcon-llm-license, ...
``non-commercial``      3      cc-by-nc-4.0, cc-by-nc-sa-4.0, cc-by-nc-nd-4.0; other: the FLUX
                               dev non-commercial licences, microsoft-research-license
``unknown``             –      not in the table, ``other`` without a name, ``unknown``
======================  =====  ================================================================

A link parent -> child where both declare a licence (``unknown`` is not a declaration) has a
:func:`pair_status`: ``same`` (the same licence), ``dropped-terms`` (the parent's class is
``non-commercial`` or ``model-specific`` and the child's class ranks lower: a fine-tune of a
``llama3.1`` base released as ``apache-2.0``, a quantization of a ``cc-by-nc-4.0`` model
marked ``mit``), else ``changed``. This reads declared metadata; it is not legal advice.

>>> table = default_licenses()
>>> table.classify("other", "flux-1-dev-non-commercial-license"), table.classify_key("llama3.1")
('non-commercial', 'model-specific')
>>> pair_status("llama3.1", "apache-2.0", table), pair_status("mit", "apache-2.0", table)
('dropped-terms', 'changed')
"""

from __future__ import annotations

import functools
import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType

from lineage.errors import InputError
from lineage.files import read_user_text
from lineage.records import normalize_license

__all__ = [
    "CLASSES",
    "CLASS_RANK",
    "DISCLAIMER",
    "PAIR_STATUSES",
    "LicenseTable",
    "LicenseTableError",
    "declared",
    "default_licenses",
    "drops_terms",
    "load_licenses",
    "pair_status",
]

#: Every licence class, from most to least permissive, then ``unknown``.
CLASSES: tuple[str, ...] = ("permissive", "copyleft", "model-specific", "non-commercial", "unknown")
#: The rank of each known class (higher: more restrictive).
CLASS_RANK: Mapping[str, int] = MappingProxyType({c: k for k, c in enumerate(CLASSES[:-1])})
#: Classes whose terms a derivative may drop.
_RESTRICTIVE = frozenset({"model-specific", "non-commercial"})
#: The status of a link where both sides declare a licence.
PAIR_STATUSES: tuple[str, ...] = ("same", "changed", "dropped-terms")
#: What every licence report says about itself.
DISCLAIMER = (
    "Licences are as declared in the Hub's metadata (license tags and model cards), classed by "
    "lineage's licence table; this is not legal advice and says nothing about the files' "
    "actual terms."
)
_KEYS = frozenset({"ids", "names"})


class LicenseTableError(InputError):
    """A licence table file is malformed; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class LicenseTable:
    """Licence ids and ``other`` names by class. Build one with :func:`load_licenses`."""

    by_id: Mapping[str, str] = field(default_factory=dict)
    by_name: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", MappingProxyType(dict(self.by_id)))
        object.__setattr__(self, "by_name", MappingProxyType(dict(self.by_name)))

    @functools.cached_property
    def fingerprint(self) -> str:
        """A short digest of the table (caches key on it)."""
        text = repr((sorted(self.by_id.items()), sorted(self.by_name.items())))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]

    def classify(self, license: str | None, name: str | None = None) -> str:
        """The class of a declared licence (normalised as :mod:`lineage.records` does)."""
        lic = normalize_license(license)
        if lic is None:
            return "unknown"
        if lic == "other":
            low = normalize_license(name)
            return self.by_name.get(low, "unknown") if low else "unknown"
        return self.by_id.get(lic, "unknown")

    def classify_key(self, key: str | None) -> str:
        """The class of a :func:`~lineage.records.license_key` (``other:<name>`` or an id)."""
        if key is None:
            return "unknown"
        lic, sep, name = key.partition(":")
        return self.classify(lic, name) if sep and lic == "other" else self.classify(key)


def declared(key: str | None) -> bool:
    """True when a licence key declares a licence (not nothing, not ``unknown``)."""
    return key is not None and key != "unknown"


def drops_terms(parent_class: str, child_class: str) -> bool:
    """True when a derivative declaring ``child_class`` drops the terms of a ``parent_class``
    base: the base is non-commercial or model-specific and the derivative's class ranks lower."""
    return (
        parent_class in _RESTRICTIVE
        and child_class in CLASS_RANK
        and CLASS_RANK[child_class] < CLASS_RANK[parent_class]
    )


def pair_status(
    parent_key: str | None, child_key: str | None, table: LicenseTable | None = None
) -> str | None:
    """``same``, ``changed`` or ``dropped-terms`` for a link whose two sides declare the licence
    keys given; None when either side declares none."""
    if not declared(parent_key) or not declared(child_key):
        return None
    if parent_key == child_key:
        return "same"
    t = table or default_licenses()
    return (
        "dropped-terms" if drops_terms(t.classify_key(parent_key), t.classify_key(child_key)) else "changed"
    )


# -- loading ------------------------------------------------------------------------------------
def _parse(text: str, source: str) -> tuple[dict[str, str], dict[str, str]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LicenseTableError(f"{source}: not valid TOML: {exc}") from exc
    by_id: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for cls, entry in data.items():
        if cls not in CLASSES:
            raise LicenseTableError(
                f"{source}: [{cls}] is not a licence class; expected one of {', '.join(CLASSES)}"
            )
        if not isinstance(entry, dict) or set(entry) - _KEYS:
            raise LicenseTableError(f"{source}: [{cls}] may hold only `ids` and `names` lists")
        for key, target in (("ids", by_id), ("names", by_name)):
            values = entry.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
                raise LicenseTableError(f"{source}: [{cls}] {key} must be a list of non-empty strings")
            for value in values:
                norm = normalize_license(value)
                if norm is None:
                    raise LicenseTableError(f"{source}: [{cls}] {key}: {value!r} names no licence")
                other = target.setdefault(norm, cls)
                if other != cls:
                    raise LicenseTableError(f"{source}: {value!r} is listed in [{other}] and in [{cls}]")
    return by_id, by_name


@functools.cache
def _packaged() -> tuple[dict[str, str], dict[str, str]]:
    path = files("lineage") / "data" / "licenses.toml"
    return _parse(path.read_text(encoding="utf-8"), str(path))


def load_licenses(path: str | os.PathLike[str] | None = None, *, extend: bool = True) -> LicenseTable:
    """Load a licence table: the packaged one (``path`` None), or a user file in the same
    format — merged over the packaged table (an id or name the user lists moves to the user's
    class), or alone with ``extend=False``. Raises :class:`LicenseTableError` naming the file,
    the entry and the problem when a file is malformed."""
    ids, names = _packaged()
    if path is None:
        return LicenseTable(ids, names)
    name = os.fspath(path)
    text = read_user_text(name, "the licence table", LicenseTableError)
    user_ids, user_names = _parse(text, name)
    if not extend:
        return LicenseTable(user_ids, user_names)
    return LicenseTable({**ids, **user_ids}, {**names, **user_names})


@functools.cache
def default_licenses() -> LicenseTable:
    """The packaged licence table, loaded once per process."""
    return load_licenses()
