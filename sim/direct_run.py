"""The engine's run with nobody watching, for the common shape of call center, in one loop.

When no observer listens, every agent answers at once and serves one queue (no shifts or
pauses), and the queues ring `leastrecent` or `ringall` without transfers, the call flow's
steps for an arrival, a talk end and a caller's patience come to a few field updates.
`run_direct` makes them inline, on the engine's own objects, heap and sequence numbers, so it
runs exactly the calls the general handlers would (same draws, same order of events due at the
same time); every rarer event (an abandon, a wrap-up end, an answer after ringall rang several
agents because something else was due at once) still goes to the engine's code for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any

from callcenter.calls.records import AgentState, CallOutcome, Direction, VisitOutcome
from sim.arrivals import Arrivals
from sim.call_flow import CallFlow
from sim.records import CallTrace, VisitTrace
from sim.scenario import Strategy
from sim.state import NOBODY, CallPhase, SimAgent, SimCall, SimQueue
from sim.timeline import ARRIVAL, PATIENCE, TALK_END, TIMEOUT, Event, Timeline

_new_visit = VisitTrace._make
_new_trace = CallTrace._make
_last_call_end = attrgetter("last_call_end")
QUEUED, TALKING, ENDED = CallPhase.QUEUED, CallPhase.TALKING, CallPhase.ENDED
AVAILABLE, ON_CALL = AgentState.AVAILABLE, AgentState.ON_CALL
ANSWERED, ABANDONED, TIMED_OUT = VisitOutcome.ANSWERED, VisitOutcome.ABANDONED, VisitOutcome.TIMEOUT
ANSWERED_CALL, INBOUND = CallOutcome.ANSWERED, Direction.INBOUND
LEASTRECENT, RINGALL = Strategy.LEASTRECENT, Strategy.RINGALL


def fits_direct_run(flow: CallFlow) -> bool:
    """Whether `run_direct` gives the engine's run exactly (see the module docstring)."""
    if flow.observer is not None or flow.calls or flow.hold is not None:
        return False
    if flow.scenario.callers.has_classes or flow.on_class_end is not None:
        return False
    live_humans = flow.live_humans
    for agent in flow.staff.agents.values():
        spec = agent.spec
        if not agent.answers_at_once or len(agent.memberships) != 1 or agent.paused:
            return False
        if spec.shift is not None or spec.pauses or (live_humans and agent.human):
            return False
    for queue in flow.queues.values():
        if queue.spec.transfer is not None or queue.spec.strategy not in (LEASTRECENT, RINGALL):
            return False
        if queue.penalties_differ or queue.member_timeout_s <= 0:
            return False
    return True


