"""Normalized model records: the one place where dirty Hub metadata is cleaned.

Everything after the crawl sees :class:`ModelRecord` and :class:`ParentLink`, never raw
listing dicts. :func:`normalize_item` turns one Hub listing item into a record plus the
list of repairs and skips it made; it never raises on bad input.

Per-record rules (cross-record rules — case-insensitive and alias resolution, cycles —
live in :mod:`lineage.store.resolve`, because they need the whole store):

* parents come from the tags ``base_model:<id>`` and ``base_model:<relation>:<id>`` and
  from ``cardData.base_model`` (a string or a list); the union is kept;
* ``https://huggingface.co/<id>`` (and ``hf.co``) URLs are reduced to the id;
* local paths (``/``, ``./``, ``~``, ``C:\\``) and values that are not repo ids are skipped;
* duplicates (case-insensitive) are kept once; self-references are dropped;
* relation synonyms (``finetuned``, ``quantization``, ``lora``, ...) are mapped to the four
  Hub relations; anything else becomes ``unknown``;
* a model tagged ``exl2`` whose relation says ``finetune`` is relabelled ``quantized``;
* ``createdAt`` of ``2022-03-02T23:29:04`` marks a legacy repo whose real date is unknown;
* the licence (:func:`normalize_license`) comes from the first ``license:<id>`` tag, else
  ``cardData.license``; ``cardData.license_name`` is kept only for the id ``other``.

>>> rec, repairs = normalize_item({"id": "a/b", "tags": ["base_model:finetune:Qwen/Qwen2.5-7B"],
...     "cardData": {"base_model": ["https://huggingface.co/Qwen/Qwen2.5-7B", "./out"]}})
>>> [(p.parent, p.relation) for p in rec.parents]
[('Qwen/Qwen2.5-7B', 'finetune')]
>>> sorted(r.kind for r in repairs)
['local_path', 'url']
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = [
    "LEGACY_CREATED_AT",
    "MAX_ID_LENGTH",
    "RELATIONS",
    "ModelRecord",
    "ParentLink",
    "Repair",
    "clean_parent_ref",
    "is_legacy_date",
    "is_valid_repo_id",
    "license_key",
    "normalize_item",
    "normalize_license",
    "parse_base_model_tag",
]

#: Relations the Hub uses in ``base_model:<relation>:<id>`` tags, plus our ``unknown``.
RELATIONS: tuple[str, ...] = ("finetune", "adapter", "quantized", "merge", "unknown")
_HUB_RELATIONS = frozenset(RELATIONS[:4])
_RELATION_SYNONYMS = {
    "finetuned": "finetune",
    "fine-tune": "finetune",
    "fine_tune": "finetune",
    "finetuning": "finetune",
    "quantization": "quantized",
    "quantize": "quantized",
    "quant": "quantized",
    "quantised": "quantized",
    "adapters": "adapter",
    "lora": "adapter",
    "peft": "adapter",
    "merged": "merge",
    "merges": "merge",
}
#: Every repo created before the Hub recorded creation dates carries this date.
LEGACY_CREATED_AT = "2022-03-02T23:29:04"

#: No valid repo id is longer (:func:`is_valid_repo_id`).
MAX_ID_LENGTH = 200

_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_REPO_ID_RE = re.compile(rf"^(?:{_REPO_PART}/)?{_REPO_PART}$")
_URL_RE = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?:models/)?(.*)$", re.I)
_URL_TAIL_RE = re.compile(r"/(?:tree|blob|resolve|commit|discussions)/.*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?$")
_QUANT_FORMAT_TAGS = frozenset({"exl2"})


class ParentLink(NamedTuple):
    """One declared parent of a model, after per-record cleaning.

    ``parent`` is a syntactically valid repo id as declared (maybe different in case from the
    real id, maybe deleted); ``source`` says where it was found: ``tag``, ``card`` or ``both``.
    """

    parent: str
    relation: str
    source: str = "tag"


class Repair(NamedTuple):
    """A repair or skip made while cleaning, kept for ``lineage quality``."""

    model_id: str
    kind: str
    detail: str = ""


class ModelRecord(NamedTuple):
    """A model as the rest of lineage sees it: typed, cleaned, immutable."""

    id: str
    author: str | None = None
    created_at: str | None = None
    last_modified: str | None = None
    downloads: int = 0
    downloads_all_time: int | None = None
    likes: int = 0
    pipeline_tag: str | None = None
    library_name: str | None = None
    license: str | None = None
    gated: str = "false"
    legacy_date: bool = False
    parents: tuple[ParentLink, ...] = ()
    license_name: str | None = None  # the name of an ``other`` licence (``cardData.license_name``)

    @property
    def namespace(self) -> str:
        """The part of the id before ``/`` (the whole id for legacy un-namespaced repos)."""
        return self.id.split("/", 1)[0]


def is_valid_repo_id(value: str) -> bool:
    """True for a syntactically valid Hub repo id (``org/name`` or legacy ``name``).

    >>> is_valid_repo_id("Qwen/Qwen2.5-7B"), is_valid_repo_id("gpt2"), is_valid_repo_id("../x")
    (True, True, False)
    """
    if not value or len(value) > MAX_ID_LENGTH or "--" in value or ".." in value:
        return False
    return _REPO_ID_RE.match(value) is not None


def is_legacy_date(created_at: str | None) -> bool:
    """True for the placeholder creation date every pre-2022-03-02 repo carries."""
    return bool(created_at) and str(created_at).startswith(LEGACY_CREATED_AT)


def clean_parent_ref(raw: object) -> tuple[str | None, str | None]:
    """Clean one declared parent reference.

    Returns ``(repo_id, repair_kind)``: ``repo_id`` is None when the value was skipped, and
    ``repair_kind`` names what was repaired or why it was skipped (None when it was clean).

    >>> clean_parent_ref(" https://huggingface.co/Qwen/Qwen2.5-7B/tree/main ")
    ('Qwen/Qwen2.5-7B', 'url')
    >>> clean_parent_ref("/home/me/checkpoints/run1")
    (None, 'local_path')
    >>> clean_parent_ref(42)
    (None, 'not_a_string')
    """
    if isinstance(raw, str):
        return _clean_str_ref(raw)
    return None, "not_a_string"


@lru_cache(maxsize=200_000)
def _clean_str_ref(raw: str) -> tuple[str | None, str | None]:
    value = raw.strip()
    if not value:
        return None, "empty"
    repair: str | None = None
    if value != raw:
        repair = "whitespace"
    match = _URL_RE.match(value)
    if match and ("huggingface.co" in value.lower() or "hf.co" in value.lower()):
        value = _URL_TAIL_RE.sub("", match.group(1)).strip("/")
        repair = "url"
    elif value.startswith(("/", "./", "../", "~")) or "\\" in value or re.match(r"^[A-Za-z]:/", value):
        return None, "local_path"
    if value.endswith("/"):
        value = value.rstrip("/")
        repair = repair or "trailing_slash"
    if value.endswith(".git"):
        value = value[:-4]
        repair = repair or "trailing_slash"
    if not is_valid_repo_id(value):
        return None, "invalid_id"
    return value, repair


def parse_base_model_tag(tag: str) -> tuple[str, str | None] | None:
    """Split a ``base_model:`` tag into ``(reference, relation or None)``.

    Repo ids never contain ``:``, so ``base_model:<x>:<id>`` always names a relation — unless
    the reference is a URL, which some old tags carry verbatim.

    >>> parse_base_model_tag("base_model:quantized:Qwen/Qwen3-8B")
    ('Qwen/Qwen3-8B', 'quantized')
    >>> parse_base_model_tag("base_model:Qwen/Qwen3-8B")
    ('Qwen/Qwen3-8B', None)
    >>> parse_base_model_tag("base_model:https://huggingface.co/gpt2")
    ('https://huggingface.co/gpt2', None)
    """
    if not tag.startswith("base_model:"):
        return None
    rest = tag[len("base_model:") :]
    if rest.lower().startswith(("http:", "https:")):
        return rest, None
    if ":" in rest:
        relation, _, ref = rest.partition(":")
        return ref, relation
    return rest, None


def _normalize_relation(value: str | None) -> tuple[str, str | None]:
    """Map a declared relation to one of :data:`RELATIONS`; second item is the repair kind."""
    if value is None:
        return "unknown", None
    low = value.strip().lower()
    if low in _HUB_RELATIONS:
        return low, None
    if low in _RELATION_SYNONYMS:
        return _RELATION_SYNONYMS[low], "relation_synonym"
    return "unknown", "unknown_relation"


_INT_MAX = 2**63 - 1  # SQLite's INTEGER range


def _as_int(value: Any, default: int | None) -> int | None:
    """An int in SQLite's range from an int, float or numeric string; else ``default``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return default
        value = max(-_INT_MAX, min(_INT_MAX, value))
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return default
    elif not isinstance(value, int):
        return default
    return max(-_INT_MAX, min(_INT_MAX, int(value)))


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return None


