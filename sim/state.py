"""Live state of a simulation: calls in progress, agents and queues (mutable, engine-owned).

Observers and the simulated PBX may read these objects; only the engine changes them (except
`SimCall.linkedid`, which a live PBX may set in `call_arrived` to its own Linkedid so the call
record carries it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from callcenter.calls.records import AgentState, CallOutcome, Direction
from sim.distributions import AgentDraws, QueueDraws
from sim.scenario import AgentSpec, QueueSpec

if TYPE_CHECKING:
    from sim.records import VisitTrace


class CallPhase(IntEnum):
    """Where a call is now."""

    QUEUED = 0  # waiting in a queue, can be offered to an agent
    RINGING = 1  # an agent (or several, ringall) is being rung
    RETRY = 2  # rang out; waits `retry_s` before it is offered again
    TALKING = 3  # connected to an agent
    DIALING = 4  # outbound, or a preferred member dialled directly: a phone is ringing
    ENDED = 5
    ROUTING = 6  # inbound: the PBX asks the routing server where the caller goes


QUEUED = CallPhase.QUEUED
NOBODY: tuple[SimAgent, ...] = ()  # a call rings nobody (shared: ringing lists are replaced)


class SimCall:
    """One caller, from arrival to hang-up, possibly through several queue visits."""

    __slots__ = (
        "agent",
        "answered_at",
        "arrived_at",
        "caller_class",
        "caller_name",
        "caller_number",
        "dialed_number",
        "direction",
        "ended_at",
        "entered_at",
        "first_answered_at",
        "hangup_by",
        "id",
        "last_agent",
        "linkedid",
        "max_penalty",
        "min_penalty",
        "need",
        "outcome",
        "patience_s",
        "penalty_rule",
        "phase",
        "planned_transfer",
        "position",
        "priority",
        "queue",
        "ring_no_answer",
        "ring_started_at",
        "ringing",
        "route_queue",
        "step",
        "talk_s",
        "talk_total_s",
        "transfer_target",
        "visit",
        "visits",
    )

    def __init__(
        self,
        id: int,
        linkedid: str,
        arrived_at: float,
        direction: Direction,
        caller_number: str | None,
        caller_name: str | None,
        dialed_number: str | None,
    ) -> None:
        self.id = id
        self.linkedid = linkedid
        self.arrived_at = arrived_at
        self.direction = direction
        self.caller_number = caller_number
        self.caller_name = caller_name
        self.dialed_number = dialed_number
        self.phase = QUEUED
        self.queue: SimQueue | None = None
        self.entered_at = arrived_at
        self.position = 0
        self.agent: SimAgent | None = None
        self.last_agent: str | None = None
        self.planned_transfer: SimQueue | None = None
        self.ringing: Sequence[SimAgent] = NOBODY  # the agents being rung
        self.ring_started_at = 0.0
        self.ring_no_answer = 0
        self.answered_at: float | None = None
        self.first_answered_at: float | None = None
        self.talk_s = 0.0  # talk planned for this visit, drawn when the caller joins the queue
        self.patience_s: float | None = None  # drawn when the caller joins the queue
        self.talk_total_s = 0.0
        self.ended_at: float | None = None
        self.outcome: CallOutcome | None = None
        self.hangup_by: str | None = None
        self.transfer_target: str | None = None
        self.visits: list[VisitTrace] = []
        # Who the caller is to the queues (`sim.classes`): app_queue's QUEUE_PRIO (higher is
        # served first), the skill needed, the member penalties allowed (QUEUE_MIN_PENALTY /
        # QUEUE_MAX_PENALTY), and the class its figures count in ("regular", "vip lang:de").
        self.priority = 0
        self.need: str | None = None
        self.min_penalty: int | None = None
        self.max_penalty: int | None = None
        self.caller_class = "regular"
        self.penalty_rule: tuple[Any, ...] = ()  # sim.inbound.PenaltyChange steps
        self.route_queue: SimQueue | None = None  # a preferred member's call: the queue after
        # Counters that make scheduled events stale once the call has moved on.
        self.visit = 0
        self.step = 0

    def __repr__(self) -> str:
        queue = self.queue.name if self.queue else None
        return f"SimCall({self.linkedid} {self.phase.name} queue={queue})"


class SimAgent:
    """One queue member: its logins, pauses, current call and time accounting."""

    __slots__ = (
        "activity",
        "answers_at_once",
        "call",
        "calls_by_queue",
        "human",
        "idle_since",
        "interface",
        "last_call_end",
        "memberships",
        "name",
        "paused",
        "reported",
        "reported_reason",
        "ring_draw",
        "ring_no_answer_draw",
        "ring_no_answer_probability",
        "skills",
        "spec",
        "wrap",
    )

    def __init__(self, spec: AgentSpec, draws: AgentDraws) -> None:
        self.spec = spec
        self.name = spec.name
        self.interface = spec.interface
        self.human = spec.human
        self.ring_draw = draws.ring
        self.ring_no_answer_draw = draws.ring_no_answer
        self.ring_no_answer_probability = spec.ring_no_answer_probability
        # Picks up with no delay and never lets it ring out: ringing it draws nothing.
        self.answers_at_once = spec.ring.is_zero and spec.ring_no_answer_probability <= 0
        self.memberships: dict[str, int] = {}  # logged-in queue -> penalty
        self.paused: dict[str, str | None] = {}  # paused queue -> reason
        self.activity = AgentState.AVAILABLE  # AVAILABLE, RINGING, ON_CALL or WRAP_UP
        self.call: SimCall | None = None
        self.wrap = 0  # stale-event counter for wrap-up ends
        self.last_call_end = -1.0
        self.calls_by_queue: dict[str, int] = {}
        self.idle_since: float | None = None
        self.reported = AgentState.LOGGED_OUT
        self.reported_reason: str | None = None
        self.skills: dict[str, int] = dict(spec.skills)  # skill -> level (higher is stronger)

    @property
    def state(self) -> AgentState:
        """The agent's state as a supervisor would see it."""
        if not self.memberships:
            return AgentState.LOGGED_OUT
        if self.activity is not AgentState.AVAILABLE:
            return self.activity
        if all(q in self.paused for q in self.memberships):
            return AgentState.PAUSED
        return AgentState.AVAILABLE

    @property
    def pause_reason(self) -> str | None:
        for queue in self.memberships:
            if queue in self.paused:
                return self.paused[queue]
        return None

    def __repr__(self) -> str:
        return f"SimAgent({self.name} {self.state.value})"


