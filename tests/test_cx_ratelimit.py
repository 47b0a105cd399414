"""The client-side rate limiter: pure, on a fake clock, and briefly on real time."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cxops.cx import Pacer, RateLimiter, RateLimits
from cxops.errors import ConfigError


class FakeClock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def max_in_window(starts: list[float], window: float) -> int:
    """Most starts in any half-open window [t, t + window)."""
    ordered = sorted(starts)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_unlimited_never_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        assert limiter.acquire(write=True)
        assert limiter.acquire(write=False)
    assert clock.slept == []


def test_strict_spacing_of_starts() -> None:
    clock = FakeClock()
    pacer = Pacer(120, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(5):
        pacer.acquire()
        starts.append(clock.now)
    assert starts == [1000.0, 1000.5, 1001.0, 1001.5, 1002.0]


def test_time_already_passed_is_not_waited_again() -> None:
    clock = FakeClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)
    pacer.acquire()
    clock.now += 5.0
    pacer.acquire()
    assert clock.slept == []


def test_reads_and_writes_are_paced_separately() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RateLimits(reads_per_minute=60, writes_per_minute=6), clock=clock, sleep=clock.sleep
    )
    limiter.acquire(write=True)
    limiter.acquire(write=False)
    assert clock.now == 1000.0
    limiter.acquire(write=False)
    assert clock.now == 1001.0
    limiter.acquire(write=True)
    assert clock.now == 1010.0


def test_a_permit_after_until_is_refused_and_not_consumed() -> None:
    clock = FakeClock()
    pacer = Pacer(6, clock=clock, sleep=clock.sleep)  # one per 10 s
    assert pacer.acquire()
    assert not pacer.acquire(until=1005.0)
    assert clock.now == 1000.0
    assert pacer.acquire(until=1010.0)
    assert clock.now == 1010.0


@given(
    per_minute=st.integers(min_value=1, max_value=600),
    gaps=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=80),
)
@example(per_minute=1, gaps=[1.1130105839739315, 0.0])  # t + 60 - 60 < t in floating point
def test_never_more_than_n_starts_in_any_minute(per_minute: int, gaps: list[float]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(writes_per_minute=per_minute), clock=clock, sleep=clock.sleep)
    starts = []
    for gap in gaps:
        clock.now += gap
        limiter.acquire(write=True)
        starts.append(clock.now)
    assert max_in_window(starts, 60.0) <= per_minute


def test_real_time_spacing_across_threads() -> None:
    limiter = RateLimiter(RateLimits(reads_per_minute=600))  # 0.1 s apart
    starts: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(3):
            limiter.acquire(write=False)
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 12
    # The permits' own times, as the pacer granted them under its lock: a thread may be
    # descheduled between its permit and reading the clock, so `starts` can bunch.
    granted = list(limiter._reads._recent)
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert len(granted) == 12 and min(gaps) >= 0.1
    assert starts[-1] - began < 1.1 + 1.0  # paced, not far slower than the rate allows (a loaded CI)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_invalid_limits_are_config_errors(bad: float) -> None:
    with pytest.raises(ConfigError, match="writes_per_minute"):
        RateLimits(writes_per_minute=bad)
