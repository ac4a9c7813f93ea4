"""The calls' side of the engine: arrivals, ringing, answer, talk, abandon, timeout, transfer."""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush

from callcenter.calls.records import AgentState, CallOutcome, CallRecord, Direction, VisitOutcome
from sim.classes import ClassDraws, join_in_order, restricted
from sim.distributions import Draws
from sim.observer import EngineObserver
from sim.records import CallTrace, RecordClock, VisitTrace, call_record, queue_target
from sim.routing import first_answers_alone, pick_agents, position_in
from sim.scenario import Scenario
from sim.staff import Staff
from sim.state import NOBODY, CallPhase, SimAgent, SimCall, SimQueue
from sim.timeline import (
    ANSWER,
    PATIENCE,
    RELAX_NEED,
    RETRY,
    RING_OUT,
    TALK_END,
    TIMEOUT,
    WRAP_END,
    Timeline,
)

_new_visit = VisitTrace._make
_new_trace = CallTrace._make
QUEUED, RINGING, RETRYING, TALKING, DIALING, ENDED = (
    CallPhase.QUEUED,
    CallPhase.RINGING,
    CallPhase.RETRY,
    CallPhase.TALKING,
    CallPhase.DIALING,
    CallPhase.ENDED,
)
ON_CALL, WRAP_UP, RINGING_AGENT = AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.RINGING
ANSWERED, TRANSFERRED = VisitOutcome.ANSWERED, VisitOutcome.TRANSFERRED
ANSWERED_CALL = CallOutcome.ANSWERED


