"""What the in-test PBX knows at a point of a streamed capture, and the lists it answers with."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from callcenter.cti.frames import Frame

BANNER = b"Asterisk Call Manager/11.0.0\r\n"

_CHANNEL_FIELDS = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)
# Events that change what the resync answers report.
_STATE_EVENTS = frozenset(
    name.encode()
    for name in (
        "BridgeEnter",
        "BridgeLeave",
        "Hangup",
        "NewCallerid",
        "NewConnectedLine",
        "Newchannel",
        "Newexten",
        "Newstate",
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueMember",
        "QueueMemberAdded",
        "QueueMemberPause",
        "QueueMemberRemoved",
        "QueueMemberStatus",
        "QueueParams",
    )
)
_MEMBER_FIELDS = (
    "StateInterface",
    "Membership",
    "Penalty",
    "CallsTaken",
    "LastCall",
    "LastPause",
    "LoginTime",
    "InCall",
    "Status",
    "Paused",
    "PausedReason",
    "Wrapuptime",
)


def encode(headers: Iterable[tuple[str, str]]) -> bytes:
    """One AMI frame on the wire."""
    return "".join(f"{key}: {value}\r\n" for key, value in headers).encode() + b"\r\n"


def split_capture(data: bytes) -> tuple[bytes, bytes]:
    """A capture's client greeting (banner and login answer) and everything after it."""
    end = data.index(b"\r\n\r\n", len(BANNER)) + 4
    return data[:end], data[end:]


