"""Sliding-window limits: in one process, and shared by several through a real Redis."""

from __future__ import annotations

import uuid

import pytest

from callcenter.campaigns.rate_limit import (
    Allowance,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Window,
)
from callcenter.campaigns.web_callbacks import limiter_for
from callcenter.forwarded import client_address
from callcenter.settings import Settings


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


THREE_A_MINUTE = Window(limit=3, seconds=60)


def check_sliding_window(limiter: RateLimiter, clock: FakeClock, key: str) -> None:
    one = [Allowance(key, THREE_A_MINUTE)]
    start = clock.now
    for offset in (0, 10, 20):
        clock.now = start + offset
        assert limiter.hit(one) == 0.0
    clock.now = start + 30
    assert limiter.hit(one) == pytest.approx(30, abs=0.01)  # the first hit leaves then
    clock.now = start + 59
    assert limiter.hit(one) == pytest.approx(1, abs=0.01)  # refused hits are not counted
    clock.now = start + 61
    assert limiter.hit(one) == 0.0
    assert limiter.hit(one) == pytest.approx(9, abs=0.01)  # the second leaves at start + 70


def check_all_or_nothing(limiter: RateLimiter, key: str) -> None:
    number = Allowance(f"{key}:number", Window(limit=1, seconds=60))
    address = Allowance(f"{key}:address", Window(limit=5, seconds=60))
    assert limiter.hit([number, address]) == 0.0
    assert limiter.hit([number, address]) > 0
    # The refused hit did not count against the address: four more fit.
    other = [Allowance(f"{key}:other{n}", Window(limit=1, seconds=60)) for n in range(4)]
    assert [limiter.hit([o, address]) for o in other] == [0.0] * 4
    assert limiter.hit([Allowance(f"{key}:fresh", THREE_A_MINUTE), address]) > 0


def test_memory_sliding_window() -> None:
    clock = FakeClock()
    check_sliding_window(MemoryRateLimiter(clock=clock), clock, "k")


def test_memory_counts_all_or_nothing() -> None:
    check_all_or_nothing(MemoryRateLimiter(clock=FakeClock()), "k")


def test_memory_forgets_the_oldest_keys() -> None:
    limiter = MemoryRateLimiter(max_keys=10, clock=FakeClock())
    for n in range(50):
        limiter.hit([Allowance(f"k{n}", Window(1, 60))])
    assert limiter.hit([Allowance("k49", Window(1, 60))]) > 0
    assert limiter.hit([Allowance("k0", Window(1, 60))]) == 0.0


def test_redis_sliding_window(redis_url: str) -> None:
    clock = FakeClock()
    limiter = RedisRateLimiter.connect(redis_url)
    limiter._clock = clock
    try:
        check_sliding_window(limiter, clock, f"test:{uuid.uuid4().hex}")
        check_all_or_nothing(limiter, f"test:{uuid.uuid4().hex}")
    finally:
        limiter.close()


def test_two_processes_share_one_count_in_redis(redis_url: str) -> None:
    key = f"test:{uuid.uuid4().hex}"
    first, second = RedisRateLimiter.connect(redis_url), RedisRateLimiter.connect(redis_url)
    try:
        one = [Allowance(key, THREE_A_MINUTE)]
        assert [first.hit(one), second.hit(one), first.hit(one)] == [0.0, 0.0, 0.0]
        assert second.hit(one) > 0
        assert first.hit(one) > 0
    finally:
        first.close()
        second.close()


def test_the_web_app_counts_in_redis_when_several_processes_serve_it(redis_url: str) -> None:
    assert isinstance(limiter_for(Settings()), MemoryRateLimiter)
    shared = limiter_for(Settings(bus_url=redis_url))
    assert isinstance(shared, RedisRateLimiter)
    shared.close()


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.7", None, "", "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", "", "203.0.113.7"),  # no proxy trusted
        ("203.0.113.7", "198.51.100.1", "10.0.0.0/8", "203.0.113.7"),  # peer is no proxy
        ("10.0.0.5", "198.51.100.1", "10.0.0.0/8", "198.51.100.1"),
        ("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.0.0.9", "10.0.0.0/8", "198.51.100.1"),
        ("10.0.0.5", "10.0.0.8, 10.0.0.9", "10.0.0.0/8", "10.0.0.8"),
        ("10.0.0.5", "198.51.100.1", "*", "198.51.100.1"),
        ("::1", "2001:db8::1", "::1, 127.0.0.1", "2001:db8::1"),
        ("10.0.0.5", "", "10.0.0.0/8", "10.0.0.5"),
        (None, None, "", "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, trusted: str, client: str) -> None:
    assert client_address(peer, forwarded, trusted) == client