def run_direct(
    timeline: Timeline,
    flow: CallFlow,
    arrivals: Arrivals,
    handlers: tuple[Callable[[Any, Any, Any], None], ...],
) -> None:
    """Run the engine's events until the arrivals stop and the center drains.

    One long loop on purpose: the function calls it saves per call are what makes it fast.
    """
    heap, seq, active = timeline.heap, timeline.seq, flow.calls
    callers, epoch, on_call_end = flow.caller_draws, flow.clock.epoch, flow.on_call_end
    next_caller = callers.next_caller
    known_callers = callers.pick is not None
    prefix, unknown_number = callers.callers.unknown_prefix, callers.unknown
    left, until, pending, ids = arrivals.left, arrivals.until, arrivals.pending, flow.next_id
    while heap and (pending or active):
        now, _, kind, subject, token, extra = heappop(heap)
        timeline.now = now
        if kind == ARRIVAL:  # Arrivals.on_arrival, CallFlow.new_call and CallFlow.enter
            queue = subject
            pending -= 1
            if left is not None:
                if left <= 0:
                    continue
                left -= 1
            queue.arrivals += 1
            if known_callers:
                number, name = next_caller()
            else:  # CallerDraws.next_caller when no caller is known
                number, name = prefix + str(unknown_number()).zfill(7), None
            call = SimCall(
                ids, f"{int(epoch + now)}.{ids}", now, INBOUND, number, name, queue.dialed
            )
            active[ids] = call
            ids += 1
            draws = queue.draws
            if left is not None and left <= 0:
                arrivals.pending = pending
                arrivals.drop()  # that was the last caller: other queues' arrivals go too
                pending = arrivals.pending
            elif queue.mean_gap_s is not None:  # Arrivals.schedule at a constant rate
                at = now + draws.arrival() * queue.mean_gap_s
                if until is None or at <= until:
                    pending += 1
                    heappush(heap, (at, next(seq), ARRIVAL, queue, None, None))
            else:
                arrivals.pending = pending
                arrivals.schedule(queue)
                pending = arrivals.pending
            call.queue = queue
            call.visit = call.step = 1
            waiting = queue.waiting
            call.position = len(waiting) + 1
            waiting[call] = None
            talk = call.talk_s = draws.talk()
            patience = None
            if draws.patience is not None:
                patience = call.patience_s = draws.patience()
                patience_seq = next(seq)
            timeout = queue.timeout_s
            if timeout is not None:
                timeout_seq = next(seq)
            available = queue.available
            if available:
                ringall = queue.spec.strategy is RINGALL
                if ringall and len(available) > 1 and heap and heap[0][0] <= now:
                    # something else is due now, before any answer: ring them all
                    flow.ring(call, list(available))
                    if call.phase is TALKING:
                        continue
                else:
                    agent = next(iter(available)) if ringall else min(available, key=_last_call_end)
                    del available[agent]
                    idle = queue.idle_s + (now - agent.idle_since)
                    agent.idle_since = None
                    if ringall:  # the others, rung and freed again at once, book idle time
                        for other in available:
                            idle += now - other.idle_since
                            other.idle_since = now
                    queue.idle_s = idle
                    # CallFlow.ring and answer, for a new caller answered at once
                    agent.call = call
                    agent.activity = ON_CALL
                    counts = agent.calls_by_queue
                    counts[queue.name] = counts.get(queue.name, 0) + 1
                    del waiting[call]
                    call.phase = TALKING
                    call.step = 3
                    call.ring_started_at = call.answered_at = call.first_answered_at = now
                    call.agent = agent
                    call.last_agent = agent.name
                    heappush(heap, (now + talk, next(seq), TALK_END, call, 3, None))
                    continue
            if patience is not None:
                heappush(heap, (now + patience, patience_seq, PATIENCE, call, 1, None))
            if timeout is not None:
                heappush(heap, (now + timeout, timeout_seq, TIMEOUT, call, 1, None))
        elif kind == TALK_END:
            call = subject
            if call.step != token or call.phase is not TALKING:
                continue
            queue = call.queue
            if extra is None:
                share = queue.agent_hangup_share
                extra = "agent" if share > 0 and queue.draws.hangup() < share else "caller"
            # CallFlow.end_talk and after_call without a transfer: the visit closed (its
            # record made here, not by CallFlow.finish), the agent freed
            agent, answered_at = call.agent, call.answered_at
            talk = now - answered_at
            call.talk_total_s += talk
            call.step += 1
            ring = answered_at - call.ring_started_at
            queue.busy_s += ring + talk
            visit = _new_visit(
                (queue.name, ANSWERED, call.entered_at, now, call.position, agent.name,
                 answered_at - call.entered_at, ring, talk, call.ring_no_answer, None, None, extra)
            )  # fmt: skip
            call.agent = None
            call.answered_at = None
            agent.last_call_end = now
            if queue.wrap_up_s > 0:
                flow.after_call(agent, queue)
            else:  # Staff.free: the first caller not being rung, if any, or wait for one
                agent.activity = AVAILABLE
                agent.call = None
                for waiting in queue.waiting:
                    if waiting.phase is QUEUED:
                        agent.call = waiting
                        waiting.ring_started_at = now
                        _answer(waiting, agent, queue, now, waiting.talk_s, heap, seq)
                        break
                else:
                    agent.idle_since = now
                    queue.available[agent] = None
            call.hangup_by = extra
            call.phase = ENDED
            call.ended_at = now
            call.outcome = ANSWERED_CALL
            del active[call.id]
            flow.finished += 1
            if on_call_end is not None:  # CallFlow.finish's record; one visit: no transfers
                on_call_end(
                    _new_trace(
                        (call.id, call.linkedid, INBOUND, call.arrived_at, now, ANSWERED_CALL,
                         call.caller_number, call.caller_name, call.dialed_number,
                         call.first_answered_at, call.talk_total_s, call.last_agent, None, extra,
                         (visit,))
                    )
                )  # fmt: skip
        elif kind in (PATIENCE, TIMEOUT):
            call = subject
            phase = call.phase
            if call.visit == token and phase is not TALKING and phase is not ENDED:
                flow.leave_queue(call, ABANDONED if kind == PATIENCE else TIMED_OUT)
        else:
            handlers[kind](subject, token, extra)
    arrivals.left, arrivals.pending, flow.next_id = left, pending, ids


def _answer(
    call: SimCall,
    agent: SimAgent,
    queue: SimQueue,
    now: float,
    talk: float,
    heap: list[Event],
    seq: Iterator[int],
) -> None:
    """CallFlow.ring then answer, for one agent answering at once (it is already taken out)."""
    del queue.waiting[call]
    call.phase = TALKING
    step = call.step = call.step + 2
    call.agent = agent
    call.last_agent = agent.name
    call.answered_at = now
    if call.first_answered_at is None:
        call.first_answered_at = now
    agent.activity = ON_CALL
    counts = agent.calls_by_queue
    counts[queue.name] = counts.get(queue.name, 0) + 1
    call.ringing = NOBODY
    heappush(heap, (now + talk, next(seq), TALK_END, call, step, None))