def _clean_date(model_id: str, value: Any, name: str, repairs: list[Repair]) -> str | None:
    if value is None:
        return None
    if (
        type(value) is str
        and len(value) == 24
        and value[10] == "T"
        and value[23] == "Z"
        and _DATE_RE.match(value)
    ):
        return value  # the Hub's usual form: 2025-10-01T12:34:56.000Z
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        return value.strip()
    repairs.append(Repair(model_id, "bad_date", f"{name}={value!r}"[:200]))
    return None


#: Spellings of common licence ids that are not the Hub's (after lower-casing and joining words
#: with ``-``), mapped to the Hub's id.
_LICENSE_SYNONYMS = dict(
    pair.split("=")
    for pair in (  # noqa: SIM905 (one string is shorter to read than 20 lines of pairs)
        "apache2=apache-2.0 apache-2=apache-2.0 apache2.0=apache-2.0 apache-license-2.0=apache-2.0 "
        "apache-2.0-license=apache-2.0 mit-license=mit the-mit-license=mit gpl3=gpl-3.0 "
        "gplv3=gpl-3.0 gpl-3=gpl-3.0 gplv2=gpl-2.0 agplv3=agpl-3.0 cc-by-nc-4=cc-by-nc-4.0 "
        "cc-by-4=cc-by-4.0 llama-2=llama2 llama-3=llama3 llama-3.1=llama3.1 llama-3.2=llama3.2 "
        "llama-3.3=llama3.3 llama-4=llama4"
    ).split()
)
_SPACES = re.compile(r"[\s_]+")


