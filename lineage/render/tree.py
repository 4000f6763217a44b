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

from lineage.families import Registry, default_registry
from lineage.graph import Lineage
from lineage.render import printable

__all__ = ["render_tree", "tree_data"]


def _label(lin: Lineage, i: int, reg: Registry, counts: bool) -> str:
    roots = [lin.ids[int(r)] for r in lin.roots_of(i)]
    fams = sorted({f"{f} · {g}" for f, g in reg.classify(roots)})
    parts = [printable(lin.ids[i]), f"  [{printable(', '.join(fams))}]" if fams else ""]
    if counts:
        parts.append(f"  ↓{int(lin.downloads[i]):,}  ♥{int(lin.likes[i]):,}")
        n_desc = len(lin.descendants(i))
        if n_desc:
            parts.append(f"  ({n_desc:,} descendants)")
    if lin.placeholder[i]:
        parts.append("  (not on the Hub)")
    elif lin.deleted[i]:
        parts.append("  (deleted)")
    return "".join(parts)


def _ordered_children(lin: Lineage, i: int) -> list[tuple[int, str]]:
    edges = lin.child_edges(i)
    kids = lin.child[edges]
    rels = [lin.relation_labels[int(r)] for r in lin.relation[edges]]
    order = np.lexsort((np.array([lin.ids[int(k)] for k in kids], dtype=object), -lin.downloads[kids]))
    return [(int(kids[k]), rels[k]) for k in order]


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
    """Text tree around ``node``: ``up`` levels of ancestors, ``down`` levels of descendants."""
    reg = registry or default_registry()
    lines: list[str] = []

    def ancestors(i: int, depth: int, indent: str) -> None:
        if depth >= up:
            return
        edges = lin.parent_edges(i)
        for e in sorted(edges.tolist(), key=lambda e: lin.ids[int(lin.parent[e])]):
            p = int(lin.parent[e])
            rel = lin.relation_labels[int(lin.relation[e])]
            lines.append(f"{indent}▲ {rel} of {_label(lin, p, reg, counts)}")
            ancestors(p, depth + 1, indent + "    ")

    ancestors(node, 0, "")
    lines.append(f"● {_label(lin, node, reg, counts)}")

    def descend(i: int, depth: int, prefix: str) -> None:
        if depth >= down:
            return
        kids = _ordered_children(lin, i)
        shown, rest = kids[:max_children], kids[max_children:]
        for k, (c, rel) in enumerate(shown):
            last = k == len(shown) - 1 and not rest
            lines.append(f"{prefix}{'└── ' if last else '├── '}{rel}  {_label(lin, c, reg, counts)}")
            descend(c, depth + 1, prefix + ("    " if last else "│   "))
        if rest:
            mix = Counter(rel for _, rel in rest)
            summary = ", ".join(
                f"{n:,} {rel}" for rel, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            lines.append(f"{prefix}└── ... and {len(rest):,} more ({summary})")

    descend(node, 0, "")
    return "\n".join(lines)


def tree_data(
    lin: Lineage,
    node: int,
    *,
    up: int = 2,
    down: int = 2,
    max_children: int = 50,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The same tree as nested dicts (for ``--format json``)."""
    reg = registry or default_registry()

    def info(i: int) -> dict[str, Any]:
        roots = [lin.ids[int(r)] for r in lin.roots_of(i)]
        return {
            "id": lin.ids[i],
            "families": sorted({f for f, _ in reg.classify(roots)}),
            "downloads": int(lin.downloads[i]),
            "likes": int(lin.likes[i]),
            "placeholder": bool(lin.placeholder[i]),
        }

    def up_tree(i: int, depth: int) -> list[dict[str, Any]]:
        if depth >= up:
            return []
        out = []
        for e in sorted(lin.parent_edges(i).tolist(), key=lambda e: lin.ids[int(lin.parent[e])]):
            p = int(lin.parent[e])
            out.append(
                {
                    **info(p),
                    "relation": lin.relation_labels[int(lin.relation[e])],
                    "parents": up_tree(p, depth + 1),
                }
            )
        return out

    def down_tree(i: int, depth: int) -> dict[str, Any]:
        if depth >= down:
            return {"children": [], "more": {}}
        kids = _ordered_children(lin, i)
        more = Counter(rel for _, rel in kids[max_children:])
        return {
            "children": [
                {**info(c), "relation": rel, **down_tree(c, depth + 1)} for c, rel in kids[:max_children]
            ],
            "more": dict(sorted(more.items())),
        }

    return {**info(node), "parents": up_tree(node, 0), **down_tree(node, 0)}
