"""A web worker that starts late, or loses events, catches up with the PBX's process's floor
(FloorSnapshot on the Redis stream) and then follows the deltas; two workers' boards agree."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus_redis import RedisBus
from callcenter.calls.records import AgentState, CallRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from callcenter.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallQueued,
    FloorAgent,
    FloorCaller,
    FloorSnapshot,
    PbxConnectionChanged,
)
from callcenter.queues.floor import FloorFollower, FloorPublisher
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.alerts import AlertLimits
from kpi.board import LiveBoard
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import ROLLUPS, at, call, visit
from tests.redis_server import RedisServer

SERVER = "pbx"
NOW = at("10:00:00")
BOOK = ThresholdBook(QueueThresholds(20, 5, 0.8))
FAST = {"backoff_s": (0.05, 0.2), "block_s": 0.2, "flush_s": 3.0}


def clock() -> datetime:
    return NOW


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def floor(presence: Presence) -> tuple[Any, ...]:
    """What a Presence holds: agents, and each queue's callers in order."""
    queues = {q: list(presence.waiting(q).items()) for q in presence.queue_names()}
    return presence.agents, queues


class Active:
    """The active adapter's process: its bus, its Presence, the floor's RPC method."""

    def __init__(self, url: str, **options: Any) -> None:
        self.bus = RedisBus(url, **{**FAST, **options})
        self.presence = Presence()
        self.presence.subscribe(self.bus)
        self.publisher = FloorPublisher(self.presence, self.bus, SERVER, after_resync=True)
        self.handlers = self.publisher.handlers()
        self.refusals = 0  # how many calls to refuse (nobody active yet)

    def floor_now(self) -> tuple[Any, ...]:
        return floor(self.presence)

    async def call(self, method: str, timeout_s: float = 5.0, **args: Any) -> Any:
        """An RPC client's call to `pbx:<server>`, looped back."""
        if self.refusals:
            self.refusals -= 1
            raise TimeoutError("pbx:pbx did not answer")
        return await self.handlers[method](**args)

    def agent(self, name: str, state: AgentState, clock: str, *queues: str) -> None:
        self.bus.publish(
            AgentStateChanged(
                at=at(clock),
                server=SERVER,
                agent=name,
                interface=f"PJSIP/{name}",
                state=state,
                reason="lunch" if state is AgentState.PAUSED else None,
                queue=queues[0] if queues else None,
                queues=queues,
            )
        )

    def queued(self, linkedid: str, queue: str, clock: str) -> None:
        self.bus.publish(
            CallQueued(
                at=at(clock),
                server=SERVER,
                linkedid=linkedid,
                uniqueid=linkedid,
                queue=queue,
                position=None,
                caller_number=None,
                caller_name=None,
            )
        )

    def answered(self, linkedid: str, queue: str, agent: str, clock: str) -> None:
        self.bus.publish(
            CallAnswered(
                at=at(clock),
                server=SERVER,
                linkedid=linkedid,
                queue=queue,
                agent=agent,
                interface=f"PJSIP/{agent}",
                wait_s=None,
            )
        )

    def ended(self, record: CallRecord) -> None:
        self.bus.publish(CallEnded(at=record.ended_at or NOW, server=SERVER, record=record))


class Worker:
    """A web worker: its bus, Presence, live KPIs and the follower asking for the floor."""

    def __init__(self, url: str, active: Active, *, board: bool = False, **options: Any) -> None:
        self.bus = RedisBus(url, **{**FAST, **options})
        self.presence = Presence()
        self.presence.subscribe(self.bus)
        self.kpis = LiveKpis(BOOK, self.presence, clock)
        if not board:  # else the LiveBoard subscribes it
            self.kpis.subscribe(self.bus)
        self.snapshots: list[FloorSnapshot] = []
        self.bus.subscribe(FloorSnapshot, self.snapshots.append)
        self.follower = FloorFollower(
            active.call,
            self.bus,
            SERVER,
            awaiting=self.kpis.await_floor,
            backoff_s=(0.05, 0.2),
            patience_s=1.0,
        )


@pytest.fixture
async def cluster(redis_url: str) -> AsyncIterator[Callable[..., Any]]:
    """Makes the active process or workers on one Redis; stops them all afterwards."""
    made: list[Any] = []

    async def make(kind: type[Any], *args: Any, url: str = redis_url, **options: Any) -> Any:
        node = kind(url, *args, **options)
        await node.bus.start()
        made.append(node)
        return node

    yield make
    for node in reversed(made):
        if isinstance(node, Worker):
            await node.follower.stop()
        await node.bus.stop()


