"""Every capture with an expected_calls.csv: each queue visit as Asterisk's queue_log saw it."""

from __future__ import annotations

import pytest

from callcenter.calls.records import QueueVisitRecord
from tests.cti.captures import ExpectedVisit, expected_visits, replay_capture

SCENARIOS = [
    "answered",
    "agent_hangup",
    "abandon",
    "ring_no_answer",
    "queue_timeout",
    "blind_transfer",
    "attended_transfer",
    "hold",
    "load_realistic",
    "routing_vip",
    "routing_preferred",
    "routing_skills",
    "routing_paths",
    "no-timestamps/answered",
    "no-timestamps/abandon",
    "no-timestamps/ring_no_answer",
    "no-timestamps/load",
]


def _close(actual: float | None, expected: float | None, slack: float = 1.0) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and abs(actual - expected) <= slack


def _differences(visit: QueueVisitRecord, want: ExpectedVisit) -> list[str]:
    found = []
    checks = {
        "queue": (visit.queue, want.queue),
        "outcome": (visit.outcome.value, want.outcome),
        "agent": (visit.agent or "", want.agent),
        "ring_no_answer": (visit.ring_no_answer, want.ring_no_answer),
        "transfer_target": (visit.transfer_target or "", want.transfer_target),
        "position": (visit.position, want.enter_position),
    }
    if want.hangup_by or want.outcome != "abandoned":  # the older layout leaves abandons blank
        checks["hangup_by"] = (visit.hangup_by or "", want.hangup_by)
    if want.outcome in ("abandoned", "timeout"):
        checks["exit_position"] = (visit.exit_position, want.exit_position)
    for name, (got, expected) in checks.items():
        if got != expected:
            found.append(f"{name}: {got!r} != {expected!r}")
    for name, got, expected in (
        ("wait_s", visit.wait_s, want.wait_s),
        ("talk_s", visit.talk_s, want.talk_s),
        ("ring_s", visit.ring_s, want.ring_s),
        # queue_log truncates to whole seconds: the true entry lies in [epoch, epoch + 1).
        ("entered_at", visit.entered_at.timestamp(), want.enter_epoch + 0.5),
    ):
        if name == "ring_s" and want.ring_s is None:
            continue  # the no-timestamps layout has no ring column
        if not _close(got, expected, 1.5 if name == "entered_at" else 1.0):
            found.append(f"{name}: {got!r} !~ {expected!r}")
    return found


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_queue_visit_matches_queue_log(scenario: str) -> None:
    replayed = replay_capture(scenario).visits()
    expected = expected_visits(scenario)
    problems = []
    for want in expected:
        visit = replayed.get((want.callid, want.visit))
        if visit is None:
            problems.append(f"{want.callid}/{want.visit}: missing")
            continue
        problems.extend(f"{want.callid}/{want.visit} {d}" for d in _differences(visit, want))
    assert problems == []
    assert len(replayed) == len(expected)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_call_keeps_its_caller(scenario: str) -> None:
    calls = {c.linkedid: c for c in replay_capture(scenario).calls}
    for want in expected_visits(scenario):
        call = calls[want.callid]
        assert (call.caller_number, call.caller_name) == (f"+{want.caller_num}", want.caller_name)
        assert not call.data_gap
