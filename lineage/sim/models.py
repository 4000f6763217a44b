"""The models a simulated Hub serves, and the changes a test makes to them between crawls.

:class:`ModelSet` is the thread-safe half of :class:`~lineage.sim.server.SimHub`: the served
listing items and every way to change them while the server runs. Changes that the real Hub
records as a commit (:meth:`ModelSet.update`, :meth:`ModelSet.set_parents`,
:meth:`ModelSet.set_license`) set the model's ``lastModified`` to the hub's "now" — the clock's
time, or just after the newest ``lastModified`` served when the clock is behind the data (a
simulated hub may be dated in the future) — so that an incremental crawl, which lists by
``lastModified``, sees them. Additions keep the items as given; deletions make a model
disappear (a later ``--full`` crawl notices). Each change is appended to :attr:`ModelSet.changes`.

>>> hub = ModelSet([{"_id": "1", "id": "org/base", "tags": ["license:mit"],
...                  "lastModified": "2025-01-01T00:00:00.000Z"}], clock=lambda: 0.0)
>>> hub.add([{"_id": "2", "id": "me/ft", "tags": [], "lastModified": "2025-01-02T00:00:00.000Z"}])
>>> hub.set_parents("me/ft", [("org/base", "adapter")])
>>> item = hub.get("me/ft")
>>> item["tags"], item["cardData"]
(['base_model:org/base', 'base_model:adapter:org/base'], {'base_model': 'org/base'})
>>> item["lastModified"]  # the clock (0.0) is behind the data: 1 ms after the newest
'2025-01-02T00:00:00.001Z'
>>> hub.set_license("me/ft", "other", license_name="my-terms")
>>> hub.get("me/ft")["tags"][-1], hub.get("me/ft")["cardData"]["license_name"]
('license:other', 'my-terms')
>>> hub.remove(["org/base"]); len(hub), [c.kind for c in hub.changes]
(1, ['added', 'parents', 'license', 'removed'])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from lineage.sim.table import Table

__all__ = ["ModelChange", "ModelSet"]

RELATIONS = ("finetune", "adapter", "quantized", "merge")


class ModelChange(NamedTuple):
    """One change made to the served models: clock time, kind, model id.

    Kinds: ``added`` (a new model), ``replaced`` (an existing one given anew by :meth:`ModelSet.add`),
    ``updated``, ``parents``, ``license``, ``renamed`` (``model_id`` is the new id), ``removed``.
    """

    time: float
    kind: str
    model_id: str


def _iso_ms(ms: int) -> str:
    dt = datetime.fromtimestamp(ms // 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class ModelSet:
    """Listing items served by a simulated hub (thread-safe); see the module docstring."""

    def __init__(self, items: Iterable[dict[str, Any]] = (), *, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._table = Table()
        #: Every change made since the hub was built (the initial items are not changes).
        self.changes: list[ModelChange] = []
        self._log = False
        self.add(items)
        self._log = True

    # -- reading ---------------------------------------------------------------------------

    def get(self, model_id: str) -> dict[str, Any] | None:
        """The stored item (a copy), looked up case-insensitively; None when absent."""
        with self._lock:
            slot = self._table.by_lower.get(model_id.lower())
            return None if slot is None else self._table.item(slot)

    def ids(self) -> list[str]:
        """Ids of the models served, in insertion order."""
        with self._lock:
            return [mid for mid, blob in zip(self._table.ids, self._table.blobs, strict=True) if blob]

    def __len__(self) -> int:
        return self._table.live

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and model_id.lower() in self._table.by_lower

    # -- changing ----------------------------------------------------------------------------

    def add(self, items: Iterable[dict[str, Any]]) -> None:
        """Add models, or replace (by id, case-insensitively, keeping their place) existing
        ones; items are stored as given (``lastModified`` included)."""
        with self._lock:
            for item in items:
                if not isinstance(item, dict):
                    raise ValueError(f"a model must be a dict, not {type(item).__name__}")
                known = isinstance(item.get("id"), str) and item["id"].lower() in self._table.by_lower
                self._table.upsert(item)
                self._record("replaced" if known else "added", item["id"])

    def replace(self, items: Iterable[dict[str, Any]]) -> None:
        """Serve exactly ``items`` from now on: models not among them are removed, the others
        added or replaced as given (one atomic change for concurrent requests)."""
        new = list(items)
        with self._lock:
            keep = {str(item.get("id", "")).lower() for item in new if isinstance(item, dict)}
            self.remove([mid for mid in self.ids() if mid.lower() not in keep])
            self.add(new)

    def update(self, model_id: str, **fields: Any) -> None:
        """Change fields of a model; ``lastModified`` becomes the hub's now unless given.

        Giving ``id`` renames the model. Raises :class:`KeyError` for an unknown model.
        """
        self._change(model_id, "updated", lambda item: item.update(fields), "lastModified" in fields)

    def set_parents(self, model_id: str, parents: Sequence[tuple[str, str] | str]) -> None:
        """Declare ``parents`` (``(parent id, relation)`` pairs, or ids for fine-tunes) as the
        model's base models, as a card edit on the Hub would: the ``base_model:`` tags and
        ``cardData.base_model`` are rewritten (an empty list removes them)."""
        pairs = [(p, "finetune") if isinstance(p, str) else (p[0], p[1]) for p in parents]
        for _, rel in pairs:
            if rel not in RELATIONS:
                raise ValueError(f"relation must be one of {', '.join(RELATIONS)}, not {rel!r}")

        def edit(item: dict[str, Any]) -> None:
            tags = [t for t in item.get("tags") or [] if not str(t).startswith("base_model:")]
            at = next((k for k, t in enumerate(tags) if str(t).startswith("license:")), len(tags))
            new: list[str] = []
            for parent, rel in dict.fromkeys(pairs):
                new += [f"base_model:{parent}", f"base_model:{rel}:{parent}"]
            item["tags"] = tags[:at] + new + tags[at:]
            card = dict(item.get("cardData") or {})
            card.pop("base_model_relation", None)
            if pairs:
                ids = list(dict.fromkeys(p for p, _ in pairs))
                card["base_model"] = ids[0] if len(ids) == 1 else ids
            else:
                card.pop("base_model", None)
            item["cardData"] = card

        self._change(model_id, "parents", edit)

    def set_license(self, model_id: str, license: str | None, *, license_name: str | None = None) -> None:
        """Declare ``license`` (a Hub licence id such as ``apache-2.0``, ``llama3.1`` or ``other``
        with ``license_name``; None removes it) in the ``license:`` tag and ``cardData``."""

        def edit(item: dict[str, Any]) -> None:
            tags = [t for t in item.get("tags") or [] if not str(t).startswith("license:")]
            card = dict(item.get("cardData") or {})
            card.pop("license", None)
            card.pop("license_name", None)
            if license is not None:
                tags.append(f"license:{license}")
                card["license"] = license
                if license_name is not None:
                    card["license_name"] = license_name
            item["tags"] = tags
            item["cardData"] = card

        self._change(model_id, "license", edit)

    def delete(self, model_id: str) -> None:
        """Remove a model (deleted, or made private). Raises :class:`KeyError` for an unknown one."""
        self.remove([model_id])

    def remove(self, model_ids: Iterable[str]) -> None:
        """Remove several models at once; raises :class:`KeyError` (removing none) if one is unknown."""
        with self._lock:
            slots = []
            for mid in model_ids:
                slot = self._table.by_lower.get(mid.lower())
                if slot is None:
                    raise KeyError(mid)
                slots.append(slot)
            for slot in dict.fromkeys(slots):
                mid = self._table.ids[slot]
                self._table.remove(slot)
                self._record("removed", mid)

    # -- internals ---------------------------------------------------------------------------

    def now_iso(self) -> str:
        """The hub's "now" for ``lastModified``: the clock, or 1 ms after the newest served."""
        with self._lock:
            ms = max(int(self.clock() * 1000), self._table.newest_modified + 1)
            return _iso_ms(ms)

    def _change(
        self, model_id: str, kind: str, edit: Callable[[dict[str, Any]], Any], keep_stamp: bool = False
    ) -> None:
        with self._lock:
            table = self._table
            slot = table.by_lower.get(model_id.lower())
            if slot is None:
                raise KeyError(model_id)
            item = table.item(slot)
            stamp = self.now_iso()
            edit(item)
            if not keep_stamp:
                item["lastModified"] = stamp
            new_id = item.get("id")
            if not isinstance(new_id, str) or not new_id:
                raise ValueError("id must be a non-empty string")
            other = table.by_lower.get(new_id.lower())
            if other is not None and other != slot:
                raise ValueError(f"cannot rename {model_id!r} to {new_id!r}: that model exists")
            renamed = new_id != table.ids[slot]
            table.replace(slot, item)
            self._record("renamed" if renamed else kind, new_id)

    def _record(self, kind: str, model_id: str) -> None:
        if self._log:
            self.changes.append(ModelChange(self.clock(), kind, model_id))