def morning(active: Active) -> None:
    """The floor before any worker started: agents in every state, callers waiting."""
    active.bus.publish(PbxConnectionChanged(at=at("07:59:00"), server=SERVER, connected=True))
    active.agent("alice", AgentState.AVAILABLE, "08:00:00", "sales", "support")
    active.agent("bob", AgentState.PAUSED, "08:05:00", "support")
    active.agent("cara", AgentState.ON_CALL, "08:10:00", "sales")
    active.agent("dan", AgentState.AVAILABLE, "08:11:00", "support")
    active.queued("c1", "support", "09:50:00")
    active.queued("c2", "support", "09:51:00")
    active.queued("c3", "sales", "09:52:00")
    active.answered("c1", "support", "dan", "09:53:00")


def afternoon(active: Active) -> None:
    """Deltas after the catch-up."""
    active.agent("alice", AgentState.ON_CALL, "09:54:00", "sales", "support")
    active.answered("c3", "sales", "alice", "09:54:00")
    active.agent("bob", AgentState.AVAILABLE, "09:55:00", "support")
    active.agent("erin", AgentState.AVAILABLE, "09:55:30", "sales")
    active.queued("c4", "sales", "09:56:00")
    active.agent("dan", AgentState.LOGGED_OUT, "09:57:00")


async def test_a_late_worker_catches_up_then_follows_the_deltas(cluster: Any) -> None:
    active = await cluster(Active)
    morning(active)
    worker = await cluster(Worker, active)
    # Events published before it subscribed never reach it; a delta after it does.
    active.agent("bob", AgentState.PAUSED, "09:53:30", "support", "sales")
    await until(lambda: "bob" in worker.presence.agents)
    assert floor(worker.presence) != floor(active.presence)

    worker.follower.start()
    assert worker.kpis.pbx_link()["state"] == "bus_gap"  # until the floor arrives
    await until(lambda: worker.follower.arrived == 1)
    assert floor(worker.presence) == floor(active.presence)
    assert list(worker.presence.waiting("support")) == ["c2"]
    assert worker.kpis.pbx_link()["state"] == "up"  # the PBX link from the snapshot
    assert worker.kpis.pbx_since == at("07:59:00")
    # One after the morning's resync (before the worker was there), one asked for.
    assert active.publisher.published == 2 and worker.follower.asked == 1
    # The publisher's own Presence ignores its snapshots (delivered to it at publish).
    mine = active.floor_now()
    active.presence.on_floor(replace(active.publisher.snapshot(), agents=(), waiting=()))
    assert floor(active.presence) == mine

    afternoon(active)
    await until(
        lambda: "erin" in worker.presence.agents and "c4" in worker.presence.waiting("sales")
    )
    await until(lambda: worker.presence.agents["dan"].state is AgentState.LOGGED_OUT)
    assert floor(worker.presence) == floor(active.presence)


async def test_nobody_answering_keeps_the_gap_until_a_snapshot_arrives(cluster: Any) -> None:
    active = await cluster(Active)
    morning(active)
    active.refusals = 3
    worker = await cluster(Worker, active)
    worker.follower.start()
    await until(lambda: worker.follower.asked >= 2)
    assert worker.kpis.pbx_link()["state"] == "bus_gap"
    assert worker.kpis.pbx_link()["data_gap"] is True
    await until(lambda: worker.follower.arrived == 1)
    assert worker.follower.asked == 4
    assert floor(worker.presence) == floor(active.presence)
    assert worker.kpis.pbx_link()["state"] == "up"


async def test_a_resync_publishes_the_floor_to_every_worker(cluster: Any) -> None:
    active = await cluster(Active)
    morning(active)
    worker = await cluster(Worker, active)
    active.bus.publish(PbxConnectionChanged(at=at("09:58:00"), server=SERVER, connected=True))
    await until(lambda: len(worker.snapshots) == 1)
    assert floor(worker.presence) == floor(active.presence)


async def test_events_lost_on_the_bus_bring_the_floor_again(
    cluster: Any, redis_server: RedisServer
) -> None:
    # The active process's outbox keeps 2 events while Redis is away: older ones are lost.
    active = await cluster(Active, url=redis_server.url, outbox_limit=2)
    morning(active)
    worker = await cluster(Worker, active, url=redis_server.url)
    worker.follower.start()
    await until(lambda: worker.follower.arrived == 1)
    redis_server.stop()
    await until(lambda: worker.bus.up is False and active.bus.up is False)
    afternoon(active)  # 6 events: 4 of them never reach the stream
    redis_server.start()
    # Asked again on the lossy return (and once more when the gap in the active process's
    # sequence numbers shows up in the same read).
    await until(lambda: worker.follower.arrived >= 2 and not worker.kpis.bus_gap.floor_due)
    assert worker.follower.asked >= 2
    await until(lambda: floor(worker.presence) == floor(active.presence))
    assert worker.presence.agents["erin"].state is AgentState.AVAILABLE
    # Still a gap: events were lost, and counting today again is the board's (none here).
    assert worker.kpis.pbx_link()["state"] == "bus_gap" and not worker.kpis.bus_gap.floor_due