@dataclass(eq=False)
class SimQueue:
    """One queue at run time: who waits (in order), who is free, and its counters."""

    spec: QueueSpec
    draws: QueueDraws
    name: str = ""
    waiting: dict[SimCall, None] = field(default_factory=dict)  # FIFO, O(1) removal
    available: dict[SimAgent, None] = field(default_factory=dict)  # in order of becoming free
    members: dict[SimAgent, int] = field(default_factory=dict)  # logged in -> penalty
    rr_next: int = 0  # rrmemory: index in `member_order` to try first
    member_order: list[SimAgent] = field(default_factory=list)
    arrivals: int = 0
    busy_s: float = 0.0  # agent time ringing, talking and wrapping up on this queue's calls
    idle_s: float = 0.0  # agent time available for this queue (summed over agents)

    mean_gap_s: float | None = None  # mean seconds between arrivals at a constant rate
    penalties_differ: bool = False  # whether logged-in members have different penalties
    # Whether a caller with a priority or a restriction (need, penalty range) has ever joined:
    # the queue's order and its member choice then look at each caller (`sim.classes`).
    ranked: bool = False
    dialed: str = ""  # the number callers dial
    timeout_s: float | None = None
    member_timeout_s: float = 0.0
    wrap_up_s: float = 0.0
    agent_hangup_share: float = 0.0

    def __post_init__(self) -> None:
        spec = self.spec
        self.name = spec.name
        self.dialed = spec.dialed
        self.timeout_s = spec.timeout_s
        self.member_timeout_s = spec.member_timeout_s
        self.wrap_up_s = spec.wrap_up_s
        self.agent_hangup_share = spec.agent_hangup_share
        rate = self.spec.arrival_rate_per_hour
        if self.spec.arrival_profile is None and rate > 0:
            self.mean_gap_s = 3600.0 / rate

    def __hash__(self) -> int:
        return id(self)
