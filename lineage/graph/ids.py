"""Model ids packed for a memory map: one UTF-8 blob and offsets, with the permutations that sort
them (as written, and lower-cased) for exact and case-insensitive look-up by binary search. No
Python string is made for a model until it is asked for. The graph snapshot
(:mod:`lineage.graph.snapshot`) stores these arrays; :func:`lineage.graph.build` packs them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np
import numpy.typing as npt

__all__ = ["IdColumn", "IdSequence"]


class IdSequence(Sequence[str]):
    """Ids made on demand: a subclass gives ``__len__`` and ``_id(k)`` for ``0 <= k < len``;
    this gives indexing (negative indexes, slices, IndexError) as a list does."""

    def _id(self, k: int) -> str:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self._id(k) for k in range(*i.indices(len(self)))]
        n = len(self)
        k = int(i) + n if int(i) < 0 else int(i)
        if not 0 <= k < n:
            raise IndexError(i)
        return self._id(k)


class IdColumn(IdSequence):
    """Model ids as one UTF-8 blob and offsets: ``ids[i]`` decodes id ``i`` on demand.

    ``order`` holds the node numbers sorted by id (as UTF-8 bytes, SQLite's BINARY order),
    ``lower_order`` sorted by the ASCII-lower-cased id (SQLite's ``lower()``; Hub ids are
    ASCII), each in two sorted runs — the models ``[0, split)``, then the placeholder parents —
    for :meth:`find` by binary search without a dict of every id.
    """

    def __init__(
        self,
        blob: npt.NDArray[np.uint8],
        offsets: npt.NDArray[np.int64],
        order: npt.NDArray[np.int64],
        lower_order: npt.NDArray[np.int64],
        split: int | None = None,
    ) -> None:
        self.blob = blob
        self.offsets = offsets
        self.order = order
        self.lower_order = lower_order
        self.split = len(offsets) - 1 if split is None else int(split)

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        order: npt.NDArray[np.int64] | None = None,
        lower_order: npt.NDArray[np.int64] | None = None,
        split: int | None = None,
    ) -> IdColumn:
        """Encode ``ids``. ``order``/``lower_order`` sort the first ``split`` ids (the models,
        as the store's indexes give them); the rest (placeholders) are sorted here."""
        n = len(ids)
        split = 0 if split is None else split
        text = "".join(ids)
        blob_bytes = text.encode("utf-8", "surrogatepass")
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
        if len(blob_bytes) != len(text):  # not all ASCII: byte lengths per id
            lengths = np.fromiter((len(s.encode("utf-8", "surrogatepass")) for s in ids), np.int64, count=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        blob = np.frombuffer(blob_bytes, dtype=np.uint8) if blob_bytes else np.empty(0, np.uint8)
        col = cls(blob, offsets, np.empty(0, np.int64), np.empty(0, np.int64), split)
        rest = range(split, n)
        tail = sorted(rest, key=col.raw)
        tail_lower = sorted(rest, key=lambda k: col.raw(k).lower())
        if order is None or lower_order is None:
            col.split = 0
            order, lower_order = np.empty(0, np.int64), np.empty(0, np.int64)
            tail = sorted(range(n), key=col.raw)
            tail_lower = sorted(range(n), key=lambda k: col.raw(k).lower())
        col.order = np.concatenate([order, np.array(tail, dtype=np.int64)])
        col.lower_order = np.concatenate([lower_order, np.array(tail_lower, dtype=np.int64)])
        return col

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, k: int) -> bytes:
        """Id ``k`` as UTF-8 bytes."""
        return bytes(self.blob[int(self.offsets[k]) : int(self.offsets[k + 1])])

    def _id(self, k: int) -> str:
        return self.raw(k).decode("utf-8", "surrogatepass")

    def take(self, nodes: npt.NDArray[np.int64] | Sequence[int]) -> list[str]:
        """The ids of ``nodes``, decoded in one pass (much faster than ``ids[i]`` one by one)."""
        at = np.asarray(nodes, dtype=np.int64)
        starts, ends = self.offsets[at].tolist(), self.offsets[at + 1].tolist()
        if len(at) > len(self) // 8:  # most of them: one copy of the blob, then plain slices
            raw: bytes | memoryview = bytes(self.blob)
        else:
            raw = self.blob.data
        return [bytes(raw[a:b]).decode("utf-8", "surrogatepass") for a, b in zip(starts, ends, strict=True)]

    def __iter__(self) -> Iterator[str]:
        raw = bytes(self.blob)
        offs = self.offsets.tolist()
        for k in range(len(self)):
            yield raw[offs[k] : offs[k + 1]].decode("utf-8", "surrogatepass")

    def find(self, model_id: str, exact: bool = False) -> int | None:
        """The node of ``model_id``: exact, else (unless ``exact``) case-insensitive (models
        before placeholders, then the smallest node number); None if absent."""
        key = model_id.encode("utf-8", "surrogatepass")
        searches = [(self.order, False, key)]
        if not exact:
            searches.append((self.lower_order, True, key.lower()))
        for order, lower, wanted in searches:
            for lo, hi in ((0, self.split), (self.split, len(order))):
                k = self._search(order, lo, hi, wanted, lower)
                if k is not None:
                    return k
        return None

    def _search(self, order: npt.NDArray[np.int64], lo: int, hi: int, key: bytes, lower: bool) -> int | None:
        # Plain Python ints and a memoryview: about 20 times quicker per step than numpy scalars.
        offsets, blob = self.offsets, self.blob.data

        def at(j: int) -> bytes:
            k = order.item(j)
            b = bytes(blob[offsets.item(k) : offsets.item(k + 1)])
            return b.lower() if lower else b

        end = hi
        while lo < hi:
            mid = (lo + hi) // 2
            if at(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and at(lo) == key:
            return int(order.item(lo))
        return None