def normalize_license(value: object) -> str | None:
    """A declared licence id in the Hub's spelling: lower case, words joined by ``-``, common
    variants mapped to the Hub's id (``Apache 2.0`` -> ``apache-2.0``); None when nothing (or
    ``none``) is declared. The Hub's own ids (``apache-2.0``, ``llama3.1``, ``gemma``,
    ``other``, ``unknown``, ...) are kept as they are.

    >>> normalize_license(" Apache 2.0 "), normalize_license("llama3.1"), normalize_license("")
    ('apache-2.0', 'llama3.1', None)
    """
    if not isinstance(value, str):
        return None
    text = _SPACES.sub("-", value.strip().lower())[:200]
    if text in ("", "none", "n/a"):
        return None
    return _LICENSE_SYNONYMS.get(text, text)


def license_key(license: str | None, license_name: str | None = None) -> str | None:
    """One string for a declared licence: the id, or ``other:<name>`` for a named ``other``.

    >>> license_key("mit"), license_key("other", "my-terms"), license_key("other"), license_key(None)
    ('mit', 'other:my-terms', 'other', None)
    """
    if license == "other" and license_name:
        return f"other:{license_name}"
    return license


def _first_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return None


def _license(tags: list[str], card: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(licence id, name)``: the first ``license:`` tag, else ``cardData.license``; the name
    (``cardData.license_name``) only for ``other``."""
    lic = None
    for tag in tags:
        if tag.startswith("license:"):
            lic = normalize_license(tag[len("license:") :])
            break
    else:
        lic = normalize_license(_first_str(card.get("license")))
    if lic != "other":
        return lic, None
    name = _first_str(card.get("license_name"))
    return lic, (_SPACES.sub("-", name.strip().lower())[:200] or None) if name else None


def normalize_item(item: dict[str, Any]) -> tuple[ModelRecord | None, list[Repair]]:
    """Turn one Hub listing item into a :class:`ModelRecord` and the repairs made.

    Returns ``(None, [Repair(...)])`` when the item has no usable ``id`` — the only case in
    which an item is skipped. Never raises.
    """
    repairs: list[Repair] = []
    if not isinstance(item, dict):
        return None, [Repair("", "item_not_an_object", repr(item)[:200])]
    raw_id = item.get("id", item.get("modelId"))
    if not isinstance(raw_id, str) or not raw_id.strip():
        return None, [Repair("", "missing_id", repr(item)[:200])]
    model_id = raw_id.strip()
    if not is_valid_repo_id(model_id):
        # The Hub's own primary key: kept as given, but flagged.
        repairs.append(Repair(model_id, "unusual_model_id", model_id[:200]))

    raw_tags = item.get("tags")
    if type(raw_tags) is list and all(type(t) is str for t in raw_tags):
        tags: list[str] = raw_tags
    else:
        tags = [t for t in raw_tags if isinstance(t, str)] if isinstance(raw_tags, list) else []
    card = item.get("cardData")
    if not isinstance(card, dict):
        card = {}

    parents = _parents(model_id, tags, card, repairs) if (card or tags) else ()

    get = item.get
    created_at = _clean_date(model_id, get("createdAt"), "createdAt", repairs)
    legacy = created_at is not None and created_at.startswith(LEGACY_CREATED_AT)
    if legacy:
        repairs.append(Repair(model_id, "legacy_date", "createdAt is the pre-2022-03-02 placeholder"))
    gated = get("gated", False)
    gated_s = gated.lower() if isinstance(gated, str) else ("true" if gated is True else "false")
    author = get("author")
    if type(author) is not str or not author:
        author = _as_str(author) or (model_id.split("/", 1)[0] if "/" in model_id else None)
    downloads = get("downloads")
    if type(downloads) is not int or not 0 <= downloads <= _INT_MAX:
        downloads = max(0, _as_int(downloads, 0) or 0)
    likes = get("likes")
    if type(likes) is not int or not 0 <= likes <= _INT_MAX:
        likes = max(0, _as_int(likes, 0) or 0)
    all_time = get("downloadsAllTime")
    if type(all_time) is not int or not -_INT_MAX <= all_time <= _INT_MAX:
        all_time = _as_int(all_time, None)
    pipeline_tag = get("pipeline_tag")
    if type(pipeline_tag) is not str or not pipeline_tag:
        pipeline_tag = _as_str(pipeline_tag)
    library = get("library_name")
    if type(library) is not str or not library:
        library = _as_str(library)
    lic, lic_name = _license(tags, card)
    record = ModelRecord(
        model_id,
        author,
        created_at,
        _clean_date(model_id, get("lastModified"), "lastModified", repairs),
        downloads,
        all_time,
        likes,
        pipeline_tag,
        library,
        lic,
        gated_s,
        legacy,
        parents,
        lic_name,
    )
    return record, repairs


def _parents(
    model_id: str, tags: list[str], card: dict[str, Any], repairs: list[Repair]
) -> tuple[ParentLink, ...]:
    """Union of tag and card parents, cleaned, de-duplicated case-insensitively, in order."""
    own = model_id.lower()
    # key (lower id) -> [declared id, relation or None, in_tags, in_card]
    found: dict[str, list[Any]] = {}
    seen_raw: set[str] = set()

    def add(raw: object, relation: str | None, from_tag: bool) -> None:
        ref, repair = clean_parent_ref(raw)
        if ref is None:
            if repair == "not_a_string" and raw is None:
                return  # an explicit null means "no base model"; nothing to report
            # One declared value may appear both in tags and card: report it once.
            key_raw = f"{repair}:{raw!r}"
            if key_raw not in seen_raw:
                seen_raw.add(key_raw)
                repairs.append(Repair(model_id, repair or "invalid_id", repr(raw)[:200]))
            return
        if repair and f"{repair}:{raw!r}" not in seen_raw:
            seen_raw.add(f"{repair}:{raw!r}")
            repairs.append(Repair(model_id, repair, repr(raw)[:200]))
        key = ref.lower()
        if key == own:
            if f"self:{key}" not in seen_raw:
                seen_raw.add(f"self:{key}")
                repairs.append(Repair(model_id, "self_reference", ref))
            return
        entry = found.get(key)
        if entry is None:
            found[key] = [ref, relation, from_tag, not from_tag]
            return
        if from_tag:
            if entry[2] and relation is None:
                return  # the plain base_model:<id> tag that accompanies the relation tag
            if entry[2] and relation is not None and entry[1] is not None and relation != entry[1]:
                repairs.append(Repair(model_id, "conflicting_relation", f"{ref}: {entry[1]} vs {relation}"))
                return
            entry[2] = True
            if relation is not None and entry[1] is None:
                entry[1] = relation
        elif entry[3]:
            repairs.append(Repair(model_id, "duplicate_parent", ref))
        else:
            entry[3] = True

    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        parsed = parse_base_model_tag(tag)
        if parsed is None:
            continue
        ref, rel = parsed
        if rel is not None:
            rel_norm, rel_repair = _normalize_relation(rel)
            if rel_repair:
                repairs.append(Repair(model_id, rel_repair, tag[:200]))
            add(ref, rel_norm, True)
        else:
            add(ref, None, True)

    base = card.get("base_model")
    card_relation = card.get("base_model_relation")
    if isinstance(base, list):
        for value in base:
            add(value, None, False)
    elif base is not None:
        add(base, None, False)

    card_rel: str | None = None
    if isinstance(card_relation, str):
        card_rel, rel_repair = _normalize_relation(card_relation)
        if rel_repair:
            repairs.append(Repair(model_id, rel_repair, f"base_model_relation={card_relation!r}"[:200]))

    quant_format = any(t in _QUANT_FORMAT_TAGS for t in tags)
    links: list[ParentLink] = []
    for ref, relation, in_tags, in_card in found.values():
        if relation is None:
            relation = card_rel if card_rel is not None else "unknown"
        if in_card and not in_tags:
            repairs.append(Repair(model_id, "card_only_parent", ref))
        elif in_tags and not in_card and base is not None:
            repairs.append(Repair(model_id, "tag_only_parent", ref))
        if quant_format and relation == "finetune":
            relation = "quantized"
            repairs.append(Repair(model_id, "relation_quantized_format", f"{ref}: exl2 tagged as finetune"))
        source = "both" if in_tags and in_card else ("tag" if in_tags else "card")
        links.append(ParentLink(ref, relation, source))
    return tuple(links)
