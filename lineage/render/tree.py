"""A model's family tree as terminal text: ancestors above, descendants below.

Huge child lists are collapsed: the most downloaded children are shown and the rest are
summarised per relation, e.g. ``... and 3,412 more (3,000 quantized, 412 adapter)``.

>>> from lineage.graph import Lineage
>>> lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "a/ft", "finetune"), ("a/ft", "b/q", "quantized"),
...                           ("a/ft", "c/q", "quantized"), ("a/ft", "d/lora", "adapter")])
>>> print(render_tree(lin, lin.index["a/ft"], up=1, down=1, max_children=1, counts=False))
▲ finetune of Qwen/Qwen2.5-7B  [Qwen · china]
● a/ft  [Qwen · china]
├── quantized  b/q  [Qwen · china]
└── ... and 2 more (1 adapter, 1 quantized)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from lineage.analytics.groups import group_index
from lineage.families import Registry, default_registry
from lineage.graph import Lineage
from lineage.render.table import printable

__all__ = ["render_tree", "tree_data"]


def _groups(lin: Lineage, i: int, reg: Registry) -> list[tuple[str, str]]:
    """``(family, region)`` of each root of ``i``, sorted and distinct."""
    roots = lin.roots_of(i)
    families = group_index(lin, "family", reg)
    regions = group_index(lin, "region", reg)
    fam, reg_codes = families.codes(roots), regions.codes(roots)
    return sorted(
        {
            (families.labels[f], regions.labels[g])
            for f, g in zip(fam.tolist(), reg_codes.tolist(), strict=True)
        }
    )


def _label(lin: Lineage, i: int, reg: Registry, n_desc: int | None) -> str:
    fams = [f"{f} · {g}" for f, g in _groups(lin, i, reg)]
    parts = [printable(lin.ids[i]), f"  [{printable(', '.join(fams))}]" if fams else ""]
    if n_desc is not None:
        parts.append(f"  ↓{int(lin.downloads[i]):,}  ♥{int(lin.likes[i]):,}")
        if n_desc:
            parts.append(f"  ({n_desc:,} descendant{'s' if n_desc != 1 else ''})")
    if lin.placeholder[i]:
        parts.append("  (not on the Hub)")
    elif lin.deleted[i]:
        parts.append("  (deleted)")
    return "".join(parts)


def _ordered_children(lin: Lineage, i: int, limit: int) -> tuple[list[tuple[int, str]], list[str]]:
    """The first ``limit`` children of ``i`` (most downloaded first, then by id) with their
    relations, and the relations of the others. Only the ids that can be among the first are
    read: a hub's 40,000 children would otherwise page in most of the id column (100 MB at
    3M models) to break ties nobody sees."""
    edges = lin.child_edges(i)
    kids = lin.child[edges]
    downloads = np.asarray(lin.downloads[kids])
    if len(kids) > limit > 0:  # the limit-th largest download count: ties on it compete by id
        cut = np.partition(downloads, len(kids) - limit)[len(kids) - limit]
        candidates = np.flatnonzero(downloads >= cut)
    else:
        candidates = np.arange(len(kids) if limit > 0 else 0)
    ranked = sorted(candidates.tolist(), key=lambda k: (-int(downloads[k]), lin.ids[int(kids[k])]))[:limit]
    labels = lin.relation_labels
    relations = lin.relation[edges]
    shown = [(int(kids[k]), labels[int(relations[k])]) for k in ranked]
    rest = np.ones(len(kids), dtype=bool)
    rest[ranked] = False
    return shown, [labels[int(r)] for r in relations[rest]]


def _ordered_parents(lin: Lineage, i: int) -> list[tuple[int, str]]:
    edges = sorted(lin.parent_edges(i).tolist(), key=lambda e: lin.ids[int(lin.parent[e])])
    return [(int(lin.parent[e]), lin.relation_labels[int(lin.relation[e])]) for e in edges]


def _more(rest: list[str]) -> str:
    mix = Counter(rest)
    return ", ".join(f"{n:,} {rel}" for rel, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0])))


def render_tree(
    lin: Lineage,
    node: int,
    *,
    up: int = 2,
    down: int = 2,
    max_children: int = 8,
    registry: Registry | None = None,
    counts: bool = True,
) -> str:
    """Text tree around ``node``: ``up`` levels of ancestors, ``down`` levels of descendants.

    The walks are iterative (an explicit stack), so any depth renders; descendant counts are
    computed for all shown models at once (:meth:`Lineage.descendant_counts`)."""
    reg = registry or default_registry()
    # Lines as (text before the label, node or None, text when there is no node).
    lines: list[tuple[str, int | None]] = []
    # Ancestors, depth first, each parent's own parents indented below it.
    stack: list[tuple[int, int, str, str]] = (
        [(p, 0, "", rel) for p, rel in reversed(_ordered_parents(lin, node))] if up > 0 else []
    )
    while stack:
        p, depth, indent, rel = stack.pop()
        lines.append((f"{indent}▲ {rel} of ", p))
        if depth + 1 < up:
            stack.extend((q, depth + 1, indent + "    ", r) for q, r in reversed(_ordered_parents(lin, p)))
    lines.append(("● ", node))
    # Descendants: an item is a child to print, or a "... and N more" line.
    items: list[tuple[int, int, str, str, bool] | str] = []

    def push_children(i: int, depth: int, prefix: str) -> None:
        shown, rest = _ordered_children(lin, i, max_children)
        if rest:
            items.append(f"{prefix}└── ... and {len(rest):,} more ({_more(rest)})")
        for k in range(len(shown) - 1, -1, -1):
            c, rel = shown[k]
            items.append((c, depth, prefix, rel, k == len(shown) - 1 and not rest))

    if down > 0:
        push_children(node, 0, "")
    while items:
        item = items.pop()
        if isinstance(item, str):
            lines.append((item, None))
            continue
        c, depth, prefix, rel, last = item
        lines.append((f"{prefix}{'└── ' if last else '├── '}{rel}  ", c))
        if depth + 1 < down:
            push_children(c, depth + 1, prefix + ("    " if last else "│   "))
    shown_nodes = [n for _, n in lines if n is not None]
    n_desc = lin.descendant_counts(shown_nodes) if counts else {}
    return "\n".join(
        text if n is None else text + _label(lin, n, reg, n_desc.get(n) if counts else None)
        for text, n in lines
    )


def tree_data(
    lin: Lineage,
    node: int,
    *,
    up: int = 2,
    down: int = 2,
    max_children: int = 50,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The same tree as nested dicts (for ``--format json``); built iteratively, any depth."""
    reg = registry or default_registry()

    def info(i: int) -> dict[str, Any]:
        return {
            "id": lin.ids[i],
            "families": sorted({f for f, _ in _groups(lin, i, reg)}),
            "downloads": int(lin.downloads[i]),
            "likes": int(lin.likes[i]),
            "placeholder": bool(lin.placeholder[i]),
        }

    root = {**info(node), "parents": [], "children": [], "more": {}}
    ups: list[tuple[int, int, list[dict[str, Any]]]] = [(node, 0, root["parents"])]
    while ups:
        i, depth, into = ups.pop()
        if depth >= up:
            continue
        for p, rel in _ordered_parents(lin, i):
            entry = {**info(p), "relation": rel, "parents": []}
            into.append(entry)
            ups.append((p, depth + 1, entry["parents"]))
    downs: list[tuple[int, int, dict[str, Any]]] = [(node, 0, root)]
    while downs:
        i, depth, entry = downs.pop()
        if depth >= down:
            continue
        shown, rest = _ordered_children(lin, i, max_children)
        entry["more"] = dict(sorted(Counter(rest).items()))
        for c, rel in shown:
            child = {**info(c), "relation": rel, "children": [], "more": {}}
            entry["children"].append(child)
            downs.append((c, depth + 1, child))
    return root
