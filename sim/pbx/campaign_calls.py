"""Campaign calls, customer first: an Originate into `[campaign-dial]` as Asterisk 22 plays it.

The dialer sends `Originate` of the customer's channel (`PJSIP/<number>@trunk`,
`PJSIP/trunk/<number>`, `Local/<number>@<context>/n`...) into `campaign-dial,s,1` with the
CC_* variables. The far end (`sim.callees.FarEnd`, from the scenario's `[outbound]`) decides:

- not answered: the dial API's sequence with no caller (Newchannel, NewCallerid,
  DialBegin, Newstate/DialState RINGING), then the channel's end and an OriginateResponse
  `Failure` whose Reason is Asterisk's `pbx_dial_reason()`: a timeout is Hangup cause 19 and
  Reason 3; a busy, congested, rejected or unknown number over PJSIP is a HangupRequest and
  DialEnd with the cause (17, 34, 21, 1) and Reason 0 (chan_pjsip reports the cause with the
  hang-up, never as a BUSY/CONGESTION control frame); over a Local channel Busy() and
  Congestion() are control frames: Reason 5 and 8.
- answered: DialEnd ANSWER, OriginateResponse `Success` Reason 4, then the dialplan:
  `AMD()` when CC_AMD=1 (a machine: UserEvent CampaignCall Stage machine, Hangup), UserEvent
  Stage answered, then `Dial(${CC_AGENT})` (the reserved agent's phone; a bridge) or
  `Queue(${CC_QUEUE},,,,1)` (app_queue's events through `QueueCalls`); nobody within the
  queue's second: UserEvent Stage abandoned, `Playback(campaign-abandoned)`, Hangup.

The person talks for their `talk` draw and hangs up (or the agent does, AMI Hangup).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from callcenter.calls.records import Direction
from callcenter.campaigns.enums import Outcome
from sim.callees import FarEnd
from sim.pbx.calls import CampaignDial, CampaignLeg, DirectDial, PbxCall
from sim.pbx.engine_link import EngineLink
from sim.pbx.model import DEVICE_INUSE, DEVICE_NOT_INUSE, Channel
from sim.pbx.queue_calls import QueueCalls
from sim.pbx.render import Header
from sim.pbx.signalling import CALL, Signalling
from sim.pbx.switchboard import Switchboard
from sim.pbx.truth import CallDraft, CampaignDraft
from sim.scenario import FarOutcome
from sim.state import SimCall

CONTEXT = "campaign-dial"
USER = "user,all"
DIALPLAN = "dialplan,all"
ABANDONED_MESSAGE = "custom/campaign-abandoned"  # the dialplan's ${ABANDONED_MESSAGE}
RINGING_AFTER_S = 0.2  # the far end's 180 Ringing after the INVITE
MACHINE_TALK_S = 15.0  # a greeting and the beep, when no AMD() sorted the machine out
# The dial API's DialStatus for a dialled channel that hung up (ast_hangup_cause_to_dial_status).
DIAL_STATUS = {17: "BUSY", 34: "CONGESTION", 3: "CHANUNAVAIL", 20: "CHANUNAVAIL"}
RINGS_FIRST = (FarOutcome.PERSON, FarOutcome.MACHINE, FarOutcome.NO_ANSWER, FarOutcome.REJECTED)
# Where [campaign-dial]'s UserEvents are (the channel block's Priority).
USER_EVENT_PRIORITY = {"answered": 5, "abandoned": 12, "machine": 15}
TECHS = ("PJSIP", "SIP", "IAX2", "DAHDI", "Local")
_DIAL = re.compile(r"^(?P<tech>[A-Za-z0-9]+)/(?P<rest>[^,]+)$")


@dataclass(frozen=True, slots=True)
class Target:
    """Where the requested channel dials: technology, endpoint (or Local context), number."""

    tech: str
    endpoint: str
    number: str
    dial_string: str


def parse_target(channel: str) -> Target | None:
    """`PJSIP/<number>@trunk`, `PJSIP/trunk/<number>` (or `.../sip:<number>@host`),
    `Local/<number>@<context>/n`; None when no channel driver would take it."""
    match = _DIAL.match(channel.strip())
    if match is None or match["tech"] not in TECHS:
        return None
    tech, rest = match["tech"], match["rest"]
    if tech == "Local":
        body = rest.split("/", 1)[0]
        number, _, context = body.partition("@")
        return Target(tech, context or "default", number, rest) if number else None
    if "@" in rest and "/" not in rest:
        number, _, endpoint = rest.partition("@")
    elif "/" in rest:
        endpoint, _, uri = rest.partition("/")
        number = uri.removeprefix("sip:").removeprefix("tel:").split("@", 1)[0]
    else:
        return None
    if not number or not endpoint:
        return None
    return Target(tech, endpoint, number, rest)


def variables_of(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The `Variable:` headers of an action (each `NAME=value`, or several comma-separated)."""
    found: dict[str, str] = {}
    for key, value in headers:
        if key.lower() != "variable":
            continue
        for item in value.split(","):
            name, sep, val = item.partition("=")
            if sep and name.strip():
                found[name.strip()] = val
    return found


