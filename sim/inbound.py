"""Inbound routing decided outside the engine: a routed caller's queue, priority, penalties,
and a preferred member dialled first (Dial, then Queue, as the dialplan does)."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.calls.records import AgentState, CallOutcome
from sim.call_flow import CallFlow
from sim.staff import Staff
from sim.state import CallPhase, SimAgent, SimCall, SimQueue
from sim.timeline import DIAL_ANSWER, DIAL_GIVE_UP, RELAX_NEED, TALK_END, Timeline

WAITING = (CallPhase.QUEUED, CallPhase.RINGING, CallPhase.RETRY)  # in a queue, unanswered
DEFAULT_PREFERRED_WAIT_S = 8.0  # docs/asterisk/extensions.conf PREFERRED_WAIT


@dataclass(frozen=True, slots=True)
class PenaltyChange:
    """One step of a queue rule (queuerules.conf `penaltychange => 30,+1[,0]`): after
    `after_s` in the queue, QUEUE_MAX_PENALTY (and QUEUE_MIN_PENALTY) change, "+1" / "-1"
    relative to the caller's own, "5" absolute. A caller with no limit keeps none."""

    after_s: float
    max_change: str
    min_change: str | None = None

    def apply(self, call: SimCall) -> None:
        call.max_penalty = _changed(call.max_penalty, self.max_change)
        if self.min_change is not None:
            call.min_penalty = _changed(call.min_penalty, self.min_change)


def _changed(current: int | None, change: str) -> int | None:
    if change[:1] in ("+", "-"):
        return None if current is None else max(0, current + int(change))
    return int(change)


# docs/asterisk/queuerules.conf [skills], every queue's defaultrule in docs/asterisk/queues.conf.
SKILLS_RULE = (PenaltyChange(30, "+1"), PenaltyChange(60, "+100", "0"))


@dataclass(frozen=True, slots=True)
class Route:
    """Where a routed caller goes: what the routing server answered, as the engine takes it.

    `queue` None turns the caller away (blocked, or closed without an overflow).
    """

    queue: str | None
    priority: int = 0
    min_penalty: int | None = None
    max_penalty: int | None = None
    preferred: str | None = None  # an agent's member name or interface
    preferred_wait_s: float = DEFAULT_PREFERRED_WAIT_S
    # The queue rule that widens the penalty window while the caller waits.
    penalty_rule: tuple[PenaltyChange, ...] = ()


