"""The family registry: which model family a root model belongs to, and where it comes from.

A *root* is a model id with no parent (``Qwen/Qwen2.5-7B``, or a deleted parent such as
``someuser/old-model``). Each root maps to exactly one *family*; a family has one or more
*organizations* (Hub namespaces); each organization has a *region*, one of :data:`REGIONS`.

The mapping is data, not code: ``lineage/data/registry.toml`` (families, rules, regions;
its header documents the format) and ``lineage/data/aliases.csv`` (legacy un-namespaced
ids such as ``gpt2`` that the Hub moved into organizations). Users extend or replace it
with their own TOML file through :func:`load_registry`.

Classifying a root id:

1. a legacy id is resolved through the aliases (``gpt2`` → ``openai-community/gpt2``);
2. the org — the part before ``/``; for an unresolved legacy id the whole id, which then
   also serves as the model name — is matched case-insensitively;
3. the org's pattern rules are tried in registry order; the first whose regex is found in
   the model name (``re.search``, case-insensitive) gives the family;
4. otherwise the org's default family (a rule without a pattern);
5. otherwise the family is the org itself (a *fallback* family): nothing is dropped. For an
   org listed in the region table the registry's spelling is used, so ``NVIDIA/x`` and
   ``nvidia/y`` both fall back to ``nvidia``; any other org is kept as written.

A named family's region is the region of its first org; a fallback family's region is its
org's region, ``unknown`` for an org missing from the table.

>>> reg = default_registry()
>>> reg.classify(["Qwen/Qwen2.5-7B", "google/gemma-2-9b", "gpt2", "someuser/my-model"])
[('Qwen', 'china'), ('Gemma', 'us'), ('GPT-2', 'us'), ('someuser', 'unknown')]
>>> reg.family_of("nvidia/OpenMath-CodeLlama-7b-Python"), reg.region_of_family("nvidia")
('nvidia', 'us')
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType

from lineage.errors import InputError
from lineage.files import read_user_text

__all__ = [
    "REGIONS",
    "Family",
    "Registry",
    "RegistryError",
    "Rule",
    "default_registry",
    "load_registry",
]

#: Every region a family or organization can have.
REGIONS: tuple[str, ...] = ("china", "us", "eu", "other", "unknown")
_REGION_SET = frozenset(REGIONS)
_TOP_KEYS = ("family", "regions", "aliases")
_FAMILY_KEYS = frozenset({"name", "orgs", "rules", "colour"})
_RULE_KEYS = frozenset({"org", "pattern"})
_ORG_RE = re.compile(r"^[^/\s]+$")
#: The classification cache is emptied when it reaches this many ids (bounds memory).
_CACHE_LIMIT = 4_000_000


class RegistryError(InputError):
    """A registry file is malformed; the message names the file, the entry and the problem."""


@dataclass(frozen=True, slots=True)
class Family:
    """A named model family, the orgs that publish it, and its region (its first org's)."""

    name: str
    orgs: tuple[str, ...]
    region: str
    colour: str | None = None  # in charts, #rrggbb (None: one derived from the name)


@dataclass(frozen=True, slots=True)
class Rule:
    """Models of ``org`` whose name matches ``pattern`` belong to ``family``.

    ``pattern`` None makes the rule the org's default, used when no pattern rule matched.
    """

    org: str
    family: str
    pattern: str | None = None


_Pair = tuple[str, str]
_OrgRules = tuple[tuple[tuple[re.Pattern[str], _Pair], ...], _Pair | None]


@dataclass(frozen=True)
class Registry:
    """Families, classification rules, org regions and legacy aliases, ready to classify.

    Build one with :func:`load_registry` or :func:`default_registry`. ``regions`` maps an org
    (as spelled in the registry) to its region; ``aliases`` maps a legacy id to its new id.
    Lookups of orgs and aliases are case-insensitive.
    """

    families: tuple[Family, ...]
    rules: tuple[Rule, ...] = ()
    regions: Mapping[str, str] = field(default_factory=dict, hash=False)
    aliases: Mapping[str, str] = field(default_factory=dict, hash=False)
    _by_org: dict[str, _OrgRules] = field(init=False, repr=False, compare=False, hash=False)
    _region_lc: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _org_canon: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _family_region: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _alias_lc: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _cache: dict[str, _Pair] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "regions", MappingProxyType(dict(self.regions)))
        setattr_(self, "aliases", MappingProxyType(dict(self.aliases)))
        region_lc = {org.lower(): region for org, region in self.regions.items()}
        family_region = {fam.name: fam.region for fam in self.families}
        pairs: dict[str, _Pair] = {}

        def pair(family: str) -> _Pair:
            if family not in pairs:
                region = family_region.get(family)
                if region is None:  # a rule naming a family absent from `families`
                    region = region_lc.get(family.lower(), "unknown")
                pairs[family] = (family, region)
            return pairs[family]

        patterns: dict[str, list[tuple[re.Pattern[str], _Pair]]] = {}
        defaults: dict[str, _Pair] = {}
        for rule in self.rules:
            key = rule.org.lower()
            patterns.setdefault(key, [])
            if rule.pattern is None:
                defaults.setdefault(key, pair(rule.family))
            else:
                patterns[key].append((re.compile(rule.pattern, re.IGNORECASE), pair(rule.family)))
        by_org = {key: (tuple(found), defaults.get(key)) for key, found in patterns.items()}
        setattr_(self, "_by_org", by_org)
        setattr_(self, "_region_lc", region_lc)
        setattr_(self, "_org_canon", {org.lower(): org for org in self.regions})
        setattr_(self, "_family_region", family_region)
        setattr_(self, "_alias_lc", {old.lower(): new for old, new in self.aliases.items()})
        setattr_(self, "_cache", {})

    @functools.cached_property
    def fingerprint(self) -> str:
        """A short digest of everything that decides a classification (caches key on it)."""
        text = repr((self.families, self.rules, sorted(self.regions.items()), sorted(self.aliases.items())))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]

    # -- single lookups -------------------------------------------------------------------

    def org_of(self, root_id: str) -> str:
        """The namespace of an id: the part before ``/``, or the whole id for a legacy id.

        No alias is applied: use ``org_of(resolve_alias(x) or x)`` for the current org.

        >>> reg = default_registry()
        >>> reg.org_of("Qwen/Qwen2.5-7B"), reg.org_of("gpt2")
        ('Qwen', 'gpt2')
        """
        return root_id.strip().partition("/")[0]

    def region_of_org(self, org: str) -> str:
        """The region of an org (case-insensitive); ``unknown`` when the org is not listed.

        >>> reg = default_registry()
        >>> reg.region_of_org("deepseek-ai"), reg.region_of_org("MISTRALAI"), reg.region_of_org("me")
        ('china', 'eu', 'unknown')
        """
        return self._region_lc.get(org.strip().lower(), "unknown")

    def region_of_family(self, family: str) -> str:
        """The region of a named family, or of the org a fallback family is named after.

        Named families are matched exactly (``Qwen``, not ``qwen``); any other name is looked
        up as an org, so a fallback family from :meth:`family_of` gets its org's region.

        >>> reg = default_registry()
        >>> reg.region_of_family("Mistral"), reg.region_of_family("tencent")
        ('eu', 'china')
        """
        region = self._family_region.get(family)
        return region if region is not None else self.region_of_org(family)

    def resolve_alias(self, repo_id: str) -> str | None:
        """The current id of a legacy id the Hub moved (case-insensitive), else None.

        >>> reg = default_registry()
        >>> reg.resolve_alias("GPT2"), reg.resolve_alias("Qwen/Qwen2.5-7B")
        ('openai-community/gpt2', None)
        """
        return self._alias_lc.get(repo_id.strip().lower())

    def family_of(self, root_id: str) -> str:
        """The family of a root id; never raises (an unmatched id falls back to its org).

        >>> reg = default_registry()
        >>> reg.family_of("mistralai/Mixtral-8x7B-v0.1"), reg.family_of("gpt2")
        ('Mistral', 'GPT-2')
        >>> reg.family_of("google/flan-t5-base"), reg.family_of("SomeUser/old-model")
        ('T5', 'SomeUser')
        """
        return self._lookup(root_id)[0]

    # -- bulk -------------------------------------------------------------------------------

    def classify(self, root_ids: Iterable[str]) -> list[tuple[str, str]]:
        """``(family, region)`` for each id, in order; results are cached per id.

        The region is the family's region for a named family, the org's for a fallback one.

        >>> default_registry().classify(["openai/whisper-large-v3", "tiiuae/falcon-7b"])
        [('Whisper', 'us'), ('Falcon', 'other')]
        """
        get = self._cache.get
        lookup = self._lookup_uncached
        out: list[tuple[str, str]] = []
        append = out.append
        for root_id in root_ids:
            hit = get(root_id)
            append(hit if hit is not None else lookup(root_id))
        return out

    def _lookup(self, root_id: str) -> _Pair:
        hit = self._cache.get(root_id)
        return hit if hit is not None else self._lookup_uncached(root_id)

    def _lookup_uncached(self, root_id: str) -> _Pair:
        result = self._compute(root_id)
        cache = self._cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[root_id] = result
        return result

    def _compute(self, root_id: str) -> _Pair:
        repo_id = root_id.strip()
        target = self._alias_lc.get(repo_id.lower())
        if target is not None:
            repo_id = target
        org, slash, name = repo_id.partition("/")
        if not slash:
            name = org
        key = org.lower()
        entry = self._by_org.get(key)
        if entry is not None:
            patterns, default = entry
            for regex, found in patterns:
                if regex.search(name):
                    return found
            if default is not None:
                return default
        return (self._org_canon.get(key, org), self._region_lc.get(key, "unknown"))


