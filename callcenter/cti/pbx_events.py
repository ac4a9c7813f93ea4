"""Typed PBX events: what one AMI frame says, in fields the call tracker can trust."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(slots=True)
class ChannelCreated:
    """A channel appeared (Newchannel)."""

    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    exten: str | None


@dataclass(slots=True)
class ChannelChanged:
    """A channel's state or caller id changed (Newstate, NewCallerid)."""

    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None


@dataclass(slots=True)
class ChannelHungUp:
    """A channel is gone (Hangup)."""

    uniqueid: str
    linkedid: str
    channel: str
    cause: str | None
    # `exten@context` when the channel hung up at priority 1 of it (else None).
    arrival: str | None = None


@dataclass(slots=True)
class HangupRequested:
    """Someone asked a channel to hang up (HangupRequest, SoftHangupRequest)."""

    uniqueid: str
    linkedid: str


@dataclass(slots=True)
class DialStarted:
    """A channel (None for an Originate) started dialing another (DialBegin)."""

    uniqueid: str | None
    linkedid: str | None
    exten: str | None
    dest_uniqueid: str
    dest_linkedid: str
    dest_channel: str


@dataclass(slots=True)
class DialEnded:
    """A dial attempt ended with `status` (ANSWER, BUSY, NOANSWER, CANCEL, ...)."""

    uniqueid: str | None
    linkedid: str | None
    dest_uniqueid: str
    status: str


@dataclass(slots=True)
class BridgeChanged:
    """A channel entered or left a bridge (BridgeEnter, BridgeLeave)."""

    bridge: str
    uniqueid: str
    linkedid: str
    entered: bool


@dataclass(slots=True)
class LocalPaired:
    """The two halves of a Local channel were linked (LocalBridge)."""

    one_uniqueid: str
    two_uniqueid: str


@dataclass(slots=True)
class LocalOptimized:
    """A Local channel pair started or finished optimising itself away."""

    one_uniqueid: str
    two_uniqueid: str
    begin: bool


@dataclass(slots=True)
class CallerJoinedQueue:
    """A caller entered a queue (QueueCallerJoin)."""

    uniqueid: str
    linkedid: str
    queue: str
    position: int | None
    caller_number: str | None
    caller_name: str | None


@dataclass(slots=True)
class CallerLeftQueue:
    """A caller left a queue, for whatever reason (QueueCallerLeave)."""

    uniqueid: str
    linkedid: str
    queue: str
    position: int | None


@dataclass(slots=True)
class CallerAbandonedQueue:
    """A caller left unanswered: hang-up, timeout or empty queue (QueueCallerAbandon)."""

    uniqueid: str
    linkedid: str
    queue: str
    position: int | None
    hold_time: float | None
    # The caller's own headers: a caller first seen here (joined during a gap) is adopted.
    channel: str = ""
    caller_number: str | None = None
    caller_name: str | None = None


@dataclass(slots=True)
class QueueExitStatus:
    """Why Queue() returned (VarSet QUEUESTATUS; only when the dialplan class is readable)."""

    uniqueid: str
    linkedid: str
    status: str


class MemberCallKind(StrEnum):
    """Which step of ringing or serving a queue caller an Agent* event reports."""

    CALLED = "called"
    RING_NO_ANSWER = "ring_no_answer"
    CONNECTED = "connected"
    COMPLETED = "completed"
    DUMPED = "dumped"


@dataclass(slots=True)
class MemberCall:
    """A queue member rang, answered, finished or refused a queue caller (Agent*)."""

    kind: MemberCallKind
    queue: str
    interface: str
    member_name: str
    uniqueid: str | None
    linkedid: str | None
    member_uniqueid: str | None
    member_channel: str | None
    hold_time: float | None = None
    ring_time: float | None = None
    talk_time: float | None = None
    reason: str | None = None
    # The caller's own headers: a caller first seen here (joined during a gap) is adopted.
    channel: str = ""
    caller_number: str | None = None
    caller_name: str | None = None


class MemberChangeKind(StrEnum):
    """What a QueueMember* event reports about a membership."""

    ADDED = "added"
    REMOVED = "removed"
    PAUSE = "pause"
    STATUS = "status"
    PENALTY = "penalty"
    SNAPSHOT = "snapshot"


@dataclass(slots=True)
class MemberChanged:
    """A queue membership changed or was listed (QueueMember*, QueueMember)."""

    kind: MemberChangeKind
    queue: str
    interface: str
    member_name: str
    state_interface: str | None
    status: int | None
    paused: bool | None
    paused_reason: str | None


@dataclass(slots=True)
class ChannelTransferred:
    """An agent (or anyone) transferred a call (BlindTransfer, AttendedTransfer)."""

    attended: bool
    transferer_uniqueid: str | None
    linkedid: str | None
    transferee_uniqueid: str | None
    target: str | None


@dataclass(slots=True)
class HoldChanged:
    """A channel put its peer on hold or took it off (Hold, Unhold)."""

    uniqueid: str
    linkedid: str
    held: bool


@dataclass(slots=True)
class QueueCallerListed:
    """A caller waiting in a queue, from a QueueStatus answer (QueueEntry)."""

    queue: str
    uniqueid: str
    channel: str
    position: int | None
    wait: float | None
    caller_number: str | None
    caller_name: str | None


@dataclass(slots=True)
class QueueParamsListed:
    """A queue's settings and app_queue's own counters, from a QueueStatus answer
    (QueueParams). The counters run since Asterisk started or the queue was reset; the
    two service levels are fractions (Asterisk sends percentages)."""

    queue: str
    strategy: str | None
    service_level_s: float | None
    calls: int | None
    completed: int | None
    abandoned: int | None
    hold_time: float | None
    talk_time: float | None
    service_level_perf: float | None
    service_level_perf2: float | None


@dataclass(slots=True)
class ChannelListed:
    """A live channel, from a CoreShowChannels answer (CoreShowChannel)."""

    uniqueid: str
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    exten: str | None
    duration: float | None
    application: str | None
    application_data: str | None = None
    bridge: str | None = None


@dataclass(slots=True)
class ListComplete:
    """The end of a list answer (QueueStatusComplete, CoreShowChannelsComplete, ...)."""

    name: str


PbxEvent = (
    ChannelCreated
    | ChannelChanged
    | ChannelHungUp
    | HangupRequested
    | DialStarted
    | DialEnded
    | BridgeChanged
    | LocalPaired
    | LocalOptimized
    | CallerJoinedQueue
    | CallerLeftQueue
    | CallerAbandonedQueue
    | QueueExitStatus
    | MemberCall
    | MemberChanged
    | ChannelTransferred
    | HoldChanged
    | QueueCallerListed
    | QueueParamsListed
    | ChannelListed
    | ListComplete
)
