"""The store as it was after a crawl: models, licences, declared links and the graph.

The store keeps the current state and, per crawl, what it changed (:mod:`lineage.store.history`).
A :class:`Timeline` reads the events after a crawl ``A`` (and the current state of what they
touch); from it, the state after any crawl ``X >= A`` follows: the first event after ``X`` of
a model or a link holds its state at ``X`` (an ``added`` link did not exist yet, a ``removed``
one did; an ``added`` model did not exist, a ``deleted`` one was listed, a ``restored`` one was
tombstoned; a ``license`` event holds the licence before it), and without one the current
state holds. :func:`lineage_at` applies this to the current graph: the graph after crawl ``X``
at the cost of what changed since, not of the store's size.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from lineage.graph import Lineage, edited
from lineage.records import RELATIONS
from lineage.store import Store

__all__ = ["ABSENT", "ALIVE", "TOMBSTONED", "Declared", "Timeline", "lineage_at", "load_timeline"]

ABSENT, ALIVE, TOMBSTONED = "absent", "alive", "tombstoned"
_BEFORE = {"added": ABSENT, "deleted": ALIVE, "restored": TOMBSTONED}
_ALIVE_EVENTS = frozenset(_BEFORE)


@dataclass(frozen=True)
class Declared:
    """A declared link of a child as of some crawl: the declared id, the id it names in the
    store (a model, or the placeholder it stands for), the relation, and whether it is an edge
    of the graph (resolved and not set aside as a cycle)."""

    ref: str
    parent: str
    relation: str
    edge: bool


@dataclass
class Timeline:
    """Everything that changed after crawl :attr:`after`, and the current state of what it
    touched (see the module docstring). Build one with :func:`load_timeline`."""

    after: int
    models: dict[str, list[tuple[int, str, tuple[str | None, str | None]]]] = field(default_factory=dict)
    links: dict[str, dict[tuple[str, str], list[tuple[int, str]]]] = field(default_factory=dict)
    current_links: dict[str, dict[tuple[str, str], tuple[str | None, str | None]]] = field(
        default_factory=dict
    )
    current_models: dict[str, tuple[bool, str | None, str | None]] = field(default_factory=dict)
    resolved: dict[str, str] = field(default_factory=dict)

    def touched(self, since: int) -> set[str]:
        """Models with an event after crawl ``since`` (``>= after``)."""
        out = {m for m, evs in self.models.items() if any(c > since for c, _, _ in evs)}
        out |= {
            c for c, keys in self.links.items() if any(x > since for evs in keys.values() for x, _ in evs)
        }
        return out

    def state(self, model: str, crawl: int) -> str:
        """``alive``, ``tombstoned`` or ``absent`` after crawl ``crawl``."""
        for c, event, _ in self.models.get(model, ()):
            if c > crawl and event in _ALIVE_EVENTS:
                return _BEFORE[event]
        cur = self.current_models.get(model)
        return ABSENT if cur is None else TOMBSTONED if cur[0] else ALIVE

    def license(self, model: str, crawl: int) -> tuple[str | None, str | None]:
        """``(license, license_name)`` after crawl ``crawl``."""
        for c, event, old in self.models.get(model, ()):
            if c > crawl and event == "license":
                return old
        cur = self.current_models.get(model)
        return (None, None) if cur is None else (cur[1], cur[2])

    def declared(self, child: str, crawl: int) -> list[Declared]:
        """The links ``child`` declared after crawl ``crawl`` (whether or not it was listed)."""
        current = self.current_links.get(child, {})
        events = self.links.get(child, {})
        out = []
        for key in sorted(set(current) | set(events)):
            first = next((event for c, event in events.get(key, ()) if c > crawl), None)
            if first == "added" or (first is None and key not in current):
                continue
            ref, relation = key
            if key in current:
                parent, resolution = current[key]
                out.append(Declared(ref, parent or ref, relation, resolution not in (None, "cycle")))
            else:
                parent = self.resolved.get(ref, ref)
                out.append(Declared(ref, parent, relation, parent != child))
        return out


def load_timeline(store: Store, after: int, aliases: Mapping[str, str] | None = None) -> Timeline:
    """The events of every crawl after ``after`` and the current state of what they touched.
    ``aliases`` (legacy id -> new id, as the family registry has them) resolve declared ids of
    links that are gone, as the crawl resolved them."""
    tl = Timeline(after)
    models: dict[str, list[tuple[int, str, tuple[str | None, str | None]]]] = defaultdict(list)
    for crawl, mid, event, lic, name, _, _ in store.model_events(after):
        models[mid].append((crawl, event, (lic, name)))
    links: dict[str, dict[tuple[str, str], list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    for crawl, child, ref, rel, event in store.link_events(after):
        links[child][ref, rel].append((crawl, event))
    tl.models, tl.links = dict(models), {c: dict(k) for c, k in links.items()}
    children = set(tl.links) | {m for m, evs in models.items() if any(e in _ALIVE_EVENTS for _, e, _ in evs)}
    current: dict[str, dict[tuple[str, str], tuple[str | None, str | None]]] = defaultdict(dict)
    for child, ref, rel, parent, resolution in store.declared_links(children):
        current[child][ref, rel] = (parent, resolution)
    tl.current_links = dict(current)
    tl.current_models = {m: s[:3] for m, s in store.model_states(children | set(models)).items()}
    gone = {ref for c, keys in tl.links.items() for ref, rel in keys if (ref, rel) not in current.get(c, {})}
    tl.resolved = store.resolve_refs(gone)
    lowered = {k.lower(): v for k, v in (aliases or {}).items()}
    missing = {ref: lowered[ref.lower()] for ref in gone - set(tl.resolved) if ref.lower() in lowered}
    found = store.resolve_refs(missing.values())
    tl.resolved.update({ref: found[new] for ref, new in missing.items() if new in found})
    return tl


def lineage_at(lin: Lineage, tl: Timeline, crawl: int) -> Lineage:
    """The graph after crawl ``crawl`` (``>= tl.after``), from ``lin`` — the current graph, read
    in the same store state as ``tl`` — and the changes since: flags of models listed, deleted or
    restored since, and the edges of models whose links changed. Models first listed after
    ``crawl`` stay as nodes, flagged deleted and without parents (as placeholders are)."""
    touched = tl.touched(crawl)
    if not touched:
        return lin
    rel_code = {r: k for k, r in enumerate(RELATIONS)}
    deleted: dict[int, bool] = {}
    drop: list[int] = []
    add: list[tuple[int | str, int, int]] = []
    for model in sorted(touched):
        node = _node(lin, model)
        if node is None:  # not in the graph read with the timeline: nothing to change
            continue
        state = tl.state(model, crawl)
        if bool(lin.deleted[node]) != (state != ALIVE):
            deleted[node] = state != ALIVE
        want: Counter[tuple[int | str, int]] = Counter()
        if state != ABSENT:
            for d in tl.declared(model, crawl):
                if d.edge:
                    parent = _node(lin, d.parent)
                    want[
                        d.parent if parent is None else parent, rel_code.get(d.relation, len(RELATIONS) - 1)
                    ] += 1
        for e in lin.parent_edges(node).tolist():
            key: tuple[int | str, int] = (int(lin.parent[e]), int(lin.relation[e]))
            if want[key] > 0:
                want[key] -= 1
            else:
                drop.append(int(e))
        add += [(p, node, r) for (p, r), k in want.items() for _ in range(k)]
    return edited(lin, deleted=deleted, drop=drop, add=add)


def _node(lin: Lineage, model_id: str) -> int | None:
    return lin.find(model_id)
