"""What subscribers see on the bus while a call happens."""

from __future__ import annotations

import pytest

from callcenter.events import (
    AgentRinging,
    AgentRingNoAnswer,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallQueued,
    CallStarted,
    CallTransferred,
    CallUnheld,
    DomainEvent,
)
from tests.cti.captures import replay_capture

CALL_EVENTS = (
    CallStarted,
    CallQueued,
    AgentRinging,
    AgentRingNoAnswer,
    CallAnswered,
    CallHeld,
    CallUnheld,
    CallTransferred,
    CallAbandoned,
    CallEnded,
)


def _story(scenario: str) -> list[str]:
    """The call events of a scenario, once per kind in a row (a call has two channels)."""
    names: list[str] = []
    for event in replay_capture(scenario).events:
        if isinstance(event, CALL_EVENTS) and not (
            isinstance(event, CallStarted) and names and names[-1] == "CallStarted"
        ):
            names.append(type(event).__name__)
    return names


@pytest.mark.parametrize(
    ("scenario", "story"),
    [
        ("answered", "CallStarted CallQueued AgentRinging CallAnswered CallEnded"),
        (
            "ring_no_answer",
            "CallStarted CallQueued AgentRinging AgentRingNoAnswer AgentRinging CallAnswered "
            "CallEnded",
        ),
        ("hold", "CallStarted CallQueued AgentRinging CallAnswered CallHeld CallUnheld CallEnded"),
        (
            "blind_transfer",
            "CallStarted CallQueued AgentRinging CallAnswered CallTransferred CallQueued "
            "AgentRinging CallAnswered CallEnded",
        ),
        ("outbound", "CallStarted CallAnswered CallEnded"),
    ],
)
def test_the_story_of_a_call(scenario: str, story: str) -> None:
    assert " ".join(_story(scenario)) == story


def _first(scenario: str, kind: type[DomainEvent]) -> DomainEvent:
    return next(e for e in replay_capture(scenario).events if isinstance(e, kind))


def test_agent_ringing_carries_the_screen_pop() -> None:
    ringing = _first("answered", AgentRinging)
    assert isinstance(ringing, AgentRinging)
    assert (ringing.agent, ringing.interface, ringing.queue) == (
        "Alice",
        "Local/101@agents/n",
        "support",
    )
    assert (ringing.caller_number, ringing.caller_name) == ("+15551230001", "Ann Customer")
    assert (ringing.linkedid, ringing.uniqueid) == ("1795441073.0", "1795441073.0")
    assert ringing.waited_s == pytest.approx(0.0, abs=0.01)


def test_a_second_ring_says_how_long_the_caller_waited() -> None:
    rings = [e for e in replay_capture("ring_no_answer").events if isinstance(e, AgentRinging)]
    assert [r.agent for r in rings] == ["Alice", "Bob"]
    assert rings[1].waited_s == pytest.approx(9.0, abs=0.1)


@pytest.mark.parametrize(
    ("scenario", "wait", "timeout"), [("abandon", 8.0, False), ("queue_timeout", 12.0, True)]
)
def test_abandon_and_timeout_are_told_apart(scenario: str, wait: float, timeout: bool) -> None:
    abandoned = _first(scenario, CallAbandoned)
    assert isinstance(abandoned, CallAbandoned)
    assert (abandoned.queue, abandoned.wait_s, abandoned.timeout) == ("support", wait, timeout)


@pytest.mark.parametrize(
    ("scenario", "kind", "target"),
    [
        ("blind_transfer", "blind", "sales@queues"),
        ("attended_transfer", "attended", "300@transfers"),
    ],
)
def test_transfers_name_their_target(scenario: str, kind: str, target: str) -> None:
    transferred = _first(scenario, CallTransferred)
    assert isinstance(transferred, CallTransferred)
    assert (transferred.kind, transferred.queue, transferred.agent, transferred.target) == (
        kind,
        "support",
        "Alice",
        target,
    )
