"""The live board: alerts every tick from the aggregator's state, snapshots only for watchers."""

from __future__ import annotations

from datetime import datetime, timedelta

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.calls.records import VisitOutcome as V
from callcenter.events import (
    AgentStateChanged,
    CallEnded,
    CallQueued,
    KpiAlertRaised,
    PbxConnectionChanged,
)
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.alerts import AlertLimits, evaluate, evaluate_live
from kpi.board import LiveBoard
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import at, call, visit

BOOK = ThresholdBook(QueueThresholds(20, 5, 0.8))
LIMITS = AlertLimits(longest_wait_s=60, pause_s=900)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def queued(linkedid: str, clock: str, queue: str) -> CallQueued:
    return CallQueued(
        at=at(clock), server="pbx", linkedid=linkedid, uniqueid=linkedid, queue=queue,
        position=1, caller_number=None, caller_name=None,
    )  # fmt: skip


def agent_state(name: str, state: AgentState, clock: str, reason: str | None) -> AgentStateChanged:
    return AgentStateChanged(
        at=at(clock), server="pbx", agent=name, interface=f"PJSIP/{name}", state=state,
        reason=reason, queue=None, queues=("support",),
    )  # fmt: skip


def busy_floor(clock: Clock) -> tuple[LiveKpis, Bus]:
    """Two queues, a late answer, callers waiting, agents paused and available."""
    bus, presence = Bus(), Presence()
    presence.subscribe(bus)
    kpis = LiveKpis(BOOK, presence, clock)
    kpis.subscribe(bus)
    late = call("c1", visit("support", "09:50:00", V.ANSWERED, 45, 60, agent="ann"))
    bus.publish(CallEnded(at=at("09:52:00"), server="pbx", record=late))
    bus.publish(queued("w1", "09:58:30", "support"))
    bus.publish(queued("w2", "09:59:50", "sales"))
    bus.publish(agent_state("zoe", AgentState.PAUSED, "09:40:00", "Lunch"))
    bus.publish(agent_state("bob", AgentState.PAUSED, "09:30:00", None))
    bus.publish(agent_state("cy", AgentState.PAUSED, "09:59:00", "Break"))
    bus.publish(agent_state("ann", AgentState.AVAILABLE, "09:00:00", None))
    return kpis, bus


def test_alerts_from_the_aggregator_equal_alerts_from_its_snapshot() -> None:
    for now in ("09:59:55", "10:00:00", "10:30:00"):
        for pbx in (None, True, False):
            kpis, bus = busy_floor(Clock(at(now)))
            if pbx is not None:
                bus.publish(PbxConnectionChanged(at=at(now), server="pbx", connected=pbx))
            assert evaluate_live(kpis, LIMITS) == evaluate(kpis.snapshot(), LIMITS)


def test_every_rule_fires_from_the_aggregator() -> None:
    clock = Clock(at("10:00:00"))
    kpis, bus = busy_floor(clock)
    bus.publish(PbxConnectionChanged(at=at("10:00:00"), server="pbx", connected=False))
    found = [(alert.kind, alert.subject) for alert in evaluate_live(kpis, LIMITS)]
    assert found == [
        ("pbx_down", "pbx"),
        ("service_level", "support"),
        ("longest_wait", "support"),
        ("long_pause", "bob"),
        ("long_pause", "zoe"),
    ]


def test_with_nobody_watching_alerts_are_raised_but_no_snapshot_is_built() -> None:
    clock = Clock(at("09:59:00"))
    kpis, bus = busy_floor(clock)
    raised: list[KpiAlertRaised] = []
    bus.subscribe(KpiAlertRaised, raised.append)
    board = LiveBoard(kpis, LIMITS, bus, "pbx")
    board.tick()
    before = {event.subject for event in raised if event.kind == "longest_wait"}
    clock.now = at("10:00:00")  # no event: the support caller's wait passes 60 s
    assert not board.tick()
    after = {event.subject for event in raised if event.kind == "longest_wait"}
    assert (before, after) == (set(), {"support"})
    assert board.latest is None and board.pushes == 0


def test_a_watcher_gets_the_current_board_then_only_changes() -> None:
    clock = Clock(at("10:00:00"))
    kpis, bus = busy_floor(clock)
    board = LiveBoard(kpis, LIMITS, bus, "pbx")
    board.tick()
    watcher = board.attach()
    first = watcher.get_nowait()
    assert first["queues"]["support"]["waiting"] == 1
    assert [alert["subject"] for alert in first["alerts"]] == ["support", "support", "bob", "zoe"]
    clock.now += timedelta(seconds=1)
    assert not board.tick()  # nothing changed: nothing built, nothing pushed
    bus.publish(queued("w3", "10:00:01", "support"))
    assert board.tick()
    assert watcher.get_nowait()["queues"]["support"]["waiting"] == 2
    assert board.pushes == 1
