"""Leases on a real Redis: acquire, renew, expire, take over, lose on a Redis kill; and the
PostgreSQL advisory-lock variant (when a PostgreSQL server is configured)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from callcenter.db import make_engine
from callcenter.lease import Lease, lease_key
from callcenter.lease_pg import PgLease
from callcenter.redis_link import async_client
from tests.redis_server import RedisServer

# Short times, so the tests are quick; the products' are 3 s, 1 s and 0.5 s.
TTL, RENEW, POLL = 0.9, 0.3, 0.1
NAME = lease_key("test", "one")


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    made = async_client(redis_url)
    yield made
    await made.aclose()


def lease(client: aioredis.Redis, name: str = NAME) -> Lease:
    return Lease(client, name, ttl_s=TTL, renew_s=RENEW, poll_s=POLL)


async def give_up_after(seconds: float) -> asyncio.Event:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return stop


async def test_one_holder_at_a_time_and_the_key_is_named_by_redis_link(
    client: aioredis.Redis,
) -> None:
    first, second = lease(client), lease(client)
    assert NAME == "cc:lease:test:one"
    assert await first.acquire()
    assert await client.get(NAME) == first.token.encode()
    assert first.token != second.token
    started = time.monotonic()
    assert not await second.acquire(await give_up_after(0.5))
    assert 0.45 < time.monotonic() - started < 1.0
    await first.release()
    assert await second.acquire(await give_up_after(1.0))


async def test_a_held_lease_is_renewed_past_its_ttl_and_released_for_the_next(
    client: aioredis.Redis,
) -> None:
    holder, standby = lease(client), lease(client)
    assert await holder.acquire()
    async with holder.held() as lost:
        waiting = asyncio.create_task(standby.acquire())
        await asyncio.sleep(TTL * 3)
        assert not lost.is_set()
        assert not waiting.done()
        assert 0 < await client.pttl(NAME) <= TTL * 1000
    await holder.release()
    started = time.monotonic()
    assert await waiting
    assert time.monotonic() - started < POLL * 3


async def test_a_holder_that_stops_renewing_is_taken_over_after_the_ttl(
    client: aioredis.Redis,
) -> None:
    holder, standby = lease(client), lease(client)
    assert await holder.acquire()
    async with holder.held():
        await asyncio.sleep(RENEW * 1.5)
    stopped = time.monotonic()  # as a process that died: no release
    assert await standby.acquire()
    took = time.monotonic() - stopped
    assert 0.2 < took < TTL + 2 * POLL
    # The old holder's token no longer renews nor deletes it.
    async with holder.held() as lost:
        await asyncio.wait_for(lost.wait(), RENEW * 3)
    await holder.release()
    assert await client.get(NAME) == standby.token.encode()


async def test_the_holder_sees_at_once_that_someone_else_holds_it(
    client: aioredis.Redis,
) -> None:
    holder = lease(client)
    assert await holder.acquire()
    async with holder.held() as lost:
        await client.set(NAME, b"someone else")
        started = time.monotonic()
        await asyncio.wait_for(lost.wait(), RENEW * 3)
        assert time.monotonic() - started <= RENEW + 0.1


async def test_redis_killed_the_holder_keeps_its_role_until_its_ttl_then_counts_it_lost(
    redis_server: RedisServer,
) -> None:
    holder_client, standby_client = async_client(redis_server.url), async_client(redis_server.url)
    holder, standby = lease(holder_client), lease(standby_client)
    try:
        assert await holder.acquire()
        async with holder.held() as lost:
            await asyncio.sleep(RENEW * 2.5)
            valid_until = holder.valid_until
            redis_server.stop()
            killed = time.monotonic()
            # Without Redis, nobody may acquire.
            assert not await standby.acquire(await give_up_after(TTL / 2))
            assert not lost.is_set()
            await asyncio.wait_for(lost.wait(), TTL * 2)
            found = time.monotonic()
        assert valid_until - 0.05 <= found <= valid_until + RENEW  # not before, soon after
        assert found - killed < TTL
    finally:
        await holder_client.aclose()
        await standby_client.aclose()


async def test_through_outages_the_holder_keeps_its_role_and_gets_the_key_back_after(
    redis_server: RedisServer,
) -> None:
    """The PBX's adapter: records do not need Redis, so an outage longer than the ttl does
    not make it stand down; when Redis is back (empty) it holds the key again at once."""
    holder_client, standby_client = async_client(redis_server.url), async_client(redis_server.url)
    holder = Lease(holder_client, NAME, ttl_s=TTL, renew_s=RENEW, poll_s=POLL, through_outages=True)
    standby = lease(standby_client)
    try:
        assert await holder.acquire()
        async with holder.held() as lost:
            # The standby polls all along, as a standby `cti run` does.
            waiting = asyncio.create_task(standby.acquire(await give_up_after(TTL * 8)))
            await asyncio.sleep(POLL * 2)
            redis_server.stop()
            await asyncio.sleep(TTL * 4)
            assert not lost.is_set()
            redis_server.start()
            assert not await waiting
            assert not lost.is_set()
            assert await standby_client.get(NAME) == holder.token.encode()
            # Another holder named by Redis: then it is lost.
            await standby_client.set(NAME, "someone-else")
            await asyncio.wait_for(lost.wait(), TTL * 2)
    finally:
        await holder_client.aclose()
        await standby_client.aclose()


async def test_redis_restarted_empty_the_holder_takes_its_lease_back_and_the_standby_waits(
    redis_server: RedisServer,
) -> None:
    holder_client, standby_client = async_client(redis_server.url), async_client(redis_server.url)
    holder, standby = lease(holder_client), lease(standby_client)
    try:
        assert await holder.acquire()
        async with holder.held() as lost:
            waiting = asyncio.create_task(standby.acquire())
            await asyncio.sleep(POLL * 2)
            redis_server.stop()
            await asyncio.sleep(POLL * 2)  # both see Redis gone
            redis_server.start()  # empty: the lease key is gone
            await asyncio.sleep(TTL * 2)
            assert not lost.is_set()
            assert not waiting.done()
            assert await holder_client.get(NAME) == holder.token.encode()
        await holder.release()
        assert await asyncio.wait_for(waiting, TTL * 2)
    finally:
        await holder_client.aclose()
        await standby_client.aclose()


async def test_release_deletes_only_the_holders_own_lease(client: aioredis.Redis) -> None:
    holder, other = lease(client), lease(client)
    assert await holder.acquire()
    await other.release()
    assert await client.get(NAME) == holder.token.encode()


def test_a_lease_renews_more_often_than_it_lasts(client: aioredis.Redis) -> None:
    with pytest.raises(ValueError, match="renewed more often"):
        Lease(client, NAME, ttl_s=1.0, renew_s=1.0)


async def test_postgres_advisory_lease_one_holder_then_the_next(pg_database_url: str) -> None:
    engine = make_engine(pg_database_url)
    holder, standby = (
        PgLease(engine, NAME, renew_s=RENEW, poll_s=POLL),
        PgLease(engine, NAME, renew_s=RENEW, poll_s=POLL),
    )
    try:
        assert await holder.acquire()
        async with holder.held() as lost:
            assert not await standby.acquire(await give_up_after(0.4))
            await asyncio.sleep(RENEW * 2)
            assert not lost.is_set()
        await holder.release()
        assert await standby.acquire(await give_up_after(1.0))
        await standby.release()
    finally:
        engine.dispose()


async def test_postgres_advisory_lease_is_lost_with_its_session(pg_database_url: str) -> None:
    engine = make_engine(pg_database_url)
    holder = PgLease(engine, NAME, renew_s=RENEW, poll_s=POLL)
    standby = PgLease(engine, NAME, renew_s=RENEW, poll_s=POLL)
    try:
        assert await holder.acquire()
        async with holder.held() as lost:
            with engine.connect() as admin:
                admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                    )
                )
            await asyncio.wait_for(lost.wait(), RENEW * 3)
        assert await standby.acquire(await give_up_after(1.0))
        await standby.release()
        await holder.release()
    finally:
        engine.dispose()
