"""The Hub: the only package that talks to the Hugging Face Hub (through ``huggingface_hub``).

:mod:`lineage.hub.endpoint` says which host a crawl talks to and with which headers (the token
policy); :mod:`lineage.hub.http` makes the requests (timeouts, retries, rate-limit pacing, page
parsing); :mod:`lineage.hub.crawler` lists the Hub's models page by page, turns
each item into a :class:`~lineage.records.ModelRecord` and commits pages to the store.
"""

from lineage.hub.crawler import (
    EXPAND_FIELDS,
    CrawlConfig,
    Crawler,
    CrawlProgress,
    CrawlSummary,
)
from lineage.hub.endpoint import CrawlError, resolve_endpoint
from lineage.hub.http import Clock, SystemClock, hub_reachable

__all__ = [
    "EXPAND_FIELDS",
    "Clock",
    "CrawlConfig",
    "CrawlError",
    "CrawlProgress",
    "CrawlSummary",
    "Crawler",
    "SystemClock",
    "hub_reachable",
    "resolve_endpoint",
]
