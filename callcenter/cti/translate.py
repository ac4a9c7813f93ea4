"""The one table from AMI event names to handlers that turn a frame into a typed PBX event.

Only this module knows AMI header names. A handler returns None when the frame carries
nothing the tracker needs (a failed transfer, a VarSet of another variable); a frame missing
a header its event always has raises KeyError, which the pipeline logs and skips; a number
no PBX sends (`nan`, `1e300`, a negative wait, a month of ringing) raises BadHeader naming
the header, which `translated` drops before translating the frame again.
Dialplan-class events (VarSet, Newexten) are optional: nothing here depends on them, VarSet
QUEUESTATUS only sharpens why a caller left a queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from callcenter.cti import frame_values as values
from callcenter.cti.frames import BadHeader, Frame
from callcenter.cti.pbx_events import (
    BridgeChanged,
    CallerAbandonedQueue,
    CallerJoinedQueue,
    CallerLeftQueue,
    ChannelChanged,
    ChannelCreated,
    ChannelHungUp,
    ChannelListed,
    ChannelTransferred,
    DialEnded,
    DialStarted,
    HangupRequested,
    HoldChanged,
    ListComplete,
    LocalOptimized,
    LocalPaired,
    MemberCall,
    MemberCallKind,
    MemberChanged,
    MemberChangeKind,
    PbxEvent,
    QueueCallerListed,
    QueueExitStatus,
    QueueParamsListed,
)

Translator = Callable[[Frame], PbxEvent | None]


def new_channel(f: Frame) -> ChannelCreated:
    return ChannelCreated(
        f["Uniqueid"],
        f["Linkedid"],
        f["Channel"],
        values.text(f.get("CallerIDNum")),
        values.text(f.get("CallerIDName")),
        values.text(f.get("Exten")),
    )


def channel_changed(f: Frame) -> ChannelChanged:
    return ChannelChanged(
        f["Uniqueid"],
        f["Linkedid"],
        f["Channel"],
        values.text(f.get("CallerIDNum")),
        values.text(f.get("CallerIDName")),
    )


def hangup(f: Frame) -> ChannelHungUp:
    arrival = values.target(f.get("Exten"), f.get("Context")) if f.get("Priority") == "1" else None
    return ChannelHungUp(f["Uniqueid"], f["Linkedid"], f["Channel"], f.get("Cause"), arrival)


def hangup_request(f: Frame) -> HangupRequested:
    return HangupRequested(f["Uniqueid"], f["Linkedid"])


def dial_begin(f: Frame) -> DialStarted:
    return DialStarted(
        f.get("Uniqueid"),
        f.get("Linkedid"),
        values.text(f.get("Exten")),
        f["DestUniqueid"],
        f["DestLinkedid"],
        f["DestChannel"],
    )


def dial_end(f: Frame) -> DialEnded:
    return DialEnded(f.get("Uniqueid"), f.get("Linkedid"), f["DestUniqueid"], f["DialStatus"])


def bridge_enter(f: Frame) -> BridgeChanged:
    return BridgeChanged(f["BridgeUniqueid"], f["Uniqueid"], f["Linkedid"], True)


def bridge_leave(f: Frame) -> BridgeChanged:
    return BridgeChanged(f["BridgeUniqueid"], f["Uniqueid"], f["Linkedid"], False)


def local_bridge(f: Frame) -> LocalPaired:
    return LocalPaired(f["LocalOneUniqueid"], f["LocalTwoUniqueid"])


def local_optimization_begin(f: Frame) -> LocalOptimized:
    return LocalOptimized(f["LocalOneUniqueid"], f["LocalTwoUniqueid"], True)


def local_optimization_end(f: Frame) -> LocalOptimized:
    return LocalOptimized(f["LocalOneUniqueid"], f["LocalTwoUniqueid"], False)


def queue_caller_join(f: Frame) -> CallerJoinedQueue:
    return CallerJoinedQueue(
        f["Uniqueid"],
        f["Linkedid"],
        f["Queue"],
        values.int_value(f, "Position"),
        values.text(f.get("CallerIDNum")),
        values.text(f.get("CallerIDName")),
    )


def queue_caller_leave(f: Frame) -> CallerLeftQueue:
    return CallerLeftQueue(
        f["Uniqueid"], f["Linkedid"], f["Queue"], values.int_value(f, "Position")
    )


def queue_caller_abandon(f: Frame) -> CallerAbandonedQueue:
    return CallerAbandonedQueue(
        f["Uniqueid"],
        f["Linkedid"],
        f["Queue"],
        values.int_value(f, "Position"),
        values.seconds(f, "HoldTime"),
        f.get("Channel", ""),
        values.text(f.get("CallerIDNum")),
        values.text(f.get("CallerIDName")),
    )


def var_set(f: Frame) -> QueueExitStatus | None:
    if f.get("Variable") != "QUEUESTATUS" or "Uniqueid" not in f:
        return None
    return QueueExitStatus(f["Uniqueid"], f["Linkedid"], f.get("Value", ""))


def _member_call(kind: MemberCallKind) -> Translator:
    def translate(f: Frame) -> MemberCall:
        # AgentRingNoAnswer reports milliseconds
        milliseconds = kind is MemberCallKind.RING_NO_ANSWER
        ring_time = values.seconds(f, "RingTime", per_second=1000.0 if milliseconds else 1.0)
        reason = f.get("Reason")
        return MemberCall(
            kind,
            f["Queue"],
            f.get("Interface") or f.get("MemberName", ""),
            f.get("MemberName") or f.get("Interface", ""),
            f.get("Uniqueid"),
            f.get("Linkedid"),
            f.get("DestUniqueid"),
            f.get("DestChannel"),
            values.seconds(f, "HoldTime"),
            ring_time,
            values.seconds(f, "TalkTime"),
            reason.strip() if reason else None,
            f.get("Channel", ""),
            values.text(f.get("CallerIDNum")),
            values.text(f.get("CallerIDName")),
        )

    return translate


def _member_changed(kind: MemberChangeKind) -> Translator:
    def translate(f: Frame) -> MemberChanged:
        # QueueMember (a list answer) names its fields differently from QueueMember* events.
        interface = f.get("Interface") or f.get("Location") or ""
        name = f.get("MemberName") or f.get("Name") or interface
        paused = f.get("Paused")
        return MemberChanged(
            kind,
            f["Queue"],
            interface,
            name,
            f.get("StateInterface") or None,
            values.int_value(f, "Status"),
            None if paused is None else paused == "1",
            f.get("PausedReason") or None,
        )

    return translate


def blind_transfer(f: Frame) -> ChannelTransferred | None:
    if f.get("Result") != "Success":
        return None
    return ChannelTransferred(
        False,
        f.get("TransfererUniqueid"),
        f.get("TransfererLinkedid") or f.get("TransfereeLinkedid"),
        f.get("TransfereeUniqueid"),
        values.target(f.get("Extension"), f.get("Context")),
    )


def attended_transfer(f: Frame) -> ChannelTransferred | None:
    if f.get("Result") != "Success":
        return None
    target = (
        values.target(f.get("TransferTargetExten"), f.get("TransferTargetContext"))
        or values.target(f.get("SecondTransfererExten"), f.get("SecondTransfererContext"))
        or values.text(f.get("DestApp"))
        or values.device(f.get("TransferTargetChannel"))
    )
    return ChannelTransferred(
        True,
        f.get("OrigTransfererUniqueid"),
        f.get("OrigTransfererLinkedid") or f.get("TransfereeLinkedid"),
        f.get("TransfereeUniqueid"),
        target,
    )


def hold(f: Frame) -> HoldChanged:
    return HoldChanged(f["Uniqueid"], f["Linkedid"], True)


def unhold(f: Frame) -> HoldChanged:
    return HoldChanged(f["Uniqueid"], f["Linkedid"], False)


def queue_entry(f: Frame) -> QueueCallerListed:
    return QueueCallerListed(
        f["Queue"],
        f["Uniqueid"],
        f.get("Channel", ""),
        values.int_value(f, "Position"),
        values.seconds(f, "Wait"),
        values.text(f.get("CallerIDNum")),
        values.text(f.get("CallerIDName")),
    )


def queue_params(f: Frame) -> QueueParamsListed:
    # Always sent: a frame without it (or with a value no PBX sends) says nothing, rather
    # than "no threshold". app_queue's servicelevel defaults to 0: none configured.
    if "ServiceLevel" not in f:
        raise KeyError("ServiceLevel")
    service_level = values.seconds(f, "ServiceLevel") or None
    return QueueParamsListed(
        f["Queue"],
        values.text(f.get("Strategy")),
        service_level,
        values.int_value(f, "Calls"),
        values.int_value(f, "Completed"),
        values.int_value(f, "Abandoned"),
        values.seconds(f, "Holdtime"),
        values.seconds(f, "TalkTime"),
        values.share(f, "ServicelevelPerf"),
        values.share(f, "ServicelevelPerf2"),
    )


def core_show_channel(f: Frame) -> ChannelListed:
    return ChannelListed(
        f["Uniqueid"],
        f.get("Linkedid") or f["Uniqueid"],
        f["Channel"],
        values.text(f.get("CallerIDNum")),
        values.text(f.get("CallerIDName")),
        values.text(f.get("Exten")),
        values.hms(f, "Duration"),
        f.get("Application") or None,
        f.get("ApplicationData") or None,
        f.get("BridgeId") or None,
    )


def list_complete(f: Frame) -> ListComplete:
    return ListComplete(f["Event"])


def clock_only(f: Frame) -> None:
    """Nothing for the tracker; decoded for its Timestamp alone."""
    return None


TRANSLATORS: Mapping[str, Translator] = {
    # channels
    "Newchannel": new_channel,
    "Newstate": channel_changed,
    "NewCallerid": channel_changed,
    "Hangup": hangup,
    "HangupRequest": hangup_request,
    "SoftHangupRequest": hangup_request,
    "DialBegin": dial_begin,
    "DialEnd": dial_end,
    "BridgeEnter": bridge_enter,
    "BridgeLeave": bridge_leave,
    "LocalBridge": local_bridge,
    "LocalOptimizationBegin": local_optimization_begin,
    "LocalOptimizationEnd": local_optimization_end,
    "Hold": hold,
    "Unhold": unhold,
    "BlindTransfer": blind_transfer,
    "AttendedTransfer": attended_transfer,
    # queue callers
    "QueueCallerJoin": queue_caller_join,
    "QueueCallerLeave": queue_caller_leave,
    "QueueCallerAbandon": queue_caller_abandon,
    "VarSet": var_set,
    # queue members serving callers
    "AgentCalled": _member_call(MemberCallKind.CALLED),
    "AgentRingNoAnswer": _member_call(MemberCallKind.RING_NO_ANSWER),
    "AgentConnect": _member_call(MemberCallKind.CONNECTED),
    "AgentComplete": _member_call(MemberCallKind.COMPLETED),
    "AgentDump": _member_call(MemberCallKind.DUMPED),
    # queue memberships
    "QueueMemberAdded": _member_changed(MemberChangeKind.ADDED),
    "QueueMemberRemoved": _member_changed(MemberChangeKind.REMOVED),
    "QueueMemberPause": _member_changed(MemberChangeKind.PAUSE),
    "QueueMemberPaused": _member_changed(MemberChangeKind.PAUSE),  # Asterisk 11 name
    "QueueMemberStatus": _member_changed(MemberChangeKind.STATUS),
    "QueueMemberPenalty": _member_changed(MemberChangeKind.PENALTY),
    # the login's echo: a replay's first clock reading, before list answers that have none
    "SuccessfulAuth": clock_only,
    # answers to the resync actions (QueueStatus, CoreShowChannels)
    "QueueParams": queue_params,
    "QueueMember": _member_changed(MemberChangeKind.SNAPSHOT),
    "QueueEntry": queue_entry,
    "CoreShowChannel": core_show_channel,
    "QueueStatusComplete": list_complete,
    "CoreShowChannelsComplete": list_complete,
}

# VarSet is the busiest event on a PBX that shows the dialplan class; only QUEUESTATUS
# matters, so the parser decodes just the VarSet frames that mention it.
FRAME_FILTERS: Mapping[str, bytes | None] = {
    name: (b"\r\nVariable: QUEUESTATUS\r\n" if name == "VarSet" else None) for name in TRANSLATORS
}


def translate(frame: Frame) -> PbxEvent | None:
    """The typed event of one frame (None: nothing for the tracker; KeyError: malformed)."""
    name = frame.get("Event")
    handler = TRANSLATORS.get(name) if name else None
    return handler(frame) if handler else None


def translated(
    translator: Translator, frame: Frame, ignored: Callable[[BadHeader], object]
) -> PbxEvent | None:
    """`translator(frame)`, each impossible header it meets told to `ignored` and dropped
    (the rest of the frame is what the PBX did); KeyError when a needed header is missing."""
    while True:
        try:
            return translator(frame)
        except BadHeader as bad:
            ignored(bad)
            frame = {key: value for key, value in frame.items() if key != bad.header}


def device_of(channel: str | None) -> str | None:
    """The device a channel belongs to (`PJSIP/1001-0000002b` -> `PJSIP/1001`)."""
    return values.device(channel)
