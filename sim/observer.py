"""What the engine tells the outside world: one callback per thing that happens in the center.

Subclass `EngineObserver` and override the callbacks you need (all default to doing nothing);
`at` is the simulated time in seconds since the scenario start. The simulated PBX turns these
into AMI events; fast mode passes no observer at all, and the engine then skips every callback
behind a single `is None` test. Callbacks run inside the engine's step: they may read the engine
and its objects, and may call its control methods only for what happens *after* the current
moment (the engine is re-entrant for control calls, which act at `engine.now`).

Order for a typical answered call: call_arrived, queue_joined, agent_state_changed(RINGING),
agent_ringing, answered, agent_state_changed(ON_CALL), call_ended (with the record),
agent_state_changed(WRAP_UP or AVAILABLE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.calls.records import AgentState, CallRecord

if TYPE_CHECKING:
    from sim.state import SimAgent, SimCall


class EngineObserver:
    """No-op base class of everything that listens to an engine."""

    def call_arrived(self, at: float, call: SimCall) -> None:
        """A new call: inbound caller dialling a queue, or an agent's outbound call."""

    def queue_joined(self, at: float, call: SimCall, queue: str, position: int) -> None:
        """The caller entered `queue` at `position` (1 = first); also after a transfer."""

    def member_dialled(self, at: float, call: SimCall, agent: SimAgent, wait_s: float) -> None:
        """The routing named the agent as the caller's preferred member: their phone is
        dialled directly for up to `wait_s`, before any queue (`answered` follows if they
        pick up)."""

    def member_not_answering(self, at: float, call: SimCall, agent: SimAgent) -> None:
        """The preferred member did not answer in time; the caller goes to the queue."""

    def agent_ringing(self, at: float, call: SimCall, agent: SimAgent) -> None:
        """The agent's device starts ringing for this caller."""

    def ring_no_answer(self, at: float, call: SimCall, agent: SimAgent, ring_s: float) -> None:
        """The agent let the call ring out (member timeout); the caller stays queued."""

    def ring_cancelled(self, at: float, call: SimCall, agent: SimAgent) -> None:
        """Ringing stopped without an answer: another member answered (ringall) or the caller
        left."""

    def answered(self, at: float, call: SimCall, agent: SimAgent) -> None:
        """The agent answered (inbound), or the customer answered (outbound)."""

    def abandoned(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        """The caller hung up while waiting in `queue` (also while an agent was ringing)."""

    def queue_timeout(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        """The queue's `timeout_s` passed; the caller leaves the queue."""

    def transferred(
        self, at: float, call: SimCall, agent: SimAgent | None, target: str, queue: str | None
    ) -> None:
        """Blind transfer by `agent` to `target`; `queue` is set when the target is a queue
        (a `queue_joined` follows)."""

    def call_ended(self, at: float, call: SimCall, record: CallRecord) -> None:
        """The call is over; `call.hangup_by` says who hung up ("caller", "agent" or None)."""

    def agent_state_changed(
        self, at: float, agent: SimAgent, state: AgentState, reason: str | None
    ) -> None:
        """The agent's overall state changed (LOGGED_OUT, AVAILABLE, RINGING, ON_CALL,
        WRAP_UP, PAUSED with reason)."""

    def member_added(self, at: float, agent: SimAgent, queue: str, penalty: int) -> None:
        """The agent logged in to `queue` (scenario start, shift start or `login`)."""

    def member_removed(self, at: float, agent: SimAgent, queue: str) -> None:
        """The agent logged out of `queue`."""

    def member_paused(
        self, at: float, agent: SimAgent, queue: str, paused: bool, reason: str | None
    ) -> None:
        """The agent was paused or unpaused in `queue`."""
