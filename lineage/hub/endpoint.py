"""Which host a crawl talks to, and what it tells it: the endpoint, the token policy, headers.

* :func:`resolve_endpoint` validates the endpoint (``--endpoint``, else ``HF_ENDPOINT``, else
  the public Hub); the crawl talks to that host and no other.
* Headers are built here (:func:`hub_headers`), not by ``huggingface_hub.utils.build_hf_headers``:
  its user-agent code (``_http_user_agent``, unless ``HF_HUB_DISABLE_TELEMETRY``) calls
  ``utils._detect_agent.detect_agent()``, which fetches ``{HF_ENDPOINT or
  https://huggingface.co}/api/agent-harnesses`` (3-second timeout, cached a day in ``HF_HOME``)
  whatever endpoint the request itself goes to: traffic to a host the user did not name, and a
  3-second stall where huggingface.co is unreachable.
* The token goes only to the Hub over https, or to an endpoint the user trusts, never in clear
  text across the network (:func:`token_decision`). It is never logged.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import platform
from typing import Literal
from urllib.parse import urlsplit

import huggingface_hub
from huggingface_hub import constants, get_token

import lineage  # the root package (its version), not a stage
from lineage.errors import LineageError

__all__ = [
    "HUB_HOSTS",
    "TRUST_ENV",
    "CrawlError",
    "hub_headers",
    "resolve_endpoint",
    "token_configured",
    "token_decision",
    "user_agent",
]

log = logging.getLogger("lineage.hub")

#: Hosts of the public Hub: the token goes there over https without any opt-in.
HUB_HOSTS = frozenset({"huggingface.co", "hf.co"})
#: Environment variable that opts in to sending the token to the crawled endpoint.
TRUST_ENV = "LINEAGE_TRUST_ENDPOINT"


class CrawlError(LineageError, RuntimeError):
    """The crawl cannot go on; the message says why and what to do. State is saved."""


def resolve_endpoint(endpoint: str | None) -> str:
    """The endpoint to crawl: the argument, else ``HF_ENDPOINT``, else the public Hub.

    Raises :class:`CrawlError` for a URL that is not ``http(s)://host[:port][/path]``, that
    carries credentials (those belong in ``HF_TOKEN``, never in a URL that gets displayed), or
    that holds spaces or control characters (a CR/LF would reach later messages raw; Python's
    URL parser silently drops tabs and newlines, so the URL checked is not the one displayed).
    Surrounding whitespace is dropped.

    >>> resolve_endpoint(" http://127.0.0.1:8000/ ")
    'http://127.0.0.1:8000'
    >>> resolve_endpoint("http://127.0.0.1:8000/\\r\\nX-Injected: 1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lineage.hub.endpoint.CrawlError: the endpoint 'http://127.0.0.1:8000/\\r\\nX-Injected: 1' contains ...
    """
    url = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).strip().rstrip("/")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise CrawlError(f"the endpoint {url!r} contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise CrawlError(f"the endpoint {url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"the endpoint {url!r} is not an http(s) URL, e.g. https://huggingface.co")
    if parts.username or parts.password:
        raise CrawlError("the endpoint URL must not contain credentials: put a token in HF_TOKEN")
    return url


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the scheme's default port as None; None for a bad URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if port == {"http": 80, "https": 443}.get(scheme):
        port = None
    return scheme, (parts.hostname or "").lower(), port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _trust_env() -> bool:
    return os.environ.get(TRUST_ENV, "").strip().lower() in ("1", "true", "yes")


def token_decision(endpoint: str, *, trust_endpoint: bool = False) -> Literal["send", "withhold", "refuse"]:
    """Whether a Hugging Face token may be sent to ``endpoint`` (a resolved endpoint URL).

    ====================================================================  ==========
    endpoint                                                              token
    ====================================================================  ==========
    ``https://huggingface.co`` or ``https://hf.co``                       sent
    trusted, over https or plain http to a loopback host                  sent
    trusted, plain http to any other host                                 refused
    anything else (an untrusted endpoint)                                 withheld
    ====================================================================  ==========

    An endpoint is *trusted* when the user named it (its scheme, host and port) in
    ``HF_ENDPOINT`` (huggingface_hub sends the token there), passed ``--trust-endpoint``
    (``CrawlConfig(trust_endpoint=True)``) or set ``LINEAGE_TRUST_ENDPOINT=1``. *Refused*
    means the crawl stops before any request with a :class:`CrawlError` when a token is
    configured: the user asked for it to be sent, and we will not send it in clear text over
    the network. *Withheld* means the crawl runs anonymously, with a warning naming the
    opt-ins (logged at INFO level for a loopback host such as the simulated hub).

    >>> token_decision("https://huggingface.co"), token_decision("http://huggingface.co")
    ('send', 'withhold')
    >>> token_decision("http://127.0.0.1:8000"), token_decision("http://127.0.0.1:8000", trust_endpoint=True)
    ('withhold', 'send')
    >>> token_decision("http://mirror.example", trust_endpoint=True)
    'refuse'
    """
    origin = _origin(endpoint)
    if origin is None:
        return "withhold"
    scheme, host, port = origin
    if scheme == "https" and host in HUB_HOSTS and port is None:
        return "send"
    named = os.environ.get("HF_ENDPOINT")
    trusted = trust_endpoint or _trust_env() or (bool(named) and _origin(named or "") == origin)
    if not trusted:
        return "withhold"
    if scheme == "https" or _is_loopback(host):
        return "send"
    return "refuse"


def token_configured(token: str | bool | None) -> bool:
    """Whether a token would be sent, without reading it (reading may refresh it over the net)."""
    if isinstance(token, str) or token is True:
        return True
    if token is False or constants.HF_HUB_DISABLE_IMPLICIT_TOKEN:
        return False
    return bool(
        os.environ.get("HF_TOKEN")
        or os.environ.get("HUGGING_FACE_HUB_TOKEN")
        or os.environ.get("HF_OIDC_RESOURCE")
        or os.path.exists(constants.HF_TOKEN_PATH)
    )


def _token_to_send(token: str | bool | None) -> str | None:
    """The token as huggingface_hub picks it (``build_hf_headers``' rules)."""
    if isinstance(token, str):
        return token
    if token is False or (token is None and constants.HF_HUB_DISABLE_IMPLICIT_TOKEN):
        return None
    found = get_token()
    if found is None and token is True:
        raise CrawlError("a token is required but none was found: set HF_TOKEN or run `hf auth login`")
    return found


def user_agent() -> str:
    """``lineage/<v>; hf_hub/<v>; python/<v>``: huggingface_hub's format, without its agent
    detection (which makes a request to huggingface.co)."""
    versions = (lineage.__version__, huggingface_hub.__version__, platform.python_version())
    ua = "lineage/{}; hf_hub/{}; python/{}".format(*versions)
    if constants.HF_HUB_USER_AGENT_ORIGIN:
        ua += f"; origin/{constants.HF_HUB_USER_AGENT_ORIGIN}"
    return ua


def hub_headers(
    endpoint: str, *, token: str | bool | None = None, trust_endpoint: bool = False
) -> dict[str, str]:
    """Request headers for ``endpoint``: user-agent, and the token where :func:`token_decision`
    allows it. ``token``: a token, ``False`` (none), ``True`` (required) or ``None`` (``HF_TOKEN``
    or the saved login, as huggingface_hub does). Raises :class:`CrawlError` when the token
    would go over plain http to a non-loopback host. Never logs the token."""
    headers = {"user-agent": user_agent(), "Accept": "application/json"}
    decision = token_decision(endpoint, trust_endpoint=trust_endpoint)
    if decision == "send":
        found = _token_to_send(token)
        if found:
            headers["authorization"] = f"Bearer {found}"
    elif token_configured(token):
        host = urlsplit(endpoint).hostname
        if decision == "refuse":
            raise CrawlError(
                f"refusing to send the Hugging Face token to {endpoint} over plain http (anyone on "
                "the network could read it): use an https endpoint, or crawl anonymously "
                "(unset HF_TOKEN, or set HF_HUB_DISABLE_IMPLICIT_TOKEN=1)"
            )
        level = logging.INFO if _is_loopback(host or "") else logging.WARNING
        log.log(
            level,
            "the Hugging Face token is not sent to %s (not huggingface.co); crawling anonymously. "
            "To send it, name the endpoint in HF_ENDPOINT, pass --trust-endpoint or set %s=1",
            endpoint,
            TRUST_ENV,
        )
    return headers
