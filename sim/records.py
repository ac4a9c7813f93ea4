"""Turning finished simulated calls into the immutable call records the CTI also produces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)

# A blind transfer to a queue is written `<queue>@<context>`, as Asterisk's queue_log does
# (BLINDTRANSFER|<exten>|<context>); the simulated dialplan keeps its queues in this context.
QUEUE_CONTEXT = "queues"


def queue_target(queue: str) -> str:
    """The transfer target of a blind transfer to `queue`."""
    return f"{queue}@{QUEUE_CONTEXT}"


class VisitTrace(NamedTuple):
    """A closed queue visit in simulated seconds: what the engine keeps on the hot path.

    Turned into a `QueueVisitRecord` only when a call record is wanted (`call_record`).
    """

    queue: str
    outcome: VisitOutcome
    entered_at: float
    ended_at: float
    position: int
    agent: str | None
    wait_s: float
    ring_s: float | None
    talk_s: float | None
    ring_no_answer: int
    transfer_target: str | None
    exit_position: int | None
    hangup_by: str | None


class CallTrace(NamedTuple):
    """A finished call in simulated seconds, as `on_call_end` receives it from either path.

    `answered_at` is the first answer, `talk_s` the talk summed over every agent (None if never
    answered), `agent` the last agent who talked with the caller.
    """

    id: int
    linkedid: str
    direction: Direction
    arrived_at: float
    ended_at: float
    outcome: CallOutcome
    caller_number: str | None
    caller_name: str | None
    dialed_number: str | None
    answered_at: float | None
    talk_s: float | None
    agent: str | None
    transfer_target: str | None
    hangup_by: str | None
    visits: tuple[VisitTrace, ...]


class RecordClock:
    """Converts simulated seconds into UTC datetimes from the scenario start."""

    __slots__ = ("epoch", "start")

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.epoch = start.timestamp()

    def at(self, t: float) -> datetime:
        return datetime.fromtimestamp(self.epoch + t, UTC)


def visit_record(clock: RecordClock, uniqueid: str, visit: VisitTrace) -> QueueVisitRecord:
    """The stored shape of one queue visit."""
    return QueueVisitRecord(
        queue=visit.queue,
        uniqueid=uniqueid,
        entered_at=clock.at(visit.entered_at),
        outcome=visit.outcome,
        position=visit.position,
        ended_at=clock.at(visit.ended_at),
        agent=visit.agent,
        wait_s=visit.wait_s,
        ring_s=visit.ring_s,
        talk_s=visit.talk_s,
        ring_no_answer=visit.ring_no_answer,
        transfer_target=visit.transfer_target,
        exit_position=visit.exit_position,
        hangup_by=visit.hangup_by,
    )


def call_record(clock: RecordClock, server: str, call: CallTrace) -> CallRecord:
    """The stored shape of a whole call, with its queue visits."""
    first = call.answered_at
    linkedid = call.linkedid
    return CallRecord(
        server=server,
        linkedid=linkedid,
        direction=call.direction,
        started_at=clock.at(call.arrived_at),
        ended_at=clock.at(call.ended_at),
        outcome=call.outcome,
        caller_number=call.caller_number,
        caller_name=call.caller_name,
        dialed_number=call.dialed_number,
        answered_at=clock.at(first) if first is not None else None,
        talk_s=call.talk_s,
        agent=call.agent,
        transfer_target=call.transfer_target,
        queue_visits=tuple(visit_record(clock, linkedid, v) for v in call.visits),
    )
