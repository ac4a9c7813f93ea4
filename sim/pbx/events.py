"""Queue calls as Asterisk 22 reports them: join, ring, answer, abandon, timeout, hang-up.

Each method turns one simulation happening into the AMI event sequence the captures in
tests/fixtures/ami/ show for it (answered, agent_hangup, abandon, ring_no_answer,
queue_timeout), in production naming (a trunk channel for the caller, a PJSIP channel per agent
ring, QueueMemberStatus 6 while the phone rings) or, with `local_channels`, in the capture PBX's
Local-channel naming (`;1`/`;2` pairs, LocalBridge, no RINGING device state).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from callcenter.calls.records import Direction, VisitOutcome
from sim.pbx.calls import Call, Ring
from sim.pbx.model import DEVICE_INUSE, Channel, Member, QueueEntry
from sim.pbx.render import AmiEvent
from sim.pbx.signalling import AGENT, Signalling
from sim.pbx.truth import CallDraft, GroundTruth, VisitDraft


class QueueCalls(Signalling):
    """The queue side of the switchboard, plus ground truth and a timer heap for epilogues."""

    def __init__(
        self,
        publish: Callable[[AmiEvent], None],
        epoch: Callable[[float], float],
        *,
        local_channels: bool = False,
        server: str = "sim",
    ) -> None:
        super().__init__(publish, epoch, local_channels=local_channels)
        self.truth = GroundTruth(server, self.epoch)
        self.calls: dict[object, Call] = {}
        self._timers: list[tuple[float, int, Callable[[float], None]]] = []
        self._timer_seq = itertools.count()

    # -- timers: things the PBX itself does later (voicemail ends, a far party hangs up) --

    def later(self, at: float, action: Callable[[float], None]) -> None:
        """Run `action(at)` when the simulation clock reaches `at`."""
        heapq.heappush(self._timers, (at, next(self._timer_seq), action))

    def next_timer(self) -> float | None:
        """When the next PBX-side timer is due."""
        return self._timers[0][0] if self._timers else None

    def run_timers(self, until: float) -> None:
        """Fire every timer due at or before `until`, in time order."""
        while self._timers and self._timers[0][0] <= until:
            at, _, action = heapq.heappop(self._timers)
            action(at)

    # -- lookups -------------------------------------------------------------------------

    def call_of_channel(self, name: str) -> Call | None:
        """The live call a channel (caller, agent or far party) belongs to."""
        for call in self.calls.values():
            if call.ended:
                continue
            channels = [call.caller, call.agent_channel, call.far]
            channels += [ring.channel for ring in call.rings.values()]
            for channel in channels:
                if channel is not None and name in (
                    channel.name,
                    getattr(channel.peer, "name", ""),
                ):
                    return call
        return None

    def call_of_agent(self, agent: str) -> Call | None:
        """The live call an agent is ringing for or talking in."""
        for call in self.calls.values():
            if call.ended:
                continue
            if agent in call.rings:
                return call
            if call.agent_member is not None and call.agent_member.name == agent:
                return call
        return None

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
    ) -> Call:
        """A caller's channel appears and is answered by the dialplan.

        `originated` = (queue, ActionID) when an AMI Originate sent the caller in: its
        OriginateResponse follows once the channel is up, as in the captures.
        """
        channel = self.factory.caller(number, at, queue)
        draft = CallDraft(
            linkedid=channel.linkedid,
            direction=Direction.INBOUND,
            started_at=at,
            caller_number=number,
            caller_name=name or None,
            dialed_number=queue,
        )
        call = Call(key=key, caller=channel, truth=draft)
        self.calls[key] = call
        if self.local:
            self._local_caller_setup(channel, number, name, at)
        else:
            channel.caller_num, channel.caller_name = number, name or number
            channel.connected_num, channel.connected_name = number, name or number
            self.announce(channel, at)
            channel.priority = 2
            self.set_state(channel, 6, at)
        if originated is not None:
            target, action_id = originated
            headers = [("ActionID", action_id)] if action_id is not None else []
            headers += [
                ("Response", "Success"),
                ("Channel", channel.name),
                ("Context", "queues"),
                ("Exten", target),
                ("Reason", "4"),
                ("Uniqueid", channel.uniqueid),
                ("CallerIDNum", channel.caller_num),
                ("CallerIDName", channel.caller_name),
            ]
            self.emit("OriginateResponse", "call,all", headers, at)
        return call

    def _local_caller_setup(self, channel: Channel, number: str, name: str, at: float) -> None:
        # The capture PBX originates every caller as Local/<number>@customer/n.
        two = channel.peer
        assert two is not None
        self.announce(channel, at)
        self.set_callerid(channel, number, name, at)
        self.set_connected(channel, number, name, at)
        self.set_callerid(two, number, name, at)
        self.set_connected(two, number, name, at)
        self.local_bridge(channel, at)
        self.dial_begin(None, channel, f"{number}@customer/n", at)
        two.priority = 2
        self.set_state(two, 6, at)
        self.set_state(channel, 6, at)
        self.dial_state(None, channel, "ANSWER", at)

    def caller_joins(self, key: object, queue_name: str, at: float) -> None:
        """QueueCallerJoin (first visit, or after a blind transfer into another queue)."""
        call = self.calls[key]
        queue = self.queues[queue_name]
        position = len(queue.entries) + 1
        call.entry = QueueEntry(call.caller, at, position)
        queue.entries.append(call.entry)
        call.queue = queue_name
        call.caller.context, call.caller.exten, call.caller.priority = "queues", queue_name, 4
        call.caller.application, call.caller.app_data = "Queue", f"{queue_name},t,,,"
        call.visit = VisitDraft(queue_name, call.caller.uniqueid, at, position)
        call.truth.visits.append(call.visit)
        self.emit_channel(
            "QueueCallerJoin",
            call.caller,
            at,
            ("Queue", queue_name),
            ("Position", str(position)),
            ("Count", str(len(queue.entries))),
        )
        self.emit_channel("MusicOnHoldStart", call.caller, at, ("Class", "default"))

    def _leave_queue(self, call: Call, at: float) -> int:
        queue = self.queues[call.queue or ""]
        position = queue.position_of(call.entry)
        if call.entry in queue.entries:
            queue.entries.remove(call.entry)
        call.entry = None
        self.emit_channel(
            "QueueCallerLeave",
            call.caller,
            at,
            ("Queue", queue.name),
            ("Position", str(position)),
            ("Count", str(len(queue.entries))),
        )
        return position

    # -- ringing -------------------------------------------------------------------------

    def _agent_block(
        self, call: Call, member: Member, channel: Channel | None = None
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
        call = self.calls[key]
        queue = self.queues[call.queue or ""]
        member = queue.members[agent]
        device = member.device
        channel = self.factory.agent(device, at, call.caller.linkedid)
        call.rings[agent] = Ring(channel, member, at)
        number, name = call.caller.caller_num, call.caller.caller_name
        self.announce(channel, at)
        self.set_callerid(channel, number, name, at)
        if channel.peer is not None:
            self.set_callerid(channel.peer, number, name, at)
            self.set_connected(channel.peer, number, name, at)
            self.local_bridge(channel, at)
        channel.exten = queue.name
        self.emit("AgentCalled", AGENT, self._agent_block(call, member, channel), at)
        dial_string = device.interface
        self.dial_begin(call.caller, channel, dial_string, at)
        channel.connected_num, channel.connected_name = number, name
        self.set_state(channel, 5, at)
        self.emit_channel("NewConnectedLine", channel, at)
        self.dial_state(call.caller, channel, "RINGING", at)
        self.device_state(device, self.ringing_status(), at)

    def drop_ring(self, key: object, agent: str, at: float, *, no_answer: bool = False) -> None:
        """Stop ringing one member (DialEnd, the ring channel hangs up, the phone is free)."""
        call = self.calls.get(key)
        ring = call.rings.pop(agent, None) if call is not None else None
        if call is None or ring is None:
            return
        if no_answer:
            self.dial_state(call.caller, ring.channel, "NOANSWER", at)
        self.dial_state(call.caller, ring.channel, "CANCEL", at)
        self.hangup(ring.channel, at, cause=0)
        self.release_device(ring.member.device, at, completed_call=False)

    def _drop_rings(self, call: Call, at: float) -> None:
        for agent in list(call.rings):
            self.drop_ring(call.key, agent, at)

    def ring_no_answer(self, key: object, agent: str, at: float) -> None:
        """AgentRingNoAnswer: the member's ring timed out (RingTime in milliseconds)."""
        call = self.calls.get(key)
        ring = call.rings.get(agent) if call is not None else None
        if call is None or ring is None:
            return
        ring_ms = round((at - ring.started_at) * 1000)
        block = self._agent_block(call, ring.member, ring.channel)
        self.emit("AgentRingNoAnswer", AGENT, [*block, ("RingTime", str(ring_ms))], at)
        if call.visit is not None:
            call.visit.ring_no_answer += 1
        self.drop_ring(key, agent, at, no_answer=True)

    # -- answer --------------------------------------------------------------------------

    def agent_answers(self, key: object, agent: str, at: float) -> None:
        """The ringing member answers: DialEnd, QueueCallerLeave, AgentConnect, the bridge."""
        call = self.calls.get(key)
        ring = call.rings.pop(agent, None) if call is not None else None
        if call is None or ring is None or call.visit is None or call.entry is None:
            return
        channel, member = ring.channel, ring.member
        queue = self.queues[member.queue]
        if channel.peer is not None:
            channel.peer.priority = 8
            self.set_state(channel.peer, 6, at)
        self.set_state(channel, 6, at)
        self.dial_state(call.caller, channel, "ANSWER", at)
        self.emit_channel("MusicOnHoldStop", call.caller, at)
        hold_s = int(at - call.entry.entered_at)
        self._leave_queue(call, at)
        ring_s = int(at - ring.started_at)
        call.agent_channel, call.agent_member = channel, member
        call.answered_at = at
        member.in_call = True
        queue.record_connect(hold_s)
        self.emit(
            "AgentConnect",
            AGENT,
            [
                *self._agent_block(call, member),
                ("HoldTime", str(hold_s)),
                ("RingTime", str(ring_s)),
            ],
            at,
        )
        call.bridge = self.bridge_create(at)
        self.bridge_enter(call.bridge, channel, at)
        self.bridge_enter(call.bridge, call.caller, at)
        self.device_state(member.device, DEVICE_INUSE, at)
        visit = call.visit
        visit.agent, visit.answered_at = member.name, at
        visit.wait_s, visit.ring_s = at - visit.entered_at, at - ring.started_at
        call.truth.agent = member.name
        if call.truth.answered_at is None:
            call.truth.answered_at = at

    # -- leaving without an agent --------------------------------------------------------

    def caller_abandons(self, key: object, at: float) -> None:
        """The waiting caller hangs up: QueueCallerAbandon, QueueCallerLeave, Hangup."""
        call = self.calls[key]
        if call.entry is None or call.visit is None:
            return
        queue = self.queues[call.queue or ""]
        self.hangup_from_far_end(call.caller, at)
        self.emit_channel("MusicOnHoldStop", call.caller, at)
        self._drop_rings(call, at)
        position = queue.position_of(call.entry)
        hold_s = int(at - call.entry.entered_at)
        queue.record_abandon(hold_s)
        self.emit_channel(
            "QueueCallerAbandon",
            call.caller,
            at,
            ("Queue", queue.name),
            ("Position", str(position)),
            ("OriginalPosition", str(call.entry.original_position)),
            ("HoldTime", str(hold_s)),
        )
        self._leave_queue(call, at)
        self.truth.close_visit(
            call.visit, VisitOutcome.ABANDONED, at, hangup_by="caller", exit_position=position
        )
        self.finish_hangup(call.caller, at)
        self._end(call, at)

    def queue_timeout(self, key: object, at: float, *, voicemail_s: float = 4.0) -> None:
        """The queue's own timeout: the caller leaves (counted as abandoned) to voicemail."""
        call = self.calls[key]
        if call.entry is None or call.visit is None:
            return
        queue = self.queues[call.queue or ""]
        for agent in list(call.rings):
            # The timeout cuts the ring short; app_queue logs it as a ring-no-answer.
            self.ring_no_answer(key, agent, at)
        position = queue.position_of(call.entry)
        hold_s = int(at - call.entry.entered_at)
        queue.record_abandon(hold_s)
        self.emit_channel(
            "QueueCallerAbandon",
            call.caller,
            at,
            ("Queue", queue.name),
            ("Position", str(position)),
            ("OriginalPosition", str(call.entry.original_position)),
            ("HoldTime", str(hold_s)),
        )
        self.emit_channel("MusicOnHoldStop", call.caller, at)
        self._leave_queue(call, at)
        self.truth.close_visit(call.visit, VisitOutcome.TIMEOUT, at, exit_position=position)
        call.entry = None
        call.caller.context, call.caller.priority = "voicemail", 1
        call.caller.application, call.caller.app_data = "Playback", "vm-intro"
        self.later(at + voicemail_s, lambda t: self._voicemail_done(call, t))

    def _voicemail_done(self, call: Call, at: float) -> None:
        if call.ended:
            return
        self.hangup_from_far_end(call.caller, at)
        self.finish_hangup(call.caller, at)
        self._end(call, at)

    def _end(self, call: Call, at: float) -> None:
        call.ended = True
        self.truth.close_call(call.truth, at)
        self.calls.pop(call.key, None)
