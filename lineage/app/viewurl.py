"""An Explore view as query parameters, named like the Explore page's own (``model``, ``up``,
``down``, ``rel``, ``tag``, ``since``, ``until``, ``min_dl``, ``rows``, ``expand``), so a page
that works on the view (Export) carries it in its URL and a sent link rebuilds it.

>>> q = to_query("Qwen/Qwen2.5-7B", ViewSpec(down=3, relations=("finetune", "merge")))
>>> q
{'model': 'Qwen/Qwen2.5-7B', 'down': '3', 'rel': ['finetune', 'merge']}
>>> model, spec = from_query(lambda k: [q[k]] if isinstance(q.get(k), str) else q.get(k, []))
>>> model, spec == ViewSpec(down=3, relations=("finetune", "merge"))
('Qwen/Qwen2.5-7B', True)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lineage.analytics.view import ViewSpec
from lineage.records import RELATIONS

__all__ = ["from_query", "to_query"]


def to_query(model: str, spec: ViewSpec) -> dict[str, str | list[str]]:
    """The parameters of a view that differ from the default view."""
    default = ViewSpec()
    out: dict[str, str | list[str]] = {"model": model}
    for key, value, base in (
        ("up", spec.up, default.up),
        ("down", spec.down, default.down),
        ("min_dl", spec.min_downloads, default.min_downloads),
        ("rows", spec.rows, default.rows),
    ):
        if value != base:
            out[key] = str(value)
    if spec.follow_none or spec.relations:
        out["rel"] = list(spec.relations) or [""]  # present but empty: no relation followed
    if spec.pipeline_tags:
        out["tag"] = list(spec.pipeline_tags)
    for key, day in (("since", spec.since), ("until", spec.until)):
        if day:
            out[key] = day
    if spec.expand:
        out["expand"] = [f"{m}|{r}" for m, r in spec.expand]
    return out


def _int(values: list[str], default: int, lo: int, hi: int) -> int:
    try:
        return min(hi, max(lo, int(values[0]))) if values else default
    except ValueError:
        return default


def _day(values: list[str]) -> str | None:
    try:
        return date.fromisoformat(values[0]).isoformat() if values else None
    except ValueError:
        return None


def from_query(get_all: Callable[[str], list[str]]) -> tuple[str | None, ViewSpec]:
    """The model and view in query parameters (``get_all(key)``: every value of a key); values
    that do not parse are left at their default."""
    default = ViewSpec()
    models = get_all("model")
    model = models[0] if models else None
    rel = [r for v in get_all("rel") for r in v.split(",") if r in RELATIONS]
    relations = tuple(r for r in RELATIONS if r in rel)
    expand = []
    for value in get_all("expand"):
        m, _, r = value.partition("|")
        if r in ("", *RELATIONS):
            expand.append((m, r))
    spec = ViewSpec(
        up=_int(get_all("up"), default.up, 0, 8),
        down=_int(get_all("down"), default.down, 0, 8),
        relations=() if set(relations) == set(RELATIONS) else relations,
        follow_none="rel" in _keys(get_all) and not relations,
        pipeline_tags=tuple(t for v in get_all("tag") for t in v.split(",") if t),
        since=_day(get_all("since")),
        until=_day(get_all("until")),
        min_downloads=_int(get_all("min_dl"), 0, 0, 10**12),
        rows=_int(get_all("rows"), default.rows, 1, 6),
        expand=tuple(dict.fromkeys(expand)),
    )
    return model, spec


def _keys(get_all: Callable[[str], list[str]]) -> set[str]:
    """``{"rel"}`` when the parameter is present (even empty: no relation chosen)."""
    return {"rel"} if get_all("rel") else set()
