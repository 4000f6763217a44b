"""What changed between two crawls: ``lineage diff`` (and the app's "What changed" page).

:func:`crawl_diff` compares the store after crawl ``A`` with the store after crawl ``B``
(default: the last two complete crawls), from the events each crawl recorded
(:mod:`lineage.store.history`; states rebuilt by :mod:`lineage.analytics.history`):

* models **added** (first listed after ``A``), **deleted** (tombstoned by a ``--full`` crawl:
  an incremental crawl cannot see deletions) and **restored** (listed again after a tombstone);
* declared **links added and removed** — ``(child, parent, relation)``, ``parent`` the model the
  declared id names (or the placeholder of a parent not on the Hub) — with why: ``new-model``,
  ``deleted-model``, ``restored-model`` or ``changed`` (a listed model changed its card); and
  the **parents changed** of models listed at both crawls;
* the **bases with the most new derivatives** (links added, by parent), the **group counts and
  shares** before and after (live models with a parent, each split over its root groups as
  ``lineage share`` does), the models whose **licence changed**, and the **parents that
  vanished** from the Hub (deleted since ``A``) with how many live derivatives still name them.

Net changes only: a model added and deleted between the two crawls, or a link removed and put
back, is not a change. ``CrawlDiff.as_dict()`` is the stable JSON of ``lineage diff --format
json`` (the README documents it)::

    {"from": {crawl}, "to": {crawl}, "by": "family",
     "counts": {"models_added", "models_deleted", "models_restored", "links_added",
                "links_removed", "parents_changed", "licenses_changed", "vanished_parents": int},
     "models": {"added": [id], "deleted": [id], "restored": [id]},
     "links": {"added": [{"child", "parent", "relation", "why"}], "removed": [...]},
     "parents_changed": [{"model", "before": [[parent, relation]], "after": [...]}],
     "licenses_changed": [{"model", "before": {"license", "license_name", "class"}, "after": {...}}],
     "vanished_parents": [{"model", "derivatives"}],
     "top_bases": [{"base", "group", "new_derivatives"}],
     "groups": [{"group", "before", "after", "change", "share_before", "share_after", "share_change"}],
     "notes": [str], "method": str}

with ``{crawl}`` = ``{"id", "mode", "status", "started_at", "finished_at", "models"}``. Lists are
complete and sorted (``--top`` limits only ``top_bases`` and ``groups``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lineage.analytics.groups import node_groups, node_labels
from lineage.analytics.history import ABSENT, ALIVE, TOMBSTONED, Timeline, lineage_at, load_timeline
from lineage.errors import InputError
from lineage.families import Registry, default_registry
from lineage.graph import Lineage
from lineage.licenses import LicenseTable, default_licenses
from lineage.store import CrawlState, Store

__all__ = ["METHOD", "CrawlDiff", "crawl_diff", "pick_crawls"]

METHOD = (
    "Method: every crawl records, with each page it writes, what the page changed: declared links "
    "added and removed, models added, restored and relicensed; a complete --full crawl records the "
    "models it tombstones. The store after a crawl is rebuilt from the current store and the changes "
    "since. A change is net: the state after the first crawl against the state after the second. "
    "Links are declared base_model links of listed models (a deleted model's links count as "
    "removed); parents are the models the declared ids name. Group counts: live models with at "
    "least one parent, each split equally over the groups of its root ancestors; shares are of "
    "their total. Licences are as declared (not legal advice)."
)
_WHY = {
    (ABSENT, ALIVE): "new-model",
    (TOMBSTONED, ALIVE): "restored-model",
    (ALIVE, TOMBSTONED): "deleted-model",
}


@dataclass
class CrawlDiff:
    """What changed between two crawls (see the module docstring); :meth:`as_dict` is its JSON."""

    crawl_from: dict[str, Any]
    crawl_to: dict[str, Any]
    by: str
    models: dict[str, list[str]]
    links: dict[str, list[dict[str, Any]]]
    parents_changed: list[dict[str, Any]]
    licenses_changed: list[dict[str, Any]]
    vanished_parents: list[dict[str, Any]]
    top_bases: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    method: str = METHOD

    @property
    def counts(self) -> dict[str, int]:
        return {
            "models_added": len(self.models["added"]),
            "models_deleted": len(self.models["deleted"]),
            "models_restored": len(self.models["restored"]),
            "links_added": len(self.links["added"]),
            "links_removed": len(self.links["removed"]),
            "parents_changed": len(self.parents_changed),
            "licenses_changed": len(self.licenses_changed),
            "vanished_parents": len(self.vanished_parents),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.crawl_from,
            "to": self.crawl_to,
            "by": self.by,
            "counts": self.counts,
            "models": self.models,
            "links": self.links,
            "parents_changed": self.parents_changed,
            "licenses_changed": self.licenses_changed,
            "vanished_parents": self.vanished_parents,
            "top_bases": self.top_bases,
            "groups": self.groups,
            "notes": self.notes,
            "method": self.method,
        }

    def rows(self) -> list[dict[str, Any]]:
        """Every change as one flat row (``lineage diff --format csv``): ``kind``, ``id``,
        ``parent``, ``relation``, ``before``, ``after``, ``note``."""
        out: list[dict[str, Any]] = []

        def row(kind: str, mid: str, **kw: Any) -> None:
            out.append({"kind": kind, "id": mid, "parent": None, "relation": None, "before": None,
                        "after": None, "note": None, **kw})  # fmt: skip

        for what in ("added", "deleted", "restored"):
            for mid in self.models[what]:
                row(f"model_{what}", mid)
        for what in ("added", "removed"):
            for link in self.links[what]:
                row(
                    f"link_{what}",
                    link["child"],
                    parent=link["parent"],
                    relation=link["relation"],
                    note=link["why"],
                )
        for pc in self.parents_changed:
            row("parents_changed", pc["model"], before=_pairs(pc["before"]), after=_pairs(pc["after"]))
        for lc in self.licenses_changed:
            row("license_changed", lc["model"], before=_lic(lc["before"]), after=_lic(lc["after"]))
        for vp in self.vanished_parents:
            row("vanished_parent", vp["model"], after=vp["derivatives"], note="live derivatives")
        for tb in self.top_bases:
            row("top_base", tb["base"], after=tb["new_derivatives"], note=tb["group"])
        for g in self.groups:
            row(
                "group",
                g["group"],
                before=g["before"],
                after=g["after"],
                note=f"share {g['share_after']:.4f}",
            )
        return out


def _pairs(pairs: list[list[str]]) -> str:
    return "; ".join(f"{p} ({r})" for p, r in pairs)


def _lic(d: dict[str, Any]) -> str:
    key = d["license"] if d["license"] != "other" or not d["license_name"] else f"other:{d['license_name']}"
    return f"{key or 'none'} ({d['class']})"


def _crawl_info(c: CrawlState) -> dict[str, Any]:
    return {
        "id": c.id,
        "mode": c.mode,
        "status": c.status,
        "started_at": c.started_at,
        "finished_at": c.finished_at,
        "models": c.models,
    }


def pick_crawls(
    store: Store, from_id: int | None = None, to_id: int | None = None
) -> tuple[CrawlState, CrawlState]:
    """The two crawls a diff compares: the ones given, else the last two complete (``done``)
    crawls (``to``: the last complete one; ``from``: the complete one before it)."""
    crawls = {c.id: c for c in store.crawls()}
    done = [c.id for c in crawls.values() if c.status == "done"]
    for given in (from_id, to_id):
        if given is not None and given not in crawls:
            known = ", ".join(str(k) for k in sorted(crawls)) or "none"
            raise InputError(f"there is no crawl #{given} in the store (crawls: {known}; see `lineage info`)")
    to = to_id if to_id is not None else (done[-1] if done else None)
    if to is None:
        raise InputError("no complete crawl in the store yet: run `lineage crawl` (twice, to compare)")
    before = [k for k in done if k < to]
    start = from_id if from_id is not None else (before[-1] if before else None)
    if start is None:
        raise InputError(
            f"crawl #{to} is the first complete crawl: there is nothing to compare it with yet "
            "(run `lineage crawl` again later, then `lineage diff`)"
        )
    if start >= to:
        raise InputError(f"--from ({start}) must be an earlier crawl than --to ({to})")
    since = store.history_from()
    if start < since:
        raise InputError(
            f"the store records changes from crawl #{since} on (it was upgraded then): "
            f"use --from {since} or later"
        )
    return crawls[start], crawls[to]


def crawl_diff(
    store: Store,
    from_id: int | None = None,
    to_id: int | None = None,
    *,
    by: str = "family",
    top: int = 10,
    registry: Registry | None = None,
    licenses: LicenseTable | None = None,
    lin: Lineage | None = None,
) -> CrawlDiff:
    """What changed between crawl ``from_id`` and crawl ``to_id`` (default: the last two
    complete crawls); ``lin``, the store's current graph if the caller has it (else loaded).
    ``top`` limits the bases and groups listed. See the module docstring."""
    reg, table = registry or default_registry(), licenses or default_licenses()
    a, b = pick_crawls(store, from_id, to_id)
    for _ in range(5):  # the graph and the events from one store state (a crawl may be writing)
        version = store.data_version()
        now = lin if lin is not None and lin.data_version == version else Lineage.load(store)
        tl = load_timeline(store, a.id, reg.aliases)
        if store.data_version() == version:
            break
    lin_a, lin_b = lineage_at(now, tl, a.id), lineage_at(now, tl, b.id)
    models: dict[str, list[str]] = {"added": [], "deleted": [], "restored": []}
    licenses_changed = []
    for m in sorted(tl.models):
        sa, sb = tl.state(m, a.id), tl.state(m, b.id)
        kind = {
            (ABSENT, ALIVE): "added",
            (ALIVE, TOMBSTONED): "deleted",
            (TOMBSTONED, ALIVE): "restored",
        }.get((sa, sb))
        if kind:
            models[kind].append(m)
        elif sa == sb == ALIVE and tl.license(m, a.id) != tl.license(m, b.id):
            licenses_changed.append(
                {
                    "model": m,
                    "before": _licence(tl.license(m, a.id), table),
                    "after": _licence(tl.license(m, b.id), table),
                }
            )
    links, parents_changed = _links(tl, a.id, b.id)
    diff = CrawlDiff(
        _crawl_info(a),
        _crawl_info(b),
        by,
        models,
        links,
        parents_changed,
        licenses_changed,
        _vanished(lin_b, models["deleted"]),
        _top_bases(lin_b, links["added"], by, reg, top),
        _groups(lin_a, lin_b, by, reg, top),
    )
    diff.notes = _notes(store, a, b)
    return diff


def _licence(lic: tuple[str | None, str | None], table: LicenseTable) -> dict[str, Any]:
    return {"license": lic[0], "license_name": lic[1], "class": table.classify(*lic)}


def _links(tl: Timeline, a: int, b: int) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    children = set(tl.links) | {m for m in tl.models if tl.state(m, a) != tl.state(m, b)}
    for child in sorted(children):
        sa, sb = tl.state(child, a), tl.state(child, b)
        before = {(d.parent, d.relation) for d in tl.declared(child, a)} if sa == ALIVE else set()
        after = {(d.parent, d.relation) for d in tl.declared(child, b)} if sb == ALIVE else set()
        if before == after:
            continue
        why = _WHY.get((sa, sb), "changed")
        added += [{"child": child, "parent": p, "relation": r, "why": why} for p, r in sorted(after - before)]
        removed += [
            {"child": child, "parent": p, "relation": r, "why": why} for p, r in sorted(before - after)
        ]
        if sa == sb == ALIVE:
            changed.append(
                {
                    "model": child,
                    "before": [list(x) for x in sorted(before)],
                    "after": [list(x) for x in sorted(after)],
                }
            )
    return {"added": added, "removed": removed}, changed


def _vanished(lin: Lineage, deleted: list[str]) -> list[dict[str, Any]]:
    out = []
    for m in deleted:
        node = lin.find(m)
        if node is None:
            continue
        kids = np.unique(lin.children(node))
        n = int((~lin.deleted[kids]).sum())
        if n:
            out.append({"model": m, "derivatives": n})
    return sorted(out, key=lambda r: (-r["derivatives"], r["model"]))


def _top_bases(
    lin: Lineage, added: list[dict[str, Any]], by: str, reg: Registry, top: int
) -> list[dict[str, Any]]:
    kids: dict[str, set[str]] = defaultdict(set)
    for link in added:
        kids[link["parent"]].add(link["child"])
    best = sorted(kids, key=lambda p: (-len(kids[p]), p))[:top]
    nodes = [lin.find(p) for p in best]
    groups = node_labels(lin, [n for n in nodes if n is not None], by, reg)
    label = dict(zip([p for p, n in zip(best, nodes, strict=True) if n is not None], groups, strict=True))
    return [{"base": p, "group": label.get(p, ""), "new_derivatives": len(kids[p])} for p in best]


def _group_counts(lin: Lineage, by: str, reg: Registry) -> dict[str, float]:
    derived = np.flatnonzero(~lin.placeholder & ~lin.deleted & (lin.in_degree > 0))
    if not len(derived):
        return {}
    pos, grp, labels = node_groups(lin, derived, by, reg)
    w = 1.0 / np.bincount(pos, minlength=len(derived))[pos]
    counts = np.bincount(grp, weights=w, minlength=len(labels))
    return {labels[k]: float(v) for k, v in enumerate(counts.tolist()) if v > 0}


def _groups(lin_a: Lineage, lin_b: Lineage, by: str, reg: Registry, top: int) -> list[dict[str, Any]]:
    before, after = _group_counts(lin_a, by, reg), _group_counts(lin_b, by, reg)
    total_a, total_b = sum(before.values()) or 1.0, sum(after.values()) or 1.0
    names = sorted(set(before) | set(after), key=lambda g: (-after.get(g, 0.0), -before.get(g, 0.0), g))

    def row(group: str, x: float, y: float) -> dict[str, Any]:
        return {
            "group": group,
            "before": round(x, 6),
            "after": round(y, 6),
            "change": round(y - x, 6),
            "share_before": round(x / total_a, 6),
            "share_after": round(y / total_b, 6),
            "share_change": round(y / total_b - x / total_a, 6),
        }

    rows = [row(g, before.get(g, 0.0), after.get(g, 0.0)) for g in names[:top]]
    rest = names[top:]
    if rest:
        rows.append(
            row("(other)", sum(before.get(g, 0.0) for g in rest), sum(after.get(g, 0.0) for g in rest))
        )
    return rows


def _notes(store: Store, a: CrawlState, b: CrawlState) -> list[str]:
    notes = []
    if b.status != "done":
        notes.append(f"crawl #{b.id} has not finished ({b.status}): its changes so far are shown")
    between = [c for c in store.crawls() if a.id < c.id <= b.id]
    if not any(c.mode == "full" and c.model_limit is None and c.status == "done" for c in between):
        notes.append(
            "no complete --full crawl between the two: deleted models are noticed only by a --full crawl"
        )
    if any(c.model_limit is not None for c in (a, b)):
        notes.append("a crawl limited with --limit saw only part of the Hub")
    return notes
