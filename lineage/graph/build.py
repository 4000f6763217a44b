"""Building a :class:`~lineage.graph.Lineage` from the columns the store reads.

Models become nodes in rowid order; a parent that is not in the store becomes a placeholder
node after them. Strings are factorized (pipeline tags, libraries), dates parsed in numpy,
ids packed into an :class:`~lineage.graph.ids.IdColumn`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lineage.graph.ids import IdColumn
from lineage.graph.walk import IntArray
from lineage.records import license_key
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

    numbers = g.numbers
    n = len(numbers)
    rowid = numbers[:, 0].copy()
    node_of = np.full(int(rowid.max(initial=0)) + 1, -1, dtype=np.int64)  # rowid -> node
    node_of[rowid] = np.arange(n)
    pipeline, pipeline_labels = _codes(g.pipeline)
    library, library_labels = _codes(g.library)
    lic, lic_labels = _codes([license_key(a, b) for a, b in zip(g.license, g.license_name, strict=True)])
    child = node_of[g.edges[:, 0]]
    parent = g.edges[:, 1].copy()
    rel = g.edges[:, 2].astype(np.int8)
    # A parent not in the store becomes a placeholder node after the models, one per id.
    absent = parent < 0
    ph_ids = list(dict.fromkeys(g.missing))
    slot = {pid: n + k for k, pid in enumerate(ph_ids)}
    parent[absent] = np.fromiter(map(slot.__getitem__, g.missing), dtype=np.int64, count=len(g.missing))
    parent[~absent] = node_of[parent[~absent]]
    m = len(ph_ids)

    def pad(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        return np.concatenate([a, np.full(m, fill, dtype=a.dtype)]) if m else a

    created = _seconds(g.created)
    bulk_labels: list[str | None] = [None, *sorted({rule for _, rule in g.bulk})]
    bulk = np.zeros(n + m, dtype=np.int8)
    if g.bulk:
        code = {rule: k for k, rule in enumerate(bulk_labels)}
        rows = np.fromiter((r for r, _ in g.bulk), dtype=np.int64, count=len(g.bulk))
        bulk[node_of[rows]] = np.fromiter((code[x] for _, x in g.bulk), dtype=np.int8, count=len(g.bulk))
    ids = IdColumn.build(
        [*g.ids, *ph_ids],
        order=node_of[np.asarray(g.order, dtype=np.int64)] if whole else None,
        lower_order=node_of[np.asarray(g.lower_order, dtype=np.int64)] if whole else None,
        split=n,
    )
    return Lineage(
        ids=ids,
        created=pad(created, UNKNOWN_TIME),
        legacy=pad(numbers[:, 1].astype(np.bool_), False),
        deleted=pad(numbers[:, 2].astype(np.bool_), False),
        placeholder=np.concatenate([np.zeros(n, dtype=bool), np.ones(m, dtype=bool)]),
        downloads=pad(numbers[:, 3].copy(), 0),
        downloads_all_time=pad(numbers[:, 4].copy(), -1),
        likes=pad(numbers[:, 5].copy(), 0),
        pipeline=pad(pipeline, 0),
        pipeline_labels=pipeline_labels,
        library=pad(library, 0),
        library_labels=library_labels,
        parent=parent,
        child=child,
        relation=rel,
        store_path=str(st.path),
        simulated=st.is_simulated(),
        rowid=pad(rowid, -1),
        data_version=g.version if whole else None,  # a part of the graph: never a snapshot
        store_id=g.store_id,
        bulk=bulk,
        bulk_labels=bulk_labels,
        bulk_detection=_json(g.bulk_detection),
        bulk_rules=_json(g.bulk_rules),
        license=pad(lic, 0),
        license_labels=lic_labels,
    )


def _json(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
