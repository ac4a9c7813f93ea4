"""What the simulated PBX holds in memory: channels, bridges, queue members and queue counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.pbx.render import CHANNEL_STATE_DESC, Header

UNKNOWN = "<unknown>"

# app_queue member status values (AST_DEVICE_*), as QueueMemberStatus reports them.
DEVICE_NOT_INUSE = 1
DEVICE_INUSE = 2
DEVICE_UNAVAILABLE = 5
DEVICE_RINGING = 6

DEVICE_STATE_NAMES = {
    DEVICE_NOT_INUSE: "NOT_INUSE",
    DEVICE_INUSE: "INUSE",
    DEVICE_UNAVAILABLE: "UNAVAILABLE",
    DEVICE_RINGING: "RINGING",
}


@dataclass(eq=False, slots=True)
class Channel:
    """One Asterisk channel and the snapshot fields every channel event repeats."""

    name: str
    uniqueid: str
    linkedid: str
    created_at: float
    state: int = 0
    caller_num: str = UNKNOWN
    caller_name: str = UNKNOWN
    connected_num: str = UNKNOWN
    connected_name: str = UNKNOWN
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    # The `;2` half of a Local channel pair (None for PJSIP channels).
    peer: Channel | None = None
    # Channel variables (an Originate's `Variable:` list, what the dialplan sets): Getvar.
    variables: dict[str, str] = field(default_factory=dict)

    def snapshot(self, prefix: str = "") -> list[Header]:
        """The channel snapshot block (`Channel`, `ChannelState`, ... `Linkedid`)."""
        return [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(self.state)),
            (f"{prefix}ChannelStateDesc", CHANNEL_STATE_DESC.get(self.state, "Unknown")),
            (f"{prefix}CallerIDNum", self.caller_num),
            (f"{prefix}CallerIDName", self.caller_name),
            (f"{prefix}ConnectedLineNum", self.connected_num),
            (f"{prefix}ConnectedLineName", self.connected_name),
            (f"{prefix}Language", "en"),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", str(self.priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]


@dataclass(eq=False, slots=True)
class Bridge:
    """A basic two-party bridge (app_queue's, or an attended transfer's consultation)."""

    uniqueid: str
    channels: list[Channel] = field(default_factory=list)

    def snapshot(self, prefix: str = "Bridge") -> list[Header]:
        """The bridge snapshot block."""
        # The merge/transfer events spell the fields `<Prefix>BridgeUniqueid` etc.
        p = "" if prefix == "Bridge" else prefix
        return [
            (f"{p}BridgeUniqueid", self.uniqueid),
            (f"{p}BridgeType", "basic"),
            (f"{p}BridgeTechnology", "simple_bridge"),
            (f"{p}BridgeCreator", UNKNOWN),
            (f"{p}BridgeName", UNKNOWN),
            (f"{p}BridgeNumChannels", str(len(self.channels))),
            (f"{p}BridgeVideoSourceMode", "none"),
        ]


@dataclass(eq=False, slots=True)
class Device:
    """An agent's phone: one device state shared by all of the agent's queue memberships."""

    agent: str
    exten: str
    interface: str
    state_interface: str
    status: int = DEVICE_NOT_INUSE


@dataclass(eq=False, slots=True)
class Member:
    """One agent in one queue, with the fields app_queue reports for it."""

    queue: str
    name: str
    device: Device
    dynamic: bool
    login_time: int
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    in_call: bool = False
    paused: bool = False
    paused_reason: str = ""
    wrapup_s: int = 0
    # QueueAdd's StateInterface; without one Asterisk watches the interface itself.
    state_interface: str | None = None

    @property
    def watched(self) -> str:
        """The device state app_queue follows for this member."""
        return self.state_interface or self.device.state_interface

    def headers(self) -> list[Header]:
        """The block of QueueMemberStatus / Pause / Added / Removed / Penalty."""
        return [
            ("Queue", self.queue),
            ("MemberName", self.name),
            ("Interface", self.device.interface),
            ("StateInterface", self.watched),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(self.device.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", str(self.wrapup_s)),
        ]

    def list_headers(self) -> list[Header]:
        """The QueueMember item of a QueueStatus reply (its own field names and order)."""
        return [
            ("Queue", self.queue),
            ("Name", self.name),
            ("Location", self.device.interface),
            ("StateInterface", self.watched),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(self.device.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
            ("Wrapuptime", str(self.wrapup_s)),
        ]


@dataclass(eq=False, slots=True)
class QueueEntry:
    """A caller waiting in a queue."""

    channel: Channel
    entered_at: float
    original_position: int


@dataclass(slots=True)
class PbxQueue:
    """One queue: its waiting callers, members and app_queue's own counters."""

    name: str
    strategy: str
    service_level_s: int
    wrapup_s: int
    entries: list[QueueEntry] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    completed: int = 0
    abandoned: int = 0
    completed_in_sl: int = 0
    abandoned_in_sl: int = 0
    # app_queue's exponential running averages: new = (3 * old + x) / 4.
    holdtime: int = 0
    talktime: int = 0

    def position_of(self, entry: QueueEntry | None) -> int:
        """1-based position of a waiting caller, 0 when not waiting here."""
        if entry is None:
            return 0
        try:
            return self.entries.index(entry) + 1
        except ValueError:
            return 0

    def record_connect(self, hold_s: int) -> None:
        """A caller was answered: holdtime average moves."""
        self.holdtime = (3 * self.holdtime + hold_s) >> 2

    def record_complete(self, hold_s: int, talk_s: int) -> None:
        """An answered call finished (or was transferred): Completed and TalkTime move."""
        self.completed += 1
        if hold_s <= self.service_level_s:
            self.completed_in_sl += 1
        self.talktime = (3 * self.talktime + talk_s) >> 2

    def record_abandon(self, hold_s: int) -> None:
        """A caller hung up or timed out: Abandoned moves."""
        self.abandoned += 1
        if hold_s <= self.service_level_s:
            self.abandoned_in_sl += 1

    def params_headers(self) -> list[Header]:
        """The QueueParams item of a QueueStatus reply."""
        perf = 100.0 * self.completed_in_sl / self.completed if self.completed else 0.0
        both = self.completed + self.abandoned
        perf2 = 100.0 * (self.completed_in_sl + self.abandoned_in_sl) / both if both else 0.0
        return [
            ("Queue", self.name),
            ("Max", "0"),
            ("Strategy", self.strategy),
            ("Calls", str(len(self.entries))),
            ("Holdtime", str(self.holdtime)),
            ("TalkTime", str(self.talktime)),
            ("Completed", str(self.completed)),
            ("Abandoned", str(self.abandoned)),
            ("ServiceLevel", str(self.service_level_s)),
            ("ServicelevelPerf", f"{perf:.1f}"),
            ("ServicelevelPerf2", f"{perf2:.1f}"),
            ("Weight", "0"),
        ]
