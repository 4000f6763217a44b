"""The store: one SQLite file. Every SQL statement of the package lives in this package."""

from lineage.store.core import (
    CrawlState,
    PageResult,
    Store,
    StoreError,
    default_store_path,
    delete_store,
    open_store,
)

__all__ = [
    "CrawlState",
    "PageResult",
    "Store",
    "StoreError",
    "default_store_path",
    "delete_store",
    "open_store",
]