class CallFlow:
    """Moves calls through queues and agents; see `sim.engine.Engine` for the public face.

    Shares the engine's timeline, queues and observer, and asks `staff` who is free.
    """

    def __init__(
        self,
        scenario: Scenario,
        timeline: Timeline,
        staff: Staff,
        draws: Draws,
        observer: EngineObserver | None,
        *,
        on_call_end: Callable[[CallTrace], None] | None,
        live_humans: bool,
    ) -> None:
        self.scenario = scenario
        self.timeline = timeline
        self.staff = staff
        self.queues = staff.queues
        self.observer = observer
        self.on_call_end = on_call_end
        self.live_humans = live_humans
        self.clock = RecordClock(scenario.start)
        self.calls: dict[int, SimCall] = {}  # in progress, by id
        self.finished = 0
        self.next_id = 0  # the id of the next call
        self.caller_draws = draws.callers
        self._next_caller = draws.callers.next_caller
        self._routing = draws.routing
        classes = draws.classes
        self._classes = ClassDraws(scenario.callers, classes) if classes is not None else None
        # The PBX's inbound routing: takes an arriving caller (True) to queue it later itself.
        self.hold: Callable[[SimCall, SimQueue], bool] | None = None
        # Each finished call's class and trace, for results per caller class.
        self.on_class_end: Callable[[str, CallTrace], None] | None = None
        self._epoch = self.clock.epoch
        self._take_out = staff.take_out
        self._free = staff.free

    def _pick_index(self, size: int) -> int:
        return min(int(self._routing() * size), size - 1)

    # -- calls -------------------------------------------------------------------------------

    def new_call(self, queue: SimQueue | None, direction: Direction) -> SimCall:
        number, name = self._next_caller()
        ident = self.next_id
        self.next_id = ident + 1
        now = self.timeline.now
        dialed = None if queue is None else queue.dialed
        call = SimCall(
            ident, f"{int(self._epoch + now)}.{ident}", now, direction, number, name, dialed
        )
        self.calls[ident] = call
        if self._classes is not None and queue is not None:
            self._classes.assign(call)
        if self.observer is not None:
            self.observer.call_arrived(now, call)
        return call

    def arrive(self, call: SimCall, queue: SimQueue) -> None:
        """A new caller of `queue`: into it, unless the PBX's routing takes it first."""
        hold = self.hold
        if hold is not None and hold(call, queue):
            call.phase = CallPhase.ROUTING
            return
        self.enter(call, queue)

    # -- in the queue -------------------------------------------------------------------------

    def enter(self, call: SimCall, queue: SimQueue) -> None:
        now = self.timeline.now
        call.queue = queue
        call.visit += 1
        call.step += 1
        call.phase = QUEUED
        call.entered_at = now
        call.ring_no_answer = 0
        call.answered_at = None
        call.agent = None
        call.planned_transfer = None
        waiting = queue.waiting
        if call.priority or queue.ranked or restricted(call):
            queue.ranked = True
            call.position = join_in_order(waiting, call)
        else:
            call.position = len(waiting) + 1
            waiting[call] = None
        draws = queue.draws
        call.talk_s = draws.talk()
        if self.observer is not None:
            self.observer.queue_joined(now, call, queue.name, call.position)
        # The caller's patience and the queue timeout are scheduled as if before ringing (their
        # places among events due at the same time are taken now), and left out if an agent
        # answers at once: they could only be stale then.
        timeline = self.timeline
        patience = None
        if draws.patience is not None:
            patience = call.patience_s = draws.patience()
            patience_seq = next(timeline.seq)
        timeout = queue.timeout_s
        if timeout is not None:
            timeout_seq = next(timeline.seq)
        if queue.available:
            agents = pick_agents(queue, self._pick_index, call)
            if agents:
                self.ring(call, agents)
                if call.phase is TALKING:
                    return
        heap = timeline.heap
        relax = queue.spec.relax_needs_after_s
        if relax is not None and call.need is not None:
            timeline.push(now + relax, RELAX_NEED, call, call.visit)
        if patience is not None:
            heappush(heap, (now + patience, patience_seq, PATIENCE, call, call.visit, None))
        if timeout is not None:
            heappush(heap, (now + timeout, timeout_seq, TIMEOUT, call, call.visit, None))

    def ring(self, call: SimCall, agents: list[SimAgent]) -> None:
        queue = call.queue
        assert queue is not None
        timeline = self.timeline
        now = timeline.now
        call.phase = RINGING
        step = call.step = call.step + 1
        call.ring_started_at = now
        observer = self.observer
        first = agents[0]
        if (
            observer is None
            and first.answers_at_once
            and queue.member_timeout_s > 0
            and (len(agents) == 1 or first_answers_alone(queue, agents, timeline.heap, now))
        ):
            # Nobody hears the ringing and the first answers at once: it answers now (ringall:
            # the others, freed again at once, only have their idle time booked).
            self._take_out(first)
            first.call = call
            for other in agents[1:]:
                queue.idle_s += now - other.idle_since  # type: ignore[operator]
                other.idle_since = now
            self.answer(call, first)
            return
        call.ringing = agents
        member_timeout = queue.member_timeout_s
        winner: SimAgent | None = None
        best = math.inf
        for agent in agents:
            if agent.idle_since is not None:
                self._take_out(agent)
            agent.activity = RINGING_AGENT
            agent.call = call
            if agent.answers_at_once:
                delay = 0.0
                answers = delay < member_timeout
            else:
                delay = agent.ring_draw()
                p = agent.ring_no_answer_probability
                answers = delay < member_timeout and not (p > 0 and agent.ring_no_answer_draw() < p)
            if answers and delay < best:
                winner, best = agent, delay
            if observer is not None:
                self.staff.report(agent)
                observer.agent_ringing(now, call, agent)
        if winner is None:
            timeline.push(now + member_timeout, RING_OUT, call, step)
        elif best == 0.0 and len(agents) == 1:
            self.answer(call, winner)
        else:
            timeline.push(now + best, ANSWER, call, step, winner)

    def answer(self, call: SimCall, agent: SimAgent) -> None:
        queue = call.queue
        assert queue is not None
        now = self.timeline.now
        del queue.waiting[call]
        call.phase = TALKING
        step = call.step = call.step + 1
        call.agent = agent
        call.last_agent = agent.name
        call.answered_at = now
        if call.first_answered_at is None:
            call.first_answered_at = now
        agent.activity = ON_CALL
        counts = agent.calls_by_queue
        counts[queue.name] = counts.get(queue.name, 0) + 1
        others = call.ringing
        call.ringing = NOBODY
        observer = self.observer
        if observer is not None:
            observer.answered(now, call, agent)
            self.staff.report(agent)
        if len(others) > 1:
            for other in others:
                if other is not agent:
                    self._stop_ringing(call, other, answered_elsewhere=True)
        transfer = queue.spec.transfer
        if transfer is not None and queue.draws.transfer() < transfer.probability:
            call.planned_transfer = self.queues[transfer.queue]
        timeline = self.timeline
        if self.live_humans and agent.human:
            # A person talks until the console hangs up; the caller gives up after max_talk_s.
            timeline.push(now + agent.spec.max_talk_s, TALK_END, call, step, "caller")
        else:
            heappush(
                timeline.heap, (now + call.talk_s, next(timeline.seq), TALK_END, call, step, None)
            )

    def _stop_ringing(self, call: SimCall, agent: SimAgent, *, answered_elsewhere: bool) -> None:
        queue = call.queue
        assert queue is not None
        queue.busy_s += self.timeline.now - call.ring_started_at
        if self.observer is not None and answered_elsewhere:
            self.observer.ring_cancelled(self.timeline.now, call, agent)
        self.staff.free(agent)

    # -- ringing out, retrying, leaving ------------------------------------------------------

    def ring_out(self, call: SimCall) -> None:
        """Nobody answered within the member timeout: try again after `retry_s`."""
        queue = call.queue
        assert queue is not None
        ringing = call.ringing
        call.ringing = NOBODY
        call.phase = RETRYING
        step = call.step = call.step + 1
        call.ring_no_answer += len(ringing)
        for agent in ringing:
            if self.observer is not None:
                self.observer.ring_no_answer(
                    self.timeline.now, call, agent, self.timeline.now - call.ring_started_at
                )
            self._stop_ringing(call, agent, answered_elsewhere=False)
        self.timeline.push(self.timeline.now + queue.spec.retry_s, RETRY, call, step)

    def retry(self, call: SimCall) -> None:
        queue = call.queue
        assert queue is not None
        call.phase = QUEUED
        call.step += 1
        agents = pick_agents(queue, self._pick_index, call)
        if agents:
            self.ring(call, agents)

    def leave_queue(self, call: SimCall, outcome: VisitOutcome) -> None:
        """The caller hung up (abandon) or the queue timed out."""
        queue = call.queue
        assert queue is not None
        now = self.timeline.now
        wait = now - call.entered_at
        ringing = call.ringing
        call.ringing = NOBODY
        call.step += 1
        exit_position = position_in(queue, call)
        del queue.waiting[call]
        call.phase = ENDED
        hangup_by = "caller" if outcome is VisitOutcome.ABANDONED else None
        call.visits.append(
            _new_visit(
                (queue.name, outcome, call.entered_at, now, call.position, None, wait, None,
                 None, call.ring_no_answer, None, exit_position, hangup_by)
            )
        )  # fmt: skip
        observer = self.observer
        if observer is not None:
            if outcome is VisitOutcome.ABANDONED:
                observer.abandoned(now, call, queue.name, wait)
            else:
                observer.queue_timeout(now, call, queue.name, wait)
        for agent in ringing:
            self._stop_ringing(call, agent, answered_elsewhere=True)
        call.hangup_by = hangup_by
        if outcome is VisitOutcome.ABANDONED:
            self.finish(call, CallOutcome.ABANDONED)
        else:
            self.finish(call, CallOutcome.TIMEOUT)

    # -- talking and after ------------------------------------------------------------------

    def end_talk(
        self, call: SimCall, hangup_by: str | None, transfer_to: str | None = None
    ) -> None:
        """The connection with the agent ends: hang-up, or a blind transfer to `transfer_to`
        (a queue name or a number); a planned scenario transfer applies on a normal end."""
        now = self.timeline.now
        agent = call.agent
        answered_at = call.answered_at
        assert agent is not None and answered_at is not None
        queue = call.queue
        talk = now - answered_at
        call.talk_total_s += talk
        call.step += 1
        target_queue: SimQueue | None = None
        if transfer_to is None and call.planned_transfer is not None:
            target_queue = call.planned_transfer
        elif transfer_to is not None and transfer_to in self.queues:
            target_queue = self.queues[transfer_to]
        target = queue_target(target_queue.name) if target_queue is not None else transfer_to
        if queue is not None:
            ring = answered_at - call.ring_started_at
            queue.busy_s += ring + talk
            transferred = target is not None
            call.visits.append(
                _new_visit(
                    (queue.name, TRANSFERRED if transferred else ANSWERED,
                     call.entered_at, now, call.position, agent.name, answered_at - call.entered_at,
                     ring, talk, call.ring_no_answer, target, None,
                     None if transferred else hangup_by)
                )
            )  # fmt: skip
        call.agent = None
        call.answered_at = None
        self.after_call(agent, queue)
        if target is not None:
            call.transfer_target = call.transfer_target or target
            if self.observer is not None:
                name = target_queue.name if target_queue is not None else None
                self.observer.transferred(now, call, agent, target, name)
            if target_queue is not None:
                self.enter(call, target_queue)
                return
            call.hangup_by = None
            self.finish(call, CallOutcome.TRANSFERRED)
            return
        call.hangup_by = hangup_by
        self.finish(call, ANSWERED_CALL)

    def after_call(self, agent: SimAgent, queue: SimQueue | None) -> None:
        timeline = self.timeline
        now = agent.last_call_end = timeline.now
        if queue is not None and queue.wrap_up_s > 0:
            wrap = queue.wrap_up_s
            agent.activity = WRAP_UP
            agent.call = None
            token = agent.wrap = agent.wrap + 1
            queue.busy_s += wrap
            heappush(timeline.heap, (now + wrap, next(timeline.seq), WRAP_END, agent, token, None))
            if self.observer is not None:
                self.staff.report(agent)
        else:
            self._free(agent)

    def finish(self, call: SimCall, outcome: CallOutcome) -> None:
        call.phase = ENDED
        now = call.ended_at = self.timeline.now
        call.outcome = outcome
        del self.calls[call.id]
        self.finished += 1
        on_call_end = self.on_call_end
        if on_call_end is None and self.observer is None and self.on_class_end is None:
            return
        answered = call.first_answered_at
        trace = _new_trace(
            (call.id, call.linkedid, call.direction, call.arrived_at, now, outcome,
             call.caller_number, call.caller_name, call.dialed_number, answered,
             call.talk_total_s if answered is not None else None, call.last_agent,
             call.transfer_target, call.hangup_by, tuple(call.visits))
        )  # fmt: skip
        if on_call_end is not None:
            on_call_end(trace)
        if self.on_class_end is not None:
            self.on_class_end(call.caller_class, trace)
        if self.observer is not None:
            self.observer.call_ended(now, call, self.call_record(trace))

    def call_record(self, call: CallTrace) -> CallRecord:
        """The immutable record of a finished call (same shape as the CTI's)."""
        return call_record(self.clock, self.scenario.server, call)
