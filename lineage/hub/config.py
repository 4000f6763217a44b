"""What a crawl is given and what it reports: its configuration, progress and summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["EXPAND_FIELDS", "CrawlConfig", "CrawlProgress", "CrawlSummary"]

#: Fields requested per model: everything lineage uses and nothing more.
EXPAND_FIELDS: tuple[str, ...] = (
    "author",
    "cardData",
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "gated",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "tags",
)


@dataclass(frozen=True)
class CrawlConfig:
    """Knobs of a crawl. Defaults suit the real Hub."""

    endpoint: str | None = None  # None: HF_ENDPOINT or https://huggingface.co
    page_size: int = 1000
    timeout: float = 60.0  # seconds per request (connect, read, write, pool)
    max_retries: int = 8  # per page, for errors other than 429
    max_rate_limit_waits: int = 50  # per page, for 429s
    max_empty_pages: int = 20  # empty pages in a row (each with a next link) before giving up
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    overlap_seconds: float = 6 * 3600  # incremental crawls re-read this much before the watermark
    expand: tuple[str, ...] = EXPAND_FIELDS
    token: str | bool | None = None  # None: HF_TOKEN / the saved login, as huggingface_hub does
    # Send the token to this endpoint although it is not huggingface.co (https, or plain http to
    # a loopback host only): see lineage.hub.http.token_decision.
    trust_endpoint: bool = False
    prefetch: bool = True  # full crawls fetch the next page while storing this one
    # A durable point every N pages or every few seconds, whichever comes first: a crash
    # re-fetches at most the pages since (a few seconds of work); bigger commits are cheaper.
    pages_per_commit: int = 20
    commit_seconds: float = 2.0
    # A complete --full crawl tombstones the models it did not list; above this fraction of the
    # store (and at least mass_delete_min models) it stops and asks for allow_mass_delete: an
    # endpoint that lists nothing (wrong URL, broken mirror) must not empty the store.
    mass_delete_fraction: float = 0.1
    mass_delete_min: int = 1000
    allow_mass_delete: bool = False


@dataclass
class CrawlProgress:
    """Counters passed to the progress callback after each page."""

    crawl_id: int
    mode: str
    pages: int = 0
    models: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    repairs: int = 0
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    expected_total: int | None = None
    last_date: str | None = None


@dataclass
class CrawlSummary:
    """What a crawl did, for the CLI summary and ``--format json``."""

    crawl_id: int
    mode: str
    endpoint: str
    complete: bool
    resumed: bool
    pages: int
    models: int
    new: int
    updated: int
    deleted: int
    duplicates: int
    skipped: int
    requests: int
    retries: int
    rate_limit_waits: int
    links: int
    repairs: dict[str, int] = field(default_factory=dict)
    resolution: dict[str, int] = field(default_factory=dict)  # links in the store, by resolution
    watermark: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
