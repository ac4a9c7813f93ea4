"""Typed domain events: what happened on the phone system, in the business's words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callcenter.calls.records import AgentState, AgentStateRecord, CallRecord, WrapUpRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Base of every event on the bus: when it happened and on which PBX."""

    at: datetime
    server: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted(DomainEvent):
    """A new call appeared (its first channel)."""

    linkedid: str
    caller_number: str | None
    caller_name: str | None
    dialed_number: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQueued(DomainEvent):
    """A caller joined a queue."""

    linkedid: str
    uniqueid: str
    queue: str
    position: int | None
    caller_number: str | None
    caller_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRinging(DomainEvent):
    """The PBX rings an agent's device for a queued caller (the screen-pop moment)."""

    linkedid: str
    uniqueid: str
    queue: str
    agent: str
    interface: str
    caller_number: str | None
    caller_name: str | None
    waited_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentDialled(DomainEvent):
    """An agent's phone dials a customer (click-to-dial): the outbound call's screen-pop."""

    linkedid: str
    uniqueid: str
    agent: str | None
    interface: str
    number: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRingNoAnswer(DomainEvent):
    """An agent let a queue call ring without answering."""

    linkedid: str
    queue: str
    agent: str
    interface: str
    ring_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered(DomainEvent):
    """An agent (or a dialled party) answered the call."""

    linkedid: str
    queue: str | None
    agent: str | None
    interface: str | None
    wait_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallHeld(DomainEvent):
    """A party of the call was put on hold."""

    linkedid: str
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallUnheld(DomainEvent):
    """A held party came back."""

    linkedid: str
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferred(DomainEvent):
    """A call was transferred (blind or attended) away from an agent or queue."""

    linkedid: str
    kind: str
    queue: str | None
    agent: str | None
    target: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned(DomainEvent):
    """A caller left a queue before being answered (hang-up or queue timeout)."""

    linkedid: str
    queue: str
    wait_s: float | None
    timeout: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(DomainEvent):
    """A call is over; `record` is what gets stored."""

    record: CallRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged(DomainEvent):
    """An agent's state changed (as the PBX reports it)."""

    agent: str
    interface: str
    state: AgentState
    reason: str | None
    queue: str | None
    # Every queue the agent is a member of after this change (empty when logged out).
    queues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateClosed(DomainEvent):
    """An agent-state interval closed; `record` is what gets stored."""

    record: AgentStateRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpEnded(DomainEvent):
    """An agent's wrap-up after a queue call ended once that call's record was out:
    `record` says which stored visit it belongs to and its wrap-up seconds."""

    record: WrapUpRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class PbxConnectionChanged(DomainEvent):
    """The AMI connection went up or down (down means a possible data gap)."""

    connected: bool
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueParamsReported(DomainEvent):
    """The PBX listed a queue's settings and its own counters (each resync's QueueStatus).

    `service_level_s` is the queue's service-level threshold as the PBX counts it (None:
    none configured). The counters are app_queue's since it started: calls waiting now,
    completed and abandoned calls, and its two service levels as fractions (answered within
    the threshold / completed; with abandons within it too)."""

    queue: str
    strategy: str | None
    service_level_s: float | None
    waiting: int | None = None
    completed: int | None = None
    abandoned: int | None = None
    service_level_perf: float | None = None
    service_level_perf2: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRouted(DomainEvent):
    """The routing server told the PBX where a call goes (`uniqueid`: the caller's channel,
    the linkedid of a call from a trunk); `reason` and `rule` say why (README "Routing")."""

    uniqueid: str
    caller: str
    dialed: str
    queue: str
    priority: int
    customer_id: int | None
    preferred_member: str | None
    preferred_username: str | None
    reason: str
    rule: str
    ticket_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketEscalated(DomainEvent):
    """A ticket missed an SLA target and went one escalation level up."""

    ticket_id: int
    number: str | None
    level: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiAlertRaised(DomainEvent):
    """A wallboard alert started: `kind` (service_level, longest_wait, long_pause, pbx_down)
    about `subject` (a queue, an agent, or the PBX)."""

    kind: str
    subject: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiAlertCleared(DomainEvent):
    """A wallboard alert is over."""

    kind: str
    subject: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSessionsEnded(DomainEvent):
    """A user's sessions ended (sign-out, new password or role) or tokens of theirs were
    revoked: whatever they still have open (websockets) checks its credentials again.
    `server` is empty: this is not news from a PBX."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BusLinkChanged(DomainEvent):
    """This process's link to the shared bus (Redis) went down or came back; published here
    only, never sent on. Down: other processes' events are not arriving (a data gap). Back:
    `lost` events are known missing (0: none), None when how many is unknown (Redis
    restarted empty or trimmed past what was read). `server` is empty."""

    up: bool
    lost: int | None = None


@dataclass(frozen=True, slots=True)
class FloorAgent:
    """One agent inside a FloorSnapshot: their presence as the PBX's process knows it."""

    name: str
    interface: str
    state: AgentState
    reason: str | None
    since: datetime | None
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FloorCaller:
    """One caller waiting inside a FloorSnapshot: in which queue, since when."""

    queue: str
    linkedid: str
    queued_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FloorSnapshot(DomainEvent):
    """The floor of `server` as its PBX's process knows it, for processes that missed
    events (started late, or lost some on the bus): every agent's presence, the callers
    waiting (oldest first in each queue), every queue known (even with nobody waiting) and
    the PBX link (None: not reported yet). `origin` names the publishing Presence, which
    ignores its own."""

    agents: tuple[FloorAgent, ...]
    waiting: tuple[FloorCaller, ...]
    queues: tuple[str, ...] = ()
    pbx_connected: bool | None = None
    pbx_since: datetime | None = None
    pbx_detail: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignLeadOffered(DomainEvent):
    """A campaign's lead is shown to an agent (a preview) or connected to them (a call)."""

    agent: str  # the user's username
    campaign_id: int
    lead_id: int
    attempt_id: int | None  # None for a preview not dialled yet
    mode: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DialAttemptEnded(DomainEvent):
    """A dial attempt of a campaign is over, with its outcome."""

    campaign_id: int
    lead_id: int
    attempt_id: int
    outcome: str
    agent: str | None
