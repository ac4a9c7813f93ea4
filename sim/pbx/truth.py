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
from callcenter.campaigns.enums import Outcome


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


@dataclass(slots=True)
class CampaignDraft:
    """A campaign call (an Originate into `[campaign-dial]`) while it is under way.

    Its CC_* variables as the Originate gave them, and what the PBX did: the
    OriginateResponse Reason, the dialled channel's hang-up cause, AMD's verdict, when the
    customer answered, when an agent was connected, and the outcome in the dialer's words.
    """

    attempt: str
    lead: str
    campaign: str
    queue: str
    agent_interface: str
    amd: bool
    number: str
    action_id: str | None
    requested_channel: str
    dialed_at: float
    channel: str | None = None
    uniqueid: str | None = None
    outcome: Outcome | None = None
    reason: int | None = None
    hangup_cause: int | None = None
    amd_status: str | None = None
    amd_cause: str | None = None
    answered_at: float | None = None
    connected_at: float | None = None
    abandoned_at: float | None = None
    agent: str | None = None
    hangup_by: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignCallTruth:
    """What the simulated PBX really did with one campaign call (times in UTC)."""

    attempt: str
    lead: str
    campaign: str
    queue: str
    agent_interface: str
    amd: bool
    number: str
    action_id: str | None
    outcome: Outcome
    reason: int | None
    hangup_cause: int | None
    channel: str | None
    uniqueid: str | None
    linkedid: str | None
    amd_status: str | None
    amd_cause: str | None
    dialed_at: datetime
    answered_at: datetime | None
    connected_at: datetime | None
    abandoned_at: datetime | None
    ended_at: datetime
    agent: str | None
    talk_s: float | None
    hangup_by: str | None


class GroundTruth:
    """Collects one CallRecord per finished call, timed on the simulation clock."""

    def __init__(self, server: str, epoch: Callable[[float], float]) -> None:
        self.server = server
        self._epoch = epoch
        self.records: list[CallRecord] = []
        self.routes: list[RouteTruth] = []
        self.campaign_calls: list[CampaignCallTruth] = []

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

    def close_campaign(self, draft: CampaignDraft, at: float) -> CampaignCallTruth:
        """A campaign call is over: keep what happened to it."""
        outcome = draft.outcome
        if outcome is None:
            # Gone before an agent or the message: answered, then lost, or never answered.
            outcome = Outcome.ABANDONED if draft.answered_at is not None else Outcome.FAILED
        connected = draft.connected_at
        truth = CampaignCallTruth(
            attempt=draft.attempt,
            lead=draft.lead,
            campaign=draft.campaign,
            queue=draft.queue,
            agent_interface=draft.agent_interface,
            amd=draft.amd,
            number=draft.number,
            action_id=draft.action_id,
            outcome=outcome,
            reason=draft.reason,
            hangup_cause=draft.hangup_cause,
            channel=draft.channel,
            uniqueid=draft.uniqueid,
            linkedid=draft.uniqueid,
            amd_status=draft.amd_status,
            amd_cause=draft.amd_cause,
            dialed_at=self._dt(draft.dialed_at),
            answered_at=self._dt(draft.answered_at) if draft.answered_at is not None else None,
            connected_at=self._dt(connected) if connected is not None else None,
            abandoned_at=(self._dt(draft.abandoned_at) if draft.abandoned_at is not None else None),
            ended_at=self._dt(at),
            agent=draft.agent,
            talk_s=at - connected if connected is not None else None,
            hangup_by=draft.hangup_by,
        )
        self.campaign_calls.append(truth)
        return truth

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
