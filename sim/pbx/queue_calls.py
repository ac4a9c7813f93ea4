"""Queue calls as Asterisk 22 reports them: join, ring, answer, abandon, timeout, hang-up.

Each method turns one simulation happening into the AMI event sequence the captures in
tests/fixtures/ami/ show for it (answered, agent_hangup, abandon, ring_no_answer,
queue_timeout), in production naming (a trunk channel for the caller, a PJSIP channel per agent
ring, QueueMemberStatus 6 while the phone rings) or, with `local_channels`, in the capture PBX's
Local-channel naming (`;1`/`;2` pairs, LocalBridge, no RINGING device state).
"""

from __future__ import annotations

from collections.abc import Callable

from callcenter.calls.records import Direction, VisitOutcome
from sim.pbx.calls import PbxCall, Ring
from sim.pbx.model import DEVICE_INUSE, Channel, Member, QueueEntry
from sim.pbx.signalling import AGENT, Signalling
from sim.pbx.switchboard import Switchboard
from sim.pbx.truth import CallDraft, VisitDraft


class QueueCalls:
    """Callers through the queues: arrival, join, ring, answer, abandon, timeout, voicemail."""

    def __init__(self, board: Switchboard, signals: Signalling) -> None:
        self.board = board
        self.signals = signals

    # -- arrival -------------------------------------------------------------------------

    def call_arrives(
        self,
        key: object,
        queue: str,
        number: str,
        name: str,
        at: float,
        *,
        originated: tuple[str, str | None] | None = None,
        context: str = "queues",
    ) -> PbxCall:
        """A caller's channel appears and is answered by the dialplan.

        `originated` = (queue, ActionID) when an AMI Originate sent the caller in: its
        OriginateResponse follows once the channel is up, as in the captures. `context` is
        where the dialplan takes the caller (`from-trunk` for a DID).
        """
        channel = self.board.factory.caller(number, at, queue)
        if not self.board.local:
            channel.context = context
        draft = CallDraft(
            linkedid=channel.linkedid,
            direction=Direction.INBOUND,
            started_at=at,
            caller_number=number,
            caller_name=name or None,
            dialed_number=queue,
        )
        call = PbxCall(key=key, caller=channel, truth=draft)
        self.board.calls[key] = call
        if self.board.local:
            self._local_caller_setup(channel, number, name, at)
        else:
            channel.caller_num, channel.caller_name = number, name or number
            channel.connected_num, channel.connected_name = number, name or number
            self.signals.announce(channel, at)
            channel.priority = 2
            self.signals.set_state(channel, 6, at)
        if originated is not None:
            target, action_id = originated
            headers = [("ActionID", action_id)] if action_id is not None else []
            headers += [
                ("Response", "Success"),
                ("Channel", channel.name),
                ("Context", context),
                ("Exten", target),
                ("Reason", "4"),
                ("Uniqueid", channel.uniqueid),
                ("CallerIDNum", channel.caller_num),
                ("CallerIDName", channel.caller_name),
            ]
            self.signals.emit("OriginateResponse", "call,all", headers, at)
        return call

    def _local_caller_setup(self, channel: Channel, number: str, name: str, at: float) -> None:
        # The capture PBX originates every caller as Local/<number>@customer/n.
        two = channel.peer
        assert two is not None
        self.signals.announce(channel, at)
        self.signals.set_callerid(channel, number, name, at)
        self.signals.set_connected(channel, number, name, at)
        self.signals.set_callerid(two, number, name, at)
        self.signals.set_connected(two, number, name, at)
        self.signals.local_bridge(channel, at)
        self.signals.dial_begin(None, channel, f"{number}@customer/n", at)
        two.priority = 2
        self.signals.set_state(two, 6, at)
        self.signals.set_state(channel, 6, at)
        self.signals.dial_state(None, channel, "ANSWER", at)

    def caller_joins(
        self, key: object, queue_name: str, at: float, position: int | None = None
    ) -> None:
        """QueueCallerJoin (first visit, or after a blind transfer into another queue).

        `position` is where app_queue puts the caller (ahead of lower priorities); the end of
        the queue when not given.
        """
        call = self.board.calls[key]
        queue = self.board.queues[queue_name]
        end = len(queue.entries) + 1
        position = end if position is None else max(1, min(position, end))
        call.entry = QueueEntry(call.caller, at, position)
        queue.entries.insert(position - 1, call.entry)
        call.queue = queue_name
        if call.campaign is None:
            call.caller.context, call.caller.exten, call.caller.priority = "queues", queue_name, 4
            call.caller.application, call.caller.app_data = "Queue", f"{queue_name},t,,,"
        call.visit = VisitDraft(queue_name, call.caller.uniqueid, at, position)
        call.truth.visits.append(call.visit)
        self.signals.emit_channel(
            "QueueCallerJoin",
            call.caller,
            at,
            ("Queue", queue_name),
            ("Position", str(position)),
            ("Count", str(len(queue.entries))),
        )
        if call.campaign is None:  # a campaign's customer is rung at once, hears no music
            self.signals.emit_channel("MusicOnHoldStart", call.caller, at, ("Class", "default"))

    def _leave_queue(self, call: PbxCall, at: float) -> int:
        queue = self.board.queues[call.queue or ""]
        position = queue.position_of(call.entry)
        if call.entry in queue.entries:
            queue.entries.remove(call.entry)
        call.entry = None
        self.signals.emit_channel(
            "QueueCallerLeave",
            call.caller,
            at,
            ("Queue", queue.name),
            ("Position", str(position)),
            ("Count", str(len(queue.entries))),
        )
        return position

    # -- ringing -------------------------------------------------------------------------

    def agent_block(
        self, call: PbxCall, member: Member, channel: Channel | None = None
    ) -> list[tuple[str, str]]:
        channel = channel or call.agent_channel
        assert channel is not None
        return [
            *call.caller.snapshot(),
            *channel.snapshot("Dest"),
            ("Queue", member.queue),
            ("Interface", member.device.interface),
            ("MemberName", member.name),
        ]

    def ring_agent(self, key: object, agent: str, at: float) -> None:
        """AgentCalled: the queue rings one member's phone for this caller."""
        call = self.board.calls[key]
        queue = self.board.queues[call.queue or ""]
        member = queue.members[agent]
        device = member.device
        channel = self.board.factory.agent(device, at, call.caller.linkedid)
        call.rings[agent] = Ring(channel, member, at)
        number, name = call.caller.caller_num, call.caller.caller_name
        self.signals.announce(channel, at)
        self.signals.set_callerid(channel, number, name, at)
        if channel.peer is not None:
            self.signals.set_callerid(channel.peer, number, name, at)
            self.signals.set_connected(channel.peer, number, name, at)
            self.signals.local_bridge(channel, at)
        channel.exten = queue.name
        self.signals.emit("AgentCalled", AGENT, self.agent_block(call, member, channel), at)
        dial_string = device.interface
        self.signals.dial_begin(call.caller, channel, dial_string, at)
        channel.connected_num, channel.connected_name = number, name
        self.signals.set_state(channel, 5, at)
        self.signals.emit_channel("NewConnectedLine", channel, at)
        self.signals.dial_state(call.caller, channel, "RINGING", at)
        self.signals.device_state(device, self.signals.ringing_status(), at)

    def drop_ring(self, key: object, agent: str, at: float, *, no_answer: bool = False) -> None:
        """Stop ringing one member (DialEnd, the ring channel hangs up, the phone is free)."""
        call = self.board.calls.get(key)
        ring = call.rings.pop(agent, None) if call is not None else None
        if call is None or ring is None:
            return
        if no_answer:
            self.signals.dial_state(call.caller, ring.channel, "NOANSWER", at)
        self.signals.dial_state(call.caller, ring.channel, "CANCEL", at)
        self.signals.hangup(ring.channel, at, cause=0)
        self.signals.release_device(ring.member.device, at, completed_call=False)

    def _drop_rings(self, call: PbxCall, at: float) -> None:
        for agent in list(call.rings):
            self.drop_ring(call.key, agent, at)

    def ring_no_answer(self, key: object, agent: str, at: float) -> None:
        """AgentRingNoAnswer: the member's ring timed out (RingTime in milliseconds)."""
        call = self.board.calls.get(key)
        ring = call.rings.get(agent) if call is not None else None
        if call is None or ring is None:
            return
        ring_ms = round((at - ring.started_at) * 1000)
        block = self.agent_block(call, ring.member, ring.channel)
        self.signals.emit("AgentRingNoAnswer", AGENT, [*block, ("RingTime", str(ring_ms))], at)
        if call.visit is not None:
            call.visit.ring_no_answer += 1
        self.drop_ring(key, agent, at, no_answer=True)

    # -- answer --------------------------------------------------------------------------

    def agent_answers(self, key: object, agent: str, at: float) -> None:
        """The ringing member answers: DialEnd, QueueCallerLeave, AgentConnect, the bridge."""
        call = self.board.calls.get(key)
        ring = call.rings.pop(agent, None) if call is not None else None
        if call is None or ring is None or call.visit is None or call.entry is None:
            return
        channel, member = ring.channel, ring.member
        queue = self.board.queues[member.queue]
        if channel.peer is not None:
            channel.peer.priority = 8
            self.signals.set_state(channel.peer, 6, at)
        self.signals.set_state(channel, 6, at)
        self.signals.dial_state(call.caller, channel, "ANSWER", at)
        if call.campaign is None:
            self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        hold_s = int(at - call.entry.entered_at)
        self._leave_queue(call, at)
        ring_s = int(at - ring.started_at)
        call.agent_channel, call.agent_member = channel, member
        call.answered_at = at
        member.in_call = True
        queue.record_connect(hold_s)
        self.signals.emit(
            "AgentConnect",
            AGENT,
            [
                *self.agent_block(call, member),
                ("HoldTime", str(hold_s)),
                ("RingTime", str(ring_s)),
            ],
            at,
        )
        call.bridge = self.signals.bridge_create(at)
        self.signals.bridge_enter(call.bridge, channel, at)
        self.signals.bridge_enter(call.bridge, call.caller, at)
        self.signals.device_state(member.device, DEVICE_INUSE, at)
        visit = call.visit
        visit.agent, visit.answered_at = member.name, at
        visit.wait_s, visit.ring_s = at - visit.entered_at, at - ring.started_at
        call.truth.agent = member.name
        if call.truth.answered_at is None:
            call.truth.answered_at = at

    # -- leaving without an agent --------------------------------------------------------

    def caller_abandons(self, key: object, at: float) -> None:
        """The waiting caller hangs up: QueueCallerAbandon, QueueCallerLeave, Hangup."""
        call = self.board.calls[key]
        if call.entry is None or call.visit is None:
            return
        queue = self.board.queues[call.queue or ""]
        self.signals.hangup_from_far_end(call.caller, at)
        if call.campaign is None:
            self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        self._drop_rings(call, at)
        position = queue.position_of(call.entry)
        hold_s = int(at - call.entry.entered_at)
        queue.record_abandon(hold_s)
        self.signals.emit_channel(
            "QueueCallerAbandon",
            call.caller,
            at,
            ("Queue", queue.name),
            ("Position", str(position)),
            ("OriginalPosition", str(call.entry.original_position)),
            ("HoldTime", str(hold_s)),
        )
        self._leave_queue(call, at)
        self.board.truth.close_visit(
            call.visit, VisitOutcome.ABANDONED, at, hangup_by="caller", exit_position=position
        )
        self.signals.finish_hangup(call.caller, at)
        self.board.end(call, at)

    def queue_timeout(
        self,
        key: object,
        at: float,
        *,
        voicemail_s: float = 4.0,
        then: Callable[[PbxCall, float], None] | None = None,
    ) -> None:
        """The queue's own timeout: the caller leaves (counted as abandoned) to voicemail, or
        to what the dialplan does next (`then`)."""
        call = self.board.calls[key]
        if call.entry is None or call.visit is None:
            return
        queue = self.board.queues[call.queue or ""]
        for agent in list(call.rings):
            # The timeout cuts the ring short; app_queue logs it as a ring-no-answer.
            self.ring_no_answer(key, agent, at)
        position = queue.position_of(call.entry)
        hold_s = int(at - call.entry.entered_at)
        queue.record_abandon(hold_s)
        self.signals.emit_channel(
            "QueueCallerAbandon",
            call.caller,
            at,
            ("Queue", queue.name),
            ("Position", str(position)),
            ("OriginalPosition", str(call.entry.original_position)),
            ("HoldTime", str(hold_s)),
        )
        if call.campaign is None:
            self.signals.emit_channel("MusicOnHoldStop", call.caller, at)
        self._leave_queue(call, at)
        self.board.truth.close_visit(call.visit, VisitOutcome.TIMEOUT, at, exit_position=position)
        call.entry = None
        if then is not None:
            then(call, at)
            return
        call.caller.context, call.caller.priority = "voicemail", 1
        call.caller.application, call.caller.app_data = "Playback", "vm-intro"
        self.board.later(at + voicemail_s, lambda t: self.voicemail_done(call, t))

    def voicemail_done(self, call: PbxCall, at: float) -> None:
        if call.ended:
            return
        self.signals.hangup_from_far_end(call.caller, at)
        self.signals.finish_hangup(call.caller, at)
        self.board.end(call, at)
