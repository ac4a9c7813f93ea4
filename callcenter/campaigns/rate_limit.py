"""Sliding-window request limits (per number, per client address...), in this process or in
Redis so that several web workers share one count."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis

from callcenter import redis_link


@dataclass(frozen=True)
class Window:
    """At most `limit` hits within any `seconds`."""

    limit: int
    seconds: float


@dataclass(frozen=True)
class Allowance:
    """One limit a request counts against: its key ("number:+4930...") and its window."""

    key: str
    window: Window


class RateLimiter(Protocol):
    """Counts hits against several limits at once, all or none."""

    def hit(self, allowances: Sequence[Allowance]) -> float:
        """Count one hit against every allowance and return 0, or, when any of them is used
        up, count nothing and return the seconds until that one allows a hit again."""
        ...


class MemoryRateLimiter:
    """The count of one process (a single web worker). Memory is bounded: the keys hit least
    recently are forgotten first."""

    def __init__(
        self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # sync routes run on a thread pool

    def hit(self, allowances: Sequence[Allowance]) -> float:
        now = self._clock()
        with self._lock:
            wait = max((self._wait(a, now) for a in allowances), default=0.0)
            if wait > 0:
                return wait
            for allowance in allowances:
                hits = self._hits.setdefault(allowance.key, deque())
                hits.append(now)
                self._hits.move_to_end(allowance.key)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return 0.0

    def _wait(self, allowance: Allowance, now: float) -> float:
        hits = self._hits.get(allowance.key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - allowance.window.seconds:
            hits.popleft()
        if not hits:
            del self._hits[allowance.key]
            return 0.0
        if len(hits) < allowance.window.limit:
            return 0.0
        # The hit that frees a place is the one `limit` back from the newest.
        return max(hits[-allowance.window.limit] + allowance.window.seconds - now, 1e-3)


# KEYS: one sorted set per allowance; ARGV: now (ms), then limit and window (ms) per key, then
# a unique member. Each set holds its hits' times; all are checked before any is added.
_HIT = """
local now = tonumber(ARGV[1])
local member = ARGV[#ARGV]
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local freeing = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
    local this = tonumber(freeing[2]) + window - now
    if this > wait then wait = this end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""


class RedisRateLimiter:
    """The count shared by every process on one Redis (CALLCENTER_BUS_URL): one sorted set
    of hit times per key, checked and added to in one script, so two workers never both take
    the last place. Times come from this process's clock (the workers' clocks agree to well
    within a window)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "ratelimit",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._script = client.register_script(_HIT)

    @classmethod
    def connect(cls, url: str, prefix: str = "ratelimit") -> RedisRateLimiter:
        """A limiter on the Redis at `url`."""
        return cls(redis_link.sync_client(url), prefix)

    def hit(self, allowances: Sequence[Allowance]) -> float:
        if not allowances:
            return 0.0
        keys = [redis_link.key(self._prefix, a.key) for a in allowances]
        args: list[int | str] = [math.floor(self._clock() * 1000)]
        for allowance in allowances:
            args += [allowance.window.limit, math.ceil(allowance.window.seconds * 1000)]
        args.append(uuid.uuid4().hex)
        wait_ms = self._script(keys=keys, args=args)
        return max(float(wait_ms) / 1000.0, 1e-3) if int(wait_ms) > 0 else 0.0

    def close(self) -> None:
        """Let go of the connection."""
        self._client.close()
