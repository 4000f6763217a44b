"""Fault injection for the simulated Hub: what goes wrong, and on which listing requests.

A :class:`FaultSpec` lists fault kinds (HTTP 429/500/502/503/504, ``stall``, ``truncate``,
``empty``, ``dup``), each either at a rate (``503:0.05``: independently per listing request,
reproducible from the hub's seed) or on given 1-based listing-request numbers
(``truncate@2,5``), plus the settings of the simulated quota (``quota=Q``, ``window=SECONDS``),
``stall_seconds`` and the ``retry_after`` announced by injected 429s. The server
(:mod:`lineage.sim.server`) applies them; this module only parses and schedules.

>>> str(FaultSpec.parse("503@2,4,quota=10"))
'503@2,4,quota=10'
>>> sorted(FaultSpec.parse("dup@1,3").select(3, []))
['dup']
"""

from __future__ import annotations

import collections
import math
import random
import threading
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "STATUS_FAULTS", "FaultRule", "FaultSpec", "FaultState"]

#: Fault kinds, in the order of precedence used when several are drawn for one request
#: (``stall`` combines with any other; of the rest only the first applies).
FAULT_KINDS: tuple[str, ...] = ("stall", "429", "500", "502", "503", "504", "truncate", "empty", "dup")
#: The kinds answered with an HTTP error status instead of a page.
STATUS_FAULTS: tuple[str, ...] = ("429", "500", "502", "503", "504")
_SETTINGS: tuple[str, ...] = ("quota", "window", "stall_seconds", "retry_after")
_FORMS = (
    "accepted forms: KIND:RATE (RATE in 0..1, e.g. 503:0.05), KIND@N[,N...] (1-based listing request "
    "numbers, e.g. truncate@2,5), quota=Q, window=SECONDS, stall_seconds=SECONDS, retry_after=SECONDS; "
    "kinds: " + ", ".join(FAULT_KINDS)
)


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault kind, injected at ``rate`` (independently per listing request) or ``at`` the
    given 1-based listing-request numbers (every request counts, retries included)."""

    kind: str
    rate: float = 0.0
    at: frozenset[int] = frozenset()

    def __str__(self) -> str:
        if self.at:
            return f"{self.kind}@" + ",".join(str(n) for n in sorted(self.at))
        return f"{self.kind}:{self.rate:g}"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Parsed fault configuration (immutable); build it with :meth:`parse`.

    ``quota`` requests per fixed ``window`` (seconds) on ``/api/models*`` (None: no quota and no
    rate-limit headers); ``stall_seconds`` of real time for ``stall``; ``retry_after`` seconds
    announced by injected 429s.
    """

    rules: tuple[FaultRule, ...] = ()
    quota: int | None = None
    window: int = 300
    stall_seconds: float = 5.0
    retry_after: int = 1

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse ``"503:0.05,truncate@2,5,stall:0.01,quota=100,window=300,stall_seconds=3"``.

        Items are comma-separated; a bare number continues the schedule before it. ``None`` or
        an empty string means no faults. Raises :class:`ValueError` naming the bad item.

        >>> [str(rule) for rule in FaultSpec.parse("dup@1,3,empty:0.5,retry_after=0").rules]
        ['dup@1,3', 'empty:0.5']
        """
        if spec is None:
            return cls()
        if not isinstance(spec, str):
            raise ValueError(f"fault spec must be a string, not {type(spec).__name__}; {_FORMS}")
        rules: list[FaultRule] = []
        settings: dict[str, str] = {}
        open_schedule: int | None = None  # index in rules of a schedule that bare numbers extend
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            if item.isdigit() and open_schedule is not None:
                rule = rules[open_schedule]
                rules[open_schedule] = FaultRule(rule.kind, 0.0, rule.at | {_ordinal(item, item)})
                continue
            open_schedule = None
            if "=" in item:
                name, _, value = (part.strip() for part in item.partition("="))
                if name not in _SETTINGS:
                    raise ValueError(f"bad fault spec item {item!r}: unknown setting {name!r}; {_FORMS}")
                if name in settings:
                    raise ValueError(f"bad fault spec item {item!r}: {name} given twice; {_FORMS}")
                settings[name] = value
            elif "@" in item:
                kind, _, at = (part.strip() for part in item.partition("@"))
                _check_kind(kind, item)
                rules.append(FaultRule(kind, 0.0, frozenset({_ordinal(at, item)})))
                open_schedule = len(rules) - 1
            elif ":" in item:
                kind, _, rate_s = (part.strip() for part in item.partition(":"))
                _check_kind(kind, item)
                try:
                    rate = float(rate_s)
                except ValueError:
                    why = f"rate {rate_s!r} is not a number"
                    raise ValueError(f"bad fault spec item {item!r}: {why}; {_FORMS}") from None
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"bad fault spec item {item!r}: rate must be between 0 and 1; {_FORMS}")
                rules.append(FaultRule(kind, rate))
            else:
                raise ValueError(
                    f"bad fault spec item {item!r}: not KIND:RATE, KIND@N or NAME=VALUE; {_FORMS}"
                )
        quota = _setting_int(settings, "quota", None, 1)
        window = _setting_int(settings, "window", 300, 1)
        retry_after = _setting_int(settings, "retry_after", 1, 0)
        stall_s = settings.get("stall_seconds")
        stall_seconds = 5.0
        if stall_s is not None:
            try:
                stall_seconds = float(stall_s)
            except ValueError:
                stall_seconds = -1.0
            if not 0.0 <= stall_seconds < math.inf:
                raise ValueError(
                    f"bad fault spec item 'stall_seconds={stall_s}': must be a number >= 0; {_FORMS}"
                )
        assert window is not None and retry_after is not None
        return cls(tuple(rules), quota, window, stall_seconds, retry_after)

    def __str__(self) -> str:
        parts = [str(rule) for rule in self.rules]
        if self.quota is not None:
            parts.append(f"quota={self.quota}")
        if self.window != 300:
            parts.append(f"window={self.window}")
        if self.stall_seconds != 5.0:
            parts.append(f"stall_seconds={self.stall_seconds:g}")
        if self.retry_after != 1:
            parts.append(f"retry_after={self.retry_after}")
        return ",".join(parts)

    def select(self, ordinal: int, draws: list[float]) -> set[str]:
        """Kinds drawn for listing request number ``ordinal``; ``draws`` holds one uniform
        number per rate rule, in order (see :meth:`n_draws`)."""
        chosen: set[str] = set()
        i = 0
        for rule in self.rules:
            if rule.at:
                if ordinal in rule.at:
                    chosen.add(rule.kind)
            else:
                if draws[i] < rule.rate:
                    chosen.add(rule.kind)
                i += 1
        return chosen

    @property
    def n_draws(self) -> int:
        """How many random numbers :meth:`select` consumes per listing request."""
        return sum(1 for rule in self.rules if not rule.at)


def _check_kind(kind: str, item: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"bad fault spec item {item!r}: unknown fault kind {kind!r}; {_FORMS}")


def _ordinal(value: str, item: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"bad fault spec item {item!r}: {value!r} is not a request number >= 1; {_FORMS}")
    return int(value)


def _setting_int(settings: dict[str, str], name: str, default: int | None, minimum: int) -> int | None:
    value = settings.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"bad fault spec item '{name}={value}': must be an integer >= {minimum}; {_FORMS}")
    return int(value)


class FaultState:
    """A running hub's fault schedule (thread-safe): the spec, the listing-request count, the
    random sequence of rate-form faults, the quota window and the faults injected so far."""

    def __init__(self, spec: FaultSpec, seed: int) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._ordinal = 0
        self._window: tuple[int, int] = (0, 0)  # (window index, requests counted in it)
        self.injected: collections.Counter[str] = collections.Counter()

    def restart(self, spec: FaultSpec, seed: int) -> None:
        """Use ``spec`` from now on, counting listing requests and drawing faults afresh (the
        quota window and the injected counts carry on)."""
        with self._lock:
            self.spec = spec
            self._rng = random.Random(seed)
            self._ordinal = 0

    def draw(self) -> set[str]:
        """The kinds chosen for the next listing request."""
        spec = self.spec
        with self._lock:
            self._ordinal += 1
            draws = [self._rng.random() for _ in range(spec.n_draws)]
            ordinal = self._ordinal
        return spec.select(ordinal, draws)

    def count(self, kind: str) -> None:
        """Record that ``kind`` was injected."""
        with self._lock:
            self.injected[kind] += 1

    def rate(self, counted: bool, now: float) -> tuple[list[tuple[str, str]], bool, int]:
        """Rate-limit headers at ``now``, whether this request is over quota (``counted``: it
        is an API request, which uses quota), and the seconds until the window resets."""
        spec = self.spec
        if spec.quota is None:
            return [], False, 0
        index = math.floor(now / spec.window)
        with self._lock:
            window, used = self._window
            if window != index:
                used = 0
            if counted:
                used += 1
            self._window = (index, used)
        remaining = max(0, spec.quota - used)
        reset = max(1, math.ceil((index + 1) * spec.window - now))
        headers = [
            ("RateLimit", f'"api";r={remaining};t={reset}'),
            ("RateLimit-Policy", f'"fixed window";"api";q={spec.quota};w={spec.window}'),
        ]
        return headers, counted and used > spec.quota, reset
