"""Queue visits: a caller's stay in each queue, from QueueCaller* and Agent* events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from callcenter.calls.records import VisitOutcome
from callcenter.cti.numbers import normalize_number
from callcenter.cti.pbx_events import (
    CallerAbandonedQueue,
    CallerJoinedQueue,
    CallerLeftQueue,
    MemberCall,
    MemberCallKind,
    MemberChanged,
    QueueExitStatus,
)
from callcenter.cti.tracker_ledger import CallLedger
from callcenter.cti.tracker_state import TrackedCall, Visit, VisitPhase, to_datetime
from callcenter.events import (
    AgentRinging,
    AgentRingNoAnswer,
    CallAbandoned,
    CallAnswered,
    CallQueued,
)

log = logging.getLogger(__name__)

# QUEUESTATUS values (set when Queue() returns) that mean the caller left without an agent.
_EXIT_STATUSES = {
    "TIMEOUT": VisitOutcome.TIMEOUT,
    "LEAVEEMPTY": VisitOutcome.EXITED,
    "LEAVEUNAVAIL": VisitOutcome.EXITED,
}


class QueueCallHandlers:
    """The queue side of the tracker: visits open on QueueCallerJoin and close on the
    caller giving up (QueueCallerAbandon) or the agent's part ending (AgentComplete).

    Durations come from Asterisk's own HoldTime/RingTime/TalkTime, the figures queue_log
    holds; a caller that leaves while its channel was asked to hang up abandoned, one that
    leaves with its channel still alive timed out (app_queue reports both as abandons).
    """

    def __init__(self, tracker: CallLedger) -> None:
        self.tracker = tracker
        # AgentComplete may arrive without the caller's headers: find the visit by member.
        self._connected: dict[tuple[str, str], Visit] = {}

    def handlers(self) -> dict[type[Any], Callable[[Any, float], None]]:
        return {
            CallerJoinedQueue: self._joined,
            CallerLeftQueue: self._left,
            CallerAbandonedQueue: self._abandoned,
            QueueExitStatus: self._exit_status,
            MemberCall: self._member_call,
            MemberChanged: self._member_changed,
        }

    def _joined(self, event: CallerJoinedQueue, at: float) -> None:
        tracker = self.tracker
        channel = tracker.channel(event.uniqueid, event.linkedid, "", at)
        if channel is None:
            return
        call = tracker.calls[channel.linkedid]
        call.caller_moved_on(event.uniqueid)
        if call.caller_number is None and call.first_uniqueid == channel.uniqueid:
            call.caller_number, call.caller_name = event.caller_number, event.caller_name
        for visit in call.visits:
            if visit.uniqueid == event.uniqueid and visit.phase in (
                VisitPhase.WAITING,
                VisitPhase.LEFT,
            ):
                self.settle(visit, at, outcome=VisitOutcome.EXITED)
        call.visits.append(Visit(call, event.queue, event.uniqueid, at, event.position))
        self.announce(call, event.queue, event.uniqueid, at, event.position)

    def announce(
        self, call: TrackedCall, queue: str, uniqueid: str, at: float, position: int | None
    ) -> None:
        """Tell listeners a caller waits in `queue` (joined, or found there)."""
        tracker = self.tracker
        tracker.publish(
            CallQueued(
                at=to_datetime(at),
                server=tracker.server,
                linkedid=call.linkedid,
                uniqueid=uniqueid,
                queue=queue,
                position=position,
                caller_number=normalize_number(call.caller_number, tracker.region),
                caller_name=call.caller_name,
            )
        )

    def _visit(self, uniqueid: str | None, linkedid: str | None, queue: str) -> Visit | None:
        call = self.tracker.call_of(uniqueid, linkedid)
        visit = call.open_visit(uniqueid, queue) if call else None
        if visit is None:
            log.debug("no open visit of %s in %s", uniqueid, queue)
        return visit

    def _adopted_visit(
        self,
        uniqueid: str,
        linkedid: str | None,
        queue: str,
        at: float,
        caller: tuple[str, str | None, str | None],
        waited: float | None,
    ) -> Visit | None:
        """The open visit, else one adopted for a caller who joined while we could not see.

        A queue event (AgentCalled, AgentConnect, QueueCallerAbandon) for a caller with no
        visit in that queue means the QueueCallerJoin was missed (the link was down, or the
        adapter not started): the caller is tracked from here, the visit entered `waited`
        seconds ago when the event says, and the call is flagged data_gap."""
        visit = self._visit(uniqueid, linkedid, queue)
        if visit is not None:
            return visit
        tracker = self.tracker
        call = tracker.call_of(uniqueid, linkedid)
        if call is not None and any(
            v.uniqueid == uniqueid and v.queue == queue for v in call.visits
        ):
            return None  # a straggler for a visit already over
        name, number, caller_name = caller
        channel = tracker.channel(uniqueid, linkedid or uniqueid, name, at)
        if channel is None:
            return None  # the caller hung up already
        call = tracker.calls[channel.linkedid]
        call.data_gap = True
        if call.caller_number is None and call.first_uniqueid == uniqueid:
            call.caller_number, call.caller_name = number, caller_name
        entered = at - waited if waited is not None else at
        visit = Visit(call, queue, uniqueid, entered, None)
        visit.estimated = waited is None  # AgentConnect's HoldTime will tell the entry
        call.visits.append(visit)
        self.announce(call, queue, uniqueid, entered, None)
        return visit

    def _left(self, event: CallerLeftQueue, at: float) -> None:
        visit = self._visit(event.uniqueid, event.linkedid, event.queue)
        if visit is not None:
            visit.leave(at, event.position)

    def _abandoned(self, event: CallerAbandonedQueue, at: float) -> None:
        known = self._visit(event.uniqueid, event.linkedid, event.queue) is not None
        caller = (event.channel, event.caller_number, event.caller_name)
        hold = event.hold_time
        visit = self._adopted_visit(event.uniqueid, event.linkedid, event.queue, at, caller, hold)
        if visit is None:
            return
        tracker = self.tracker
        at = tracker.clock.at_least(at, visit.entered_at + hold if hold is not None else None)
        channel = tracker.channels.get(event.uniqueid)
        # A caller first seen leaving: whether a hang-up was asked for was not seen either;
        # callers leave by hanging up far more often than by a timeout.
        hung_up = channel is None or channel.hangup_requested or not known
        visit.wait_s = hold
        visit.give_up(
            at, VisitOutcome.ABANDONED if hung_up else VisitOutcome.TIMEOUT, event.position
        )
        tracker.publish(
            CallAbandoned(
                at=to_datetime(at),
                server=tracker.server,
                linkedid=visit.call.linkedid,
                queue=visit.queue,
                wait_s=visit.wait_s,
                timeout=not hung_up,
            )
        )

    def _exit_status(self, event: QueueExitStatus, at: float) -> None:
        outcome = _EXIT_STATUSES.get(event.status)
        call = self.tracker.call_of(event.uniqueid, event.linkedid)
        if outcome is None or call is None:
            return
        for visit in reversed(call.visits):
            if visit.uniqueid != event.uniqueid:
                continue
            if visit.phase is VisitPhase.LEFT or visit.outcome in (
                VisitOutcome.ABANDONED,
                VisitOutcome.TIMEOUT,
            ):
                visit.phase = VisitPhase.DONE
                visit.outcome = outcome
                visit.hangup_by = None
            return

    def _member_changed(self, event: MemberChanged, at: float) -> None:
        self.tracker.agents.member_changed(event, at)

    def _member_call(self, event: MemberCall, at: float) -> None:
        kind = event.kind
        if kind is MemberCallKind.COMPLETED:
            self._completed(event, at)
            return
        if kind in (MemberCallKind.CALLED, MemberCallKind.CONNECTED) and event.uniqueid:
            caller = (event.channel, event.caller_number, event.caller_name)
            visit = self._adopted_visit(
                event.uniqueid, event.linkedid, event.queue, at, caller, event.hold_time
            )
        else:
            visit = self._visit(event.uniqueid, event.linkedid, event.queue)
        agents = self.tracker.agents
        if kind is MemberCallKind.CALLED:
            if event.member_uniqueid is not None:
                agents.ringing(
                    event.interface, event.member_name, event.queue, event.member_uniqueid, at
                )
            if visit is not None:
                self._ringing(visit, event, at)
        elif kind is MemberCallKind.CONNECTED:
            if visit is not None:
                at = self._connected_visit(visit, event, at)
            agents.connected(
                event.interface, event.member_name, event.queue, event.member_uniqueid, at, visit
            )
        elif kind is MemberCallKind.RING_NO_ANSWER:
            started = agents.ring_started(event.interface, event.member_uniqueid)
            if started is not None and event.ring_time is not None:
                at = self.tracker.clock.at_least(at, started + event.ring_time)
            agents.ring_ended(event.interface, event.member_uniqueid, at)
            if visit is not None:
                visit.ring_no_answer += 1
                self.tracker.publish(
                    AgentRingNoAnswer(
                        at=to_datetime(at),
                        server=self.tracker.server,
                        linkedid=visit.call.linkedid,
                        queue=visit.queue,
                        agent=event.member_name,
                        interface=event.interface,
                        ring_s=event.ring_time,
                    )
                )
        else:  # DUMPED: the member hung up on the caller before being connected
            agents.ring_ended(event.interface, event.member_uniqueid, at)

    def _ringing(self, visit: Visit, event: MemberCall, at: float) -> None:
        tracker = self.tracker
        call = visit.call
        tracker.publish(
            AgentRinging(
                at=to_datetime(at),
                server=tracker.server,
                linkedid=call.linkedid,
                uniqueid=visit.uniqueid,
                queue=visit.queue,
                agent=event.member_name,
                interface=event.interface,
                caller_number=normalize_number(call.caller_number, tracker.region),
                caller_name=call.caller_name,
                waited_s=max(0.0, at - visit.entered_at),
            )
        )

    def _connected_visit(self, visit: Visit, event: MemberCall, at: float) -> float:
        tracker = self.tracker
        hold = event.hold_time
        if visit.estimated and hold is not None:
            visit.entered_at, visit.estimated = at - hold, False
        at = tracker.clock.at_least(at, visit.entered_at + hold if hold is not None else None)
        visit.connect(at, event.member_name, event.interface, event.member_uniqueid)
        visit.wait_s = hold if hold is not None else max(0.0, at - visit.entered_at)
        visit.ring_s = event.ring_time
        call = visit.call
        if call.answered_at is None:
            call.answered_at = at
        self._connected[(visit.queue, event.interface)] = visit
        tracker.publish(
            CallAnswered(
                at=to_datetime(at),
                server=tracker.server,
                linkedid=call.linkedid,
                queue=visit.queue,
                agent=event.member_name,
                interface=event.interface,
                wait_s=visit.wait_s,
            )
        )
        return at

    def adopt_connected(
        self,
        visit: Visit,
        at: float,
        agent: str | None,
        interface: str,
        member_uniqueid: str | None,
    ) -> None:
        """A visit found answered by a resync: connected since `at` (an estimate)."""
        visit.connect(at, agent, interface, member_uniqueid)
        visit.estimated = True
        visit.wait_s = max(0.0, at - visit.entered_at)
        call = visit.call
        if call.answered_at is None:
            call.answered_at = at
        self._connected[(visit.queue, interface)] = visit
        self.tracker.agents.connected(interface, agent, visit.queue, member_uniqueid, at, visit)

    def resume_connected(self, visit: Visit) -> None:
        """A connected visit taken back from a checkpoint: AgentComplete will find it."""
        self._connected[(visit.queue, visit.interface or "")] = visit

    def _completed(self, event: MemberCall, at: float) -> None:
        tracker = self.tracker
        visit: Visit | None = None
        call = tracker.call_of(event.uniqueid, event.linkedid) if event.uniqueid else None
        if call is not None:
            visit = next(
                (
                    v
                    for v in reversed(call.visits)
                    if v.phase is VisitPhase.CONNECTED
                    and v.queue == event.queue
                    and v.uniqueid == event.uniqueid
                ),
                None,
            )
        if visit is None:
            visit = self._connected.get((event.queue, event.interface))
        if visit is not None and visit.phase is VisitPhase.CONNECTED:
            self._connected.pop((event.queue, event.interface), None)
            talk = event.talk_time
            connected_at = visit.connected_at
            bound = connected_at + talk if connected_at is not None and talk is not None else None
            at = tracker.clock.at_least(at, bound)
            if visit.estimated:
                _correct_estimates(visit, at, event.hold_time, talk)
            visit.complete(at, talk, event.reason)
            call = visit.tracked_call()
            if call is not None:  # else closed already
                self._after_completion(call, at)
        tracker.agents.completed(event.interface, event.queue, event.member_uniqueid, at)

    def _after_completion(self, call: TrackedCall, at: float) -> None:
        """A call parked for its trailing AgentComplete closes as soon as it has it."""
        if not call.live and not call.awaits_completion():
            self.tracker.close_call(call)

    def settle(self, visit: Visit, at: float, *, outcome: VisitOutcome | None = None) -> None:
        """Give an unfinished visit its ending when its call closes (or it is superseded)."""
        phase = visit.phase
        if phase is VisitPhase.DONE:
            return
        if phase is VisitPhase.CONNECTED:
            self._connected.pop((visit.queue, visit.interface or ""), None)
            visit.complete(at, None, None)
        elif phase is VisitPhase.LEFT:
            visit.give_up(visit.ended_at or at, VisitOutcome.EXITED, visit.exit_position)
        else:
            visit.give_up(at, outcome or VisitOutcome.ABANDONED, None)


def _correct_estimates(visit: Visit, at: float, hold: float | None, talk: float | None) -> None:
    """An adopted visit's times, from Asterisk's own HoldTime and TalkTime at its end."""
    visit.estimated = False
    estimate = visit.connected_at
    if talk is None or estimate is None:
        return
    connected = at - talk
    visit.connected_at = connected
    if hold is not None:
        visit.entered_at = connected - hold
        visit.wait_s = hold
    call = visit.tracked_call()
    if call is None:
        return  # its record is out already
    if call.answered_at == estimate:
        call.answered_at = connected
    if call.connected_since == estimate:
        call.connected_since = connected
    elif call.connected_since is None and call.talk_s:
        call.talk_s = max(0.0, call.talk_s + estimate - connected)
