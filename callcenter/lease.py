"""Leases on Redis: one holder at a time per name (the active adapter of a PBX, the scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from callcenter.redis_link import key

log = logging.getLogger(__name__)

TTL_S = 3.0
RENEW_S = 1.0
POLL_S = 0.5

# Renew when the token is ours; take the lease back when it is gone (a Redis restarted empty
# while the holder was still within its ttl: nobody else can hold it legitimately then).
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
elseif not holder then
    redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class Leased(Protocol):
    """What `worker` and `cti run` need of a lease (Redis or PostgreSQL)."""

    name: str

    async def acquire(self, stop: asyncio.Event | None = None) -> bool: ...

    def held(self) -> contextlib.AbstractAsyncContextManager[asyncio.Event]: ...

    async def release(self) -> None: ...


def lease_key(*parts: object) -> str:
    """`lease_key("pbx", "pbx1")` -> `cc:lease:pbx:pbx1`."""
    return key("lease", *parts)


class Lease:
    """A named lease on Redis (`SET key token NX PX ttl`), renewed by compare-and-renew and
    released by compare-and-delete, both Lua, so only the holder's random token touches it.

    The holder counts itself valid until `ttl_s` after it last sent a renewal Redis accepted
    (minus a tenth, for the time it needs to step down). While Redis is unreachable it keeps
    its role until then and counts the lease lost after: a standby cannot acquire without
    Redis either, and once the key expires it may. A standby that lost sight of Redis waits
    a full ttl after it answers again before acquiring, so a holder that lived through the
    outage has renewed (or, after an empty restart, re-created) the key by then.

    `through_outages=True` (the PBX's adapter): the holder keeps its role for as long as Redis
    does not answer, and gives it up only when Redis names another holder. Its work (call
    records) does not need Redis, and records are keyed by PBX and call, so even a holder cut
    off alone while a standby took over writes nothing twice.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        name: str,
        *,
        ttl_s: float = TTL_S,
        renew_s: float = RENEW_S,
        poll_s: float = POLL_S,
        through_outages: bool = False,
    ) -> None:
        if not 0 < renew_s < ttl_s:
            raise ValueError("a lease is renewed more often than it lasts")
        self.client = client
        self.name = name
        self.token = secrets.token_hex(16)
        self.ttl_s = ttl_s
        self.renew_s = renew_s
        self.poll_s = poll_s
        self.through_outages = through_outages
        self.valid_until = 0.0  # time.monotonic() up to which the lease is surely ours
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._unreachable = False  # logged once per outage

    @property
    def ttl_ms(self) -> int:
        return int(self.ttl_s * 1000)

    async def acquire(self, stop: asyncio.Event | None = None) -> bool:
        """Wait until the lease is ours (True) or `stop` is set (False), polling."""
        stop = stop or asyncio.Event()
        quiet_until = 0.0  # no attempt before this (after an outage: see the class docstring)
        while not stop.is_set():
            sent = time.monotonic()
            taken = False
            try:
                async with asyncio.timeout(self.ttl_s):
                    if self._unreachable:
                        await self.client.ping()
                        quiet_until = time.monotonic() + self.ttl_s
                    elif sent >= quiet_until:
                        taken = bool(
                            await self.client.set(self.name, self.token, nx=True, px=self.ttl_ms)
                        )
            except (RedisError, OSError, TimeoutError) as error:
                self._lost_sight(error)
            else:
                self._back()
                if taken:
                    self.valid_until = sent + self.ttl_s * 0.9
                    return True
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await stop.wait()
        return False

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[asyncio.Event]:
        """Renew the acquired lease while inside; the event is set once it is lost."""
        lost = asyncio.Event()
        task = asyncio.create_task(self._keep(lost), name=f"lease {self.name}")
        try:
            yield lost
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def release(self) -> None:
        """Give the lease up now if it is still ours (a standby takes it at its next poll)."""
        self.valid_until = 0.0
        try:
            async with asyncio.timeout(self.renew_s):
                await self._release(keys=[self.name], args=[self.token])
        except (RedisError, OSError, TimeoutError) as error:
            log.warning(
                "could not release the lease %s (it expires by itself): %s", self.name, error
            )

    async def _keep(self, lost: asyncio.Event) -> None:
        while True:
            wait = self.renew_s if not self._unreachable else self.renew_s / 4
            remaining = self.valid_until - time.monotonic()
            if remaining <= 0 and self.through_outages:
                remaining = wait  # an outage lived through: keep asking at the same pace
            await asyncio.sleep(max(0.0, min(wait, remaining)))
            if not await self._renewed():
                lost.set()
                return

    async def _renewed(self) -> bool:
        """One renewal: False when the lease is someone else's or its ttl has run out."""
        sent = time.monotonic()
        remaining = self.valid_until - sent
        if remaining <= 0 and not self.through_outages:
            log.warning("lease %s lost: Redis did not confirm it within its ttl", self.name)
            return False
        try:
            async with asyncio.timeout(remaining if remaining > 0 else self.renew_s):
                ours = await self._renew(keys=[self.name], args=[self.token, self.ttl_ms])
        except (RedisError, OSError, TimeoutError) as error:
            self._lost_sight(error)
            # Through an outage (`through_outages`), the holder stays: with Redis down for
            # everyone nobody else can take the lease, and a holder cut off alone learns it
            # lost the lease as soon as Redis answers again.
            return self.through_outages or time.monotonic() < self.valid_until
        self._back()
        if not ours:
            log.warning("lease %s lost: another process holds it", self.name)
            return False
        self.valid_until = sent + self.ttl_s * 0.9
        return True

    def _lost_sight(self, error: BaseException) -> None:
        if not self._unreachable:
            self._unreachable = True
            log.warning("Redis unreachable for the lease %s: %s", self.name, error or "timeout")

    def _back(self) -> None:
        if self._unreachable:
            self._unreachable = False
            log.info("Redis answers again for the lease %s", self.name)
