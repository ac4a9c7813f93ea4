"""The Redis bus between processes (here: RedisBus instances) on a real Redis server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from callcenter import bus_redis
from callcenter.bus import Bus, make_bus
from callcenter.bus_redis import RedisBus
from callcenter.events import (
    AgentRingNoAnswer,
    BusLinkChanged,
    CallHeld,
    CallRouted,
    CallUnheld,
    KpiAlertRaised,
)
from callcenter.settings import Settings
from tests.agent_ui.test_pop_routes import routed
from tests.redis_server import RedisServer

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def held(n: int) -> CallHeld:
    return CallHeld(at=AT, server="pbx1", linkedid=str(n), channel=f"PJSIP/{n}")


def numbers(events: list[Any]) -> list[int]:
    return [int(event.linkedid) for event in events]


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


class Node:
    """One process's bus and what its handlers saw."""

    def __init__(self, url: str, **options: Any) -> None:
        options = {"backoff_s": (0.05, 0.2), "block_s": 0.2, "flush_s": 3.0, **options}
        self.bus = RedisBus(url, **options)
        self.held: list[CallHeld] = []
        self.unheld: list[CallUnheld] = []
        self.link: list[BusLinkChanged] = []
        self.bus.subscribe(CallHeld, self.held.append)
        self.bus.subscribe(CallUnheld, self.unheld.append)
        self.bus.subscribe(BusLinkChanged, self.link.append)

    def links(self) -> list[tuple[bool, int | None]]:
        return [(event.up, event.lost) for event in self.link]


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[Callable[..., Any]]:
    made: list[Node] = []

    async def make(url: str = redis_url, **options: Any) -> Node:
        node = Node(url, **options)
        await node.bus.start()
        made.append(node)
        return node

    yield make
    for node in made:
        await node.bus.stop()


async def test_each_sees_the_others_events_in_order_and_its_own_once(nodes: Any) -> None:
    a, b = await nodes(), await nodes()
    alerts: list[KpiAlertRaised] = []
    b.bus.subscribe(KpiAlertRaised, alerts.append)
    for n in range(200):
        a.bus.publish(held(n))
    a.bus.publish(KpiAlertRaised(at=AT, server="pbx1", kind="pbx_down", subject="pbx", message=""))
    await until(lambda: len(b.held) == 200)
    b.bus.publish(CallUnheld(at=AT, server="pbx1", linkedid="done", channel="x"))
    await until(lambda: len(a.unheld) == 1)  # A's reader is past its own 200 now
    assert numbers(b.held) == list(range(200))
    assert numbers(a.held) == list(range(200))  # delivered here once, at publish
    assert len(b.unheld) == 1 and alerts == []  # alerts stay where they are worked out
    assert a.links() == b.links() == []
    assert a.bus.sent == 200 and b.bus.received == 200


