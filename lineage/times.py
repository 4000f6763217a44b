"""Time in lineage: the Hub's ISO-8601 UTC strings and seconds since the epoch, converted here only.

The Hub writes times as ``2025-01-31T12:00:00.000Z``; the store keeps them so, and the graph
keeps seconds since the epoch (UTC). Days given by users (``--since 2025-10-01``) are UTC days.

>>> iso(0)
'1970-01-01T00:00:00.000Z'
>>> normalize("2025-10-01"), normalize("2025-10-01T02:00:00+02:00")
('2025-10-01T00:00:00.000Z', '2025-10-01T00:00:00.000Z')
>>> shift("2025-10-01T00:00:00.000Z", -3600)
'2025-09-30T23:00:00.000Z'
>>> day_start("1970-01-02"), day_start("1970-01-02", end=True)
(86400, 172800)
>>> day_of(86400 * 365)
'1971-01-01'
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from lineage.errors import InputError

__all__ = ["day_of", "day_start", "iso", "normalize", "now", "now_iso", "parse", "shift"]

_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
_EPOCH = date(1970, 1, 1)


def now() -> float:
    """Seconds since the epoch, now."""
    return time.time()


def iso(ts: float) -> str:
    """``ts`` (seconds since the epoch) as the Hub writes times: millisecond precision, UTC."""
    return datetime.fromtimestamp(ts, UTC).strftime(_FORMAT)[:-3] + "Z"


def now_iso() -> str:
    """The current time as :func:`iso` writes it."""
    return iso(now())


def parse(value: str) -> datetime:
    """An ISO date or date-time (``Z`` or an offset allowed) as an aware UTC ``datetime``.

    Raises :class:`~lineage.errors.InputError` (a ``ValueError``) for anything else, including
    an empty string.
    """
    text = value.strip()
    if not text:
        raise InputError("an empty date: use YYYY-MM-DD")
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{value!r} is not a date: use YYYY-MM-DD or an ISO date-time") from exc
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def normalize(value: str) -> str:
    """A user's date or date-time as :func:`iso` writes it (a date alone is its UTC midnight)."""
    return parse(value).strftime(_FORMAT)[:-3] + "Z"


def shift(value: str, seconds: float) -> str:
    """The ISO time ``value`` moved by ``seconds`` (negative: earlier)."""
    return (parse(value) + timedelta(seconds=seconds)).strftime(_FORMAT)[:-3] + "Z"


def day_start(day: str, *, end: bool = False) -> int:
    """Seconds since the epoch at the start of the UTC day ``day`` (``YYYY-MM-DD`` or longer);
    with ``end``, at the start of the next day, so ``[day_start(a), day_start(b, end=True))``
    covers the days ``a`` to ``b`` inclusive."""
    try:
        d = date.fromisoformat(day.strip()[:10])
    except ValueError as exc:
        raise InputError(f"{day!r} is not a date: use YYYY-MM-DD") from exc
    return ((d - _EPOCH).days + (1 if end else 0)) * 86400


def day_of(ts: int) -> str:
    """The UTC day (``YYYY-MM-DD``) of ``ts`` seconds since the epoch."""
    return (_EPOCH + timedelta(days=int(ts) // 86400)).isoformat()
