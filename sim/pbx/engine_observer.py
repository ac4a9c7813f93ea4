"""The engine's happenings, heard by the simulated PBX and played out as AMI on its switchboard."""

from __future__ import annotations

import random

from callcenter.calls.records import AgentState, CallRecord, Direction
from sim.observer import EngineObserver
from sim.pbx.campaign_calls import CampaignCalls
from sim.pbx.click_to_dial import ClickToDial
from sim.pbx.connected import ConnectedCalls
from sim.pbx.members import QueueMembers
from sim.pbx.options import PbxOptions
from sim.pbx.preferred import PreferredDial
from sim.pbx.queue_calls import QueueCalls
from sim.pbx.switchboard import Switchboard
from sim.pbx.transfers import Transfers
from sim.records import QUEUE_CONTEXT
from sim.state import SimAgent, SimCall


class PbxObserver(EngineObserver):
    """Turns each call arrival, ring, answer, transfer and hang-up of the engine into the
    switchboard operations (and so the AMI events) Asterisk would show for it."""

    def __init__(
        self,
        board: Switchboard,
        parts: tuple[QueueCalls, ConnectedCalls, Transfers, ClickToDial, QueueMembers],
        options: PbxOptions,
        rng: random.Random,
        campaigns: CampaignCalls,
    ) -> None:
        self.board = board
        self.campaigns = campaigns
        self.queue_calls, self.connected, self.transfers, self.click_to_dial, self.members = parts
        self.preferred = PreferredDial(board, self.queue_calls.signals)
        self.options = options
        self.rng = rng

    def call_arrived(self, at: float, call: SimCall) -> None:
        campaign = self.board.joining_campaign
        if campaign is not None:
            # A campaign customer, already on the line, joining its queue.
            self.board.joining_campaign = None
            self.campaigns.attach(campaign, call.id)
            call.caller_number = campaign.caller.caller_num
            call.linkedid = campaign.caller.linkedid
            return
        if call.direction is Direction.OUTBOUND:
            return  # click-to-dial: `originate` builds its channels
        originated: tuple[str, str | None] | None = None
        script = self.board.scripted_caller
        if script is not None:
            # inject_call names its caller only after announcing the call: use the script's.
            call.caller_number, call.caller_name = script.number, script.name
            if script.dialed is not None:
                call.dialed_number = script.dialed
            originated = (script.dialed or script.queue, script.action_id)
            self.board.scripted_caller = None
        number = call.caller_number or "anonymous"
        name = call.caller_name or ""
        dialed = call.dialed_number or "s"
        # A DID's caller comes from the trunk (unless an Originate sent them into a queue).
        from_trunk = dialed in self.board.dids and (script is None or script.dialed is not None)
        pbx_call = self.queue_calls.call_arrives(
            call.id,
            dialed,
            number,
            name,
            at,
            originated=originated,
            context="from-trunk" if from_trunk else "queues",
        )
        # The engine's record then carries the PBX's own Linkedid.
        call.linkedid = pbx_call.caller.linkedid

    def queue_joined(self, at: float, call: SimCall, queue: str, position: int) -> None:
        if call.id in self.board.calls:
            self.queue_calls.caller_joins(call.id, queue, at, position)
            if self.board.calls[call.id].campaign is not None:
                self.campaigns.joined(call)

    def member_dialled(self, at: float, call: SimCall, agent: SimAgent, wait_s: float) -> None:
        queue = call.route_queue.name if call.route_queue is not None else ""
        self.preferred.dial(call.id, agent.name, wait_s, at, queue)

    def member_not_answering(self, at: float, call: SimCall, agent: SimAgent) -> None:
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is not None:
            self.preferred.not_answering(pbx_call, at)

    def agent_ringing(self, at: float, call: SimCall, agent: SimAgent) -> None:
        if call.id in self.board.calls and self.board.calls[call.id].queue is not None:
            self.queue_calls.ring_agent(call.id, agent.name, at)

    def ring_no_answer(self, at: float, call: SimCall, agent: SimAgent, ring_s: float) -> None:
        self.queue_calls.ring_no_answer(call.id, agent.name, at)
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is not None and pbx_call.campaign is not None:
            self.campaigns.ring_ended(call.id, at)

    def ring_cancelled(self, at: float, call: SimCall, agent: SimAgent) -> None:
        self.queue_calls.drop_ring(call.id, agent.name, at)

    def answered(self, at: float, call: SimCall, agent: SimAgent) -> None:
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is not None and pbx_call.campaign is not None and pbx_call.direct is not None:
            self.campaigns.agent_answered(call.id, at)
            return
        if call.direction is Direction.OUTBOUND:
            self.click_to_dial.outbound_answered(call.id, at)
            return
        if pbx_call is not None and pbx_call.direct is not None:
            self.preferred.answered(pbx_call, at)
            return
        if pbx_call is not None and agent.name in pbx_call.rings:
            self.queue_calls.agent_answers(call.id, agent.name, at)
            if pbx_call.campaign is not None:
                self.campaigns.connected(pbx_call, agent.name, at)
            if not agent.human and self.rng.random() < self.options.hold_share:
                self._plan_hold(call.id, agent.name, at)

    def _plan_hold(self, key: int, agent: str, at: float) -> None:
        def still_with(t: float) -> bool:
            pbx_call = self.board.calls.get(key)
            if pbx_call is None or pbx_call.consult is not None:
                return False
            member = pbx_call.agent_member
            return member is not None and member.name == agent

        def hold(t: float) -> None:
            if still_with(t):
                self.connected.hold(key, t)

        def unhold(t: float) -> None:
            if still_with(t):
                self.connected.unhold(key, t)

        start = at + self.options.hold_after_s
        self.board.later(start, hold)
        self.board.later(start + self.options.hold_s, unhold)

    def abandoned(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        self.queue_calls.caller_abandons(call.id, at)

    def queue_timeout(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is not None and pbx_call.campaign is not None:
            self.campaigns.queue_timed_out(call.id, at)
            return
        self.queue_calls.queue_timeout(call.id, at, voicemail_s=self.options.voicemail_s)

    def transferred(
        self, at: float, call: SimCall, agent: SimAgent | None, target: str, queue: str | None
    ) -> None:
        exten, _, context = target.partition("@")
        # A console's transfer left its context; the engine's own go to a queue, `<queue>@queues`.
        context = context or self.board.transfer_contexts.pop(call.id, QUEUE_CONTEXT)
        kind = self.transfers.blind_transfer(call.id, queue or exten, context, at)
        if kind == "external":
            talk = self.options.far_talk_s(self.rng)
            self.board.later(at + talk, lambda t: self.connected.caller_hangs_up(call.id, t))

    def call_ended(self, at: float, call: SimCall, record: CallRecord) -> None:
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is None or pbx_call.ended:
            return
        if pbx_call.campaign is not None and pbx_call.direct is not None:
            self.campaigns.direct_ended(call.id, at, by_agent=call.hangup_by == "agent")
            return
        if call.direction is Direction.OUTBOUND:
            self.click_to_dial.end_outbound(call.id, at, by_agent=call.hangup_by == "agent")
            return
        if pbx_call.direct is not None:
            self.preferred.end(pbx_call, at, by_agent=call.hangup_by == "agent")
            return
        if pbx_call.far is not None or (pbx_call.entry is None and pbx_call.agent_channel is None):
            return  # the PBX finishes it (voicemail, a transfer target, a dialled customer)
        if self.transfers.in_consultation(call.id):
            if call.hangup_by == "agent":
                self.transfers.attended_transfer_complete(
                    call.id, at, caller_talk_s=self.options.far_talk_s(self.rng)
                )
                return
            self.transfers.cancel_consultation(call.id, at)
        if call.hangup_by == "agent":
            self.connected.agent_hangs_up(call.id, at)
        else:
            self.connected.caller_hangs_up(call.id, at)

    def member_added(self, at: float, agent: SimAgent, queue: str, penalty: int) -> None:
        device = self.board.devices.get(agent.name)
        if device is None or agent.name in self.board.queues[queue].members:
            return
        # Members present when the PBX starts make no event: bots are static (queues.conf),
        # people at consoles dynamic (they log in and out with QueueAdd / QueueRemove).
        starting = at <= 0
        dynamic = agent.human or not starting
        self.members.add_member(
            queue, device, agent.name, at, penalty=penalty, dynamic=dynamic, announce=not starting
        )

    def member_removed(self, at: float, agent: SimAgent, queue: str) -> None:
        self.members.remove_member(queue, agent.name, at)

    def member_paused(
        self, at: float, agent: SimAgent, queue: str, paused: bool, reason: str | None
    ) -> None:
        self.members.set_paused(agent.name, queue, paused, reason or "", at)

    def agent_state_changed(
        self, at: float, agent: SimAgent, state: AgentState, reason: str | None
    ) -> None:
        """Wrap-up and availability have no AMI event of their own in Asterisk."""
