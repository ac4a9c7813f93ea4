"""The pop hub over a real Redis: one producer, relays on other clients, tabs that move between
relays, and a Redis that dies and comes back empty."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from agent_ui import hub as hub_module
from agent_ui.hub import Attachment, HubUnavailable, Tab
from agent_ui.hub_redis import ACKED_HASH, SEQ_HASH, RedisHub
from callcenter.redis_link import async_client
from tests.redis_server import RedisServer

AGENT = 7
MakeHub = Callable[..., Awaitable[RedisHub]]


@pytest.fixture
async def make_hub() -> AsyncIterator[MakeHub]:
    """Hubs on their own clients (as in separate processes), stopped after the test."""
    made: list[tuple[RedisHub, aioredis.Redis]] = []

    async def make(
        url: str, *, produce: bool = False, relay: bool = False, **options: int
    ) -> RedisHub:
        client = async_client(url)
        hub = RedisHub(client, **options)
        made.append((hub, client))
        if produce:
            await hub.load()
        if relay:
            await hub.start_relay()
            await asyncio.wait_for(hub.until_relaying(), 10)
        return hub

    yield make
    for hub, client in made:
        await hub.stop(flush_s=0)
        await client.aclose()


async def _until(tab: Tab, seq: int, after: int = 0) -> list[int]:
    """The sequences the tab gets after `after` until `seq` (show frames left out); fails if
    it closes."""
    seen: list[int] = []
    while (seen[-1] if seen else after) < seq:
        frame = await asyncio.wait_for(tab.queue.get(), 10)
        assert frame is not None, f"the tab closed after {seen[-3:]}"
        if frame.seq:
            seen.append(frame.seq)
    return seen


async def _take(tab: Tab, seq: int, after: int) -> list[int]:
    """Like `_until`, but a tab closed for being too slow just ends the list (it reconnects)."""
    seen: list[int] = []
    while (seen[-1] if seen else after) < seq:
        frame = await asyncio.wait_for(tab.queue.get(), 10)
        if frame is None:
            break
        if frame.seq:
            seen.append(frame.seq)
    return seen


async def _closed(tab: Tab) -> None:
    while (await asyncio.wait_for(tab.queue.get(), 10)) is not None:
        pass


async def _stored(url: str, name: str, field: int, value: int) -> None:
    """Wait until Redis holds `value` in hash `name` for `field`."""
    client = async_client(url)
    try:
        for _ in range(1000):
            if await client.hget(name, str(field)) == str(value).encode():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{name}[{field}] never became {value}")
    finally:
        await client.aclose()


async def _attach_when_back(relay: RedisHub, since: int | None) -> Attachment:
    for _ in range(200):
        try:
            return await relay.attach(AGENT, since)
        except HubUnavailable:
            await asyncio.sleep(0.05)
    raise AssertionError("the relay never took tabs again")


def _publish(producer: RedisHub, first: int, last: int) -> None:
    for number in range(first, last + 1):
        frame = producer.publish(AGENT, "pop", {"call": {"linkedid": f"c{number}"}})
        assert frame.seq == number


async def test_a_tab_resumes_on_another_relay_without_a_lost_or_repeated_frame(
    redis_url: str, make_hub: MakeHub
) -> None:
    producer = await make_hub(redis_url, produce=True)
    relay_a = await make_hub(redis_url, relay=True)
    relay_b = await make_hub(redis_url, relay=True)
    first = await relay_a.attach(AGENT, None)
    assert (first.resync, first.seq) == (True, 0)
    _publish(producer, 1, 10)
    assert await _until(first.tab, 10) == list(range(1, 11))
    relay_a.ack(first.tab, 6)  # it showed up to 6 when the network blinked
    relay_a.detach(first.tab)

    async def keep_publishing() -> None:
        for number in range(11, 201):
            _publish(producer, number, number)
            if number % 7 == 0:
                await asyncio.sleep(0)

    publishing = asyncio.create_task(keep_publishing())
    await asyncio.sleep(0.005)
    second = await relay_b.attach(AGENT, 6)
    assert second.resync is False
    replayed = [frame.seq for frame in second.replay]
    assert replayed == list(range(7, replayed[-1] + 1))
    live = await _until(second.tab, 200, replayed[-1])
    await publishing
    assert replayed + live == list(range(7, 201))  # each frame once, in order
    await _stored(redis_url, ACKED_HASH, AGENT, 6)
    assert relay_b.last_seq(AGENT) == producer.last_seq(AGENT) == 200


async def test_a_console_hopping_between_relays_during_a_burst_sees_every_frame_once(
    redis_url: str, make_hub: MakeHub, request: pytest.FixtureRequest
) -> None:
    producer = await make_hub(redis_url, produce=True)
    relays = [await make_hub(redis_url, relay=True) for _ in range(2)]
    last = 2000

    async def burst() -> None:  # a busy floor's pace, which a console keeps up with
        for number in range(1, last + 1):
            _publish(producer, number, number)
            if number % 10 == 0:
                await asyncio.sleep(0.002)

    publishing = asyncio.create_task(burst())
    request.addfinalizer(publishing.cancel)
    shown: list[int] = []
    hops = both_ways = 0
    while not shown or shown[-1] < last:
        attachment = await relays[hops % 2].attach(AGENT, shown[-1] if shown else 0)
        assert not attachment.resync, f"resync at hop {hops} after {shown[-1:]}"
        both_ways += bool(attachment.replay) and not attachment.tab.queue.empty()
        shown += [frame.seq for frame in attachment.replay]
        after = shown[-1] if shown else 0
        shown += await _take(attachment.tab, min(last, after + 37), after)
        relays[hops % 2].detach(attachment.tab)
        hops += 1
    await publishing
    assert shown == list(range(1, last + 1))
    # How often a hop overlapped the stream depends on the machine's timing; the overlap
    # itself is set up deterministically in
    # test_a_frame_both_in_the_log_and_on_the_stream_reaches_the_tab_once.
    print(f"{hops} hops, {both_ways} with frames from the stream while the log was read")
    assert hops >= 10


async def test_a_tab_that_cannot_resume_gets_a_snapshot(redis_url: str, make_hub: MakeHub) -> None:
    producer = await make_hub(redis_url, produce=True, replay_frames=16)
    relay = await make_hub(redis_url, relay=True)
    _publish(producer, 1, 40)
    await _stored(redis_url, SEQ_HASH, AGENT, 40)

    fresh = await relay.attach(AGENT, None)
    assert (fresh.resync, fresh.seq, fresh.replay) == (True, 40, [])
    too_old = await relay.attach(AGENT, 5)  # 6..24 left the log
    assert (too_old.resync, too_old.seq) == (True, 40)
    recent = await relay.attach(AGENT, 30)
    assert not recent.resync
    assert [frame.seq for frame in recent.replay] == list(range(31, 41))
    unknown = await relay.attach(AGENT, 99)  # numbered by a Redis that is gone
    assert unknown.resync
    _publish(producer, 41, 41)
    for attachment in (fresh, too_old, recent, unknown):
        assert await _until(attachment.tab, 41) == [41]


async def test_frames_dropped_from_a_full_outbox_make_the_tab_resync(
    redis_url: str, make_hub: MakeHub
) -> None:
    producer = await make_hub(redis_url, produce=True, outbox_limit=5)
    relay = await make_hub(redis_url, relay=True)
    attachment = await relay.attach(AGENT, None)
    _publish(producer, 1, 20)  # in one go: 1..15 are dropped before the writer runs
    await _closed(attachment.tab)
    again = await relay.attach(AGENT, 0)
    assert (again.resync, again.seq) == (True, 20)


async def test_redis_lost_closes_tabs_and_they_come_back_without_a_hole(
    redis_server: RedisServer, make_hub: MakeHub
) -> None:
    url = redis_server.url
    producer = await make_hub(url, produce=True)
    relay_a = await make_hub(url, relay=True)
    relay_b = await make_hub(url, relay=True)
    tab_a = await relay_a.attach(AGENT, None)
    tab_b = await relay_b.attach(AGENT, None)
    _publish(producer, 1, 5)
    assert await _until(tab_a.tab, 5) == await _until(tab_b.tab, 5) == [1, 2, 3, 4, 5]
    assert await producer.flushed(10)

    redis_server.stop()
    await _closed(tab_a.tab)
    await _closed(tab_b.tab)
    with pytest.raises(HubUnavailable):
        await relay_a.attach(AGENT, 5)
    _publish(producer, 6, 8)  # kept by the producer until Redis is back
    redis_server.start()  # empty: frames 1..5 and their log are gone
    await _stored(url, SEQ_HASH, AGENT, 8)

    resumed = await _attach_when_back(relay_b, 5)
    assert not resumed.resync
    assert [frame.seq for frame in resumed.replay] == [6, 7, 8]
    behind = await _attach_when_back(relay_a, 3)  # 4 and 5 went with the old Redis
    assert (behind.resync, behind.seq) == (True, 8)
    _publish(producer, 9, 9)
    assert await _until(resumed.tab, 9) == [9]
    assert await _until(behind.tab, 9) == [9]


async def test_an_agent_without_frames_since_redis_restarted_resyncs(
    redis_server: RedisServer, make_hub: MakeHub
) -> None:
    producer = await make_hub(redis_server.url, produce=True)
    relay = await make_hub(redis_server.url, relay=True)
    tab = await relay.attach(AGENT, None)
    _publish(producer, 1, 3)
    assert await _until(tab.tab, 3) == [1, 2, 3]
    assert await producer.flushed(10)  # nothing in flight to be written again after the restart
    redis_server.stop()
    await _closed(tab.tab)
    redis_server.start()
    again = await _attach_when_back(relay, 3)
    assert (again.resync, again.seq) == (True, 0)


async def test_a_new_producer_continues_the_numbering(redis_url: str, make_hub: MakeHub) -> None:
    first = await make_hub(redis_url, produce=True)
    relay = await make_hub(redis_url, relay=True)
    tab = await relay.attach(AGENT, None)
    _publish(first, 1, 12)
    await first.stop()  # the active adapter's process ends; a standby takes over
    second = await make_hub(redis_url, produce=True)
    _publish(second, 13, 15)
    assert await _until(tab.tab, 15) == list(range(1, 16))  # the same tab, no gap


async def test_one_process_may_both_produce_and_relay(redis_url: str, make_hub: MakeHub) -> None:
    hub = await make_hub(redis_url, produce=True, relay=True)
    attachment = await hub.attach(AGENT, None)
    hub.show(AGENT, '{"type":"waiting","waiting":[]}')
    _publish(hub, 1, 1)
    waiting = await asyncio.wait_for(attachment.tab.queue.get(), 10)
    assert waiting is not None
    assert (waiting.seq, waiting.text) == (0, '{"type":"waiting","waiting":[]}')
    pop = await asyncio.wait_for(attachment.tab.queue.get(), 10)
    assert pop is not None and (pop.seq, pop.kind) == (1, "pop")
    assert hub.last_seq(AGENT) == 1  # the shown figure is not numbered


async def test_acks_keep_the_highest_across_relays(redis_url: str, make_hub: MakeHub) -> None:
    producer = await make_hub(redis_url, produce=True)
    relay_a = await make_hub(redis_url, relay=True)
    relay_b = await make_hub(redis_url, relay=True)
    tab_a = await relay_a.attach(AGENT, None)
    tab_b = await relay_b.attach(AGENT, None)
    _publish(producer, 1, 10)
    await _until(tab_a.tab, 10)
    await _until(tab_b.tab, 10)
    relay_a.ack(tab_a.tab, 8)
    await _stored(redis_url, ACKED_HASH, AGENT, 8)
    relay_b.ack(tab_b.tab, 5)
    relay_b.ack(tab_b.tab, 50)  # more than it was sent: counts as 10
    await _stored(redis_url, ACKED_HASH, AGENT, 10)
    assert relay_b.acked(AGENT) == 10
    assert relay_a.acked(AGENT) == 8  # this relay's own view until a tab attaches here
    await relay_a.attach(AGENT, 10)
    assert relay_a.acked(AGENT) == 10


async def test_acks_of_many_consoles_at_once_go_to_redis_together(
    redis_url: str, make_hub: MakeHub
) -> None:
    """A floor's consoles ack each pop as it lands: a worker writes them in one script call,
    not one per console."""
    producer = await make_hub(redis_url, produce=True)
    relay = await make_hub(redis_url, relay=True)
    agents = range(100, 140)
    tabs = {agent: (await relay.attach(agent, None)).tab for agent in agents}
    script = relay._max_acks
    calls: list[int] = []

    async def counted(*, keys: list[str], args: list[int]) -> object:
        calls.append(len(args) // 2)
        return await script(keys=keys, args=args)

    relay._max_acks = counted  # type: ignore[assignment]
    for agent in agents:
        producer.publish(agent, "pop", {"call": {"linkedid": f"c{agent}"}})
    for tab in tabs.values():
        await _until(tab, 1)
        relay.ack(tab, 1)
    for agent in agents:
        await _stored(redis_url, ACKED_HASH, agent, 1)
    assert sum(calls) == len(agents) and len(calls) <= 2
    assert all(relay.acked(agent) == 1 for agent in agents)


async def test_a_tab_that_does_not_read_is_dropped(
    redis_url: str, make_hub: MakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "TAB_QUEUE_LIMIT", 4)
    producer = await make_hub(redis_url, produce=True)
    relay = await make_hub(redis_url, relay=True)
    attachment = await relay.attach(AGENT, None)
    _publish(producer, 1, 10)
    await _closed(attachment.tab)
    assert relay.last_seq(AGENT) == 10


async def test_a_frame_both_in_the_log_and_on_the_stream_reaches_the_tab_once(
    redis_url: str, make_hub: MakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    producer = await make_hub(redis_url, produce=True)
    relay = await make_hub(redis_url, relay=True)
    read_log = relay._read_log

    async def frames_arrive_first(user_id: int) -> tuple[int, list[bytes], int]:
        # The tab listens already: the stream hands it 1..5 before the log is read.
        _publish(producer, 1, 5)
        while relay.last_seq(AGENT) < 5:
            await asyncio.sleep(0.01)
        return await read_log(user_id)

    monkeypatch.setattr(relay, "_read_log", frames_arrive_first)
    attachment = await relay.attach(AGENT, 0)
    assert [frame.seq for frame in attachment.replay] == [1, 2, 3, 4, 5]
    assert attachment.tab.queue.empty()  # the copies from the stream were let go
    _publish(producer, 6, 6)
    assert await _until(attachment.tab, 6) == [6]


async def test_only_the_producer_numbers_frames(redis_url: str, make_hub: MakeHub) -> None:
    relay = await make_hub(redis_url, relay=True)
    with pytest.raises(RuntimeError, match="numbered by the producer only"):
        relay.publish(AGENT, "supervised", {"message": "paused"})


async def test_one_batch_of_many_agents_keeps_each_log_sequence_and_order(
    redis_url: str, make_hub: MakeHub
) -> None:
    """Frames of several agents interleaved, and a figure shown to all, written together:
    each log keeps its last frames in order, each sequence its last number, each tab its own
    frames once and the shown figure once."""
    producer = await make_hub(redis_url, produce=True, replay_frames=16)
    relay = await make_hub(redis_url, relay=True)
    agents = [AGENT, AGENT + 1, AGENT + 2]
    tabs = {agent: await relay.attach(agent, None) for agent in agents}
    producer.show(AGENT, '{"type":"waiting","waiting":[1]}')
    producer.show(AGENT + 1, '{"type":"waiting","waiting":[1]}')
    for number in range(1, 21):  # one go: the writer takes them as one batch
        for agent in agents:
            producer.publish(agent, "pop", {"call": {"linkedid": f"{agent}-{number}"}})
    assert await producer.flushed(10)
    for agent in agents:
        seen: list[int] = []
        shown: list[str] = []
        while len(seen) < 20:
            frame = await asyncio.wait_for(tabs[agent].tab.queue.get(), 10)
            assert frame is not None
            if frame.seq:
                assert f'"{agent}-{frame.seq}"' in frame.text
                seen.append(frame.seq)
            else:
                shown.append(frame.text)
        assert seen == list(range(1, 21))
        assert shown == (['{"type":"waiting","waiting":[1]}'] if agent != AGENT + 2 else [])
        await _stored(redis_url, SEQ_HASH, agent, 20)
        resumed = await relay.attach(agent, 10)
        assert [frame.seq for frame in resumed.replay] == list(range(11, 21))
        assert (await relay.attach(agent, 3)).resync  # 4 left the log of 16
