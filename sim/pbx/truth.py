"""Ground truth: what the simulated PBX really did, kept as the CTI's own CallRecord shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)


@dataclass(slots=True)
class VisitDraft:
    """A queue visit still in progress (sim-time seconds)."""

    queue: str
    uniqueid: str
    entered_at: float
    position: int
    outcome: VisitOutcome | None = None
    ended_at: float | None = None
    agent: str | None = None
    ring_started_at: float | None = None
    answered_at: float | None = None
    wait_s: float | None = None
    ring_s: float | None = None
    talk_s: float | None = None
    hold_s: float = 0.0
    ring_no_answer: int = 0
    transfer_target: str | None = None
    exit_position: int | None = None
    hangup_by: str | None = None


@dataclass(slots=True)
class CallDraft:
    """A call still in progress."""

    linkedid: str
    direction: Direction
    started_at: float
    caller_number: str | None
    caller_name: str | None
    dialed_number: str | None
    answered_at: float | None = None
    agent: str | None = None
    transfer_target: str | None = None
    talk_s: float = 0.0
    hold_s: float = 0.0
    hold_started_at: float | None = None
    visits: list[VisitDraft] = field(default_factory=list)
    # Gone before any queue or agent: routing said blocked or closed, or the caller hung up
    # while the routing server was asked.
    turned_away: bool = False


@dataclass(frozen=True, slots=True)
class RouteTruth:
    """How the PBX routed a call to a DID: the routing server's answer and what it did.

    `status` is Asterisk's AGISTATUS (SUCCESS, FAILURE when the server could not be reached or
    broke off, HANGUP); `action` what the dialplan then did: "queue" (joined `queue`),
    "preferred" (dialled `preferred_member` first, then `queue` if unanswered), "fallback"
    (the default queue, the server having said nothing usable), "blocked", "closed" (hung
    up after a message), "gone" (the caller hung up first).
    """

    linkedid: str
    uniqueid: str
    dialed: str
    caller: str
    status: str
    variables: dict[str, str]
    action: str
    queue: str | None
    priority: int
    preferred_member: str | None
    asked_at: float
    answered_at: float


class GroundTruth:
    """Collects one CallRecord per finished call, timed on the simulation clock."""

    def __init__(self, server: str, epoch: Callable[[float], float]) -> None:
        self.server = server
        self._epoch = epoch
        self.records: list[CallRecord] = []
        self.routes: list[RouteTruth] = []

    def _dt(self, at: float) -> datetime:
        return datetime.fromtimestamp(self._epoch(at), tz=UTC)

    def hold(self, call: CallDraft, at: float) -> None:
        """The caller was put on hold."""
        if call.hold_started_at is None:
            call.hold_started_at = at

    def unhold(self, call: CallDraft, at: float) -> None:
        """The caller came back from hold; the held time counts for the call and its visit."""
        if call.hold_started_at is None:
            return
        held = at - call.hold_started_at
        call.hold_s += held
        call.hold_started_at = None
        if call.visits and call.visits[-1].answered_at is not None:
            call.visits[-1].hold_s += held

    def close_visit(
        self,
        visit: VisitDraft,
        outcome: VisitOutcome,
        at: float,
        *,
        hangup_by: str | None = None,
        transfer_target: str | None = None,
        exit_position: int | None = None,
    ) -> None:
        """A visit ended: answered calls get their talk time, others their wait."""
        visit.outcome = outcome
        visit.ended_at = at
        visit.hangup_by = hangup_by
        visit.transfer_target = transfer_target
        visit.exit_position = exit_position
        if visit.answered_at is not None:
            visit.talk_s = at - visit.answered_at
        else:
            visit.wait_s = at - visit.entered_at

    def close_call(self, call: CallDraft, at: float) -> CallRecord:
        """The call's last channel hung up: build and keep its immutable record."""
        self.unhold(call, at)
        visits = tuple(self._visit_record(v) for v in call.visits)
        record = CallRecord(
            server=self.server,
            linkedid=call.linkedid,
            direction=call.direction,
            started_at=self._dt(call.started_at),
            ended_at=self._dt(at),
            outcome=self._outcome(call),
            caller_number=call.caller_number,
            caller_name=call.caller_name,
            dialed_number=call.dialed_number,
            answered_at=self._dt(call.answered_at) if call.answered_at is not None else None,
            talk_s=call.talk_s if call.answered_at is not None else None,
            hold_s=call.hold_s,
            agent=call.agent,
            transfer_target=call.transfer_target,
            queue_visits=visits,
        )
        self.records.append(record)
        return record

    @staticmethod
    def _outcome(call: CallDraft) -> CallOutcome:
        # The last queue visit decides: a blind transfer answered in the next queue is
        # answered; a transfer out of the queues (attended, or to a number) is transferred.
        if call.visits:
            last = call.visits[-1].outcome or VisitOutcome.EXITED
            return CallOutcome(last.value)
        if call.answered_at is not None:
            return CallOutcome.ANSWERED
        # As the CTI counts it: an inbound caller who never reached a queue nor an agent.
        return CallOutcome.ABANDONED if call.turned_away else CallOutcome.FAILED

    def _visit_record(self, visit: VisitDraft) -> QueueVisitRecord:
        return QueueVisitRecord(
            queue=visit.queue,
            uniqueid=visit.uniqueid,
            entered_at=self._dt(visit.entered_at),
            outcome=visit.outcome or VisitOutcome.EXITED,
            position=visit.position,
            ended_at=self._dt(visit.ended_at) if visit.ended_at is not None else None,
            agent=visit.agent,
            wait_s=visit.wait_s,
            ring_s=visit.ring_s,
            talk_s=visit.talk_s,
            hold_s=visit.hold_s,
            ring_no_answer=visit.ring_no_answer,
            transfer_target=visit.transfer_target,
            exit_position=visit.exit_position,
            hangup_by=visit.hangup_by,
        )
