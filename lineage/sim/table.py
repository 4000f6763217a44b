"""The simulated Hub's model table: listing items stored compactly, in every listing order.

Each model is kept as its orjson-serialized bytes plus compact per-sort-key arrays; a page
whose requested fields cover every stored key is served by joining the stored bytes. The
table also keeps, per parent id, how many children of each relation name it in their
``base_model:`` tags (the Hub's ``childrenModelCount``). Not thread-safe by itself: the server
holds its lock around every call.

The tag parser here is the fake Hub's own (it must not share code with the crawler it tests).

>>> parse_base_model_tag("base_model:quantized:Qwen/Qwen3-8B")
('Qwen/Qwen3-8B', 'quantized')
>>> table = Table()
>>> table.upsert({"_id": "1", "id": "a/b", "createdAt": "2025-01-01T00:00:00.000Z", "tags": []})
>>> table.live, table.by_lower["a/b"]
(1, 0)
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

__all__ = ["RELATIONS", "SORT_KEYS", "Table", "View", "parse_base_model_tag"]

#: Accepted ``sort`` values and the stored key each one sorts by.
SORT_KEYS: dict[str, str] = {
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "downloads": "downloads",
    "likes": "likes",
    "id": "id",
}
NUMERIC_SORTS: tuple[str, ...] = ("createdAt", "lastModified", "downloads", "likes")
_DATE_SORTS = frozenset({"createdAt", "lastModified"})
#: The Hub's relations, in the order of ``childrenModelCount``.
RELATIONS: tuple[str, ...] = ("finetune", "adapter", "quantized", "merge")
REL_INDEX = {rel: i for i, rel in enumerate(RELATIONS)}
_MISSING = -(2**63)  # sort value of a missing or unusable field: first ascending, last descending
_MAX_INT = 2**63 - 1


def parse_base_model_tag(tag: str) -> tuple[str, str | None] | None:
    """``(reference, relation or None)`` of a ``base_model:`` tag; None for any other tag.

    Repo ids never contain ``:``, so ``base_model:<x>:<id>`` names a relation, unless the
    reference is a URL (some old tags carry one verbatim).

    >>> parse_base_model_tag("base_model:https://huggingface.co/gpt2")
    ('https://huggingface.co/gpt2', None)
    >>> parse_base_model_tag("license:mit") is None
    True
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


def _date_ms(value: Any) -> int:
    if not isinstance(value, str):
        return _MISSING
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return _MISSING
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _ONE_MS


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC) - _EPOCH


def _compact(blob: bytes) -> bytes:
    """An exact-size copy: orjson's result keeps a buffer of about 4 KiB whatever its length."""
    return bytes(memoryview(blob))


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(_MISSING + 1, min(_MAX_INT, value))
    if isinstance(value, float) and math.isfinite(value):
        return max(_MISSING + 1, min(_MAX_INT, int(value)))
    return _MISSING


def _sort_value(key: str, item: dict[str, Any]) -> int:
    value = item.get(key)
    return _date_ms(value) if key in _DATE_SORTS else _count(value)


