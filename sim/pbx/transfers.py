"""Transfers of connected calls: BlindTransfer (and Redirect), Atxfer."""

from __future__ import annotations

from callcenter.calls.records import VisitOutcome
from sim.pbx.calls import Consultation, PbxCall
from sim.pbx.connected import ConnectedCalls
from sim.pbx.model import Bridge, Channel, Device, Member
from sim.pbx.signalling import CALL, Signalling
from sim.pbx.switchboard import Switchboard

ATXFER_FEATURE_CODE = "*2"
# features.conf `atxferabort`: what CancelAtxfer keys into the consulting agent's leg.
ATXFER_ABORT_CODE = "*1"


class Transfers:
    """Blind and attended transfers of connected queue calls."""

    def __init__(self, board: Switchboard, signals: Signalling, connected: ConnectedCalls) -> None:
        self.board = board
        self.signals = signals
        self.connected = connected

    # -- blind transfer ------------------------------------------------------------------

    def blind_transfer(self, key: object, exten: str, context: str, at: float) -> str:
        """The agent's side is transferred away; the caller goes to `exten@context`.

        Returns "queue" when the target is one of the PBX's queues (the caller then joins it
        via `caller_joins`), "external" for any other target of the dial plan (a party outside
        the queues who answers at once and talks until the caller hangs up), "invalid" for an
        extension the dial plan lacks (Asterisk still says `Result: Success`, then hangs the
        caller up: "sent to invalid extension but no invalid handler"), "" when there was
        nothing to transfer.
        """
        call = self.board.calls.get(key)
        if call is None:
            return ""
        channel, member, bridge = call.agent_channel, call.agent_member, call.bridge
        if channel is None or member is None or bridge is None:
            return self._direct_blind_transfer(call, exten, context, at)
        self._announce_blind(call, channel, bridge, exten, context, at)
        self.connected.agent_complete(call, at, "transfer")
        call.caller.context, call.caller.exten, call.caller.priority = context, exten, 1
        self.signals.bridge_leave(bridge, call.caller, at)
        valid = self.board.dialplan.route(context, exten) is not None
        self._finish_agent_leg(
            call,
            member,
            at,
            VisitOutcome.TRANSFERRED if valid else VisitOutcome.ANSWERED,
            f"{exten}@{context}" if valid else None,
            release=False,
        )
        # The caller is on its way first (it may already be ringing the next queue's member);
        # the transferer's leg is torn down just after, as in the blind_transfer capture.
        device, name = member.device, member.name
        self.board.later(at, lambda t: self._drop_transferer(bridge, channel, device, name, t))
        return self._caller_goes_on(call, exten, context, at)

    def _direct_blind_transfer(self, call: PbxCall, exten: str, context: str, at: float) -> str:
        """The preferred member the caller dialled itself (no queue) transfers the caller:
        the same BlindTransfer of the bridge's two channels as for a queue call, without a
        queue visit to close (Asterisk's bridge does not know how the agent was reached)."""
        direct = call.direct
        if direct is None or direct.bridge is None:
            return ""
        channel, bridge, device = direct.channel, direct.bridge, direct.device
        self._announce_blind(call, channel, bridge, exten, context, at)
        call.direct = None
        call.truth.talk_s += at - call.answered_at
        call.caller.context, call.caller.exten, call.caller.priority = context, exten, 1
        self.signals.bridge_leave(bridge, call.caller, at)
        if self.board.dialplan.route(context, exten) is not None:
            call.truth.transfer_target = call.truth.transfer_target or f"{exten}@{context}"
        name = device.agent
        self.board.later(at, lambda t: self._drop_transferer(bridge, channel, device, name, t))
        return self._caller_goes_on(call, exten, context, at)

    def _announce_blind(
        self, call: PbxCall, channel: Channel, bridge: Bridge, exten: str, context: str, at: float
    ) -> None:
        """The BlindTransfer event, after the transferer's leg comes off hold."""
        if call.held:
            self.connected.unhold(call.key, at)
        # Asterisk unholds the transferer as part of the transfer (the capture shows it).
        self.signals.emit_channel("Unhold", channel, at)
        self.signals.emit(
            "BlindTransfer",
            CALL,
            [
                ("Result", "Success"),
                *channel.snapshot("Transferer"),
                *call.caller.snapshot("Transferee"),
                *bridge.snapshot(),
                ("IsExternal", "Yes"),
                ("Context", context),
                ("Extension", exten),
            ],
            at,
        )

    def _caller_goes_on(self, call: PbxCall, exten: str, context: str, at: float) -> str:
        """The transferred caller runs `exten@context`: a queue, a party outside, or nothing."""
        destination = self.board.dialplan.route(context, exten)
        if destination is None:
            self._caller_dropped(call, at)
            return "invalid"
        if destination.kind == "queue":
            return "queue"
        far = self.board.factory.external(exten, context, at, call.caller.linkedid)
        self.signals.announce(far, at)
        self.signals.dial_begin(call.caller, far, f"{exten}@{context}", at)
        self.signals.set_state(far, 6, at)
        self.signals.dial_state(call.caller, far, "ANSWER", at)
        call.bridge = self.signals.bridge_create(at)
        self.signals.bridge_enter(call.bridge, far, at)
        self.signals.bridge_enter(call.bridge, call.caller, at)
        call.far = far
        call.truth.transfer_target = f"{exten}@{context}"
        return "external"

    def _caller_dropped(self, call: PbxCall, at: float) -> None:
        """The transferred caller reaches a missing extension: Asterisk hangs it up at once
        (the blind_transfer_invalid capture: Newexten still naming `Queue`, then Hangup)."""
        caller = call.caller
        self.signals.emit_channel(
            "Newexten",
            caller,
            at,
            ("Extension", caller.exten),
            ("Application", "Queue"),
            ("AppData", ""),
        )
        self.signals.hangup(caller, at, requested=False)
        self.board.end(call, at)

    def _drop_transferer(
        self, bridge: Bridge, channel: Channel, device: Device, agent: str, at: float
    ) -> None:
        self.signals.bridge_leave(bridge, channel, at)
        self.signals.bridge_destroy(bridge, at)
        self.signals.hangup(channel, at)
        if self.board.call_of_agent(agent) is None:
            self.signals.release_device(device, at, completed_call=True)

    def _finish_agent_leg(
        self,
        call: PbxCall,
        member: Member,
        at: float,
        outcome: VisitOutcome,
        target: str | None,
        *,
        release: bool = True,
    ) -> None:
        queue = self.board.queues[member.queue]
        entered = call.visit.entered_at if call.visit else at
        queue.record_complete(int(call.answered_at - entered), int(at - call.answered_at))
        member.calls_taken += 1
        if release:
            self.signals.release_device(member.device, at, completed_call=True)
        if call.visit is not None:
            self.board.truth.close_visit(call.visit, outcome, at, transfer_target=target)
            call.truth.talk_s += call.visit.talk_s or 0.0
        call.agent_channel = call.agent_member = call.bridge = None

    # -- attended transfer ---------------------------------------------------------------

    def attended_transfer_start(
        self, key: object, exten: str, context: str, at: float, *, answer_after_s: float = 2.0
    ) -> bool:
        """Atxfer: the caller is held while the agent consults `exten@context`."""
        call = self.board.calls.get(key)
        if (
            call is None
            or call.agent_channel is None
            or call.bridge is None
            or call.consult is not None
        ):
            return False
        agent = call.agent_channel
        for digit in ATXFER_FEATURE_CODE:
            self._dtmf(agent, digit, at)
        self.connected.hold(key, at)
        for digit in exten:
            self._dtmf(agent, digit, at)
        target = self.board.factory.external(exten, context, at, call.caller.linkedid)
        self.signals.announce(target, at)
        consult = self.signals.bridge_create(at)
        ring_leg = target.peer or target
        self.signals.set_callerid(ring_leg, call.caller.caller_num, call.caller.caller_name, at)
        self.signals.local_bridge(target, at)
        self.signals.set_state(target, 5, at)
        self.signals.emit_channel("NewConnectedLine", target, at)
        self.signals.bridge_enter(consult, target, at)
        self.signals.dial_state(None, target, "RINGING", at)
        self.signals.bridge_leave(call.bridge, agent, at)
        self.signals.bridge_enter(consult, agent, at)
        self.signals.emit_channel("NewConnectedLine", agent, at)
        call.consult = Consultation(target, consult, f"{exten}@{context}")
        self.board.later(at + answer_after_s, lambda t: self._consult_answers(call, target, t))
        return True

    def _dtmf(self, channel: Channel, digit: str, at: float) -> None:
        self.signals.emit_channel(
            "DTMFEnd", channel, at, ("Digit", digit), ("DurationMs", "0"), ("Direction", "Received")
        )

    def _consult_answers(self, call: PbxCall, target: Channel, at: float) -> None:
        if call.ended or target.name not in self.board.channels or target.state == 6:
            return
        if target.peer is not None:
            self.signals.set_state(target.peer, 6, at)
        self.signals.set_state(target, 6, at)
        self.signals.dial_state(None, target, "ANSWER", at)

    def in_consultation(self, key: object) -> bool:
        """Whether an attended transfer is waiting for the agent to complete it."""
        return self.board.consultation_target(key) is not None

    def attended_transfer_complete(self, key: object, at: float, *, caller_talk_s: float) -> None:
        """The consulting agent hangs up: the caller is joined to the transfer target."""
        call = self.board.calls[key]
        assert call.consult is not None
        target, consult, label = call.consult.target, call.consult.bridge, call.consult.label
        call.consult = None
        agent, member, bridge = call.agent_channel, call.agent_member, call.bridge
        assert agent is not None and member is not None and bridge is not None
        self.signals.hangup_from_far_end(agent, at)
        self.signals.bridge_leave(consult, agent, at)
        self.signals.emit(
            "BridgeMerge",
            CALL,
            [*bridge.snapshot("ToBridge"), *consult.snapshot("FromBridge")],
            at,
        )
        self.signals.bridge_leave(consult, target, at)
        self.signals.bridge_enter(bridge, target, at)
        self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        call.held = False
        self.board.truth.unhold(call.truth, at)
        self.signals.emit(
            "AttendedTransfer",
            CALL,
            [
                ("Result", "Success"),
                *agent.snapshot("OrigTransferer"),
                *bridge.snapshot("OrigBridge"),
                *agent.snapshot("SecondTransferer"),
                *consult.snapshot("SecondBridge"),
                *call.caller.snapshot("Transferee"),
                *target.snapshot("TransferTarget"),
                ("IsExternal", "No"),
                ("DestType", "Bridge"),
                ("DestBridgeUniqueid", bridge.uniqueid),
            ],
            at,
        )
        self.connected.agent_complete(call, at, "transfer")
        keep_bridge = bridge
        self._finish_agent_leg(call, member, at, VisitOutcome.TRANSFERRED, label)
        self.signals.bridge_destroy(consult, at)
        self.signals.emit_channel(
            "Hangup", agent, at, ("Cause", "16"), ("Cause-txt", "Normal Clearing")
        )
        self.board.channels.pop(agent.name, None)
        call.bridge, call.far = keep_bridge, target
        call.truth.transfer_target = label
        self.board.later(at + caller_talk_s, lambda t: self.connected.caller_hangs_up(call.key, t))

    def key(self, channel: Channel, digit: str, at: float) -> None:
        """A key the phone on `channel` sent (DTMFEnd, received)."""
        self._dtmf(channel, digit, at)

    def abort_consultation(self, key: object, at: float) -> None:
        """CancelAtxfer: the agent leaves the consultation for the held caller, whom the
        target's hang-up then follows (the order Asterisk 22 reports it in)."""
        call = self.board.calls.get(key)
        if call is None or call.consult is None or call.agent_channel is None:
            return
        target, consult = call.consult.target, call.consult.bridge
        call.consult = None
        agent = call.agent_channel
        for digit in ATXFER_ABORT_CODE:
            self._dtmf(agent, digit, at)
        if call.bridge is not None:
            self.signals.bridge_leave(consult, agent, at)
            self.signals.bridge_enter(call.bridge, agent, at)
        self.connected.unhold(key, at)
        self.signals.bridge_leave(consult, target, at)
        self.signals.hangup(target, at)
        self.signals.bridge_destroy(consult, at)

    def cancel_consultation(self, key: object, at: float) -> None:
        """The caller hung up while held: the consultation leg goes too."""
        call = self.board.calls.get(key)
        if call is None or call.consult is None:
            return
        target, consult = call.consult.target, call.consult.bridge
        call.consult = None
        agent = call.agent_channel
        self.signals.bridge_leave(consult, target, at)
        self.signals.hangup(target, at)
        if agent is not None and call.bridge is not None:
            self.signals.bridge_leave(consult, agent, at)
            self.signals.bridge_enter(call.bridge, agent, at)
        self.signals.bridge_destroy(consult, at)
