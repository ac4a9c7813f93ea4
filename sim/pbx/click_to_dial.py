"""Click-to-dial: an agent's phone rings, then the dialled customer's (AMI Originate)."""

from __future__ import annotations

from callcenter.calls.records import Direction
from sim.pbx.calls import Outbound, PbxCall
from sim.pbx.model import DEVICE_INUSE, Device
from sim.pbx.render import Header
from sim.pbx.signalling import CALL, Signalling
from sim.pbx.switchboard import Switchboard
from sim.pbx.truth import CallDraft


class ClickToDial:
    """Outbound calls an agent's console starts, and their end."""

    def __init__(self, board: Switchboard, signals: Signalling) -> None:
        self.board = board
        self.signals = signals

    # -- click-to-dial -------------------------------------------------------------------

    def originate(
        self,
        key: object,
        device: Device,
        number: str,
        caller_id: tuple[str, str],
        at: float,
        *,
        context: str,
        action_id: str | None,
        ring_s: float,
    ) -> PbxCall:
        """Originate from an agent's interface: their phone rings, then the customer's."""
        agent = self.board.factory.agent(device, at, None)
        cid_num, cid_name = caller_id
        draft = CallDraft(
            linkedid=agent.linkedid,
            direction=Direction.OUTBOUND,
            started_at=at,
            caller_number=cid_num or device.exten,
            caller_name=cid_name or None,
            dialed_number=number,
            agent=device.agent,
        )
        call = PbxCall(key=key, caller=agent, truth=draft)
        call.outbound = Outbound(device, number, context, action_id)
        self.board.calls[key] = call
        self.signals.announce(agent, at)
        legs = [agent] if agent.peer is None else [agent, agent.peer]
        for leg in legs:
            self.signals.set_callerid(leg, cid_num, cid_name, at)
            self.signals.set_connected(leg, cid_num, cid_name, at)
        self.signals.local_bridge(agent, at)
        self.signals.dial_begin(None, agent, device.interface, at)
        self.signals.set_state(agent, 5, at)
        self.signals.device_state(device, self.signals.ringing_status(), at)
        self.signals.dial_state(None, agent, "RINGING", at)
        self.board.later(at + ring_s, lambda t: self._outbound_agent_answers(call, t))
        return call

    def _outbound_agent_answers(self, call: PbxCall, at: float) -> None:
        if call.ended:
            return
        agent, outbound = call.caller, call.outbound
        assert outbound is not None
        device, number, context = outbound.device, outbound.number, outbound.context
        if agent.peer is not None:
            self.signals.set_state(agent.peer, 6, at)
        self.signals.set_state(agent, 6, at)
        self.signals.dial_state(None, agent, "ANSWER", at)
        self.signals.device_state(device, DEVICE_INUSE, at)
        agent.context, agent.exten, agent.priority = context, number, 2
        far = self.board.factory.external(
            number, "pstn" if self.board.local else context, at, agent.linkedid
        )
        self.signals.announce(far, at)
        self.signals.set_callerid(far, number, agent.caller_name, at)
        self.signals.set_connected(far, agent.caller_num, agent.caller_name, at)
        self.signals.local_bridge(far, at)
        self.signals.dial_begin(
            agent, far, f"{number}@pstn/n" if self.board.local else f"PJSIP/{number}@trunk", at
        )
        self.signals.set_state(far, 5, at)
        action_id = outbound.action_id
        headers: list[Header] = [("ActionID", str(action_id))] if action_id is not None else []
        headers += [
            ("Response", "Success"),
            ("Channel", agent.name),
            ("Context", context),
            ("Exten", number),
            ("Reason", "4"),
            ("Uniqueid", agent.uniqueid),
            ("CallerIDNum", agent.caller_num),
            ("CallerIDName", agent.caller_name),
        ]
        self.signals.emit("OriginateResponse", CALL, headers, at)
        self.signals.dial_state(agent, far, "RINGING", at)
        call.far = far

    def outbound_answered(self, key: object, at: float) -> None:
        """The dialled customer answers: the agent and the customer are bridged."""
        call = self.board.calls.get(key)
        far = call.far if call is not None else None
        if call is None or call.ended or far is None:
            return
        self.signals.set_state(far, 6, at)
        if far.peer is not None:
            self.signals.set_state(far.peer, 6, at)
        self.signals.dial_state(call.caller, far, "ANSWER", at)
        call.bridge = self.signals.bridge_create(at)
        self.signals.bridge_enter(call.bridge, far, at)
        self.signals.bridge_enter(call.bridge, call.caller, at)
        call.answered_at = at
        call.truth.answered_at = at

    def end_outbound(self, key: object, at: float, *, by_agent: bool) -> None:
        """Either side of a click-to-dial call hangs up."""
        call = self.board.calls.get(key)
        if call is None or call.ended:
            return
        agent, far, bridge = call.caller, call.far, call.bridge
        assert call.outbound is not None
        device = call.outbound.device
        if far is not None:
            first, second = (agent, far) if by_agent else (far, agent)
            self.signals.hangup_from_far_end(first, at)
            if bridge is not None:
                self.signals.bridge_leave(bridge, first, at)
            self.signals.finish_hangup(first, at)
            if bridge is not None:
                self.signals.bridge_leave(bridge, second, at)
                self.signals.bridge_destroy(bridge, at)
            self.signals.hangup(second, at)
        else:
            self.signals.dial_state(None, agent, "CANCEL", at)
            self.signals.hangup(agent, at)
        self.signals.release_device(device, at, completed_call=False)
        if call.truth.answered_at is not None:
            call.truth.talk_s = at - call.truth.answered_at
        call.far = call.bridge = None
        self.board.end(call, at)
