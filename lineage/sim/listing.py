"""The simulated Hub's request parameters: listing queries, cursors, filters, model detail.

Pure functions over a :class:`~lineage.sim.table.Table` (the server holds its lock around
each call). A bad parameter raises :class:`HttpError`, which the server turns into a JSON
``{"error": ...}`` response with that status.

>>> t = Table()
>>> t.upsert({"_id": "1", "id": "a/b", "tags": ["base_model:adapter:org/x"]})
>>> q = parse_listing([("limit", "5000"), ("sort", "likes"), ("expand[]", "tags")], t, 1000)
>>> q.limit, q.sort, q.desc, sorted(q.view.include or ())
(1000, 'likes', True, ['_id', 'id', 'tags'])
>>> decode_cursor(encode_cursor({"p": 3}), None, True)
3
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from lineage.sim.table import REL_INDEX, RELATIONS, SORT_KEYS, Table, View, parent_refs

__all__ = [
    "DEFAULT_LIST_FIELDS",
    "LISTING_ONLY_REJECTED_EXPAND",
    "HttpError",
    "ListingQuery",
    "decode_cursor",
    "detail",
    "encode_cursor",
    "error_body",
    "parse_listing",
]

#: Fields of a listing item when neither ``expand`` nor ``full`` is given (plus ``modelId``).
DEFAULT_LIST_FIELDS: frozenset[str] = frozenset(
    {"_id", "id", "likes", "private", "downloads", "tags", "pipeline_tag", "library_name", "createdAt"}
)
#: ``expand`` values the real Hub accepts only on ``/api/models/{repo_id}``, not on listings.
LISTING_ONLY_REJECTED_EXPAND: frozenset[str] = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
ID_KEYS = frozenset({"_id", "id"})


class HttpError(Exception):
    """A request the simulated Hub refuses: ``status``, ``message`` and extra headers."""

    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


class ListingQuery(NamedTuple):
    """A checked ``/api/models`` request: page size, order, cursor key, fields, filter."""

    limit: int
    sort: str | None
    desc: bool
    after: tuple[Any, ...] | int | None
    cursor: str | None
    view: View
    match: Callable[[int], bool] | None


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1", "yes", "")


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode("ascii")


def error_body(message: str) -> bytes:
    return orjson.dumps({"error": message})


def parse_listing(params: list[tuple[str, str]], table: Table, max_limit: int) -> ListingQuery:
    """The listing request's parameters, checked (400 :class:`HttpError` on a bad one)."""
    single: dict[str, str] = {}
    expand: list[str] = []
    filters: list[str] = []
    for key, value in params:
        if key in ("expand", "expand[]"):
            expand.append(value)
        elif key in ("filter", "filter[]"):
            filters.append(value)
        else:
            single.setdefault(key, value)

    limit = max_limit
    if "limit" in single:
        try:
            limit = int(single["limit"])
        except ValueError:
            raise HttpError(400, f"limit must be an integer, not {single['limit']!r}") from None
        if limit < 1:
            raise HttpError(400, "limit must be >= 1")
        limit = min(limit, max_limit)

    sort: str | None = None
    if single.get("sort"):
        sort = SORT_KEYS.get(single["sort"])
        if sort is None:
            raise HttpError(400, f"sort must be one of {', '.join(SORT_KEYS)}, not {single['sort']!r}")
    direction = single.get("direction", "-1")
    if direction not in ("-1", "1"):
        raise HttpError(400, f"direction must be -1 or 1, not {direction!r}")
    desc = direction == "-1"

    cursor = single.get("cursor")
    after = decode_cursor(cursor, sort, desc) if cursor else None

    if expand:
        rejected = sorted(set(expand) & LISTING_ONLY_REJECTED_EXPAND)
        if rejected:
            raise HttpError(
                400, f"expand value(s) {', '.join(rejected)} are only accepted on /api/models/{{repo_id}}"
            )
        view = View(frozenset(expand) | ID_KEYS, frozenset(), False)
    elif truthy(single.get("full")):
        card = "cardData" in single and truthy(single["cardData"])
        view = View(None, frozenset() if card else frozenset({"cardData"}), True)
    else:
        card = "cardData" in single and truthy(single["cardData"])
        view = View(DEFAULT_LIST_FIELDS | ({"cardData"} if card else set()), frozenset(), True)

    match = _matcher(
        table,
        single.get("search"),
        single.get("author"),
        filters,
        single.get("pipeline_tag"),
        single.get("library"),
    )
    return ListingQuery(limit, sort, desc, after, cursor, view, match)