# -- loading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """One registry file, validated but not yet merged with others."""

    name: str
    families: tuple[tuple[str, tuple[str, ...], str | None], ...]
    rules: tuple[Rule, ...]
    regions: tuple[tuple[str, str], ...]
    aliases: tuple[tuple[str, str], ...]


def _check_org(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ORG_RE.match(value):
        raise RegistryError(f"{where}: org must be a Hub namespace (no '/' or spaces), got {value!r}")
    return value


def _parse_family(entry: object, where: str) -> tuple[str, tuple[str, ...], list[Rule], str | None]:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a table, got {entry!r}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{where}: missing or empty `name` (a non-empty string)")
    where = f"{where} ({name!r})"
    unknown = sorted(set(entry) - _FAMILY_KEYS)
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {unknown}; expected name, orgs, rules, colour")
    if (colour := entry.get("colour")) is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)):
        raise RegistryError(f'{where}: `colour` must be "#rrggbb", got {colour!r}')
    orgs = entry.get("orgs", [])
    if not isinstance(orgs, list):
        raise RegistryError(f"{where}: `orgs` must be a list of org names, got {orgs!r}")
    rules = [Rule(_check_org(org, f"{where}: orgs"), name) for org in orgs]
    raw_rules = entry.get("rules", [])
    if not isinstance(raw_rules, list):
        raise RegistryError(f"{where}: `rules` must be a list of {{org, pattern}} tables")
    for j, raw in enumerate(raw_rules, 1):
        rwhere = f"{where}: rule #{j}"
        if not isinstance(raw, dict):
            raise RegistryError(f"{rwhere}: expected a table {{org = ..., pattern = ...}}, got {raw!r}")
        unknown = sorted(set(raw) - _RULE_KEYS)
        if unknown:
            raise RegistryError(f"{rwhere}: unknown key(s) {unknown}; expected org, pattern")
        if "org" not in raw:
            raise RegistryError(f"{rwhere}: missing `org`")
        org = _check_org(raw["org"], rwhere)
        pattern = raw.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, str) or not pattern:
                raise RegistryError(
                    f"{rwhere}: `pattern` must be a non-empty regex string (omit it for the "
                    f"org's default family), got {pattern!r}"
                )
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise RegistryError(f"{rwhere}: bad regex {pattern!r}: {exc}") from exc
        rules.append(Rule(org, name, pattern))
    if not rules:
        raise RegistryError(f"{where}: no `orgs` and no `rules`, so it could never match")
    seen: dict[str, str] = {}
    for rule in rules:
        seen.setdefault(rule.org.lower(), rule.org)
    return name, tuple(seen.values()), rules, colour.lower() if colour else None