@dataclass
class PbxState:
    """What the PBX knows at the current point of a streamed capture.

    Updated from the events the server emitted or let happen (`apply`), so the resync
    answers reflect which channels are still up, who waits in which queue, members' states.
    """

    queue_params: dict[str, dict[str, str]] = field(default_factory=dict)
    members: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    channels: dict[str, dict[str, str]] = field(default_factory=dict)
    entries: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    now: float = 0.0

    def apply(self, frame: Frame) -> None:
        """Take one event into account."""
        self.now = float(frame.get("Timestamp") or self.now or time.time())
        name = frame.get("Event")
        uniqueid = frame.get("Uniqueid")
        if name == "Newchannel" and uniqueid:
            self.channels[uniqueid] = {"Created": str(self.now), "BridgeId": ""}
        channel = self.channels.get(uniqueid or "")
        if channel is not None:
            if name == "Hangup":
                del self.channels[uniqueid or ""]
                return
            channel.update((key, frame[key]) for key in _CHANNEL_FIELDS if key in frame)
            if name == "Newexten":
                channel["Application"] = frame.get("Application", "")
                channel["ApplicationData"] = frame.get("AppData", "")
            elif name == "BridgeEnter":
                channel["BridgeId"] = frame.get("BridgeUniqueid", "")
            elif name == "BridgeLeave":
                channel["BridgeId"] = ""
        queue = frame.get("Queue", "")
        if name == "QueueCallerJoin":
            self.entries.setdefault(queue, []).append({**frame, "Joined": str(self.now)})
        elif name == "QueueCallerLeave":
            waiting = self.entries.get(queue, [])
            self.entries[queue] = [e for e in waiting if e.get("Uniqueid") != uniqueid]
        elif name in ("QueueMemberStatus", "QueueMemberAdded", "QueueMemberPause"):
            self.members[(queue, frame["Interface"])] = dict(frame)
        elif name == "QueueMemberRemoved":
            self.members.pop((queue, frame["Interface"]), None)
        elif name == "QueueParams":  # a capture's own QueueStatus answer
            self.queue_params[queue] = dict(frame)
        elif name == "QueueMember":
            self.members[(queue, frame["Location"])] = {
                **frame,
                "MemberName": frame["Name"],
                "Interface": frame["Location"],
            }

    def apply_raw(self, raw: bytes) -> None:
        """Take one frame on the wire into account (a frame cut short is not an event)."""
        if not raw.endswith(b"\r\n\r\n"):
            return
        name = raw[7 : raw.find(b"\r\n")]
        if raw.startswith(b"Event: ") and name in _STATE_EVENTS:
            lines = raw[:-4].decode().split("\r\n")
            self.apply(dict(line.split(": ", 1) for line in lines if ": " in line))

    def apply_bytes(self, data: bytes) -> None:
        """Take every whole frame of `data` into account (events nobody saw)."""
        for raw in frames_with_tail(data):
            self.apply_raw(raw)

    def queue_status(self, action_id: str) -> list[bytes]:
        """The event list answering QueueStatus."""
        frames = []
        # Asterisk lists every configured queue; here, every queue the stream has named.
        for queue in sorted(self.queue_params.keys() | self._member_queues() | self.entries.keys()):
            params = self.queue_params.get(queue, {})
            waiting = self.entries.get(queue, [])
            frames.append(
                encode(
                    [
                        ("Event", "QueueParams"),
                        ("Queue", queue),
                        ("Max", params.get("Max", "0")),
                        ("Strategy", params.get("Strategy", "rrmemory")),
                        ("Calls", str(len(waiting))),
                        ("Holdtime", params.get("Holdtime", "0")),
                        ("TalkTime", params.get("TalkTime", "0")),
                        ("Completed", params.get("Completed", "0")),
                        ("Abandoned", params.get("Abandoned", "0")),
                        ("ServiceLevel", params.get("ServiceLevel", "20")),
                        ("ServicelevelPerf", params.get("ServicelevelPerf", "0.0")),
                        ("ServicelevelPerf2", params.get("ServicelevelPerf2", "0.0")),
                        ("Weight", params.get("Weight", "0")),
                        ("ActionID", action_id),
                    ]
                )
            )
            for (member_queue, interface), member in sorted(self.members.items()):
                if member_queue != queue:
                    continue
                frames.append(
                    encode(
                        [
                            ("Event", "QueueMember"),
                            ("Queue", queue),
                            ("Name", member.get("MemberName", interface)),
                            ("Location", interface),
                            *((key, member.get(key, "0")) for key in _MEMBER_FIELDS),
                            ("ActionID", action_id),
                        ]
                    )
                )
            for position, entry in enumerate(waiting, start=1):
                frames.append(
                    encode(
                        [
                            ("Event", "QueueEntry"),
                            ("Queue", queue),
                            ("Position", str(position)),
                            ("Channel", entry.get("Channel", "")),
                            ("Uniqueid", entry.get("Uniqueid", "")),
                            ("CallerIDNum", entry.get("CallerIDNum", "")),
                            ("CallerIDName", entry.get("CallerIDName", "")),
                            ("ConnectedLineNum", entry.get("ConnectedLineNum", "")),
                            ("ConnectedLineName", entry.get("ConnectedLineName", "")),
                            ("Wait", str(int(self.now - float(entry["Joined"])))),
                            ("Priority", "0"),
                            ("ActionID", action_id),
                        ]
                    )
                )
        return _list_answer(action_id, "Queue status will follow", "QueueStatusComplete", frames)

    def queue_summary(self, action_id: str) -> list[bytes]:
        """The event list answering QueueSummary."""
        frames = []
        # Asterisk lists every configured queue; here, every queue the stream has named.
        for queue in sorted(self.queue_params.keys() | self._member_queues() | self.entries.keys()):
            members = [m for (q, _), m in self.members.items() if q == queue]
            available = [m for m in members if m.get("Status") == "1" and m.get("Paused") == "0"]
            waiting = self.entries.get(queue, [])
            longest = max((self.now - float(e["Joined"]) for e in waiting), default=0.0)
            params = self.queue_params.get(queue, {})
            frames.append(
                encode(
                    [
                        ("Event", "QueueSummary"),
                        ("Queue", queue),
                        ("LoggedIn", str(len(members))),
                        ("Available", str(len(available))),
                        ("Callers", str(len(waiting))),
                        ("HoldTime", params.get("Holdtime", "0")),
                        ("TalkTime", params.get("TalkTime", "0")),
                        ("LongestHoldTime", str(int(longest))),
                        ("ActionID", action_id),
                    ]
                )
            )
        return _list_answer(action_id, "Queue summary will follow", "QueueSummaryComplete", frames)

    def core_show_channels(self, action_id: str) -> list[bytes]:
        """The event list answering CoreShowChannels: the channels still up."""
        frames = []
        for channel in self.channels.values():
            duration = int(self.now - float(channel["Created"]))
            frames.append(
                encode(
                    [
                        ("Event", "CoreShowChannel"),
                        ("ActionID", action_id),
                        *((key, channel.get(key, "")) for key in _CHANNEL_FIELDS),
                        ("BridgeId", channel.get("BridgeId", "")),
                        ("Application", channel.get("Application", "")),
                        ("ApplicationData", channel.get("ApplicationData", "")),
                        (
                            "Duration",
                            f"{duration // 3600:02d}:{duration // 60 % 60:02d}:{duration % 60:02d}",
                        ),
                    ]
                )
            )
        return _list_answer(action_id, "Channels will follow", "CoreShowChannelsComplete", frames)

    def _member_queues(self) -> set[str]:
        return {queue for queue, _ in self.members}


def _list_answer(action_id: str, message: str, complete: str, items: list[bytes]) -> list[bytes]:
    head = encode(
        [
            ("Response", "Success"),
            ("ActionID", action_id),
            ("EventList", "start"),
            ("Message", message),
        ]
    )
    tail = encode(
        [
            ("Event", complete),
            ("ActionID", action_id),
            ("EventList", "Complete"),
            ("ListItems", str(len(items))),
        ]
    )
    return [head, *items, tail]


def frames_with_tail(data: bytes) -> list[bytes]:
    """`data` cut after each frame's blank line; a trailing partial frame stays last."""
    parts = data.split(b"\r\n\r\n")
    frames = [part + b"\r\n\r\n" for part in parts[:-1]]
    if parts[-1]:
        frames.append(parts[-1])
    return frames
