"""Low-level signalling of the simulated PBX: channel, bridge and device events."""

from __future__ import annotations

from collections.abc import Callable

from sim.pbx.model import (
    DEVICE_INUSE,
    DEVICE_NOT_INUSE,
    DEVICE_RINGING,
    DEVICE_STATE_NAMES,
    Bridge,
    Channel,
    Device,
    Member,
)
from sim.pbx.render import AmiEvent, Header
from sim.pbx.switchboard import Switchboard

CALL = "call,all"
# Asterisk's ast_cause2str() for the causes the simulated PBX gives.
CAUSE_TEXT = {
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
    38: "Network out of order",
}
AGENT = "agent,all"
DTMF = "dtmf,all"


class Signalling:
    """The PBX's outbox: publishes the channel-level events every call is built from.

    Works on the switchboard's channels and phones, and stamps every event on the simulation
    clock (strictly increasing by at least a microsecond, so a client can order events that
    happen in one instant).
    """

    def __init__(self, board: Switchboard, publish: Callable[[AmiEvent], None]) -> None:
        self.board = board
        self._publish = publish
        self._last_stamp = 0.0

    # -- emission ------------------------------------------------------------------------

    def emit(self, name: str, privilege: str, headers: list[Header], at: float) -> AmiEvent:
        """Publish one event stamped at sim time `at`."""
        stamp = max(self.board.epoch(at), self._last_stamp + 1e-6)
        self._last_stamp = stamp
        event = AmiEvent(name, privilege, headers, stamp)
        self._publish(event)
        return event

    def emit_channel(self, name: str, channel: Channel, at: float, *extra: Header) -> None:
        """An event made of one channel snapshot and extra headers."""
        privilege = (
            AGENT if name.startswith("QueueCaller") else DTMF if name.startswith("DTMF") else CALL
        )
        self.emit(name, privilege, [*channel.snapshot(), *extra], at)

    # -- channels ------------------------------------------------------------------------

    def _register(self, channel: Channel) -> None:
        self.board.channels[channel.name] = channel
        if channel.peer is not None:
            self.board.channels[channel.peer.name] = channel.peer

    def announce(self, channel: Channel, at: float) -> None:
        """Newchannel for a channel (both halves of a Local pair)."""
        self._register(channel)
        self.emit_channel("Newchannel", channel, at)
        if channel.peer is not None:
            self.emit_channel("Newchannel", channel.peer, at)

    def set_callerid(self, channel: Channel, number: str, name: str, at: float) -> None:
        """NewCallerid: the channel learns who is calling."""
        channel.caller_num, channel.caller_name = number, name
        self.emit_channel(
            "NewCallerid",
            channel,
            at,
            ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"),
        )

    def set_connected(self, channel: Channel, number: str, name: str, at: float) -> None:
        """NewConnectedLine: the channel learns who is on the other end."""
        channel.connected_num, channel.connected_name = number, name
        self.emit_channel("NewConnectedLine", channel, at)

    def set_state(self, channel: Channel, state: int, at: float) -> None:
        """Newstate (4 Ring, 5 Ringing, 6 Up)."""
        channel.state = state
        self.emit_channel("Newstate", channel, at)

    def local_bridge(self, channel: Channel, at: float) -> None:
        """LocalBridge: the two halves of a Local channel pair are joined."""
        two = channel.peer
        if two is None:
            return
        headers: list[Header] = []
        for prefix, half in (("LocalOne", channel), ("LocalTwo", two)):
            headers += [(prefix + key, value) for key, value in half.snapshot()]
        headers += [("Context", channel.context), ("Exten", channel.exten)]
        headers.append(("LocalOptimization", "No"))
        self.emit("LocalBridge", CALL, headers, at)

    def dial_begin(
        self, caller: Channel | None, dest: Channel, dial_string: str, at: float
    ) -> None:
        """DialBegin (no caller block when the PBX itself originates)."""
        headers = caller.snapshot() if caller is not None else []
        self.emit(
            "DialBegin", CALL, [*headers, *dest.snapshot("Dest"), ("DialString", dial_string)], at
        )

    def dial_state(self, caller: Channel | None, dest: Channel, status: str, at: float) -> None:
        """DialState (RINGING) or DialEnd (ANSWER, NOANSWER, CANCEL)."""
        headers = caller.snapshot() if caller is not None else []
        name = "DialState" if status == "RINGING" else "DialEnd"
        self.emit(name, CALL, [*headers, *dest.snapshot("Dest"), ("DialStatus", status)], at)

    def hangup(
        self, channel: Channel, at: float, *, cause: int = 16, requested: bool = True
    ) -> None:
        """A channel goes away (a Local pair takes its `;2` half with it, as the captures show)."""
        cause_txt = CAUSE_TEXT.get(cause, "Unknown")
        two = channel.peer
        if requested:
            self.emit_channel("HangupRequest", channel, at, ("Cause", str(cause)))
        self.emit_channel("Hangup", channel, at, ("Cause", str(cause)), ("Cause-txt", cause_txt))
        self.board.channels.pop(channel.name, None)
        if two is not None and two.name in self.board.channels:
            self.emit_channel("SoftHangupRequest", two, at, ("Cause", "16"))
            self.emit_channel("Hangup", two, at, ("Cause", str(cause)), ("Cause-txt", cause_txt))
            self.board.channels.pop(two.name, None)

    def hangup_from_far_end(self, channel: Channel, at: float) -> None:
        """The party behind `channel` hung up (a customer, a phone): the far-end half goes first."""
        two = channel.peer
        if two is not None:
            self.emit_channel("SoftHangupRequest", two, at, ("Cause", "16"))
            self.emit_channel("HangupRequest", channel, at, ("Cause", "16"))
            self.emit_channel("Hangup", two, at, ("Cause", "16"), ("Cause-txt", "Normal Clearing"))
            self.board.channels.pop(two.name, None)
            channel.peer = None
        else:
            self.emit_channel("HangupRequest", channel, at, ("Cause", "16"))

    def finish_hangup(self, channel: Channel, at: float) -> None:
        """The last Hangup of a channel whose far end already went (see hangup_from_far_end)."""
        if channel.name.startswith("Local/"):
            # Only the Local ;1 half is soft-hung-up by its departing ;2 partner.
            self.emit_channel("SoftHangupRequest", channel, at, ("Cause", "16"))
        self.emit_channel("Hangup", channel, at, ("Cause", "16"), ("Cause-txt", "Normal Clearing"))
        self.board.channels.pop(channel.name, None)

    # -- bridges -------------------------------------------------------------------------

    def bridge_create(self, at: float) -> Bridge:
        """BridgeCreate."""
        bridge = Bridge(self.board.factory.bridge_id())
        self.emit("BridgeCreate", CALL, bridge.snapshot(), at)
        return bridge

    def bridge_enter(self, bridge: Bridge, channel: Channel, at: float) -> None:
        """BridgeEnter."""
        bridge.channels.append(channel)
        channel.bridge_id = bridge.uniqueid
        self.emit("BridgeEnter", CALL, [*bridge.snapshot(), *channel.snapshot()], at)

    def bridge_leave(self, bridge: Bridge, channel: Channel, at: float) -> None:
        """BridgeLeave."""
        if channel in bridge.channels:
            bridge.channels.remove(channel)
        channel.bridge_id = ""
        self.emit("BridgeLeave", CALL, [*bridge.snapshot(), *channel.snapshot()], at)

    def bridge_destroy(self, bridge: Bridge, at: float) -> None:
        """BridgeDestroy."""
        self.emit("BridgeDestroy", CALL, bridge.snapshot(), at)

    # -- devices and members -------------------------------------------------------------

    def device_state(self, device: Device, status: int, at: float) -> None:
        """A phone changes state: DeviceStateChange, then QueueMemberStatus per membership."""
        if device.status == status:
            return
        device.status = status
        state = DEVICE_STATE_NAMES.get(status, "UNKNOWN")
        self.emit(
            "DeviceStateChange", CALL, [("Device", device.state_interface), ("State", state)], at
        )
        for member in self.board.memberships(device):
            self.emit("QueueMemberStatus", AGENT, member.headers(), at)

    def ringing_status(self) -> int:
        """Local channels have no RINGING device state; a SIP phone does (status 6)."""
        return DEVICE_INUSE if self.board.local else DEVICE_RINGING

    def member_event(self, name: str, member: Member, at: float) -> None:
        """QueueMemberAdded / Removed / Pause / Penalty."""
        self.emit(name, AGENT, member.headers(), at)

    def release_device(self, device: Device, at: float, *, completed_call: bool) -> None:
        """The agent's phone is free again; a finished queue call bumps CallsTaken/LastCall."""
        for member in self.board.memberships(device):
            member.in_call = False
        if completed_call:
            now = int(self.board.epoch(at))
            for member in self.board.memberships(device):
                member.last_call = now
        self.device_state(device, DEVICE_NOT_INUSE, at)
