"""Rewrite a capture as a production PBX would send it: SIP trunk callers, SIP phones."""

from __future__ import annotations

import re

_CALLER = re.compile(rb"Local/\d+@customer-([0-9a-f]{8});1")
_MEMBER_CHANNEL = re.compile(rb"Local/(\d+)@agents-([0-9a-f]{8});1")
_INTERFACE = re.compile(rb"Local/(\d+)@agents(/n)?")
_SECOND_HALF = re.compile(rb"^(Channel|DestChannel): Local/[^\r]*;2\r?$", re.MULTILINE)
_MEMBER_STATUS = re.compile(rb"^Event: QueueMemberStatus\r\n.*^MemberName: (\w+)\r\n", re.S | re.M)


def as_production(data: bytes) -> bytes:
    """The same calls with `PJSIP/trunk-…` callers and `PJSIP/<ext>-…` agent phones.

    Local channels' `;2` halves (which played the people) and LocalBridge events vanish, and
    a member's device reports RINGING (6) while AgentCalled rings it, as a SIP phone does.
    """
    frames = data.split(b"\r\n\r\n")
    out: list[bytes] = []
    ringing: dict[bytes, bytes | None] = {}  # member -> its last ringing status frame
    for frame in frames:
        if frame.startswith(b"Event: LocalBridge") or _SECOND_HALF.search(frame):
            continue
        name = re.search(rb"\r\nMemberName: (\w+)", frame)
        member = name.group(1) if name else b""
        answered: bytes | None = None
        if frame.startswith(b"Event: AgentCalled"):
            ringing[member] = None
        elif frame.startswith(b"Event: AgentRingNoAnswer"):
            ringing.pop(member, None)
        elif frame.startswith(b"Event: AgentConnect"):
            status_frame = ringing.pop(member, None)
            stamp = re.search(rb"\r\nTimestamp: [0-9.]+", frame)
            if status_frame is not None and stamp:
                # the phone answered: its device state goes from RINGING to INUSE
                answered = re.sub(rb"\r\nTimestamp: [0-9.]+", stamp.group(0), status_frame)
                answered = answered.replace(b"\r\nStatus: 6\r\n", b"\r\nStatus: 2\r\n")
        elif frame.startswith(b"Event: QueueMemberStatus"):
            status = _MEMBER_STATUS.match(frame)
            if status and member in ringing and b"\r\nStatus: 2\r\n" in frame:
                frame = frame.replace(b"\r\nStatus: 2\r\n", b"\r\nStatus: 6\r\n")
                ringing[member] = frame
        frame = _CALLER.sub(rb"PJSIP/trunk-\1", frame)
        frame = _MEMBER_CHANNEL.sub(rb"PJSIP/\1-\2", frame)
        frame = _INTERFACE.sub(rb"PJSIP/\1", frame)
        if b"Local/" not in frame:  # what is left names the people-playing halves (Cdr, VarSet)
            out.append(frame)
        if answered is not None:
            out.append(_INTERFACE.sub(rb"PJSIP/\1", answered))
    return b"\r\n\r\n".join(out)