def _parse_toml(text: str, source: str) -> _Source:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{source}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise RegistryError(
            f"{source}: unknown top-level key(s) {unknown}; expected [[family]], [regions], [aliases]"
        )
    raw_families = data.get("family", [])
    if not isinstance(raw_families, list):
        raise RegistryError(f"{source}: `family` must be an array of tables, written [[family]]")
    families: list[tuple[str, tuple[str, ...], str | None]] = []
    rules: list[Rule] = []
    names: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for i, entry in enumerate(raw_families, 1):
        where = f"{source}: [[family]] #{i}"
        name, orgs, family_rules, colour = _parse_family(entry, where)
        if name.lower() in names:
            raise RegistryError(f"{where} ({name!r}): duplicate family name (see {names[name.lower()]!r})")
        names[name.lower()] = name
        for rule in family_rules:
            if rule.pattern is None:
                other = defaults.setdefault(rule.org.lower(), name)
                if other != name:
                    raise RegistryError(
                        f"{where} ({name!r}): org {rule.org!r} already defaults to family {other!r}; "
                        "an org has one default family (use a pattern to split it)"
                    )
        families.append((name, orgs, colour))
        rules.extend(family_rules)
    regions = _parse_table(data.get("regions", {}), f"{source}: [regions]", is_region=True)
    aliases = _parse_table(data.get("aliases", {}), f"{source}: [aliases]", is_region=False)
    return _Source(source, tuple(families), tuple(rules), regions, aliases)


