"""The tracker's memory of calls in flight: channels, calls, queue visits, and their records."""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime
from enum import Enum

from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)

log = logging.getLogger(__name__)


def to_datetime(at: float) -> datetime:
    """Epoch seconds as a timezone-aware UTC datetime."""
    return datetime.fromtimestamp(at, UTC)


class VisitPhase(Enum):
    """Where a caller is in one queue visit; each step is a named transition of Visit."""

    WAITING = "waiting"
    LEFT = "left"  # QueueCallerLeave came; AgentConnect usually follows at once
    CONNECTED = "connected"
    DONE = "done"


class Channel:
    """One live channel of a call."""

    __slots__ = (
        "bridge",
        "caller_name",
        "caller_number",
        "device",
        "exten",
        "hangup_requested",
        "held_since",
        "held_visit",
        "linkedid",
        "name",
        "uniqueid",
    )

    def __init__(self, uniqueid: str, linkedid: str, name: str, device: str | None) -> None:
        self.uniqueid = uniqueid
        self.linkedid = linkedid
        self.name = name
        self.device = device
        self.caller_number: str | None = None
        self.caller_name: str | None = None
        self.exten: str | None = None
        self.bridge: str | None = None
        self.hangup_requested = False
        self.held_since: float | None = None
        self.held_visit: Visit | None = None


class Visit:
    """One stay of a caller channel in one queue."""

    __slots__ = (
        "_call",
        "agent",
        "connected_at",
        "ended_at",
        "entered_at",
        "estimated",
        "exit_position",
        "hangup_by",
        "hold_s",
        "interface",
        "linkedid",
        "member_uniqueid",
        "outcome",
        "phase",
        "position",
        "queue",
        "ring_no_answer",
        "ring_s",
        "seq",
        "talk_s",
        "transfer_target",
        "uniqueid",
        "wait_s",
        "wrap_up_s",
    )

    def __init__(
        self, call: TrackedCall, queue: str, uniqueid: str, entered_at: float, position: int | None
    ) -> None:
        # The call holds its visits; a visit only points back at it, so a closed call is
        # freed when its last reference goes (no reference cycle for every call, which only
        # the garbage collector's full passes would free).
        self._call = weakref.ref(call)
        self.linkedid = call.linkedid
        self.seq: int | None = None  # place among the call's visits, set as the call closes
        self.queue = queue
        self.uniqueid = uniqueid
        self.entered_at = entered_at
        self.position = position
        self.phase = VisitPhase.WAITING
        self.outcome: VisitOutcome | None = None
        self.ended_at: float | None = None
        self.connected_at: float | None = None
        self.agent: str | None = None
        self.interface: str | None = None
        self.member_uniqueid: str | None = None
        self.wait_s: float | None = None
        self.ring_s: float | None = None
        self.talk_s: float | None = None
        self.hold_s = 0.0
        self.ring_no_answer = 0
        self.transfer_target: str | None = None
        self.exit_position: int | None = None
        self.hangup_by: str | None = None
        self.wrap_up_s: float | None = None  # the agent's wrap-up after it, once measured
        # Entered and connected at times a resync estimated (AgentComplete corrects them).
        self.estimated = False

    @property
    def call(self) -> TrackedCall:
        """The call this visit belongs to, while the tracker still holds it."""
        call = self._call()
        if call is None:
            raise LookupError(f"the call {self.linkedid} of visit {self.uniqueid} is closed")
        return call

    def tracked_call(self) -> TrackedCall | None:
        """The call, or None once it was closed and let go."""
        return self._call()

    @property
    def is_open(self) -> bool:
        return self.phase is not VisitPhase.DONE

    def leave(self, at: float, position: int | None) -> None:
        """The caller left the queue; whether an agent took it is told by what follows."""
        if self.phase is not VisitPhase.WAITING:
            self._impossible("leave")
            return
        self.phase = VisitPhase.LEFT
        self.ended_at = at
        self.exit_position = position

    def _impossible(self, transition: str) -> None:
        log.info(
            "visit of %s in %s: %s while %s, ignored",
            self.uniqueid,
            self.queue,
            transition,
            self.phase.value,
        )

    def connect(
        self, at: float, agent: str | None, interface: str, member_uniqueid: str | None
    ) -> None:
        if self.phase not in (VisitPhase.WAITING, VisitPhase.LEFT):
            self._impossible("connect")
            return
        self.phase = VisitPhase.CONNECTED
        self.connected_at = at
        self.ended_at = None
        self.exit_position = None
        self.agent = agent
        self.interface = interface
        self.member_uniqueid = member_uniqueid

    def give_up(self, at: float, outcome: VisitOutcome, position: int | None) -> None:
        """The caller left unanswered (abandoned, timeout, exited)."""
        if self.phase in (VisitPhase.CONNECTED, VisitPhase.DONE):
            self._impossible(f"give up ({outcome.value})")
            return
        self.phase = VisitPhase.DONE
        self.outcome = outcome
        self.ended_at = at
        if position is not None:
            self.exit_position = position
        if outcome is VisitOutcome.ABANDONED:
            self.hangup_by = "caller"
        if self.wait_s is None:
            self.wait_s = max(0.0, at - self.entered_at)

    def complete(self, at: float, talk_s: float | None, reason: str | None) -> None:
        """The agent's part ended: hang-up by either side, or a transfer."""
        if self.phase is not VisitPhase.CONNECTED:
            self._impossible("complete")
            return
        self.phase = VisitPhase.DONE
        self.ended_at = at
        if talk_s is None and self.connected_at is not None:
            talk_s = max(0.0, at - self.connected_at)
        self.talk_s = talk_s
        if reason == "transfer" or (reason is None and self.transfer_target):
            self.outcome = VisitOutcome.TRANSFERRED
        else:
            self.outcome = VisitOutcome.ANSWERED
            if reason in ("caller", "agent"):
                self.hangup_by = reason

    def record(self) -> QueueVisitRecord:
        outcome = self.outcome or VisitOutcome.EXITED
        return QueueVisitRecord(
            queue=self.queue,
            uniqueid=self.uniqueid,
            entered_at=to_datetime(self.entered_at),
            outcome=outcome,
            position=self.position,
            ended_at=to_datetime(self.ended_at) if self.ended_at is not None else None,
            agent=self.agent,
            wait_s=self.wait_s,
            ring_s=self.ring_s,
            talk_s=self.talk_s,
            hold_s=round(self.hold_s, 3),
            ring_no_answer=self.ring_no_answer,
            transfer_target=self.transfer_target,
            exit_position=self.exit_position,
            hangup_by=self.hangup_by,
            wrap_up_s=round(self.wrap_up_s, 3) if self.wrap_up_s is not None else None,
        )