class InboundRouting:
    """Puts callers held by the PBX's routing (`CallFlow.hold`) where the answer says."""

    def __init__(self, flow: CallFlow, staff: Staff, timeline: Timeline) -> None:
        self.flow = flow
        self.staff = staff
        self.timeline = timeline

    def route(self, call: SimCall, route: Route) -> None:
        """Send a caller waiting for its routing on: to a member first, or into a queue."""
        if call.phase is not CallPhase.ROUTING:
            return
        if route.queue is None:
            self.turn_away(call)
            return
        queue = self.flow.queues[route.queue]
        call.priority = route.priority
        call.min_penalty, call.max_penalty = route.min_penalty, route.max_penalty
        call.penalty_rule = route.penalty_rule
        call.dialed_number = call.dialed_number or queue.dialed
        agent = self._agent(route.preferred)
        if agent is not None and self._free(agent):
            self.dial_member(call, agent, route.preferred_wait_s, queue)
            return
        self._queue(call, queue)

    def _queue(self, call: SimCall, queue: SimQueue) -> None:
        """Into the queue, with the rule's steps counted from now (app_queue's own clock)."""
        call.phase = CallPhase.QUEUED
        self.flow.enter(call, queue)
        if call.phase is CallPhase.TALKING or (call.min_penalty, call.max_penalty) == (None, None):
            return
        for step in call.penalty_rule:
            self.timeline.push(call.entered_at + step.after_s, RELAX_NEED, call, call.visit, step)

    def turn_away(self, call: SimCall, outcome: CallOutcome = CallOutcome.ABANDONED) -> None:
        """The caller is not queued (blocked, closed) or hangs up before being routed."""
        call.step += 1
        self.flow.finish(call, outcome)

    def _agent(self, name: str | None) -> SimAgent | None:
        if not name:
            return None
        try:
            return self.staff.agent(name)
        except KeyError:
            return None

    @staticmethod
    def _free(agent: SimAgent) -> bool:
        """Whether the phone is free (DEVICE_STATE NOT_INUSE, which [preferred] checks): a
        member in wrap-up or paused has a free phone too."""
        activity = agent.activity
        return agent.call is None and activity in (AgentState.AVAILABLE, AgentState.WRAP_UP)

    def dial_member(self, call: SimCall, agent: SimAgent, wait_s: float, queue: SimQueue) -> None:
        """Ring `agent`'s phone for the caller for up to `wait_s`, then queue them."""
        now = self.timeline.now
        self.staff.take_out(agent)
        agent.activity = AgentState.RINGING
        agent.call = call
        call.phase = CallPhase.DIALING
        step = call.step = call.step + 1
        call.agent = agent
        call.route_queue = queue
        call.ring_started_at = now
        observer = self.flow.observer
        if observer is not None:
            self.staff.report(agent)
            observer.member_dialled(now, call, agent, wait_s)
        delay = 0.0 if agent.answers_at_once else agent.ring_draw()
        p = agent.ring_no_answer_probability
        answers = delay < wait_s and not (p > 0 and agent.ring_no_answer_draw() < p)
        if answers:
            self.timeline.push(now + delay, DIAL_ANSWER, call, step, agent)
        else:
            self.timeline.push(now + wait_s, DIAL_GIVE_UP, call, step, agent)

    def on_relax(self, call: SimCall, visit: int, step: PenaltyChange | None) -> None:
        """The caller has waited long enough: its penalty window widens (a queue rule's
        `step`), or its need is dropped (`relax_needs_after_s`): more members may answer."""
        if call.visit != visit or call.phase not in WAITING:
            return
        if step is None:
            call.need = None
        else:
            step.apply(call)
        queue = call.queue
        if call.phase is CallPhase.QUEUED and queue is not None and queue.available:
            self.flow.retry(call)  # offered now to the free members, as a retry is

    def on_give_up(self, call: SimCall, step: int, agent: SimAgent) -> None:
        """The preferred member did not answer in time: the caller goes into the queue."""
        if call.step != step or call.phase is not CallPhase.DIALING:
            return
        queue = call.route_queue
        assert queue is not None
        now = self.timeline.now
        if self.flow.observer is not None:
            self.flow.observer.member_not_answering(now, call, agent)
        call.agent = None
        call.route_queue = None
        self.staff.free(agent)
        self._queue(call, queue)


def dial_answered(flow: CallFlow, call: SimCall, agent: SimAgent) -> None:
    """A dialled phone answers: the customer an agent dialled, or the preferred member
    dialled for a caller (who talks for the queue's talk time)."""
    timeline = flow.timeline
    now = timeline.now
    call.phase = CallPhase.TALKING
    step = call.step = call.step + 1
    call.answered_at = now
    call.first_answered_at = now
    call.last_agent = agent.name
    talk_queue = call.route_queue
    if talk_queue is not None:  # a caller put through to their preferred member
        agent.activity = AgentState.ON_CALL
    if flow.observer is not None:
        flow.observer.answered(now, call, agent)
        flow.staff.report(agent)
    if flow.live_humans and agent.human:
        timeline.push(now + agent.spec.max_talk_s, TALK_END, call, step, "caller")
    else:
        talk_queue = talk_queue or flow.queues[agent.spec.memberships[0].queue]
        # A talk planned before the answer (the PBX's campaign call, from its `[outbound]`).
        talk = call.talk_s if call.talk_s > 0 else talk_queue.draws.talk()
        timeline.push(now + talk, TALK_END, call, step)
