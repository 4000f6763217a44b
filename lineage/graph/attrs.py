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

from collections.abc import Sequence
from typing import Any

from lineage.store.graphdata import MODEL_COLUMNS

__all__ = ["NODE_ATTRIBUTES", "model_attributes", "placeholder_attributes"]

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