def _parse_table(table: object, where: str, *, is_region: bool) -> tuple[tuple[str, str], ...]:
    if not isinstance(table, dict):
        raise RegistryError(f'{where}: expected a table of key = "value" lines, got {table!r}')
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for key, value in table.items():
        if key.lower() in seen:
            raise RegistryError(
                f"{where}: {key!r} repeats {seen[key.lower()]!r} (names are case-insensitive)"
            )
        seen[key.lower()] = key
        if is_region:
            _check_org(key, where)
            if not isinstance(value, str) or value not in _REGION_SET:
                raise RegistryError(
                    f"{where}: {key} = {value!r}: unknown region; expected one of {', '.join(REGIONS)}"
                )
        elif not isinstance(value, str) or not value.strip() or not key.strip():
            raise RegistryError(f'{where}: {key!r} = {value!r}: expected "old id" = "new id"')
        out.append((key, value.strip()))
    return tuple(out)


def _parse_aliases_csv(text: str, source: str) -> tuple[tuple[str, str], ...]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header != ["old_id", "new_id"]:
        raise RegistryError(f"{source}: line 1: expected the header old_id,new_id, got {header!r}")
    out: list[tuple[str, str]] = []
    for line, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise RegistryError(f"{source}: line {line}: expected old_id,new_id, got {row!r}")
        out.append((row[0].strip(), row[1].strip()))
    return tuple(out)


@functools.cache
def _packaged_source() -> _Source:
    data = files("lineage") / "data"
    toml = data / "registry.toml"
    source = _parse_toml(toml.read_text(encoding="utf-8"), str(toml))
    csv_file = data / "aliases.csv"
    aliases = _parse_aliases_csv(csv_file.read_text(encoding="utf-8"), str(csv_file))
    return _Source(source.name, source.families, source.rules, source.regions, aliases + source.aliases)


def _read_user_source(path: str | os.PathLike[str]) -> _Source:
    name = os.fspath(path)
    return _parse_toml(read_user_text(name, "the registry file", RegistryError), name)


def _merge(sources: list[_Source]) -> Registry:
    """Merge sources, earlier ones first: their rules are tried first, their regions win."""
    rules = tuple(rule for source in sources for rule in source.rules)
    regions: dict[str, tuple[str, str]] = {}
    aliases: dict[str, tuple[str, str]] = {}
    for source in reversed(sources):  # later sources are overridden by earlier ones
        for org, region in source.regions:
            regions[org.lower()] = (org, region)
        for old, new in source.aliases:
            aliases[old.lower()] = (old, new)
    # Families in order of first appearance; a family defined in several sources keeps the
    # orgs of the later (packaged) source first, so adding an org to a packaged family does
    # not change the family's region (override the org's region for that).
    names = list(dict.fromkeys(name for source in sources for name, _, _ in source.families))
    colour_of: dict[str, str | None] = {}  # the user's colour wins over ours
    orgs_of: dict[str, dict[str, str]] = {}
    for source in reversed(sources):
        for name, orgs, colour in source.families:
            colour_of[name] = colour or colour_of.get(name)
            merged = orgs_of.setdefault(name, {})
            for org in orgs:
                merged.setdefault(org.lower(), org)
    families = []
    for name in names:
        orgs = tuple(orgs_of[name].values())
        first = regions.get(orgs[0].lower())
        families.append(Family(name, orgs, first[1] if first else "unknown", colour_of.get(name)))
    return Registry(
        families=tuple(families),
        rules=rules,
        regions=dict(regions.values()),
        aliases=dict(aliases.values()),
    )


def load_registry(path: str | os.PathLike[str] | None = None, *, extend: bool = True) -> Registry:
    """Load a family registry.

    ``path`` None loads the packaged ``registry.toml`` and ``aliases.csv``. A user file has
    the same TOML format and may also hold an ``[aliases]`` table (``"old-id" = "org/new"``).

    With ``extend`` True the user file is merged in front of the packaged one:

    * the user's rules are tried first: their pattern rules before ours, their default for
      an org instead of ours (pattern rules always come before defaults, so to take over an
      org we split by patterns, use ``pattern = "."``);
    * the user's regions and aliases override ours;
    * a family named in both files (exact name) gets the user's orgs after ours, so its
      region stays that of our first org unless the user overrides that org's region.

    With ``extend`` False the user file is used alone (no packaged regions or aliases).

    Raises :class:`RegistryError` naming the file, the entry and the problem when a file is
    malformed.

    >>> load_registry().family_of("black-forest-labs/FLUX.1-dev")
    'FLUX'
    """
    if path is None:
        return _merge([_packaged_source()])
    user = _read_user_source(path)
    return _merge([user, _packaged_source()] if extend else [user])


@functools.cache
def default_registry() -> Registry:
    """The packaged registry, loaded once per process."""
    return load_registry()
