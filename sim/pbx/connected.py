"""Connected queue calls: hold, and the hang-up of either party (or of a transferred caller)."""

from __future__ import annotations

from callcenter.calls.records import VisitOutcome
from sim.pbx.calls import PbxCall
from sim.pbx.queue_calls import QueueCalls
from sim.pbx.signalling import AGENT, Signalling
from sim.pbx.switchboard import Switchboard


class ConnectedCalls:
    """What happens once an agent has answered: hold, and either party hanging up."""

    def __init__(self, board: Switchboard, signals: Signalling, queue_calls: QueueCalls) -> None:
        self.board = board
        self.signals = signals
        self.queue_calls = queue_calls

    # -- hanging up a connected call -----------------------------------------------------

    def caller_hangs_up(self, key: object, at: float) -> None:
        """The caller ends the call (talking to an agent, waiting, or after a transfer)."""
        call = self.board.calls.get(key)
        if call is None or call.ended:
            return
        if call.entry is not None:
            self.queue_calls.caller_abandons(key, at)
        elif call.agent_channel is not None:
            self._complete(call, at, reason="caller")
        elif call.far is not None:
            self._end_with_far_party(call, at)
        else:
            self.queue_calls.voicemail_done(call, at)

    def agent_hangs_up(self, key: object, at: float) -> None:
        """The agent ends the call."""
        call = self.board.calls.get(key)
        if call is None or call.ended or call.agent_channel is None:
            return
        self._complete(call, at, reason="agent")

    def _complete(self, call: PbxCall, at: float, *, reason: str) -> None:
        channel, member, bridge = call.agent_channel, call.agent_member, call.bridge
        assert channel is not None and member is not None and bridge is not None
        if call.held:
            self.unhold(call.key, at)
        queue = self.board.queues[member.queue]
        caller_gone = False
        if reason == "caller" and len(call.truth.visits) > 1:
            # After a blind transfer Asterisk reports the caller gone before AgentComplete,
            # which then carries no caller channel (see the blind_transfer capture).
            self.signals.hangup_from_far_end(call.caller, at)
            self.signals.bridge_leave(bridge, call.caller, at)
            self.signals.finish_hangup(call.caller, at)
            caller_gone = True
            self.agent_complete(call, at, reason, with_caller=False)
            self.signals.bridge_leave(bridge, channel, at)
            self.signals.bridge_destroy(bridge, at)
            self.signals.hangup(channel, at)
        elif reason == "caller":
            self.signals.hangup_from_far_end(call.caller, at)
            self.agent_complete(call, at, reason)
            self.signals.bridge_leave(bridge, call.caller, at)
            self.signals.bridge_leave(bridge, channel, at)
            self.signals.hangup(channel, at)
            self.signals.bridge_destroy(bridge, at)
        else:
            self.signals.hangup_from_far_end(channel, at)
            self.agent_complete(call, at, reason)
            self.signals.bridge_leave(bridge, channel, at)
            self.signals.finish_hangup(channel, at)
            self.signals.bridge_leave(bridge, call.caller, at)
            self.signals.bridge_destroy(bridge, at)
        member.calls_taken += 1
        self.signals.release_device(member.device, at, completed_call=True)
        queue.record_complete(
            int(call.answered_at - (call.visit.entered_at if call.visit else at)),
            int(at - call.answered_at),
        )
        if call.visit is not None:
            self.board.truth.close_visit(call.visit, VisitOutcome.ANSWERED, at, hangup_by=reason)
            call.truth.talk_s += call.visit.talk_s or 0.0
        if reason == "agent":
            self.signals.emit_channel("SoftHangupRequest", call.caller, at, ("Cause", "16"))
            self.signals.hangup(call.caller, at, requested=False)
        elif not caller_gone:
            self.signals.finish_hangup(call.caller, at)
        call.agent_channel = call.agent_member = call.bridge = None
        self.board.end(call, at)

    def agent_complete(
        self, call: PbxCall, at: float, reason: str, *, with_caller: bool = True
    ) -> None:
        member = call.agent_member
        assert member is not None and call.visit is not None
        hold_s = int(call.answered_at - call.visit.entered_at)
        talk_s = int(at - call.answered_at)
        block = self.queue_calls.agent_block(call, member)
        if not with_caller:
            block = block[len(call.caller.snapshot()) :]
        self.signals.emit(
            "AgentComplete",
            AGENT,
            [
                *block,
                ("HoldTime", str(hold_s)),
                ("TalkTime", str(talk_s)),
                ("Reason", reason),
            ],
            at,
        )

    def _end_with_far_party(self, call: PbxCall, at: float) -> None:
        far = call.far
        assert far is not None
        bridge = call.bridge
        self.signals.hangup_from_far_end(call.caller, at)
        if bridge is not None:
            self.signals.bridge_leave(bridge, call.caller, at)
            self.signals.bridge_leave(bridge, far, at)
            self.signals.bridge_destroy(bridge, at)
        self.signals.hangup(far, at)
        self.signals.finish_hangup(call.caller, at)
        call.far = call.bridge = None
        self.board.end(call, at)

    # -- hold ----------------------------------------------------------------------------

    def hold(self, key: object, at: float) -> None:
        """The agent puts the caller on hold: Hold on the agent channel, MOH to the caller."""
        call = self.board.calls.get(key)
        agent = call.agent_leg() if call is not None else None
        if call is None or agent is None or call.held:
            return
        call.held = True
        self.signals.emit_channel("Hold", agent, at, ("MusicClass", "default"))
        self.signals.emit_channel("MusicOnHoldStart", call.caller, at, ("Class", "default"))
        self.board.truth.hold(call.truth, at)

    def unhold(self, key: object, at: float) -> None:
        """The caller comes back from hold."""
        call = self.board.calls.get(key)
        agent = call.agent_leg() if call is not None else None
        if call is None or agent is None or not call.held:
            return
        call.held = False
        self.signals.emit_channel("Unhold", agent, at)
        self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        self.board.truth.unhold(call.truth, at)
