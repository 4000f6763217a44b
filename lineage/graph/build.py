"""Building a :class:`~lineage.graph.Lineage` from the columns the store reads.

Models become nodes in rowid order; a parent that is not in the store becomes a placeholder
node after them. Strings are factorized (pipeline tags, libraries), dates parsed in numpy,
ids packed into an :class:`~lineage.graph.snapshot.IdColumn`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lineage.graph.snapshot import IdColumn
from lineage.graph.walk import IntArray
from lineage.records import RELATIONS, license_key
from lineage.store.graphdata import UNKNOWN_SECONDS, GraphColumns

if TYPE_CHECKING:
    from lineage.graph.columnar import Lineage
    from lineage.store import Store

__all__ = ["from_columns"]

UNKNOWN_TIME = UNKNOWN_SECONDS


def _codes(values: Sequence[str | None]) -> tuple[npt.NDArray[np.int32], list[str | None]]:
    """Factorize strings: codes (index into the returned labels; labels[0] is None)."""
    labels: list[str | None] = [None, *(v for v in dict.fromkeys(values) if v is not None)]
    index = {v: k for k, v in enumerate(labels)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int32, count=len(values)), labels


def _seconds(values: Sequence[str | None]) -> IntArray:
    """``YYYY-MM-DDTHH:MM:SS`` strings as seconds since the epoch (UNKNOWN_TIME: none or bad)."""
    try:
        out = np.array([v or "NaT" for v in values], dtype="datetime64[s]").astype(np.int64)
    except ValueError:  # a malformed date somewhere: parse one by one
        out = np.empty(len(values), dtype=np.int64)
        for k, v in enumerate(values):
            try:
                out[k] = np.datetime64(v or "NaT", "s").astype(np.int64)
            except ValueError:
                out[k] = UNKNOWN_TIME
    return out  # NaT is int64's minimum, which is UNKNOWN_TIME


def from_columns(st: Store, g: GraphColumns, whole: bool = True) -> Lineage:
    """A :class:`Lineage` of the columns read from ``st`` (all of it, or a part: ``whole``)."""
    from lineage.graph.columnar import Lineage

    cols, link_rows = g.models, g.links
    n = len(cols[0])
    rowid = np.fromiter(cols[0], dtype=np.int64, count=n)
    node_of = np.full(int(rowid.max(initial=0)) + 1, -1, dtype=np.int64)  # rowid -> node
    node_of[rowid] = np.arange(n)
    pipeline, pipeline_labels = _codes(cols[8])
    library, library_labels = _codes(cols[9])
    lic, lic_labels = _codes([license_key(a, b) for a, b in zip(cols[10], cols[11], strict=True)])
    rel_index = {r: k for k, r in enumerate(RELATIONS)}
    e = len(link_rows)
    child = node_of[np.fromiter((r[0] for r in link_rows), dtype=np.int64, count=e)]
    parent = np.empty(e, dtype=np.int64)
    rel = np.empty(e, dtype=np.int8)
    placeholders: dict[str, int] = {}
    ph_ids: list[str] = []
    unknown = rel_index["unknown"]
    for k, (_, prow, pid, relation) in enumerate(link_rows):
        rel[k] = rel_index.get(relation, unknown)
        if prow is not None:
            parent[k] = -1 - int(prow)  # a rowid, mapped to a node number below
        else:
            j = placeholders.get(pid)
            if j is None:
                j = placeholders[pid] = n + len(ph_ids)
                ph_ids.append(pid)
            parent[k] = j
    del link_rows
    resolved = parent < 0
    parent[resolved] = node_of[-1 - parent[resolved]]
    m = len(ph_ids)

    def pad(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        return np.concatenate([a, np.full(m, fill, dtype=a.dtype)]) if m else a

    created = _seconds(cols[2])
    ids = IdColumn.build(
        [*cols[1], *ph_ids],
        order=node_of[np.asarray(g.order, dtype=np.int64)] if whole else None,
        lower_order=node_of[np.asarray(g.lower_order, dtype=np.int64)] if whole else None,
        split=n,
    )
    return Lineage(
        ids=ids,
        created=pad(created, UNKNOWN_TIME),
        legacy=pad(np.fromiter(cols[3], dtype=np.bool_, count=n), False),
        deleted=pad(np.fromiter(cols[4], dtype=np.bool_, count=n), False),
        placeholder=np.concatenate([np.zeros(n, dtype=bool), np.ones(m, dtype=bool)]),
        downloads=pad(np.fromiter(cols[5], dtype=np.int64, count=n), 0),
        downloads_all_time=pad(np.fromiter(cols[6], dtype=np.int64, count=n), -1),
        likes=pad(np.fromiter(cols[7], dtype=np.int64, count=n), 0),
        pipeline=pad(pipeline, 0),
        pipeline_labels=pipeline_labels,
        library=pad(library, 0),
        library_labels=library_labels,
        parent=parent.astype(np.int64),
        child=child.astype(np.int64),
        relation=rel,
        store_path=str(st.path),
        simulated=st.is_simulated(),
        rowid=pad(rowid, -1),
        data_version=g.version if whole else None,  # a part of the graph: never a snapshot
        license=pad(lic, 0),
        license_labels=lic_labels,
    )
