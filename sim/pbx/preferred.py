"""A caller's preferred member dialled before the queue: `Dial(PJSIP/1001,10)`, then `Queue()`.

What Asterisk 22 shows for docs/asterisk/extensions.conf [preferred] (`Dial(member,8,tm)` from
the caller's channel, tests/fixtures/ami/routing_preferred): the member's channel appears
(Newchannel), DialBegin (DialString without the technology), music on hold for the caller,
DialState RINGING, the phone's device state; then either DialEnd ANSWER and a bridge of the
two, or DialEnd NOANSWER and the member's channel hung up (the caller goes on to the queue), or
DialEnd CANCEL when the caller hangs up first. No queue event: the call is in no queue yet.
"""

from __future__ import annotations

from sim.pbx.calls import DirectDial, PbxCall
from sim.pbx.model import DEVICE_INUSE
from sim.pbx.signalling import Signalling
from sim.pbx.switchboard import Switchboard


class PreferredDial:
    """The Dial of a preferred member, its answer or no answer, and the end of such a call."""

    def __init__(self, board: Switchboard, signals: Signalling) -> None:
        self.board = board
        self.signals = signals

    def dial(self, key: object, agent: str, wait_s: float, at: float, queue: str) -> None:
        """Ring the member's phone for the caller (the dialplan's Dial), before `queue`."""
        call = self.board.calls.get(key)
        device = self.board.devices.get(agent)
        if call is None or device is None:
            return
        caller = call.caller
        caller.context, caller.exten, caller.priority = "preferred", queue, 5
        caller.application, caller.app_data = "Dial", f"{device.interface},{wait_s:g},tm"
        channel = self.board.factory.agent(device, at, caller.linkedid)
        call.direct = DirectDial(channel, device, at)
        number, name = caller.caller_num, caller.caller_name
        self.signals.announce(channel, at)
        self.signals.set_callerid(channel, number, name, at)
        if channel.peer is not None:
            self.signals.set_callerid(channel.peer, number, name, at)
            self.signals.set_connected(channel.peer, number, name, at)
            self.signals.local_bridge(channel, at)
        # Dial's DialString is the interface without its technology (app_queue's keeps it).
        self.signals.dial_begin(caller, channel, device.interface.split("/", 1)[-1], at)
        self.signals.emit_channel("MusicOnHoldStart", caller, at, ("Class", "default"))
        channel.connected_num, channel.connected_name = number, name
        self.signals.set_state(channel, 5, at)
        self.signals.emit_channel("NewConnectedLine", channel, at)
        self.signals.dial_state(caller, channel, "RINGING", at)
        self.signals.device_state(device, self.signals.ringing_status(), at)

    def answered(self, call: PbxCall, at: float) -> None:
        """The member picks up: DialEnd ANSWER, and the caller and member share a bridge."""
        direct = call.direct
        if direct is None or direct.bridge is not None:
            return
        channel = direct.channel
        if channel.peer is not None:
            self.signals.set_state(channel.peer, 6, at)
        self.signals.set_state(channel, 6, at)
        self.signals.dial_state(call.caller, channel, "ANSWER", at)
        self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        direct.bridge = self.signals.bridge_create(at)
        self.signals.bridge_enter(direct.bridge, channel, at)
        self.signals.bridge_enter(direct.bridge, call.caller, at)
        self.signals.device_state(direct.device, DEVICE_INUSE, at)
        call.answered_at = at
        call.truth.agent = direct.device.agent
        if call.truth.answered_at is None:
            call.truth.answered_at = at

    def not_answering(self, call: PbxCall, at: float) -> None:
        """The Dial timed out: DialEnd NOANSWER, the member's channel goes, the phone is free."""
        direct, call.direct = call.direct, None
        if direct is None:
            return
        self.signals.dial_state(call.caller, direct.channel, "NOANSWER", at)
        self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        self.signals.hangup(direct.channel, at, cause=0)
        self.signals.release_device(direct.device, at, completed_call=False)

    def end(self, call: PbxCall, at: float, *, by_agent: bool) -> None:
        """Either side hangs up (or the caller gives up while the member's phone rings)."""
        direct, call.direct = call.direct, None
        if direct is None:
            return
        channel, bridge = direct.channel, direct.bridge
        if bridge is None:
            self.signals.dial_state(call.caller, channel, "CANCEL", at)
            self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
            self.signals.hangup(channel, at, cause=0)
            self.signals.hangup_from_far_end(call.caller, at)
            self.signals.finish_hangup(call.caller, at)
        else:
            first, second = (channel, call.caller) if by_agent else (call.caller, channel)
            self.signals.hangup_from_far_end(first, at)
            self.signals.bridge_leave(bridge, first, at)
            self.signals.finish_hangup(first, at)
            self.signals.bridge_leave(bridge, second, at)
            self.signals.bridge_destroy(bridge, at)
            self.signals.hangup(second, at)
            call.truth.talk_s += at - call.answered_at
        self.signals.release_device(direct.device, at, completed_call=bridge is not None)
        self.board.end(call, at)