def parent_refs(item: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(parent id, relation or None)`` from the item's ``base_model:`` tags, in tag order."""
    tags = item.get("tags")
    out: list[tuple[str, str | None]] = []
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and tag.startswith("base_model:"):
                parsed = parse_base_model_tag(tag)
                if parsed is not None and parsed[0]:
                    out.append(parsed)
    return out


def child_edges(model_id: str, item: dict[str, Any]) -> set[tuple[str, int]]:
    """``(lowercase parent id, relation index)`` this item contributes to children counts."""
    own = model_id.lower()
    edges: set[tuple[str, int]] = set()
    for parent, rel in parent_refs(item):
        if rel in REL_INDEX and parent.lower() != own:
            edges.add((parent.lower(), REL_INDEX[rel]))
    return edges


class View(NamedTuple):
    """Which stored fields a listing item shows: ``include`` (None: all) minus ``exclude``,
    plus ``modelId`` when ``model_id``."""

    include: frozenset[str] | None
    exclude: frozenset[str]
    model_id: bool


class Page(NamedTuple):
    slots: list[int]
    more: bool  # another (possibly empty) page follows
    last_scanned: int  # slot whose key the next cursor carries (when more)


class Table:
    """Models stored as serialized bytes with per-slot arrays; not thread-safe by itself."""

    def __init__(self) -> None:
        self.blobs: list[bytes | None] = []
        self.ids: list[str] = []
        self.ties: list[str] = []  # `_id`, the tie-breaker
        self.schema: array[int] = array("I")
        self.schemas: list[frozenset[str]] = []
        self._schema_index: dict[frozenset[str], int] = {}
        self.values: dict[str, array[int]] = {key: array("q") for key in NUMERIC_SORTS}
        self.by_lower: dict[str, int] = {}
        self.perms: dict[str, array[int]] = {}
        self.children: dict[str, list[int]] = {}
        self.live = 0
        self.newest_modified = 0  # the largest lastModified (ms) ever stored

    # -- keys ----------------------------------------------------------------------------

    def keyfunc(self, sort: str) -> Callable[[int], tuple[Any, str, str]]:
        ids, ties = self.ids, self.ties
        if sort == "id":
            return lambda slot: (ids[slot], ties[slot], ids[slot])
        values = self.values[sort]
        return lambda slot: (values[slot], ties[slot], ids[slot])

    def perm(self, sort: str) -> array[int]:
        """Live slots sorted ascending by ``(value, _id, id)``; built lazily, then maintained."""
        perm = self.perms.get(sort)
        if perm is None:
            blobs = self.blobs
            live = [slot for slot in range(len(blobs)) if blobs[slot] is not None]
            live.sort(key=self.keyfunc(sort))
            perm = self.perms[sort] = array("q", live)
        return perm

    # -- mutation --------------------------------------------------------------------------

    def upsert(self, item: dict[str, Any]) -> None:
        model_id = item.get("id")
        if not isinstance(model_id, str) or not model_id:
            raise ValueError(f"a model needs a non-empty string 'id': {str(item)[:200]}")
        slot = self.by_lower.get(model_id.lower())
        if slot is None:
            self._append(item)
        else:
            self.replace(slot, item)

    def _append(self, item: dict[str, Any]) -> None:
        blob = _compact(orjson.dumps(item))
        slot = len(self.blobs)
        self.blobs.append(None)
        self.ids.append("")
        self.ties.append("")
        self.schema.append(0)
        for arr in self.values.values():
            arr.append(_MISSING)
        self._fill(slot, item, blob)

    def replace(self, slot: int, item: dict[str, Any]) -> None:
        blob = _compact(orjson.dumps(item))
        self.remove(slot)
        self._fill(slot, item, blob)

    def remove(self, slot: int) -> None:
        blob = self.blobs[slot]
        if blob is None:
            return
        old = orjson.loads(blob)
        for sort, perm in self.perms.items():
            kf = self.keyfunc(sort)
            i = bisect.bisect_left(perm, kf(slot), key=kf)
            if i < len(perm) and perm[i] == slot:
                del perm[i]
            else:  # pragma: no cover - the key is unique, so this cannot happen
                self.perms.clear()
                break
        for parent, rel in child_edges(self.ids[slot], old):
            counts = self.children[parent]
            counts[rel] -= 1
            if not any(counts):
                del self.children[parent]
        del self.by_lower[self.ids[slot].lower()]
        self.blobs[slot] = None
        self.ids[slot] = ""
        self.ties[slot] = ""
        self.live -= 1

    def _fill(self, slot: int, item: dict[str, Any], blob: bytes) -> None:
        model_id: str = item["id"]
        tie = item.get("_id")
        self.blobs[slot] = blob
        self.ids[slot] = model_id
        self.ties[slot] = tie if isinstance(tie, str) else ""
        keys = frozenset(item)
        index = self._schema_index.get(keys)
        if index is None:
            index = self._schema_index[keys] = len(self.schemas)
            self.schemas.append(keys)
        self.schema[slot] = index
        for key, arr in self.values.items():
            arr[slot] = _sort_value(key, item)
        self.newest_modified = max(self.newest_modified, self.values["lastModified"][slot])
        self.by_lower[model_id.lower()] = slot
        for sort, perm in self.perms.items():
            bisect.insort_right(perm, slot, key=self.keyfunc(sort))
        for parent, rel in child_edges(model_id, item):
            self.children.setdefault(parent, [0, 0, 0, 0])[rel] += 1
        self.live += 1

    # -- reading ---------------------------------------------------------------------------

    def item(self, slot: int) -> dict[str, Any]:
        blob = self.blobs[slot]
        assert blob is not None
        result: dict[str, Any] = orjson.loads(blob)
        return result

    def positions(self, sort: str | None, desc: bool, after: tuple[Any, ...] | int | None) -> Iterator[int]:
        """Live slots in listing order, strictly after the cursor key ``after``."""
        if sort is None:
            blobs = self.blobs
            start = after + 1 if isinstance(after, int) else 0
            for slot in range(max(0, start), len(blobs)):
                if blobs[slot] is not None:
                    yield slot
            return
        perm = self.perm(sort)
        kf = self.keyfunc(sort)
        if desc:
            top = len(perm) - 1 if after is None else bisect.bisect_left(perm, after, key=kf) - 1
            for i in range(top, -1, -1):
                yield perm[i]
        else:
            low = 0 if after is None else bisect.bisect_right(perm, after, key=kf)
            for i in range(low, len(perm)):
                yield perm[i]

    def cursor_key(self, sort: str | None, slot: int) -> tuple[Any, ...] | int:
        return slot if sort is None else self.keyfunc(sort)(slot)

    def page(
        self,
        sort: str | None,
        desc: bool,
        after: tuple[Any, ...] | int | None,
        limit: int,
        match: Callable[[int], bool] | None,
        budget: int,
    ) -> Page:
        """Up to ``limit`` matching slots after ``after``, scanning at most ``budget`` slots."""
        slots: list[int] = []
        last = -1
        for scanned, slot in enumerate(self.positions(sort, desc, after)):
            if scanned >= budget:
                return Page(slots, True, last)
            if match is None or match(slot):
                if len(slots) >= limit:  # a further match exists: the next page starts with it
                    return Page(slots, True, last)
                slots.append(slot)
            last = slot
        return Page(slots, False, last)

    def render(self, slots: list[int], view: View) -> bytes:
        """The JSON array of the given models, as ``view`` shows them."""
        include, exclude, add_model_id = view
        plan: dict[int, int] = {}  # schema index -> 0 pass through, 1 add modelId bytes, 2 decode
        parts: list[bytes] = []
        blobs, ids, schema, schemas = self.blobs, self.ids, self.schema, self.schemas
        for slot in slots:
            blob = blobs[slot]
            assert blob is not None
            index = schema[slot]
            mode = plan.get(index)
            if mode is None:
                keys = schemas[index]
                covered = (include is None or keys <= include) and not (keys & exclude)
                if not covered:
                    mode = 2
                elif add_model_id and "modelId" not in keys:
                    mode = 1
                else:
                    mode = 0
                plan[index] = mode
            if mode == 0:
                parts.append(blob)
            elif mode == 1:
                parts.append(blob[:-1] + b',"modelId":' + orjson.dumps(ids[slot]) + b"}")
            else:
                item = orjson.loads(blob)
                out = {
                    k: v for k, v in item.items() if (include is None or k in include) and k not in exclude
                }
                if add_model_id:
                    out.setdefault("modelId", ids[slot])
                parts.append(orjson.dumps(out))
        return b"[" + b",".join(parts) + b"]"
