"""Deadlines and bounded retries for every CX call.

The client library's own defaults do not fit: its retry covers only a couple of methods,
and ``timeout=`` is per attempt, so one ``create_agent(timeout=2)`` against a dead port
retried for minutes. Here every call gets an overall deadline, a per-attempt timeout that
never outlives it, and a bounded number of attempts with exponential backoff and jitter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from google.api_core import exceptions as gexc

from cxops.cx.ratelimit import Clock, RateLimiter, Sleep
from cxops.errors import ConfigError

T = TypeVar("T")

# Only failures where the same request may succeed unchanged later are retried.
RETRYABLE: tuple[type[gexc.GoogleAPICallError], ...] = (
    gexc.ServiceUnavailable,
    gexc.ResourceExhausted,
    gexc.DeadlineExceeded,
)

# An attempt with less time than this left could not complete a round trip anyway.
MIN_ATTEMPT = 0.05


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to try one call. Times in seconds."""

    deadline: float = 120.0
    attempt_timeout: float = 30.0
    initial_backoff: float = 0.25
    max_backoff: float = 10.0
    multiplier: float = 2.0
    max_attempts: int = 8
    # Long-running operations (export, restore) legitimately take minutes.
    operation_deadline: float = 600.0
    poll_initial: float = 0.5
    poll_max: float = 10.0

    def __post_init__(self) -> None:
        positive = ("deadline", "attempt_timeout", "max_backoff", "operation_deadline", "poll_max")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"retry setting {name} must be > 0, not {getattr(self, name)!r}")
        if self.initial_backoff < 0 or self.poll_initial < 0 or self.multiplier < 1 or self.max_attempts < 1:
            raise ConfigError(f"invalid retry settings: {self}")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Pause after failed attempt number ``attempt`` (1-based).

        Half of the exponential step is random, so concurrent pulls that failed together
        do not come back together; the other half keeps a floor under the wait.
        """
        step = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return step * (0.5 + 0.5 * (rng or random).random())


class RetriesExhausted(Exception):
    """Every allowed attempt failed with a retryable error, or the deadline came first."""

    def __init__(self, attempts: int, elapsed: float, last: gexc.GoogleAPICallError, deadline: bool) -> None:
        super().__init__(f"gave up after {attempts} attempts over {elapsed:.1f}s: {last}")
        self.attempts = attempts
        self.elapsed = elapsed
        self.last = last
        self.deadline = deadline


def run_with_retry(
    attempt: Callable[[float], T],
    *,
    policy: RetryPolicy,
    limiter: RateLimiter,
    write: bool,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, int, gexc.GoogleAPICallError], None] | None = None,
) -> T:
    """Call ``attempt(timeout)`` until it returns, a non-retryable error, or the budget runs out.

    ``on_retry(next_attempt, max_attempts, error)`` is told before each retry's wait.

    Non-retryable API errors propagate unchanged; running out raises :class:`RetriesExhausted`.
    Waiting for the first permit does not count against the deadline: queueing behind our
    own rate limit is not the API being slow.
    """
    limiter.acquire(write=write)
    start = clock()
    deadline_at = start + policy.deadline
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt(min(policy.attempt_timeout, deadline_at - clock()))
        except RETRYABLE as exc:
            last = exc
        if attempts >= policy.max_attempts:
            raise RetriesExhausted(attempts, clock() - start, last, deadline=False)
        resume_at = clock() + policy.backoff(attempts, rng)
        if resume_at > deadline_at - MIN_ATTEMPT:
            raise RetriesExhausted(attempts, clock() - start, last, deadline=True)
        if on_retry is not None:
            on_retry(attempts + 1, policy.max_attempts, last)
        while (wait := resume_at - clock()) > 0:
            sleep(wait)
        if not limiter.acquire(write=write, until=deadline_at - MIN_ATTEMPT):
            raise RetriesExhausted(attempts, clock() - start, last, deadline=True)