class TrackedCall:
    """Everything known about one call (one Linkedid) while it is in flight."""

    __slots__ = (
        "__weakref__",
        "agent_device",
        "answered_at",
        "answered_device",
        "caller_name",
        "caller_number",
        "connected_since",
        "data_gap",
        "derived_time",
        "dial_exten",
        "dial_failed",
        "dialed_number",
        "ended_at",
        "first_device",
        "first_uniqueid",
        "hold_s",
        "linkedid",
        "live",
        "started_at",
        "talk_s",
        "transfer_dropped",
        "transfer_landing",
        "transfer_target",
        "visits",
    )

    def __init__(self, linkedid: str, started_at: float) -> None:
        self.linkedid = linkedid
        self.started_at = started_at
        self.first_uniqueid: str | None = None
        self.first_device: str | None = None
        self.live: set[str] = set()
        self.caller_number: str | None = None
        self.caller_name: str | None = None
        self.dialed_number: str | None = None
        self.answered_at: float | None = None
        self.answered_device: str | None = None
        self.agent_device: str | None = None
        self.ended_at: float | None = None
        self.connected_since: float | None = None
        self.talk_s = 0.0
        self.hold_s = 0.0
        self.transfer_target: str | None = None
        # A blind-transferred caller (Uniqueid, target) until it runs the target's dial plan;
        # hung up there first, it was dropped (a missing extension), not transferred.
        self.transfer_landing: tuple[str, str] | None = None
        self.transfer_dropped: str | None = None
        self.dial_exten: str | None = None
        self.dial_failed = False
        self.data_gap = False
        self.derived_time = False
        self.visits: list[Visit] = []

    def open_visit(self, uniqueid: str | None, queue: str) -> Visit | None:
        """The latest visit of caller channel `uniqueid` to `queue` that has not ended."""
        for visit in reversed(self.visits):
            if visit.queue == queue and visit.is_open and uniqueid in (None, visit.uniqueid):
                return visit
        return None

    def connected_visit(self) -> Visit | None:
        for visit in reversed(self.visits):
            if visit.phase is VisitPhase.CONNECTED:
                return visit
        return None

    def awaits_completion(self) -> bool:
        """A connected visit has not seen its AgentComplete (it may trail the hang-ups)."""
        return any(visit.phase is VisitPhase.CONNECTED for visit in self.visits)

    def caller_moved_on(self, uniqueid: str | None) -> None:
        """The transferred caller reached its target (a queue, a dial, a bridge)."""
        if self.transfer_landing is not None and self.transfer_landing[0] == uniqueid:
            self.transfer_landing = None

    def caller_gone(self, uniqueid: str, place: str | None) -> None:
        """A channel hung up at `place` (`exten@context` at priority 1, else None): the
        transferred caller hung up on arrival means the PBX dropped it."""
        landing = self.transfer_landing
        if landing is not None and landing[0] == uniqueid:
            self.transfer_landing = None
            if place == landing[1]:
                self.transfer_dropped = landing[1]

    def undo_dropped_transfer(self) -> None:
        """A transfer whose caller was dropped is no transfer: the visit ends answered."""
        dropped = self.transfer_dropped
        if dropped is None:
            return
        for visit in self.visits:
            if visit.transfer_target == dropped:
                visit.transfer_target = None
                if visit.outcome is VisitOutcome.TRANSFERRED:
                    visit.outcome = VisitOutcome.ANSWERED
        if self.transfer_target == dropped:
            self.transfer_target = None

    def start_talk(self, at: float) -> None:
        if self.connected_since is None:
            self.connected_since = at

    def stop_talk(self, at: float) -> None:
        if self.connected_since is not None:
            self.talk_s += max(0.0, at - self.connected_since)
            self.connected_since = None