def decode_cursor(cursor: str, sort: str | None, desc: bool) -> tuple[Any, ...] | int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        raise HttpError(400, "Invalid cursor") from None
    if not isinstance(data, dict):
        raise HttpError(400, "Invalid cursor")
    if sort is None:
        slot = data.get("p")
        if set(data) != {"p"} or not isinstance(slot, int) or isinstance(slot, bool) or slot < -1:
            raise HttpError(400, "Invalid cursor (or it belongs to a listing with another sort)")
        return slot
    key = data.get("k")
    if data.get("s") != sort or data.get("d") != (-1 if desc else 1):
        raise HttpError(400, "Invalid cursor: it belongs to a listing with another sort or direction")
    value_type = str if sort == "id" else int
    if (
        not isinstance(key, list)
        or len(key) != 3
        or not isinstance(key[0], value_type)
        or isinstance(key[0], bool)
        or not isinstance(key[1], str)
        or not isinstance(key[2], str)
    ):
        raise HttpError(400, "Invalid cursor")
    return tuple(key)


def _matcher(
    table: Table,
    search: str | None,
    author: str | None,
    filters: list[str],
    pipeline_tag: str | None,
    library: str | None,
) -> Callable[[int], bool] | None:
    ids, blobs = table.ids, table.blobs
    checks: list[Callable[[int], bool]] = []
    if search:
        needle = search.lower()
        checks.append(lambda slot: needle in ids[slot].lower())
    if author:
        prefix = author.lower() + "/"
        checks.append(lambda slot: ids[slot][: len(prefix)].lower() == prefix)
    # Fields inside the item: a cheap bytes test first, then an exact check on the decoded item.
    needles = [orjson.dumps(v) for v in [*filters, pipeline_tag, library] if v]
    exact: list[Callable[[dict[str, Any]], bool]] = []
    if filters:
        wanted = list(filters)

        def tags_ok(item: dict[str, Any]) -> bool:
            tags = item.get("tags")
            return isinstance(tags, list) and all(tag in tags for tag in wanted)

        exact.append(tags_ok)
    if pipeline_tag:
        exact.append(lambda item: item.get("pipeline_tag") == pipeline_tag)
    if library:
        exact.append(lambda item: item.get("library_name") == library)
    if exact:

        def item_ok(slot: int) -> bool:
            blob = blobs[slot]
            if blob is None or not all(n in blob for n in needles):
                return False
            item = orjson.loads(blob)
            return all(check(item) for check in exact)

        checks.append(item_ok)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda slot: all(check(slot) for check in checks)


def detail(table: Table, repo_id: str, params: list[tuple[str, str]]) -> bytes:
    """The body of ``/api/models/{repo_id}`` (404 :class:`HttpError` for an unknown model)."""
    repo_id = repo_id.strip("/")
    if "/revision/" in repo_id:
        repo_id = repo_id.split("/revision/", 1)[0]
    expand = [v for k, v in params if k in ("expand", "expand[]")]
    not_found = HttpError(404, "Repository not found", [("X-Error-Code", "RepoNotFound")])
    slot = table.by_lower.get(repo_id.lower())
    if slot is None:
        raise not_found
    if not expand:
        blob = table.blobs[slot]
        assert blob is not None
        return blob
    item = table.item(slot)
    out: dict[str, Any] = {k: item[k] for k in ("_id", "id") if k in item}
    for field in expand:
        if field == "baseModels":
            base = _base_models(table, item)
            if base is not None:
                out["baseModels"] = base
        elif field == "childrenModelCount":
            counts = table.children.get(table.ids[slot].lower(), [0, 0, 0, 0])
            out["childrenModelCount"] = dict(zip(RELATIONS, counts, strict=True))
        elif field in item:
            out[field] = item[field]
    return orjson.dumps(out)


def _base_models(table: Table, item: dict[str, Any]) -> dict[str, Any] | None:
    """``{"relation": ..., "models": [{"_id", "id"}, ...]}`` of the existing parents named
    in the item's ``base_model:`` tags; None when there is none."""
    own = str(item.get("id", "")).lower()
    models: list[dict[str, Any]] = []
    seen: set[int] = set()
    relation: str | None = None
    for parent, rel in parent_refs(item):
        slot = table.by_lower.get(parent.lower())
        if slot is None or parent.lower() == own:
            continue
        if relation is None and rel in REL_INDEX:
            relation = rel
        if slot not in seen:
            seen.add(slot)
            parent_item = table.item(slot)
            models.append({k: parent_item[k] for k in ("_id", "id") if k in parent_item})
    if not models:
        return None
    # Without a relation tag the Hub treats a declared base model as a fine-tune.
    return {"relation": relation or "finetune", "models": models}
