"""The switchboard: everything the simulated PBX can be asked to do, one AMI-accurate sequence
each (queue calls, transfers, click-to-dial, member administration)."""

from __future__ import annotations

from callcenter.calls.records import Direction
from sim.pbx.calls import Call, Outbound
from sim.pbx.features import Transfers
from sim.pbx.model import DEVICE_INUSE, Device, Member
from sim.pbx.render import Header
from sim.pbx.signalling import CALL
from sim.pbx.truth import CallDraft


class Switchboard(Transfers):
    """Adds click-to-dial and queue-member administration to calls and transfers."""

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
    ) -> Call:
        """Originate from an agent's interface: their phone rings, then the customer's."""
        agent = self.factory.agent(device, at, None)
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
        call = Call(key=key, caller=agent, truth=draft)
        call.outbound = Outbound(device, number, context, action_id)
        self.calls[key] = call
        self.announce(agent, at)
        legs = [agent] if agent.peer is None else [agent, agent.peer]
        for leg in legs:
            self.set_callerid(leg, cid_num, cid_name, at)
            self.set_connected(leg, cid_num, cid_name, at)
        self.local_bridge(agent, at)
        self.dial_begin(None, agent, device.interface, at)
        self.set_state(agent, 5, at)
        self.device_state(device, self.ringing_status(), at)
        self.dial_state(None, agent, "RINGING", at)
        self.later(at + ring_s, lambda t: self._outbound_agent_answers(call, t))
        return call

    def _outbound_agent_answers(self, call: Call, at: float) -> None:
        if call.ended:
            return
        agent, outbound = call.caller, call.outbound
        assert outbound is not None
        device, number, context = outbound.device, outbound.number, outbound.context
        if agent.peer is not None:
            self.set_state(agent.peer, 6, at)
        self.set_state(agent, 6, at)
        self.dial_state(None, agent, "ANSWER", at)
        self.device_state(device, DEVICE_INUSE, at)
        agent.context, agent.exten, agent.priority = context, number, 2
        far = self.factory.external(number, "pstn" if self.local else context, at, agent.linkedid)
        self.announce(far, at)
        self.set_callerid(far, number, agent.caller_name, at)
        self.set_connected(far, agent.caller_num, agent.caller_name, at)
        self.local_bridge(far, at)
        self.dial_begin(
            agent, far, f"{number}@pstn/n" if self.local else f"PJSIP/{number}@trunk", at
        )
        self.set_state(far, 5, at)
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
        self.emit("OriginateResponse", CALL, headers, at)
        self.dial_state(agent, far, "RINGING", at)
        call.far = far

    def outbound_answered(self, key: object, at: float) -> None:
        """The dialled customer answers: the agent and the customer are bridged."""
        call = self.calls.get(key)
        far = call.far if call is not None else None
        if call is None or call.ended or far is None:
            return
        self.set_state(far, 6, at)
        if far.peer is not None:
            self.set_state(far.peer, 6, at)
        self.dial_state(call.caller, far, "ANSWER", at)
        call.bridge = self.bridge_create(at)
        self.bridge_enter(call.bridge, far, at)
        self.bridge_enter(call.bridge, call.caller, at)
        call.answered_at = at
        call.truth.answered_at = at

    def end_outbound(self, key: object, at: float, *, by_agent: bool) -> None:
        """Either side of a click-to-dial call hangs up."""
        call = self.calls.get(key)
        if call is None or call.ended:
            return
        agent, far, bridge = call.caller, call.far, call.bridge
        assert call.outbound is not None
        device = call.outbound.device
        if far is not None:
            first, second = (agent, far) if by_agent else (far, agent)
            self.hangup_from_far_end(first, at)
            if bridge is not None:
                self.bridge_leave(bridge, first, at)
            self.finish_hangup(first, at)
            if bridge is not None:
                self.bridge_leave(bridge, second, at)
                self.bridge_destroy(bridge, at)
            self.hangup(second, at)
        else:
            self.dial_state(None, agent, "CANCEL", at)
            self.hangup(agent, at)
        self.release_device(device, at, completed_call=False)
        if call.truth.answered_at is not None:
            call.truth.talk_s = at - call.truth.answered_at
        call.far = call.bridge = None
        self._end(call, at)

    # -- members -------------------------------------------------------------------------

    def add_member(
        self,
        queue: str,
        device: Device,
        name: str,
        at: float,
        *,
        penalty: int = 0,
        paused: bool = False,
        reason: str = "",
        dynamic: bool = True,
        announce: bool = True,
    ) -> Member:
        """QueueAdd; members present when the PBX starts are added with `announce=False`."""
        now = int(self.epoch(at))
        member = Member(
            queue=queue,
            name=name,
            device=device,
            dynamic=dynamic,
            login_time=now,
            penalty=penalty,
            paused=paused,
            paused_reason=reason if paused else "",
            last_pause=now if paused else 0,
            wrapup_s=self.queues[queue].wrapup_s,
        )
        self.queues[queue].members[device.agent] = member
        if announce:
            self.member_event("QueueMemberAdded", member, at)
        return member

    def remove_member(self, queue: str, agent: str, at: float) -> Member | None:
        """QueueRemove."""
        member = self.queues[queue].members.pop(agent, None)
        if member is not None:
            self.member_event("QueueMemberRemoved", member, at)
        return member

    def set_paused(
        self, agent: str, queue: str | None, paused: bool, reason: str, at: float
    ) -> int:
        """QueuePause in one queue or all: returns how many memberships it touched."""
        touched = 0
        for q in self.queues.values():
            member = q.members.get(agent)
            if member is None or (queue is not None and q.name != queue):
                continue
            touched += 1
            if member.paused == paused and (not paused or member.paused_reason == reason):
                continue
            member.paused = paused
            member.paused_reason = reason if paused else ""
            if paused:
                member.last_pause = int(self.epoch(at))
            self.member_event("QueueMemberPause", member, at)
        return touched

    def set_penalty(self, agent: str, queue: str | None, penalty: int, at: float) -> int:
        """QueuePenalty."""
        touched = 0
        for q in self.queues.values():
            member = q.members.get(agent)
            if member is None or (queue is not None and q.name != queue):
                continue
            member.penalty = penalty
            touched += 1
            self.member_event("QueueMemberPenalty", member, at)
        return touched