def call_outcome(call: TrackedCall) -> CallOutcome:
    """How the whole call ended: its last queue visit decides, else whether it was answered."""
    if call.visits:
        last = call.visits[-1].outcome or VisitOutcome.EXITED
        return CallOutcome(last.value)
    if call.answered_at is not None:
        return CallOutcome.TRANSFERRED if call.transfer_target else CallOutcome.ANSWERED
    return CallOutcome.FAILED if call.dial_failed else CallOutcome.ABANDONED


def build_record(
    call: TrackedCall,
    *,
    server: str,
    direction: Direction,
    agent: str | None,
    caller_number: str | None,
) -> CallRecord:
    """The immutable record of a finished call."""
    ended_at = call.ended_at if call.ended_at is not None else call.started_at
    visits = tuple(visit.record() for visit in call.visits)
    talk_s: float | None = round(call.talk_s, 3)
    queue_talk = [v.talk_s for v in call.visits if v.talk_s is not None]
    if call.derived_time and queue_talk:
        # Without timestamps clock differences are guesses; Asterisk's TalkTime is not.
        talk_s = float(sum(queue_talk))
    if call.answered_at is None and not queue_talk:
        talk_s = None
    transfer_target = call.transfer_target
    for visit in visits:
        transfer_target = visit.transfer_target or transfer_target
    wrap_ups = [v.wrap_up_s for v in visits if v.wrap_up_s is not None]
    return CallRecord(
        server=server,
        linkedid=call.linkedid,
        direction=direction,
        started_at=to_datetime(call.started_at),
        ended_at=to_datetime(ended_at),
        outcome=call_outcome(call),
        caller_number=caller_number,
        caller_name=call.caller_name,
        dialed_number=call.dialed_number,
        answered_at=to_datetime(call.answered_at) if call.answered_at is not None else None,
        talk_s=talk_s,
        hold_s=round(call.hold_s, 3),
        agent=agent,
        transfer_target=transfer_target,
        data_gap=call.data_gap,
        queue_visits=visits,
        wrap_up_s=round(sum(wrap_ups), 3) if wrap_ups else None,
    )