async def test_events_nothing_here_takes_are_not_decoded_but_their_server_is_seen(
    nodes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await nodes(), await nodes()
    servers: list[str] = []
    b.bus.subscribe_servers(servers.append)
    decoded: list[bytes | str] = []
    real_decode = b.bus._codec.decode

    def counting_decode(data: bytes | str) -> Any:
        decoded.append(data)
        return real_decode(data)

    monkeypatch.setattr(b.bus._codec, "decode", counting_decode)
    ringing = AgentRingNoAnswer(
        at=AT, server="pbx2", linkedid="r1", queue="q", agent="ann", interface="PJSIP/1", ring_s=5.0
    )
    a.bus.publish(ringing)  # no handler of B takes it
    a.bus.publish(held(1))
    await until(lambda: len(b.held) == 1)
    assert servers == ["pbx2", "pbx1"]
    assert len(decoded) == 1  # the held call only
    assert b.bus.received == 2 and b.links() == []

    # A handler subscribed since gets the next ones, decoded.
    missed: list[AgentRingNoAnswer] = []
    b.bus.subscribe(AgentRingNoAnswer, missed.append)
    a.bus.publish(ringing)
    await until(lambda: len(missed) == 1)
    assert missed == [ringing] and servers[-1] == "pbx2"


async def test_a_worker_thread_publishes(nodes: Any) -> None:
    a, b = await nodes(), await nodes()
    threads: set[int] = set()
    a.bus.subscribe(CallHeld, lambda _: threads.add(threading.get_ident()))

    def work() -> None:
        for n in range(300):
            a.bus.publish(held(n))

    await asyncio.to_thread(work)
    await until(lambda: len(b.held) == 300)
    assert numbers(b.held) == list(range(300))
    assert threading.get_ident() not in threads  # delivered here in the publisher's thread


async def test_stop_sends_what_is_queued(nodes: Any, redis_url: str) -> None:
    b = await nodes()
    a = Node(redis_url)
    await a.bus.start()
    for n in range(1000):
        a.bus.publish(held(n))
    await a.bus.stop()
    await until(lambda: len(b.held) == 1000)


async def test_redis_killed_then_back_delivers_the_outbox(
    nodes: Any, redis_server: RedisServer
) -> None:
    a, b = await nodes(redis_server.url), await nodes(redis_server.url)
    a.bus.publish(held(0))
    await until(lambda: len(b.held) == 1)
    redis_server.stop()
    for n in range(1, 11):
        a.bus.publish(held(n))  # still delivered here at once
    assert numbers(a.held) == list(range(11))
    await until(lambda: a.links() == b.links() == [(False, None)])
    await asyncio.sleep(0.3)  # a few failed retries: still one "down"
    assert a.links() == b.links() == [(False, None)]
    redis_server.start()
    await until(lambda: len(b.held) == 11)
    assert numbers(b.held) == list(range(11))
    # Redis came back empty: whatever it held unread is gone, so the count is unknown.
    await until(lambda: len(b.link) == 2)
    assert [event.up for event in b.link] == [False, True]
    assert b.links()[1] == (True, None)


async def test_redis_restarted_empty_while_behind_flags_the_loss(
    redis_server: RedisServer,
) -> None:
    a, b = Node(redis_server.url), Node(redis_server.url)
    await a.bus.start()
    await b.bus.start()
    try:
        a.bus.publish(held(0))
        await until(lambda: len(b.held) == 1)
        await b.bus.stop()  # B falls behind: A's next events stay unread in Redis
        for n in range(1, 6):
            a.bus.publish(held(n))
        await until(lambda: a.bus.sent == 6)
        redis_server.stop()
        redis_server.start()
        await b.bus.start()
        await until(lambda: b.links() == [(True, None)])  # lost, how many unknown yet
        await until(lambda: a.bus.up is True)
        a.bus.publish(held(6))
        await until(lambda: len(b.held) == 2)
        assert numbers(b.held) == [0, 6]
        assert b.links() == [(True, None), (True, 5)]  # A's numbering shows the 5 missing
    finally:
        await a.bus.stop()
        await b.bus.stop()


async def test_an_overflowing_outbox_counts_what_it_dropped(nodes: Any) -> None:
    a, b = await nodes(outbox_limit=10), await nodes()
    a.bus.publish(held(0))
    await until(lambda: len(b.held) == 1)
    for n in range(1, 26):  # no await: the writer cannot send meanwhile
        a.bus.publish(held(n))
    await until(lambda: len(b.held) == 11)
    assert numbers(b.held) == [0, *range(16, 26)]  # the newest are kept
    await until(lambda: a.links() == [(True, 15)] and b.links() == [(True, 15)])


async def test_redis_down_at_the_start(redis_server: RedisServer) -> None:
    redis_server.stop()
    a = Node(redis_server.url)
    await a.bus.start()
    try:
        assert a.links() == [(False, None)]
        a.bus.publish(held(1))
        assert numbers(a.held) == [1]  # this process goes on alone meanwhile
        redis_server.start()
        await until(lambda: a.links() == [(False, None), (True, 0)], timeout_s=5)
        await until(lambda: a.bus.sent == 1)
    finally:
        await a.bus.stop()


def test_make_bus_picks_redis_only_with_a_bus_url(redis_url: str) -> None:
    assert type(make_bus(Settings(bus_url=None))) is Bus
    assert isinstance(make_bus(Settings(bus_url=redis_url)), RedisBus)


async def test_a_bus_that_does_not_follow_hears_the_routing_decisions_only(
    nodes: Any,
) -> None:
    """The PBX's process (follow=False) reads the decisions apart, in order, once each, and
    the other events between them are neither delivered nor counted as lost."""
    router, pbx, web = await nodes(), await nodes(follow=False), await nodes()
    heard: dict[str, list[CallRouted]] = {"pbx": [], "web": []}
    pbx.bus.subscribe(CallRouted, heard["pbx"].append)
    web.bus.subscribe(CallRouted, heard["web"].append)
    assert pbx.bus.hears(CallRouted) and not pbx.bus.hears(CallHeld)
    assert web.bus.hears(CallHeld) and Bus().hears(CallHeld)
    for n in range(50):
        router.bus.publish(held(n))
        if n % 10 == 0:
            router.bus.publish(routed(f"call-{n}", server="pbx1"))
    await until(lambda: len(heard["web"]) == 5 and len(web.held) == 50)
    await until(lambda: len(heard["pbx"]) == 5)
    pbx.bus.publish(held(99))  # the PBX's own events still reach every follower
    await until(lambda: numbers(web.held)[-1:] == [99])
    await asyncio.sleep(0.3)  # a second read finds nothing more
    assert [e.uniqueid for e in heard["pbx"]] == [f"call-{n}" for n in range(0, 50, 10)]
    assert heard["pbx"] == heard["web"]
    assert pbx.held == [held(99)] and pbx.bus.received == 5
    assert pbx.links() == web.links() == []


async def test_a_long_read_is_delivered_in_slices_with_turns_for_the_rest_of_the_process(
    nodes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web worker's relay (a screen pop) runs between slices of a long read, and every
    event still arrives once, in order, with the gaps counted across slices."""
    monkeypatch.setattr(bus_redis, "DELIVER_SLICE_S", 0.0)
    a, b = await nodes(), await nodes()
    turn_at: list[int] = []

    def first(event: CallHeld) -> None:
        if event.linkedid == "0":
            asyncio.get_running_loop().call_soon(lambda: turn_at.append(len(b.held)))

    b.bus.subscribe(CallHeld, first)
    for n in range(300):  # one batch, one script call: in the stream at once, read at once
        a.bus.publish(held(n))
    await until(lambda: len(b.held) == 300)
    assert numbers(b.held) == list(range(300))
    assert turn_at and turn_at[0] < 300  # all at once, the callback would run after 300
    a.bus._seq += 5  # five events that never reach the stream
    for n in range(300, 310):
        a.bus.publish(held(n))
    await until(lambda: len(b.held) == 310)
    assert b.links() == [(True, 5)]
