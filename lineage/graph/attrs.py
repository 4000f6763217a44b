"""Node attributes: the one place a model row becomes the attributes of a graph node.

Used by networkx graphs (:meth:`Lineage.to_networkx`), every export format, the Neo4j push
and the explorer's details panel, so a model looks the same everywhere. A row is the store's
:data:`~lineage.store.graphdata.MODEL_COLUMNS`; None values are left out.

>>> model_attributes(("a/b", "a", "2025-01-01T00:00:00.000Z", None, 5, None, 0, None, None,
...                   "mit", None, "false", 0, 0))
{'author': 'a', 'created_at': '2025-01-01T00:00:00.000Z', 'downloads': 5, 'likes': 0, \
'license': 'mit', 'gated': 'false', 'legacy_date': False, 'deleted': False, 'placeholder': False}
>>> placeholder_attributes("gone/model")
{'author': 'gone', 'downloads': 0, 'likes': 0, 'legacy_date': False, 'deleted': False, 'placeholder': True}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lineage import times
from lineage.store import open_store
from lineage.store.graphdata import MODEL_COLUMNS, UNKNOWN_SECONDS

if TYPE_CHECKING:
    from lineage.graph.columnar import Lineage

__all__ = ["NODE_ATTRIBUTES", "model_attributes", "node_records", "placeholder_attributes"]

#: Node attributes in networkx graphs and exports, in this order (None-valued ones are
#: omitted per node): a store row's columns after the id, and whether the node is a placeholder.
NODE_ATTRIBUTES: tuple[str, ...] = (*MODEL_COLUMNS[1:], "placeholder")


def model_attributes(row: Sequence[Any]) -> dict[str, Any]:
    """The attributes of a model in the store, from its row (``MODEL_COLUMNS`` order)."""
    _, author, created, modified, dl, dlat, likes, pipe, lib, lic, lic_name, gated, legacy, deleted = row
    attrs = {
        "author": author,
        "created_at": created,
        "last_modified": modified,
        "downloads": int(dl),
        "downloads_all_time": int(dlat) if dlat is not None and dlat >= 0 else None,
        "likes": int(likes),
        "pipeline_tag": pipe,
        "library_name": lib,
        "license": lic,
        "license_name": lic_name,
        "gated": gated,
        "legacy_date": bool(legacy),
        "deleted": bool(deleted),
        "placeholder": False,
    }
    return {k: v for k, v in attrs.items() if v is not None}


def placeholder_attributes(model_id: str) -> dict[str, Any]:
    """The attributes of a parent that is not in the store (deleted, private, never existed)."""
    attrs: dict[str, Any] = {"author": model_id.split("/")[0]} if "/" in model_id else {}
    attrs.update(downloads=0, likes=0, legacy_date=False, deleted=False, placeholder=True)
    return attrs


def node_records(lin: Lineage, nodes: Iterable[int]) -> list[dict[str, Any]]:
    """The attributes of each node of ``lin``, in order: from the store's rows when the graph
    was loaded from a store, else from its arrays."""
    sel = [int(i) for i in nodes]
    rows: dict[str, tuple[Any, ...]] = {}
    if lin.store_path is not None:
        wanted = [lin.ids[i] for i in sel if not lin.placeholder[i]]
        if wanted:
            with open_store(lin.store_path, readonly=True) as st:
                rows = st.model_rows(wanted)
    out = []
    for i in sel:
        mid = lin.ids[i]
        if lin.placeholder[i]:
            out.append(placeholder_attributes(mid))
        else:
            out.append(model_attributes(rows.get(mid) or _array_row(lin, i)))
    return out


def _array_row(lin: Lineage, i: int) -> tuple[Any, ...]:
    """Node ``i`` as a store row, from the arrays (a graph built without a store)."""
    mid = lin.ids[i]
    created = None if lin.created[i] == UNKNOWN_SECONDS else times.iso(int(lin.created[i]))
    return (
        mid,
        mid.split("/")[0] if "/" in mid else None,
        created,
        None,
        int(lin.downloads[i]),
        int(lin.downloads_all_time[i]),
        int(lin.likes[i]),
        lin.pipeline_labels[lin.pipeline[i]],
        lin.library_labels[lin.library[i]],
        *_split_key(lin.license_labels[int(lin.license_codes[i])]),
        None,
        bool(lin.legacy[i]),
        bool(lin.deleted[i]),
    )


def _split_key(key: str | None) -> tuple[str | None, str | None]:
    """``(license, license_name)`` of a :func:`lineage.records.license_key`."""
    if key is not None and key.startswith("other:"):
        return "other", key[len("other:") :]
    return key, None
