"""Immutable call records: the shape both the CTI tracker and the simulator produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Direction(StrEnum):
    """Which way a call crossed the PBX."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


# The Uniqueid (and so the linkedid) the dialer gives each campaign call it originates
# (AMI Originate `ChannelId`): a call whose linkedid starts so is an outbound attempt.
CAMPAIGN_CALL_PREFIX = "cc-dial-"


def is_campaign_call(linkedid: str) -> bool:
    """Whether the call was originated by the dialer for a campaign attempt."""
    return linkedid.startswith(CAMPAIGN_CALL_PREFIX)


class CallOutcome(StrEnum):
    """How a whole call ended."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    TRANSFERRED = "transferred"
    EXITED = "exited"
    FAILED = "failed"


class VisitOutcome(StrEnum):
    """How one stay in one queue ended."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    TRANSFERRED = "transferred"
    EXITED = "exited"


class AgentState(StrEnum):
    """What an agent is doing, as the PBX sees it."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class QueueVisitRecord:
    """One stay of a caller in one queue (a queue_log ENTERQUEUE to its closing line)."""

    queue: str
    uniqueid: str
    entered_at: datetime
    outcome: VisitOutcome
    position: int | None = None
    ended_at: datetime | None = None
    agent: str | None = None
    wait_s: float | None = None
    ring_s: float | None = None
    talk_s: float | None = None
    hold_s: float = 0.0
    ring_no_answer: int = 0
    transfer_target: str | None = None
    exit_position: int | None = None
    hangup_by: str | None = None
    # The agent's after-call work following this visit (the wrap-up state, see WrapUpRecord);
    # None when none was measured exactly (no wrap-up, or one cut by a data gap).
    wrap_up_s: float | None = None


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call from first channel to last hang-up, keyed by (server, linkedid)."""

    server: str
    linkedid: str
    direction: Direction
    started_at: datetime
    ended_at: datetime
    outcome: CallOutcome
    caller_number: str | None = None
    caller_name: str | None = None
    dialed_number: str | None = None
    answered_at: datetime | None = None
    talk_s: float | None = None
    hold_s: float = 0.0
    agent: str | None = None
    transfer_target: str | None = None
    data_gap: bool = False
    queue_visits: tuple[QueueVisitRecord, ...] = field(default_factory=tuple)
    # The sum of the visits' wrap-up seconds (None when no visit has any).
    wrap_up_s: float | None = None


@dataclass(frozen=True, slots=True)
class AgentStateRecord:
    """A closed interval of one agent in one state (queue None means all queues)."""

    server: str
    agent: str
    interface: str
    state: AgentState
    started_at: datetime
    ended_at: datetime
    reason: str | None = None
    queue: str | None = None
    data_gap: bool = False


@dataclass(frozen=True, slots=True)
class WrapUpRecord:
    """Wrap-up seconds that reached a queue visit after its call's record was written.

    A wrap-up follows the call: the agent's wrap-up interval usually closes after the call
    ended, so the seconds arrive later and are set on the stored visit, found by (server,
    linkedid, seq). `wrap_up_s` is the visit's total so far (storing it twice changes
    nothing); `added_s` is what this interval added (what a running total adds).
    """

    server: str
    linkedid: str
    seq: int  # the visit's place in its call, from 1 (as stored)
    queue: str
    uniqueid: str
    entered_at: datetime
    agent: str | None
    wrap_up_s: float
    added_s: float
