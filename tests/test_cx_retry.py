"""Deadline and bounded retry, on a fake clock; the API is stood in by api_core exceptions."""

from __future__ import annotations

import random

import pytest
from google.api_core import exceptions as gexc

from cxops.cx import RateLimiter, RateLimits, RetriesExhausted, RetryPolicy, run_with_retry
from cxops.errors import ConfigError


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Api:
    """Fails with the given errors in turn, each attempt taking ``takes`` seconds, then answers."""

    def __init__(self, clock: FakeClock, errors: list[gexc.GoogleAPICallError], takes: float = 0.0) -> None:
        self.clock = clock
        self.errors = errors
        self.takes = takes
        self.timeouts: list[float] = []

    def __call__(self, timeout: float) -> str:
        self.timeouts.append(timeout)
        self.clock.now += min(self.takes, timeout)
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def run(api: Api, clock: FakeClock, policy: RetryPolicy, limits: RateLimits = RateLimits()) -> str:
    return run_with_retry(
        api,
        policy=policy,
        limiter=RateLimiter(limits, clock=clock, sleep=clock.sleep),
        write=True,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )


def test_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.deadline, policy.attempt_timeout, policy.max_attempts) == (120.0, 30.0, 8)
    assert (policy.initial_backoff, policy.max_backoff) == (0.25, 10.0)


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=8.0, multiplier=2.0)
    rng = random.Random(3)
    for attempt, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (12, 8.0)]:
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert max(delays) - min(delays) > step / 4  # really jittered


@pytest.mark.parametrize("error", [gexc.ServiceUnavailable, gexc.ResourceExhausted, gexc.DeadlineExceeded])
def test_retryable_errors_are_retried(error: type[gexc.GoogleAPICallError]) -> None:
    clock = FakeClock()
    api = Api(clock, [error("busy"), error("busy")])
    assert run(api, clock, RetryPolicy(initial_backoff=0.1)) == "ok"
    assert len(api.timeouts) == 3
    assert len(clock.slept) == 2
    assert 0.05 <= clock.slept[0] <= 0.1 and 0.1 <= clock.slept[1] <= 0.2


@pytest.mark.parametrize(
    "error",
    [
        gexc.InvalidArgument,
        gexc.PermissionDenied,
        gexc.NotFound,
        gexc.AlreadyExists,
        gexc.InternalServerError,
    ],
)
def test_other_errors_are_not_retried(error: type[gexc.GoogleAPICallError]) -> None:
    clock = FakeClock()
    api = Api(clock, [error("no")])
    with pytest.raises(error):
        run(api, clock, RetryPolicy())
    assert len(api.timeouts) == 1


def test_gives_up_after_max_attempts() -> None:
    clock = FakeClock()
    api = Api(clock, [gexc.ServiceUnavailable(f"down {i}") for i in range(10)], takes=0.5)
    with pytest.raises(RetriesExhausted) as caught:
        run(api, clock, RetryPolicy(max_attempts=3, initial_backoff=0.1))
    assert caught.value.attempts == 3 and not caught.value.deadline
    assert caught.value.last.message == "down 2"
    assert caught.value.elapsed == pytest.approx(clock.now)


def test_attempt_timeout_never_outlives_the_deadline() -> None:
    clock = FakeClock()
    api = Api(clock, [gexc.DeadlineExceeded("slow")] * 50, takes=100.0)
    policy = RetryPolicy(
        deadline=10.0, attempt_timeout=4.0, initial_backoff=0.5, max_backoff=0.5, max_attempts=50
    )
    with pytest.raises(RetriesExhausted) as caught:
        run(api, clock, policy)
    assert caught.value.deadline
    assert all(t <= 4.0 for t in api.timeouts)
    assert api.timeouts[-1] < 4.0  # the last attempt got only what was left
    assert clock.now <= 10.0 + 1e-9


def test_waiting_for_the_first_permit_is_not_part_of_the_deadline() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(writes_per_minute=1), clock=clock, sleep=clock.sleep)
    limiter.acquire(write=True)  # someone else just wrote: the next write waits 60 s
    api = Api(clock, [])
    result = run_with_retry(
        api, policy=RetryPolicy(deadline=5.0), limiter=limiter, write=True, clock=clock, sleep=clock.sleep
    )
    assert result == "ok" and clock.now == 60.0 and api.timeouts == [5.0]


def test_a_retry_the_rate_limit_would_push_past_the_deadline_is_not_started() -> None:
    clock = FakeClock()
    api = Api(clock, [gexc.ResourceExhausted("quota")] * 5)
    with pytest.raises(RetriesExhausted) as caught:
        run(api, clock, RetryPolicy(deadline=30.0), RateLimits(writes_per_minute=1))
    assert caught.value.deadline and caught.value.attempts == 1
    assert clock.now < 30.0


@pytest.mark.parametrize(
    "settings", [{"deadline": 0}, {"attempt_timeout": -1}, {"max_attempts": 0}, {"multiplier": 0.5}]
)
def test_invalid_policy_is_a_config_error(settings: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        RetryPolicy(**settings)  # type: ignore[arg-type]
