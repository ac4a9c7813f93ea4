"""Connected queue calls: hold, and the hang-up of either party (or of a transferred caller)."""

from __future__ import annotations

from callcenter.calls.records import VisitOutcome
from sim.pbx.calls import Call
from sim.pbx.events import QueueCalls
from sim.pbx.signalling import AGENT


class ConnectedCalls(QueueCalls):
    """Adds what happens once an agent has answered (see `events.QueueCalls` for the rest)."""

    # -- hanging up a connected call -----------------------------------------------------

    def caller_hangs_up(self, key: object, at: float) -> None:
        """The caller ends the call (talking to an agent, waiting, or after a transfer)."""
        call = self.calls.get(key)
        if call is None or call.ended:
            return
        if call.entry is not None:
            self.caller_abandons(key, at)
        elif call.agent_channel is not None:
            self._complete(call, at, reason="caller")
        elif call.far is not None:
            self._end_with_far_party(call, at)
        else:
            self._voicemail_done(call, at)

    def agent_hangs_up(self, key: object, at: float) -> None:
        """The agent ends the call."""
        call = self.calls.get(key)
        if call is None or call.ended or call.agent_channel is None:
            return
        self._complete(call, at, reason="agent")

    def _complete(self, call: Call, at: float, *, reason: str) -> None:
        channel, member, bridge = call.agent_channel, call.agent_member, call.bridge
        assert channel is not None and member is not None and bridge is not None
        if call.held:
            self.unhold(call.key, at)
        queue = self.queues[member.queue]
        caller_gone = False
        if reason == "caller" and len(call.truth.visits) > 1:
            # After a blind transfer Asterisk reports the caller gone before AgentComplete,
            # which then carries no caller channel (see the blind_transfer capture).
            self.hangup_from_far_end(call.caller, at)
            self.bridge_leave(bridge, call.caller, at)
            self.finish_hangup(call.caller, at)
            caller_gone = True
            self._agent_complete(call, at, reason, with_caller=False)
            self.bridge_leave(bridge, channel, at)
            self.bridge_destroy(bridge, at)
            self.hangup(channel, at)
        elif reason == "caller":
            self.hangup_from_far_end(call.caller, at)
            self._agent_complete(call, at, reason)
            self.bridge_leave(bridge, call.caller, at)
            self.bridge_leave(bridge, channel, at)
            self.hangup(channel, at)
            self.bridge_destroy(bridge, at)
        else:
            self.hangup_from_far_end(channel, at)
            self._agent_complete(call, at, reason)
            self.bridge_leave(bridge, channel, at)
            self.finish_hangup(channel, at)
            self.bridge_leave(bridge, call.caller, at)
            self.bridge_destroy(bridge, at)
        member.calls_taken += 1
        self.release_device(member.device, at, completed_call=True)
        queue.record_complete(
            int(call.answered_at - (call.visit.entered_at if call.visit else at)),
            int(at - call.answered_at),
        )
        if call.visit is not None:
            self.truth.close_visit(call.visit, VisitOutcome.ANSWERED, at, hangup_by=reason)
            call.truth.talk_s += call.visit.talk_s or 0.0
        if reason == "agent":
            self.emit_channel("SoftHangupRequest", call.caller, at, ("Cause", "16"))
            self.hangup(call.caller, at, requested=False)
        elif not caller_gone:
            self.finish_hangup(call.caller, at)
        call.agent_channel = call.agent_member = call.bridge = None
        self._end(call, at)

    def _agent_complete(
        self, call: Call, at: float, reason: str, *, with_caller: bool = True
    ) -> None:
        member = call.agent_member
        assert member is not None and call.visit is not None
        hold_s = int(call.answered_at - call.visit.entered_at)
        talk_s = int(at - call.answered_at)
        block = self._agent_block(call, member)
        if not with_caller:
            block = block[len(call.caller.snapshot()) :]
        self.emit(
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

    def _end_with_far_party(self, call: Call, at: float) -> None:
        far = call.far
        assert far is not None
        bridge = call.bridge
        self.hangup_from_far_end(call.caller, at)
        if bridge is not None:
            self.bridge_leave(bridge, call.caller, at)
            self.bridge_leave(bridge, far, at)
            self.bridge_destroy(bridge, at)
        self.hangup(far, at)
        self.finish_hangup(call.caller, at)
        call.far = call.bridge = None
        self._end(call, at)

    # -- hold ----------------------------------------------------------------------------

    def hold(self, key: object, at: float) -> None:
        """The agent puts the caller on hold: Hold on the agent channel, MOH to the caller."""
        call = self.calls.get(key)
        if call is None or call.agent_channel is None or call.held:
            return
        call.held = True
        self.emit_channel("Hold", call.agent_channel, at, ("MusicClass", "default"))
        self.emit_channel("MusicOnHoldStart", call.caller, at, ("Class", "default"))
        self.truth.hold(call.truth, at)

    def unhold(self, key: object, at: float) -> None:
        """The caller comes back from hold."""
        call = self.calls.get(key)
        if call is None or call.agent_channel is None or not call.held:
            return
        call.held = False
        self.emit_channel("Unhold", call.agent_channel, at)
        self.emit_channel("MusicOnHoldStop", call.caller, at)
        self.truth.unhold(call.truth, at)
