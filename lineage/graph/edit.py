"""A :class:`~lineage.graph.Lineage` with a few changes: what the graph was (or would be) after
some nodes' flags and links change — the graph at an earlier crawl, rebuilt from the current one
and the changes since (:mod:`lineage.analytics.history`), without reading the store again.

>>> lin = Lineage.from_edges([("a", "b", "finetune"), ("a", "c", "merge")])
>>> old = edited(lin, deleted={2: True}, drop=[1], add=[("ghost/x", 1, 4)])
>>> [(old.ids[p], old.ids[c]) for p, c in zip(old.parent.tolist(), old.child.tolist())]
[('a', 'b'), ('ghost/x', 'b')]
>>> old.deleted.tolist(), old.placeholder.tolist()
([False, False, True, False], [False, False, False, True])
>>> old.ids[-5]  # indexed as a list: out of range is an error, not a wrap to another id
Traceback (most recent call last):
IndexError: -5
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from lineage.graph.columnar import UNKNOWN_TIME, Lineage
from lineage.graph.ids import IdSequence

__all__ = ["edited"]


class _MoreIds(IdSequence):
    """The ids of a graph plus a few more (new placeholder nodes) after them."""

    def __init__(self, ids: Sequence[str], more: Sequence[str]) -> None:
        self.ids, self.more, self.n = ids, list(more), len(ids)

    def __len__(self) -> int:
        return self.n + len(self.more)

    def _id(self, k: int) -> str:
        return self.ids[k] if k < self.n else self.more[k - self.n]

    def __iter__(self) -> Iterator[str]:
        yield from self.ids
        yield from self.more

    def take(self, nodes: npt.NDArray[np.int64] | Sequence[int]) -> list[str]:
        return [self[int(k)] for k in np.asarray(nodes, dtype=np.int64).tolist()]


def edited(
    lin: Lineage,
    *,
    deleted: Mapping[int, bool] | None = None,
    drop: Sequence[int] = (),
    add: Sequence[tuple[int | str, int, int]] = (),
) -> Lineage:
    """``lin`` with the ``deleted`` flags of some nodes changed, the edges ``drop`` (edge numbers)
    removed and the edges ``add`` — ``(parent, child, relation code)``, the parent a node number
    or, for a parent not in the graph, an id that becomes a new placeholder node — added.

    The nodes keep their numbers (new placeholders come after them), so anything keyed by node
    number in ``lin`` applies to the result. The result is never a snapshot of a store."""
    n = len(lin)
    new_ids: dict[str, int] = {}
    for parent, _, _ in add:
        if isinstance(parent, str) and parent not in new_ids:
            new_ids[parent] = n + len(new_ids)
    m = len(new_ids)

    def pad(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        return np.concatenate([a, np.full(m, fill, dtype=a.dtype)]) if m else a

    flags = pad(lin.deleted.copy(), False)
    for node, value in (deleted or {}).items():
        flags[node] = value
    keep = np.ones(lin.n_edges, dtype=bool)
    keep[np.asarray(list(drop), dtype=np.int64)] = False
    add_parent = np.array([new_ids[p] if isinstance(p, str) else int(p) for p, _, _ in add], dtype=np.int64)
    add_child = np.array([c for _, c, _ in add], dtype=np.int64)
    add_rel = np.array([r for _, _, r in add], dtype=np.int8)
    return dataclasses.replace(
        lin,
        ids=_MoreIds(lin.ids, list(new_ids)) if m else lin.ids,
        created=pad(lin.created, UNKNOWN_TIME),
        legacy=pad(lin.legacy, False),
        deleted=flags,
        placeholder=pad(lin.placeholder, True),
        downloads=pad(lin.downloads, 0),
        downloads_all_time=pad(lin.downloads_all_time, -1),
        likes=pad(lin.likes, 0),
        pipeline=pad(lin.pipeline, 0),
        library=pad(lin.library, 0),
        license=pad(lin.license_codes, 0),
        bulk=None if lin.bulk is None else pad(lin.bulk, 0),
        rowid=None if lin.rowid is None else pad(lin.rowid, -1),
        parent=np.concatenate([lin.parent[keep], add_parent]),
        child=np.concatenate([lin.child[keep], add_child]),
        relation=np.concatenate([lin.relation[keep], add_rel]),
        data_version=None,
    )
