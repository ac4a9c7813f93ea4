"""The call flow's scheduled events as they fall due: stale ones dropped, the rest handed on."""

from __future__ import annotations

from callcenter.calls.records import VisitOutcome
from sim.call_flow import CallFlow
from sim.inbound import dial_answered
from sim.state import CallPhase, SimAgent, SimCall

RINGING, RETRYING, TALKING, DIALING, ENDED = (
    CallPhase.RINGING,
    CallPhase.RETRY,
    CallPhase.TALKING,
    CallPhase.DIALING,
    CallPhase.ENDED,
)
ABANDONED, TIMED_OUT = VisitOutcome.ABANDONED, VisitOutcome.TIMEOUT


class CallEvents:
    """One handler per kind of call event, each called as `(call, token, extra)`.

    An event is stale once its call has moved on since it was scheduled: its `step` (or, for
    the caller's patience and the queue timeout, its `visit`) is no longer the event's token,
    or the call is no longer in the phase the event expects. Stale events are dropped.
    """

    __slots__ = ("flow",)

    def __init__(self, flow: CallFlow) -> None:
        self.flow = flow

    def on_answer(self, call: SimCall, step: int, agent: SimAgent) -> None:
        if call.step == step and call.phase is RINGING:
            self.flow.answer(call, agent)

    def on_talk_end(self, call: SimCall, step: int, hangup_by: str | None) -> None:
        """A talk ran its course; unless the end is given, the agent hangs up for the queue's
        share of calls."""
        if call.step != step or call.phase is not TALKING:
            return
        if hangup_by is None:
            queue = call.queue
            share = queue.agent_hangup_share if queue is not None else 0.0
            agent_first = share > 0 and queue.draws.hangup() < share  # type: ignore[union-attr]
            hangup_by = "agent" if agent_first else "caller"
        self.flow.end_talk(call, hangup_by)

    def on_patience(self, call: SimCall, visit: int, _extra: None) -> None:
        if call.visit == visit and call.phase is not TALKING and call.phase is not ENDED:
            self.flow.leave_queue(call, ABANDONED)

    def on_timeout(self, call: SimCall, visit: int, _extra: None) -> None:
        if call.visit == visit and call.phase is not TALKING and call.phase is not ENDED:
            self.flow.leave_queue(call, TIMED_OUT)

    def on_ring_out(self, call: SimCall, step: int, _extra: None) -> None:
        if call.step == step and call.phase is RINGING:
            self.flow.ring_out(call)

    def on_retry(self, call: SimCall, step: int, _extra: None) -> None:
        if call.step == step and call.phase is RETRYING:
            self.flow.retry(call)

    def on_dial_answer(self, call: SimCall, step: int, agent: SimAgent) -> None:
        if call.step == step and call.phase is DIALING:
            dial_answered(self.flow, call, agent)
