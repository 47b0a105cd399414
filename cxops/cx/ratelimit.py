"""Client-side pacing of CX calls: reads and writes per minute, per stage.

Each class of call is paced by strict spacing: two calls of the same class start at least
``60 / N`` seconds apart, so no 60-second window ever holds more than N starts. A bucket
that allows bursts would be faster for small jobs, but a burst of N writes right after
another stage's burst is exactly what trips the server's own per-minute quota.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cxops.errors import ConfigError

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RateLimits:
    """A stage's ``rate_limits``; ``None`` means unlimited."""

    reads_per_minute: float | None = None
    writes_per_minute: float | None = None

    def __post_init__(self) -> None:
        for name in ("reads_per_minute", "writes_per_minute"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise ConfigError(f"rate_limits.{name} must be a positive number or absent, not {value!r}")


class Pacer:
    """Grants permits to start calls, at least ``60 / per_minute`` seconds apart (thread-safe)."""

    def __init__(
        self, per_minute: float | None, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.interval = 0.0 if per_minute is None else 60.0 / per_minute
        # The last N starts as well: N intervals summed in floating point can come to a hair
        # under a minute, and the window check keeps N + 1 starts out of any minute regardless.
        self._recent: collections.deque[float] = collections.deque(
            maxlen=max(1, math.floor(per_minute)) if per_minute is not None else 1
        )
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None
        # Held while sleeping: the next permit is measured from the moment this one was
        # really granted, so a late wake-up can never bunch two starts together.
        self._lock = threading.Lock()

    def acquire(self, until: float | None = None) -> bool:
        """Wait for a permit; ``False`` (nothing granted) if it would come later than ``until``."""
        if self.interval == 0.0:
            return until is None or self._clock() <= until
        with self._lock:
            slot = self._clock() if self._last is None else max(self._clock(), self._last + self.interval)
            if len(self._recent) == self._recent.maxlen:
                slot = max(slot, self._recent[0] + 60.0)
                # t + 60 - 60 can round below t: step up until the window provably excludes it.
                while slot - 60.0 < self._recent[0]:
                    slot = math.nextafter(slot, math.inf)
            if until is not None and slot > until:
                return False
            while (wait := slot - self._clock()) > 0:
                self._sleep(wait)
            self._last = self._clock()
            self._recent.append(self._last)
            return True


class RateLimiter:
    """One per session: a read pacer and a write pacer sharing one clock."""

    def __init__(
        self, limits: RateLimits = RateLimits(), *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.limits = limits
        self._reads = Pacer(limits.reads_per_minute, clock=clock, sleep=sleep)
        self._writes = Pacer(limits.writes_per_minute, clock=clock, sleep=sleep)

    def acquire(self, *, write: bool, until: float | None = None) -> bool:
        """Wait until a call of that class may start; see :meth:`Pacer.acquire`."""
        return (self._writes if write else self._reads).acquire(until)