class CampaignCalls:
    """Plays each campaign call's far end, dialplan, agent leg and end on the switchboard."""

    def __init__(
        self,
        board: Switchboard,
        signals: Signalling,
        queue_calls: QueueCalls,
        far_end: FarEnd,
        *,
        queue_wait_s: float = 1.0,
        agent_ring_s: float = 10.0,
        message_s: float = 6.0,
        dialplan_events: bool = False,
    ) -> None:
        self.board = board
        self.signals = signals
        self.queue_calls = queue_calls
        self.far_end = far_end
        self.queue_wait_s = queue_wait_s
        self.agent_ring_s = agent_ring_s
        self.message_s = message_s
        self.dialplan_events = dialplan_events
        self.link: EngineLink | None = None  # set once the engine exists
        self._keys = itertools.count(1)

    # -- the Originate -------------------------------------------------------------------

    def dial(self, request: CampaignDial, at: float) -> None:
        """Dial the customer (the Originate was accepted: `Originate successfully queued`)."""
        v = request.variables
        target = parse_target(request.channel)
        timeout_s = max(0.001, request.timeout_ms / 1000)
        number = target.number if target is not None else request.channel
        draft = CampaignDraft(
            attempt=v.get("CC_ATTEMPT", ""),
            lead=v.get("CC_LEAD", ""),
            campaign=v.get("CC_CAMPAIGN", ""),
            queue=v.get("CC_QUEUE", ""),
            agent_interface=v.get("CC_AGENT", ""),
            amd=v.get("CC_AMD", "") == "1",
            number=number,
            action_id=request.action_id,
            requested_channel=request.channel,
            dialed_at=at,
        )
        if target is None:
            # No channel driver takes it: no channel at all, the Originate just fails.
            draft.outcome, draft.reason = Outcome.FAILED, 0
            draft.uniqueid = request.channel_id or None
            self._originate_response(request, None, 0, at)
            self.board.truth.close_campaign(draft, at)
            return
        dialled = self.far_end.dial(target.number, timeout_s)
        ids = (request.channel_id, request.other_channel_id)
        channel = self.board.factory.dialled(target.tech, target.endpoint, target.number, at, ids)
        channel.variables.update(v)
        draft.channel, draft.uniqueid = channel.name, channel.uniqueid
        cid_num, cid_name = request.caller_id
        truth = self._call_draft(channel, cid_num, cid_name, target.number, at)
        leg = CampaignLeg(
            request=request,
            draft=draft,
            dialled=dialled,
            timeout_s=timeout_s,
            local=channel.peer is not None,
        )
        call = PbxCall(key=("campaign", next(self._keys)), caller=channel, truth=truth)
        call.campaign = leg
        self.board.calls[call.key] = call
        outcome = dialled.outcome
        unknown_local = leg.local and outcome is FarOutcome.FAILED
        self._dial_begins(call, request, target, at, dial=not unknown_local)
        if unknown_local:
            self._at(call, at, lambda c, t: self._refused(c, request, t))
            return
        # A person declining (603) lets it ring first; busy and failures answer at once.
        if outcome in RINGS_FIRST:
            ring_at = at + min(RINGING_AFTER_S, dialled.after_s / 2)
            self._at(call, ring_at, self._ringing)
        if outcome is FarOutcome.NO_ANSWER:
            self._at(call, at + timeout_s, lambda c, t: self._not_answered(c, request, t))
        elif dialled.answered:
            self._at(call, at + dialled.after_s, lambda c, t: self._answered(c, request, t))
        else:
            self._at(call, at + dialled.after_s, lambda c, t: self._refused(c, request, t))

    @staticmethod
    def _call_draft(
        channel: Channel, cid_num: str, cid_name: str, number: str, at: float
    ) -> CallDraft:
        return CallDraft(
            linkedid=channel.linkedid,
            direction=Direction.OUTBOUND,
            started_at=at,
            caller_number=cid_num or None,
            caller_name=cid_name or None,
            dialed_number=number,
        )

    def _dial_begins(
        self, call: PbxCall, request: CampaignDial, target: Target, at: float, *, dial: bool
    ) -> None:
        channel = call.caller
        self.signals.announce(channel, at)
        if self.dialplan_events:
            # The dial API sets the Originate's variables last to first, as the captures show.
            for name, value in reversed(list(request.variables.items())):
                self._var_set(channel, name, value, at)
        cid_num, cid_name = request.caller_id
        if cid_num or cid_name:
            number, name = cid_num or "<unknown>", cid_name or "<unknown>"
            for half in (channel, channel.peer):
                if half is not None:
                    self.signals.set_callerid(half, number, name, at)
                    self.signals.set_connected(half, number, name, at)
        if dial:
            self.signals.local_bridge(channel, at)
            self.signals.dial_begin(None, channel, target.dial_string, at)

    def _at(self, call: PbxCall, at: float, action: Callable[[PbxCall, float], None]) -> None:
        """Run `action` at `at` unless the call has moved on (or ended) meanwhile."""
        leg = call.campaign
        assert leg is not None
        step = leg.step

        def fire(t: float) -> None:
            if not call.ended and leg.step == step:
                action(call, t)

        self.board.later(at, fire)

    def _next(self, call: PbxCall, stage: str) -> CampaignLeg:
        leg = call.campaign
        assert leg is not None
        leg.step += 1
        leg.stage = stage
        return leg

    # -- the far end ---------------------------------------------------------------------

    def _ringing(self, call: PbxCall, at: float) -> None:
        channel = call.caller
        self.signals.set_state(channel, 5, at)
        self.signals.dial_state(None, channel, "RINGING", at)

    def _not_answered(self, call: PbxCall, request: CampaignDial, at: float) -> None:
        """The Originate's Timeout: the dial API hangs the channel up with cause 19 itself
        (no DialEnd); a Local `;2` half is asked to hang up first."""
        self._next(call, "done")
        channel, two = call.caller, call.caller.peer
        if two is None:
            self.signals.hangup(channel, at, cause=19, requested=False)
            self._fail(call, request, Outcome.NO_ANSWER, 3, 19, at)
            return
        self.signals.emit_channel("HangupRequest", two, at, ("Cause", "19"))
        self._fail(call, request, Outcome.NO_ANSWER, 3, 19, at, end=False)
        self.signals.hangup(channel, at, cause=19, requested=False)  # then `;2`'s
        channel.peer = None
        self.board.end(call, at)

    def _refused(self, call: PbxCall, request: CampaignDial, at: float) -> None:
        """Busy, congestion, a rejected or unknown number: the far end ends the dial."""
        leg = self._next(call, "done")
        dialled = leg.dialled
        cause = dialled.cause
        outcome = {
            FarOutcome.BUSY: Outcome.BUSY,
            FarOutcome.CONGESTION: Outcome.CONGESTION,
        }.get(dialled.outcome, Outcome.FAILED)
        if leg.local:
            self._local_refused(call, request, outcome, cause, at)
            return
        # chan_pjsip queues the hang-up with the response's cause: the dial API sees the
        # channel go, reports the cause as DialStatus, and keeps no reason of its own.
        channel = call.caller
        self.signals.emit_channel("HangupRequest", channel, at, ("Cause", str(cause)))
        self.signals.dial_state(None, channel, DIAL_STATUS.get(cause, "NOANSWER"), at)
        self.signals.hangup(channel, at, cause=cause, requested=False)
        self._fail(call, request, outcome, 0, cause, at)

    def _local_refused(
        self, call: PbxCall, request: CampaignDial, outcome: Outcome, cause: int, at: float
    ) -> None:
        """The far end is the `;2` half of a Local channel running Busy(), Congestion(),
        Hangup(21), or no extension at all (tests/fixtures/ami/outbound_* of the real PBX)."""
        one, two = call.caller, call.caller.peer
        assert two is not None
        one.peer = None
        if outcome in (Outcome.BUSY, Outcome.CONGESTION):
            # A control frame through the Local pair: the dial API has a reason (5, 8).
            self.signals.set_state(two, 7, at)  # Busy() and Congestion() both set Busy
            self.signals.dial_state(None, one, DIAL_STATUS[cause], at)
            self.signals.emit_channel("HangupRequest", two, at, ("Cause", "0"))
            self.signals.emit_channel("SoftHangupRequest", two, at, ("Cause", "16"))
            self.signals.hangup(one, at, cause=0, requested=False)
            self._fail(call, request, outcome, 5 if outcome is Outcome.BUSY else 8, cause, at,
                       end=False)  # fmt: skip
            self.signals.hangup(two, at, cause=cause, requested=False)
        elif cause == 21:
            self.signals.emit_channel("SoftHangupRequest", two, at, ("Cause", "16"))
            self.signals.emit_channel("HangupRequest", one, at, ("Cause", "21"))
            self.signals.hangup(two, at, cause=21, requested=False)
            self.signals.dial_state(None, one, "NOANSWER", at)
            self.signals.hangup(one, at, cause=21, requested=False)
            self._fail(call, request, outcome, 0, cause, at, end=False)
        else:
            # No such number in the far end's context: the call never got to ring.
            self.signals.hangup(two, at, cause=0, requested=False)
            self._fail(call, request, outcome, 0, cause, at, end=False)
            self.signals.hangup(one, at, cause=0, requested=False)
        self.board.end(call, at)

    def _channel_gone(self, call: PbxCall, cause: int, at: float) -> None:
        """The dialplan's `Hangup()`: the customer's channel (both halves of a Local pair,
        the `;2` half asked first, as the captures show) goes with `cause`."""
        channel = call.caller
        self.signals.emit_channel("SoftHangupRequest", channel, at, ("Cause", str(cause)))
        if channel.peer is not None and channel.peer.name in self.board.channels:
            self.signals.emit_channel("HangupRequest", channel.peer, at, ("Cause", str(cause)))
        self.signals.hangup(channel, at, cause=cause, requested=False)
        channel.peer = None

    def _fail(
        self,
        call: PbxCall,
        request: CampaignDial,
        outcome: Outcome,
        reason: int,
        cause: int,
        at: float,
        *,
        end: bool = True,
    ) -> None:
        leg = call.campaign
        assert leg is not None
        draft = leg.draft
        draft.outcome, draft.reason, draft.hangup_cause = outcome, reason, cause
        self._originate_response(request, None, reason, at)
        if end:
            self.board.end(call, at)

    def _originate_response(
        self, request: CampaignDial, channel: Channel | None, reason: int, at: float
    ) -> None:
        """OriginateResponse as manager.c's fast_originate writes it (no channel on failure:
        the requested one by name, Uniqueid `<unknown>`)."""
        cid_num, cid_name = request.caller_id
        unknown = request.channel_id or "<unknown>"
        headers: list[Header] = []
        if request.action_id:
            headers.append(("ActionID", request.action_id))
        headers += [
            ("Response", "Success" if channel is not None else "Failure"),
            ("Channel", channel.name if channel is not None else request.channel),
            ("Context", request.context),
            ("Exten", request.exten),
            ("Reason", str(reason)),
            ("Uniqueid", channel.uniqueid if channel is not None else unknown),
            ("CallerIDNum", cid_num or "<unknown>"),
            ("CallerIDName", cid_name or "<unknown>"),
        ]
        self.signals.emit("OriginateResponse", CALL, headers, at)

    # -- answered: the dialplan ----------------------------------------------------------

    def _answered(self, call: PbxCall, request: CampaignDial, at: float) -> None:
        leg = self._next(call, "amd")
        channel = call.caller
        self.signals.set_state(channel, 6, at)
        if channel.peer is not None:
            self.signals.set_state(channel.peer, 6, at)
        self.signals.dial_state(None, channel, "ANSWER", at)
        channel.context, channel.exten, channel.priority = request.context, request.exten, 1
        leg.draft.reason = 4
        leg.draft.answered_at = at
        self._originate_response(request, channel, 4, at)
        if leg.draft.amd:
            channel.priority, channel.application, channel.app_data = 3, "AMD", ""
            self._at(call, at + leg.dialled.amd_s, self._amd_done)
        else:
            self._person(call, at)

    def _amd_done(self, call: PbxCall, at: float) -> None:
        leg = call.campaign
        assert leg is not None
        dialled = leg.dialled
        status, cause = dialled.amd_status, dialled.amd_cause
        leg.draft.amd_status, leg.draft.amd_cause = status, cause
        for name, value in (("AMDSTATUS", status), ("AMDCAUSE", cause)):
            call.caller.variables[name] = value
            if self.dialplan_events:
                self._var_set(call.caller, name, value, at)
        if dialled.outcome is FarOutcome.MACHINE:
            self._next(call, "done")
            self._user_event(call, "machine", at, ("AmdStatus", status), ("AmdCause", cause))
            leg.draft.outcome = Outcome.MACHINE
            self._hang_up(call, at)
            return
        self._person(call, at)

    def _person(self, call: PbxCall, at: float) -> None:
        """A person (or, without AMD, whoever answered): to the reserved agent or the queue."""
        leg = call.campaign
        assert leg is not None
        self._user_event(call, "answered", at)
        if leg.draft.agent_interface:
            self._dial_agent(call, at)
        else:
            self._join_queue(call, at)

    def _talk_s(self, leg: CampaignLeg) -> float:
        dialled = leg.dialled
        return dialled.talk_s if dialled.outcome is FarOutcome.PERSON else MACHINE_TALK_S

    # -- Dial(${CC_AGENT},${CAMPAIGN_AGENT_RING},t) --------------------------------------

    def _dial_agent(self, call: PbxCall, at: float) -> None:
        leg = self._next(call, "agent")
        link = self.link
        assert link is not None
        interface = leg.draft.agent_interface
        customer = call.caller
        customer.priority, customer.application = 8, "Dial"
        customer.app_data = f"{interface},{self.agent_ring_s:g},t"
        device = self.board.device_by_interface(interface)
        if device is None or not link.knows_agent(device.agent):
            self._abandon(call, at)  # CHANUNAVAIL: nothing to ring
            return
        ring_s = link.ring_s(device.agent)
        # The engine holds the agent while the phone rings; one that would pick up after Dial's
        # timeout is given up on then (DialEnd NOANSWER).
        answers = ring_s < self.agent_ring_s
        sim_call = link.originate(
            device.agent, leg.draft.number, ring_s if answers else self.agent_ring_s + 3600
        )
        agent = self.board.factory.agent(device, at, customer.linkedid)
        number, name = customer.caller_num, customer.caller_name
        self.signals.announce(agent, at)
        # Dial copies the customer's identity to the new leg before calling it.
        self.signals.set_callerid(agent, number, name, at)
        self.signals.set_connected(agent, number, name, at)
        if agent.peer is not None:
            self.signals.set_callerid(agent.peer, number, name, at)
            self.signals.set_connected(agent.peer, number, name, at)
            self.signals.local_bridge(agent, at)
        self.signals.dial_begin(customer, agent, interface.split("/", 1)[-1], at)
        if sim_call is None:
            # The reserved agent's phone is busy after all: 486 from the phone.
            self.signals.dial_state(customer, agent, "BUSY", at)
            self._agent_leg_gone(agent, 17, at)
            self._abandon(call, at)
            return
        sim_call.talk_s = self._talk_s(leg)
        sim_call.linkedid = customer.linkedid
        self._rekey(call, sim_call.id)
        call.direct = DirectDial(agent, device, at)
        self.signals.set_state(agent, 5, at)
        self.signals.dial_state(customer, agent, "RINGING", at)
        self.signals.device_state(device, self.signals.ringing_status(), at)
        if not answers:
            key = sim_call.id

            def give_up(c: PbxCall, t: float) -> None:
                leg.agent_no_answer = True
                link.hangup(key, "caller")

            self._at(call, at + self.agent_ring_s, give_up)

    def _agent_leg_gone(self, agent: Channel, cause: int, at: float) -> None:
        two = agent.peer
        if two is not None and two.name in self.board.channels:
            self.signals.hangup(two, at, cause=cause, requested=False)
            agent.peer = None
        self.signals.hangup(agent, at, cause=cause, requested=False)

    def agent_answered(self, key: object, at: float) -> None:
        """The reserved agent picks up: DialEnd ANSWER, the customer and agent share a bridge."""
        call = self.board.calls.get(key)
        if call is None or call.campaign is None or call.direct is None:
            return
        direct = call.direct
        agent = direct.channel
        if agent.peer is not None:
            self.signals.set_state(agent.peer, 6, at)
        self.signals.set_state(agent, 6, at)
        self.signals.dial_state(call.caller, agent, "ANSWER", at)
        direct.bridge = self.signals.bridge_create(at)
        self.signals.bridge_enter(direct.bridge, agent, at)
        self.signals.bridge_enter(direct.bridge, call.caller, at)
        self.signals.device_state(direct.device, DEVICE_INUSE, at)
        self.connected(call, direct.device.agent, at)

    def direct_ended(self, key: object, at: float, *, by_agent: bool) -> None:
        """The engine ended the reserved agent's call: talked out, hung up, or never connected
        (Dial's timeout, the agent turning it down, the customer hanging up first)."""
        call = self.board.calls.get(key)
        if call is None or call.ended or call.direct is None or call.campaign is None:
            return
        leg = call.campaign
        direct, call.direct = call.direct, None
        agent, bridge = direct.channel, direct.bridge
        if bridge is None:
            self.signals.release_device(direct.device, at, completed_call=False)
            if leg.agent_no_answer:
                # Dial's timeout: the agent's leg goes (cause 0), the dialplan goes on.
                self.signals.dial_state(call.caller, agent, "NOANSWER", at)
                self._agent_leg_gone(agent, 0, at)
                self._abandon(call, at)
            elif by_agent:
                self.signals.dial_state(call.caller, agent, "BUSY", at)
                self._agent_leg_gone(agent, 17, at)
                self._abandon(call, at)
            else:
                # The customer hung up while the agent's phone rang: Dial is cancelled and the
                # dialplan stops there (no abandoned stage).
                self._next(call, "done")
                leg.draft.hangup_by = "caller"
                self.signals.hangup_from_far_end(call.caller, at)
                self.signals.dial_state(call.caller, agent, "CANCEL", at)
                self._agent_leg_gone(agent, 16, at)
                self.signals.finish_hangup(call.caller, at)
                call.caller.peer = None
                self.board.end(call, at)
            return
        self._next(call, "done")
        first, second = (agent, call.caller) if by_agent else (call.caller, agent)
        self.signals.hangup_from_far_end(first, at)
        self.signals.bridge_leave(bridge, first, at)
        self.signals.finish_hangup(first, at)
        self.signals.bridge_leave(bridge, second, at)
        self.signals.bridge_destroy(bridge, at)
        if second.peer is not None:
            # A Local leg left alone in its bridge: its `;2` half is asked to hang up first.
            self.signals.emit_channel("HangupRequest", second.peer, at, ("Cause", "16"))
            self.signals.hangup(second, at, requested=False)
        else:
            self.signals.hangup(second, at)
        call.truth.talk_s += at - call.answered_at
        leg.draft.hangup_by = "agent" if by_agent else "caller"
        self.signals.release_device(direct.device, at, completed_call=False)
        self.board.end(call, at)

    # -- Queue(${CC_QUEUE},t,,,1) --------------------------------------------------------

    def _join_queue(self, call: PbxCall, at: float) -> None:
        """docs/asterisk/queues.conf [campaign-queue]: joinempty/leavewhenempty with inuse,
        ringing, paused, unavailable, wrapup: the customer joins only when a member is free
        (else Queue() returns at once: JOINEMPTY, no queue event); the one-second limit never
        cuts a member's ring short (timeoutpriority = conf)."""
        leg = self._next(call, "queue")
        link = self.link
        assert link is not None
        queue = leg.draft.queue
        customer = call.caller
        customer.priority, customer.application = 10, "Queue"
        customer.app_data = f"{queue},t,,,{self.queue_wait_s:g}"
        if queue not in self.board.queues or not self._someone_free(queue):
            self._abandon(call, at)
            return
        self.board.joining_campaign = call
        try:
            sim_call = link.inject_caller(queue, leg.draft.number, "")
        finally:
            self.board.joining_campaign = None
        sim_call.linkedid = customer.linkedid
        leg.queue_deadline = at + self.queue_wait_s
        if call.entry is not None:
            self._at(call, leg.queue_deadline, self._queue_wait_over)

    def _someone_free(self, queue: str) -> bool:
        """A member of `queue` not paused, not in use, not ringing, not in wrap-up."""
        link = self.link
        assert link is not None
        for member in self.board.queues[queue].members.values():
            if member.paused or member.device.status != DEVICE_NOT_INUSE:
                continue
            if link.knows_agent(member.name) and link.agent_busy(member.name):
                continue
            return True
        return False

    def attach(self, call: PbxCall, key: int) -> None:
        """The engine announced the campaign customer joining a queue: it is that call."""
        self._rekey(call, key)

    def joined(self, sim_call: SimCall) -> None:
        """The customer is in the queue: their talk is the `[outbound]` draw."""
        call = self.board.calls.get(sim_call.id)
        if call is not None and call.campaign is not None:
            sim_call.talk_s = self._talk_s(call.campaign)

    def _queue_wait_over(self, call: PbxCall, at: float) -> None:
        """Queue()'s second is over: the caller leaves, unless a member's phone is ringing."""
        if call.entry is not None and not call.rings and self.link is not None:
            self.link.queue_timeout(call.key)

    def ring_ended(self, key: object, at: float) -> None:
        """A member let the customer's call ring out: past Queue()'s limit, it leaves now."""
        call = self.board.calls.get(key)
        leg = call.campaign if call is not None else None
        if call is None or leg is None or leg.queue_deadline is None or at < leg.queue_deadline:
            return
        self._at(call, at, self._queue_wait_over)

    def queue_timed_out(self, key: object, at: float) -> None:
        """Nobody answered within Queue()'s timeout: the caller leaves the queue (app_queue's
        abandon), and the dialplan goes on to the abandoned-call message."""
        self.queue_calls.queue_timeout(key, at, then=self._abandon)

    def connected(self, call: PbxCall, agent: str, at: float) -> None:
        """An agent talks with the customer (from the queue or the reserved agent's Dial)."""
        leg = self._next(call, "talking")
        draft = leg.draft
        draft.outcome, draft.connected_at, draft.agent = Outcome.ANSWERED, at, agent
        call.answered_at = at
        call.truth.agent = agent
        if call.truth.answered_at is None:
            call.truth.answered_at = at
        link = self.link
        if link is not None and link.is_human(agent):
            # A person at a console talks until either side hangs up: the customer does after
            # their talk time (the engine would otherwise wait for the agent's max_talk_s).
            key = call.key
            self._at(call, at + self._talk_s(leg), lambda c, t: link.hangup(key, "caller"))

    # -- abandoned, and the end ----------------------------------------------------------

    def _abandon(self, call: PbxCall, at: float) -> None:
        """No agent: the abandoned-call message, then the hang-up."""
        leg = self._next(call, "message")
        self._user_event(call, "abandoned", at)
        customer = call.caller
        customer.priority, customer.application = 13, "Playback"
        customer.app_data = ABANDONED_MESSAGE
        leg.draft.outcome, leg.draft.abandoned_at = Outcome.ABANDONED, at
        call.truth.turned_away = True
        self._at(call, at + self.message_s, self._hang_up)

    def _hang_up(self, call: PbxCall, at: float) -> None:
        """`Hangup()` in the dialplan: the customer's channel goes with cause 16."""
        self._next(call, "done")
        customer = call.caller
        customer.priority = 16 if customer.priority == 15 else 14
        customer.application, customer.app_data = "Hangup", ""
        self._channel_gone(call, 16, at)
        assert call.campaign is not None
        call.campaign.draft.hangup_cause = 16
        self.board.end(call, at)

    def hang_up(self, call: PbxCall, name: str, at: float) -> bool:
        """AMI Hangup of one of the call's channels while only the PBX has it (dialling, AMD,
        the message); False when an agent or a queue has the call (the engine ends it)."""
        leg = call.campaign
        assert leg is not None
        if leg.stage in ("agent", "queue", "talking"):
            return False
        stage = leg.stage
        self._next(call, "done")
        customer = call.caller
        leg.draft.hangup_by = "caller"
        if stage == "dialing":
            # The dial API reads the hang-up: DialEnd, Hangup 16, the Originate fails (0).
            self.signals.emit_channel("SoftHangupRequest", customer, at, ("Cause", "16"))
            self.signals.dial_state(None, customer, "NOANSWER", at)
            self.signals.hangup(customer, at, requested=False)
            customer.peer = None
            self._fail(call, leg.request, Outcome.FAILED, 0, 16, at)
            return True
        leg.draft.hangup_cause = 16
        self.signals.hangup(customer, at)
        two = customer.peer
        if two is not None and two.name in self.board.channels:
            self.signals.hangup(two, at, requested=False)
        self.board.end(call, at)
        return True

    # -- helpers -------------------------------------------------------------------------

    def _rekey(self, call: PbxCall, key: int) -> None:
        self.board.calls.pop(call.key, None)
        call.key = key
        self.board.calls[key] = call
        assert call.campaign is not None
        call.campaign.engine_call = key

    def _user_event(self, call: PbxCall, stage: str, at: float, *extra: Header) -> None:
        """`UserEvent(CampaignCall,Attempt: ${CC_ATTEMPT},Stage: <stage>...)`."""
        leg = call.campaign
        assert leg is not None
        customer = call.caller
        customer.priority = USER_EVENT_PRIORITY[stage]
        customer.application = "UserEvent"
        customer.app_data = f"CampaignCall,Attempt: {leg.draft.attempt},Stage: {stage}"
        self.signals.emit(
            "UserEvent",
            USER,
            [
                *call.caller.snapshot(),
                ("UserEvent", "CampaignCall"),
                ("Attempt", leg.draft.attempt),
                ("Stage", stage),
                *extra,
            ],
            at,
        )

    def _var_set(self, channel: Channel, name: str, value: str, at: float) -> None:
        self.signals.emit(
            "VarSet", DIALPLAN, [*channel.snapshot(), ("Variable", name), ("Value", value)], at
        )
