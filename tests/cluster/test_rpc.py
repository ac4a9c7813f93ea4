"""Requests to the process holding a PBX link and their replies, over a real Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest

from callcenter.redis_link import async_client
from callcenter.rpc import Handler, RpcClient, RpcFailed, RpcService, RpcUnavailable, queue_key
from tests.redis_server import RedisServer
from tests.waiting import until


class Refused(Exception):
    """A handler's own error, with an attribute the caller may need."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"Asterisk refused {action}: {reason}")
        self.action = action
        self.reason = reason


class Pbx:
    """Handlers that record what they did."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.release = asyncio.Event()

    async def echo(self, text: str) -> dict[str, Any]:
        self.done.append(text)
        return {"text": text, "frames": [{"Event": "QueueMemberPause", "Paused": "1"}]}

    async def slow(self, text: str) -> str:
        await self.release.wait()
        self.done.append(text)
        return text

    async def refuse(self) -> None:
        raise Refused("QueuePause", "Interface not found")

    async def crash(self) -> None:
        raise ZeroDivisionError("division by zero")

    def handlers(self) -> Mapping[str, Handler]:
        return {"echo": self.echo, "slow": self.slow, "refuse": self.refuse, "crash": self.crash}


@asynccontextmanager
async def serving(url: str, pbx: Pbx, **options: Any) -> AsyncIterator[RpcService]:
    client = async_client(url, command_timeout_s=None)
    service = RpcService(client, "pbx:pbx1", pbx.handlers(), poll_s=0.2, **options)
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()


@asynccontextmanager
async def calling(url: str) -> AsyncIterator[RpcClient]:
    client = async_client(url, command_timeout_s=None)
    try:
        yield RpcClient(client, "pbx:pbx1", what="the PBX link (pbx1)")
    finally:
        await client.aclose()


async def wait_alive(rpc: RpcClient) -> None:
    deadline = time.monotonic() + 5
    while not await rpc.client.exists("cc:rpc:alive:pbx:pbx1"):
        assert time.monotonic() < deadline, "the service never said it was there"
        await asyncio.sleep(0.05)


async def test_a_call_comes_back_with_the_handlers_answer(redis_url: str) -> None:
    pbx = Pbx()
    async with serving(redis_url, pbx) as service, calling(redis_url) as rpc:
        await wait_alive(rpc)
        answer = await rpc.call("echo", text="José Núñez")
        assert await rpc.client.keys("cc:rpc:reply:*") == []
    assert answer == {
        "text": "José Núñez",
        "frames": [{"Event": "QueueMemberPause", "Paused": "1"}],
    }
    assert service.served == 1


async def test_a_slow_request_does_not_hold_up_the_others(redis_url: str) -> None:
    pbx = Pbx()
    async with serving(redis_url, pbx), calling(redis_url) as rpc:
        await wait_alive(rpc)
        slow = asyncio.create_task(rpc.call("slow", timeout_s=5, text="slow"))
        started = time.monotonic()
        quick = await asyncio.gather(*(rpc.call("echo", text=str(n)) for n in range(20)))
        took = time.monotonic() - started
        assert not slow.done()
        pbx.release.set()
        assert await slow == "slow"
    assert [answer["text"] for answer in quick] == [str(n) for n in range(20)]
    assert took < 2.0
    assert pbx.done[-1] == "slow"


async def test_a_request_beyond_the_bound_waits_for_a_free_slot(redis_url: str) -> None:
    pbx = Pbx()
    async with serving(redis_url, pbx, concurrency=2), calling(redis_url) as rpc:
        await wait_alive(rpc)
        slow = [asyncio.create_task(rpc.call("slow", timeout_s=5, text=str(n))) for n in (1, 2)]
        await asyncio.sleep(0.3)
        with pytest.raises(RpcUnavailable) as waited:
            await rpc.call("echo", timeout_s=0.5, text="third")
        pbx.release.set()
        assert sorted(await asyncio.gather(*slow)) == ["1", "2"]
        assert (await rpc.call("echo", text="fourth"))["text"] == "fourth"
    # Nobody took it: it was withdrawn and never ran, even once slots were free again.
    assert waited.value.taken is False
    assert "nobody took the request within 0.5 s" in str(waited.value)
    assert "third" not in pbx.done


async def test_a_request_whose_caller_gave_up_is_never_executed(redis_url: str) -> None:
    """A caller that times out withdraws its request; one that could not (a request left in
    the queue) is dropped by its deadline when a service starts later."""
    pbx = Pbx()
    async with calling(redis_url) as rpc:
        # A service was there a moment ago (its presence has not expired) but is gone.
        await rpc.client.set("cc:rpc:alive:pbx:pbx1", b"1", ex=10)
        with pytest.raises(RpcUnavailable) as gave_up:
            await rpc.call("echo", timeout_s=0.3, text="withdrawn")
        stale = {"id": "x1", "method": "echo", "args": {"text": "stale"}, "deadline": 0.0}
        await rpc.client.rpush(queue_key("pbx:pbx1"), json.dumps(stale))
        async with serving(redis_url, pbx) as service:
            assert (await rpc.call("echo", text="fresh"))["text"] == "fresh"
            await until(lambda: service.dropped == 1, timeout=5)
        assert await rpc.client.exists("cc:rpc:reply:x1") == 0
    assert gave_up.value.taken is False
    assert pbx.done == ["fresh"]


async def test_nobody_serving_fails_at_once(redis_url: str) -> None:
    async with calling(redis_url) as rpc:
        started = time.monotonic()
        with pytest.raises(RpcUnavailable) as unavailable:
            await rpc.call("echo", timeout_s=5, text="hello")
        assert await rpc.client.llen(queue_key("pbx:pbx1")) == 0
    assert time.monotonic() - started < 1.0
    assert str(unavailable.value) == "the PBX link (pbx1) is not answering: no process serves it"
    assert unavailable.value.taken is False


async def test_handler_errors_come_back_by_kind_and_the_service_goes_on(redis_url: str) -> None:
    pbx = Pbx()
    async with serving(redis_url, pbx), calling(redis_url) as rpc:
        await wait_alive(rpc)
        with pytest.raises(RpcFailed) as refused:
            await rpc.call("refuse")
        with pytest.raises(RpcFailed) as crashed:
            await rpc.call("crash")
        with pytest.raises(RpcFailed) as unknown:
            await rpc.call("transmogrify")
        with pytest.raises(RpcFailed) as bad_args:
            await rpc.call("echo", colour="blue")
        assert (await rpc.call("echo", text="still here"))["text"] == "still here"
    assert (refused.value.kind, refused.value.message) == (
        "Refused",
        "Asterisk refused QueuePause: Interface not found",
    )
    assert refused.value.detail == {"action": "QueuePause", "reason": "Interface not found"}
    assert (crashed.value.kind, crashed.value.message) == ("ZeroDivisionError", "division by zero")
    assert unknown.value.kind == "UnknownMethod"
    assert "no method 'transmogrify'" in unknown.value.message
    assert bad_args.value.kind == "TypeError"


async def test_redis_killed_is_a_sentence_and_the_service_survives_a_restart(
    redis_server: RedisServer,
) -> None:
    pbx = Pbx()
    async with serving(redis_server.url, pbx) as service, calling(redis_server.url) as rpc:
        await wait_alive(rpc)
        assert (await rpc.call("echo", text="before"))["text"] == "before"
        redis_server.stop()
        started = time.monotonic()
        with pytest.raises(RpcUnavailable) as down:
            await rpc.call("echo", timeout_s=2, text="during")
        assert time.monotonic() - started < 3.5
        redis_server.start()
        await wait_alive(rpc)
        assert (await rpc.call("echo", text="after"))["text"] == "after"
        assert service.served == 2
    assert str(down.value).startswith("the PBX link (pbx1) is not answering: Redis is unreachable")
    assert down.value.taken is None
    assert pbx.done == ["before", "after"]


async def test_a_reply_nobody_reads_expires(redis_url: str) -> None:
    pbx = Pbx()
    async with serving(redis_url, pbx), calling(redis_url) as rpc:
        # A caller that pushed its request and went away (its process died).
        left = {"id": "gone", "method": "echo", "args": {"text": "hi"}, "deadline": time.time() + 5}
        await rpc.client.rpush(queue_key("pbx:pbx1"), json.dumps(left))
        await until(lambda: pbx.done == ["hi"], timeout=5)
        deadline = time.monotonic() + 5
        while not await rpc.client.exists("cc:rpc:reply:gone"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert 0 < await rpc.client.ttl("cc:rpc:reply:gone") <= 30
