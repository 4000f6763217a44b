"""The explorer's tables of one loaded graph, memoised per store version: what each page shows
(share top N and notes, family tables, views, panel counts, licence colours), each computed once
and kept in a small least-recently-used memo. :mod:`lineage.app.data` loads the graph and warms
these in the background; the pages call them. No Streamlit here."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from lineage.analytics import ShareQuery, Table
from lineage.analytics.licenses import dropped_terms_below, edge_license_status, node_license_classes
from lineage.analytics.panel import Derivatives, RelationCounts, derivatives, relation_counts, top_roots
from lineage.analytics.ranking import TopGroups, group_order, top_overall
from lineage.analytics.share import ShareData, share_data
from lineage.analytics.summary import family_parts
from lineage.analytics.view import View, ViewSpec, select_view
from lineage.app.network import LicenseColours
from lineage.families import Registry
from lineage.graph import UNKNOWN_TIME, Lineage
from lineage.times import day_of

__all__ = ["FAMILIES_TOP", "MEMO_SIZE", "SHARE_GROUPS", "SHARE_MEMO_SIZE", "Graph", "Memo"]

T = TypeVar("T")

#: Tables kept per store version (least recently used dropped first).
MEMO_SIZE = 128
#: Share computations kept (their pairs: about 60 MB each at 3M models); their results stay in
#: the main memo.
SHARE_MEMO_SIZE = 4
#: Groups the Share page offers to focus on (the largest over the range).
SHARE_GROUPS = 300
#: Rows of the Families page's table at most (its "Top" slider).
FAMILIES_TOP = 60


class Memo:
    """A small thread-safe LRU memo: concurrent callers of one key wait for the first."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def __call__(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return cast(T, self._values[key])
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return cast(T, self._values[key])
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
                self._key_locks.pop(key, None)
        return value


class Graph:
    """A loaded graph with the registry, and a table memo."""

    def __init__(self, lin: Lineage, registry: Registry) -> None:
        self.lin = lin
        self.registry = registry
        self.memo = Memo()
        self.share_memo = Memo(SHARE_MEMO_SIZE)

    def share(self, query: ShareQuery, registry: Registry | None = None, registry_id: str = "") -> ShareData:
        """:func:`share_data` with downloads (placeholder roots grouped: ``query.unlisted``).
        Kept for the last few queries only (at 3M models one is about 60 MB of pairs); what the
        pages show of it is kept longer (:meth:`share_notes`, :meth:`share_top`, ...)."""
        reg = registry or self.registry
        return self.share_memo(
            ("share", query, registry_id), lambda: share_data(self.lin, query, reg, downloads=True)
        )

    def share_notes(
        self, query: ShareQuery, registry: Registry | None = None, registry_id: str = ""
    ) -> tuple[list[str], str]:
        """The notes and the method text of :meth:`share`."""

        def notes() -> tuple[list[str], str]:
            data = self.share(query, registry, registry_id)
            return data.notes, data.method

        return self.memo(("share notes", query, registry_id), notes)

    def share_groups(
        self, query: ShareQuery, registry: Registry | None = None, registry_id: str = "",
        limit: int = SHARE_GROUPS,
    ) -> list[str]:  # fmt: skip
        """The ``limit`` largest groups of :meth:`share` over the whole range, largest first."""
        return self.memo(
            ("share groups", query, registry_id, limit),
            lambda: group_order(self.share(query, registry, registry_id), limit=limit),
        )

    def share_page(self, query: ShareQuery) -> None:
        """Everything the Share page shows for ``query`` (the top 10, its group list, its notes),
        computed now: the background warm-up calls it."""
        self.share_notes(query)
        self.share_groups(query)
        self.share_top(query, 10)

    def share_top(
        self, query: ShareQuery, n: int, focus: tuple[str, ...] = (), registry: Registry | None = None,
        registry_id: str = "",
    ) -> TopGroups:  # fmt: skip
        """:meth:`share` cut to the top ``n`` groups over the range (or ``focus``) and "(other)"."""
        return self.memo(
            ("share top", query, registry_id, n, focus),
            lambda: top_overall(self.share(query, registry, registry_id), n, focus),
        )

    def families(self, by: str, window_days: int) -> Table:
        """The Families table (:data:`FAMILIES_TOP` rows); its window-free parts are kept per
        grouping, so another growth window is one pass over the derivatives."""

        def table() -> Table:
            parts = self.memo(("family parts", by), lambda: family_parts(self.lin, by, self.registry, True))
            return parts.table(FAMILIES_TOP, window_days)

        return self.memo(("families", by, window_days), table)

    def top_roots(self, by: str) -> dict[str, list[int]]:
        return self.memo(("top_roots", by), lambda: top_roots(self.lin, self.registry, by))

    def newest_day(self) -> str | None:
        """The creation day of the newest dated model (where the data stops)."""

        def newest() -> str | None:
            lin = self.lin
            dated = lin.created[(lin.created != UNKNOWN_TIME) & ~lin.legacy]
            return day_of(int(dated.max())) if len(dated) else None

        return self.memo("newest_day", newest)

    def view(self, node: int, spec: ViewSpec) -> View:
        return self.memo(("view", node, spec), lambda: select_view(self.lin, node, spec, self.registry))

    def counts(self, node: int) -> RelationCounts:
        """Children and descendants of ``node`` per relation (the model panel)."""
        return self.memo(("counts", node), lambda: relation_counts(self.lin, node))

    def licences(self) -> LicenseColours:
        """Every node's licence class and every link's licence status (the licence view)."""
        return self.memo(
            "licences", lambda: LicenseColours(node_license_classes(self.lin), edge_license_status(self.lin))
        )

    def dropped_terms(self, node: int) -> tuple[int, int]:
        """Live direct children and descendants of ``node`` dropping its licence terms."""

        def count() -> tuple[int, int]:
            below = self.derivatives(node, "descendants", None).nodes
            return dropped_terms_below(self.lin, node, below, self.licences().classes)

        return self.memo(("dropped terms", node), count)

    def derivatives(self, node: int, scope: str, relation: str | None) -> Derivatives:
        return self.memo(
            ("derivatives", node, scope, relation), lambda: derivatives(self.lin, node, scope, relation)
        )
