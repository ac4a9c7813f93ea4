"""The live presence: agents as the PBX last reported them, callers waiting oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.events import AgentStateChanged, CallAnswered, CallQueued
from callcenter.queues.presence import AgentPresence, Presence

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def state(at: int, value: AgentState, reason: str | None = None) -> AgentStateChanged:
    return AgentStateChanged(
        at=T0 + timedelta(seconds=at), server="pbx", agent="ann", interface="PJSIP/1001",
        state=value, reason=reason, queue=None, queues=("support",),
    )  # fmt: skip


def queued(at: int, linkedid: str) -> CallQueued:
    return CallQueued(
        at=T0 + timedelta(seconds=at), server="pbx", linkedid=linkedid, uniqueid=linkedid,
        queue="support", position=1, caller_number=None, caller_name=None,
    )  # fmt: skip


def test_an_agent_is_what_the_pbx_said_last_and_since_when() -> None:
    bus, presence = Bus(), Presence()
    presence.subscribe(bus)
    changes: list[tuple[AgentPresence | None, AgentPresence]] = []
    presence.listen(agent=lambda before, after: changes.append((before, after)))
    bus.publish(state(0, AgentState.AVAILABLE))
    bus.publish(state(5, AgentState.AVAILABLE))  # same state: time in state goes on
    bus.publish(state(9, AgentState.PAUSED, "Lunch"))
    ann = presence.of_interface("PJSIP/1001")
    assert ann is not None
    assert (ann.state, ann.reason, ann.since) == (
        AgentState.PAUSED,
        "Lunch",
        T0 + timedelta(seconds=9),
    )
    assert ann.queues == {"support"}
    assert [(b.state if b else None, a.state) for b, a in changes] == [
        (None, AgentState.AVAILABLE),
        (AgentState.AVAILABLE, AgentState.AVAILABLE),
        (AgentState.AVAILABLE, AgentState.PAUSED),
    ]


def test_callers_wait_oldest_first_until_answered() -> None:
    bus, presence = Bus(), Presence()
    presence.subscribe(bus)
    bus.publish(queued(0, "a"))
    bus.publish(queued(3, "b"))
    assert presence.oldest_waiting("support") == T0
    bus.publish(
        CallAnswered(
            at=T0, server="pbx", linkedid="a", queue="support", agent="ann",
            interface="PJSIP/1001", wait_s=4.0,
        )
    )  # fmt: skip
    assert list(presence.waiting("support")) == ["b"]
    assert presence.oldest_waiting("support") == T0 + timedelta(seconds=3)
