"""The live aggregator: right-now figures from events, today and windows from call records,
and the same numbers after a restart (rebuilt from stored records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.bus import Bus
from callcenter.calls.records import AgentState, WrapUpRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.events import (
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallQueued,
    PbxConnectionChanged,
    WrapUpEnded,
)
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis, day_start, rebuild_since
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import at, call, visit

BOOK = ThresholdBook(QueueThresholds(20, 5, 0.8))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def queued(linkedid: str, clock: str, queue: str = "support") -> CallQueued:
    return CallQueued(
        at=at(clock), server="pbx", linkedid=linkedid, uniqueid=linkedid, queue=queue,
        position=1, caller_number=None, caller_name=None,
    )  # fmt: skip


def agent_state(
    name: str, state: AgentState, clock: str, reason: str | None = None
) -> AgentStateChanged:
    return AgentStateChanged(
        at=at(clock), server="pbx", agent=name, interface=f"PJSIP/{name}", state=state,
        reason=reason, queue=None,
        queues=() if state is AgentState.LOGGED_OUT else ("support",),
    )  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock(at("10:00:00"))


@pytest.fixture
def live(clock: Clock) -> tuple[LiveKpis, Bus]:
    bus = Bus()
    presence = Presence()
    presence.subscribe(bus)
    kpis = LiveKpis(BOOK, presence, clock)
    kpis.subscribe(bus)
    return kpis, bus


def test_calls_waiting_and_the_longest_wait(live: tuple[LiveKpis, Bus], clock: Clock) -> None:
    kpis, bus = live
    bus.publish(queued("a", "09:59:00"))
    bus.publish(queued("b", "09:59:30"))
    tile = kpis.snapshot()["queues"]["support"]
    assert (tile["waiting"], tile["longest_wait_s"]) == (2, 60)
    bus.publish(CallAnswered(at=at("09:59:40"), server="pbx", linkedid="a", queue="support",
                             agent="alice", interface="PJSIP/alice", wait_s=40))  # fmt: skip
    tile = kpis.snapshot()["queues"]["support"]
    assert (tile["waiting"], tile["longest_wait_s"]) == (1, 30)
    bus.publish(CallAbandoned(at=at("09:59:50"), server="pbx", linkedid="b", queue="support",
                              wait_s=20, timeout=False))  # fmt: skip
    tile = kpis.snapshot()["queues"]["support"]
    assert (tile["waiting"], tile["longest_wait_s"]) == (0, None)


def test_agents_by_state(live: tuple[LiveKpis, Bus], clock: Clock) -> None:
    kpis, bus = live
    bus.publish(agent_state("alice", AgentState.AVAILABLE, "09:00:00"))
    bus.publish(agent_state("bob", AgentState.PAUSED, "09:40:00", "Lunch"))
    bus.publish(agent_state("carol", AgentState.ON_CALL, "09:58:00"))
    snap = kpis.snapshot()
    assert snap["queues"]["support"]["agents"] == {
        "available": 1, "ringing": 0, "on_call": 1, "wrap_up": 0, "paused": 1, "logged_out": 0,
    }  # fmt: skip
    bob = next(a for a in snap["agents"] if a["agent"] == "bob")
    assert (bob["state"], bob["reason"], bob["in_state_s"]) == ("paused", "Lunch", 1200)


# Finished calls: today so far and the rolling windows (by the minute the visit entered).
FINISHED = [
    call("c1", visit("support", "08:00:00", V.ANSWERED, 10, 100, 0, "alice")),  # today only
    call("c2", visit("support", "09:30:00", V.ANSWERED, 30, 200, 0, "alice")),  # last 60 min
    call("c3", visit("support", "09:50:00", V.ABANDONED, 40)),  # last 15 and 60 min
]


def test_today_and_rolling_windows(live: tuple[LiveKpis, Bus]) -> None:
    kpis, bus = live
    for record in FINISHED:
        bus.publish(CallEnded(at=record.ended_at, server="pbx", record=record))
    tile = kpis.snapshot()["queues"]["support"]
    assert (tile["today"]["offered"], tile["today"]["service_level"]) == (3, pytest.approx(1 / 3))
    assert (tile["last_60m"]["offered"], tile["last_60m"]["answered"]) == (2, 1)
    assert (tile["last_15m"]["offered"], tile["last_15m"]["service_level"]) == (1, 0.0)
    alice = next(a for a in kpis.snapshot()["agents"] if a["agent"] == "alice")
    assert (alice["calls_today"], alice["talk_hold_s"]) == (2, 150)
    assert alice["aht_s"] == 150  # AHT includes wrap-up: none reached these calls


def test_an_empty_window_is_null(live: tuple[LiveKpis, Bus], clock: Clock) -> None:
    kpis, bus = live
    bus.publish(queued("a", "09:59:00"))
    tile = kpis.snapshot()["queues"]["support"]
    assert tile["last_15m"]["service_level"] is None
    assert tile["today"]["asa_s"] is None


def test_a_restart_shows_the_same_numbers(live: tuple[LiveKpis, Bus], clock: Clock) -> None:
    kpis, bus = live
    for record in FINISHED:
        bus.publish(CallEnded(at=record.ended_at, server="pbx", record=record))
    restarted = LiveKpis(BOOK, Presence(), clock)
    restarted.rebuild(FINISHED)
    before, after = kpis.snapshot(), restarted.snapshot()
    assert after["queues"] == before["queues"]
    assert [(a["agent"], a["calls_today"], a["talk_hold_s"]) for a in after["agents"]] == [
        (a["agent"], a["calls_today"], a["talk_hold_s"]) for a in before["agents"]
    ]


def test_yesterday_drops_out_at_midnight(live: tuple[LiveKpis, Bus], clock: Clock) -> None:
    kpis, bus = live
    for record in FINISHED:
        bus.publish(CallEnded(at=record.ended_at, server="pbx", record=record))
    clock.now += timedelta(days=1)
    tile = kpis.snapshot()["queues"]["support"]
    assert (tile["today"]["offered"], tile["last_60m"]["offered"]) == (0, 0)


def test_every_event_bumps_the_version(live: tuple[LiveKpis, Bus], clock: Clock) -> None:
    kpis, bus = live
    start = kpis.version
    bus.publish(queued("a", "09:59:00"))
    bus.publish(PbxConnectionChanged(at=clock.now, server="pbx", connected=False))
    assert kpis.version == start + 2
    assert kpis.snapshot()["pbx_connected"] is False


def test_a_wrap_up_after_the_call_adds_to_its_queue_and_agent_aht(
    live: tuple[LiveKpis, Bus],
) -> None:
    kpis, bus = live
    record = FINISHED[1]  # alice, entered 09:30, talk 200
    bus.publish(CallEnded(at=record.ended_at, server="pbx", record=record))
    (visit,) = record.queue_visits
    late = WrapUpRecord(
        server="pbx", linkedid=record.linkedid, seq=1, queue="support", uniqueid=visit.uniqueid,
        entered_at=visit.entered_at, agent="alice", wrap_up_s=30.0, added_s=30.0,
    )  # fmt: skip
    bus.publish(WrapUpEnded(at=at("09:35:00"), server="pbx", record=late))
    snap = kpis.snapshot()
    tile = snap["queues"]["support"]
    assert (tile["today"]["aht_s"], tile["today"]["talk_hold_s"]) == (230, 200)
    assert tile["last_60m"]["aht_s"] == 230
    alice = next(a for a in snap["agents"] if a["agent"] == "alice")
    assert (alice["aht_s"], alice["talk_hold_s"]) == (230, 200)


def test_today_starts_at_the_sites_midnight() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on 24 Oct is 01:30 on 25 Oct in Berlin (summer time, +02:00), the day the
    # clocks go back: that day began at 22:00 UTC the evening before.
    late = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    assert day_start(late, berlin) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert day_start(late, UTC) == datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
    # After the change (+01:00), the same day's start is still 22:00 UTC the day before.
    evening = datetime(2026, 10, 25, 20, 0, tzinfo=UTC)
    assert day_start(evening, berlin) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert rebuild_since(evening, berlin) == datetime(2026, 10, 24, 21, 0, tzinfo=UTC)
    kpis = LiveKpis(BOOK, Presence(), lambda: late, zone=berlin)
    assert kpis.day == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