async def test_two_workers_boards_agree_the_late_one_counting_each_call_once(
    cluster: Any, sessions: sessionmaker[Session]
) -> None:
    def stored(*records: CallRecord) -> None:
        with sessions() as session:
            store_calls(session, records, after_store=ROLLUPS)
            session.commit()

    ended_early = [
        call("e1", visit("support", "09:00:00", V.ANSWERED, 10, talk=60, agent="dan")),
        call("e2", visit("sales", "09:10:00", V.ABANDONED, 40)),
    ]
    active = await cluster(Active)
    early = await cluster(Worker, active)  # up since before the traffic
    morning(active)
    for record in ended_early:
        active.ended(record)
    stored(*ended_early)
    # Ends just before the late worker subscribes; stored only after its first read.
    e3 = call("e3", visit("support", "09:20:00", V.ANSWERED, 5, talk=30, agent="alice"))
    active.ended(e3)
    await until(lambda: (SERVER, "e3") in early.kpis._counted)

    late = await cluster(Worker, active, board=True)
    board = LiveBoard(late.kpis, AlertLimits(120, 600), late.bus, SERVER, 0.05, late_rebuild_s=0.5)
    board.start(sessions)
    late.follower.start()
    stored(e3)
    # Ends after it subscribed and is stored before its second read: event and record.
    e4 = call("e4", visit("sales", "09:30:00", V.ANSWERED, 8, talk=20, agent="cara"))
    active.ended(e4)
    stored(e4)
    afternoon(active)
    try:
        await until(lambda: board.rebuilds == 1 and late.follower.arrived == 1)
        await until(lambda: floor(late.presence) == floor(active.presence))
        await until(lambda: floor(early.presence) == floor(active.presence))
        assert late.kpis.snapshot() == early.kpis.snapshot()
        support = late.kpis.snapshot()["queues"]["support"]["today"]
        assert (support["offered"], support["answered"]) == (2, 2)
    finally:
        await board.stop()


async def test_a_snapshot_of_another_server_leaves_this_servers_floor(cluster: Any) -> None:
    active = await cluster(Active)
    morning(active)
    worker = await cluster(Worker, active)
    worker.follower.start()
    await until(lambda: worker.follower.arrived == 1)
    before = floor(worker.presence)
    active.bus.publish(
        FloorSnapshot(at=NOW + timedelta(seconds=1), server="pbx2", agents=(), waiting=())
    )
    await until(lambda: len(worker.snapshots) == 2)
    assert floor(worker.presence) == before


def test_listeners_hear_only_what_the_snapshot_changed() -> None:
    presence = Presence()
    for name, server, state in (
        ("ann", SERVER, AgentState.AVAILABLE),
        ("ole", "pbx2", AgentState.PAUSED),
    ):
        presence.on_agent_state(
            AgentStateChanged(
                at=at("09:00:00"), server=server, agent=name, interface=f"PJSIP/{name}",
                state=state, reason=None, queue="q", queues=("q",),
            )
        )  # fmt: skip
    heard: list[tuple[str, AgentState]] = []
    queues: list[str] = []
    presence.listen(
        agent=lambda _, after: heard.append((after.name, after.state)), queue=queues.append
    )
    agents = (FloorAgent("bea", "PJSIP/bea", AgentState.ON_CALL, None, at("09:01:00"), ("q",)),)
    waiting = (FloorCaller("q", "c9", at("09:02:00")),)
    presence.on_floor(FloorSnapshot(at=NOW, server=SERVER, agents=agents, waiting=waiting))
    # Ann (not in the snapshot) goes, as logged out; Bea comes; Ole (another PBX) stays.
    assert heard == [("ann", AgentState.LOGGED_OUT), ("bea", AgentState.ON_CALL)]
    assert sorted(presence.agents) == ["bea", "ole"]
    assert presence.of_interface("PJSIP/ann") is None
    assert set(queues) == {"q"} and presence.waiting("q") == {"c9": at("09:02:00")}
    heard.clear(), queues.clear()
    presence.on_floor(FloorSnapshot(at=NOW, server=SERVER, agents=agents, waiting=waiting))
    assert heard == [] and queues == []  # the same floor again: nothing changed
