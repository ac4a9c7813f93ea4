"""What a console (an AMI client) can ask of the simulated PBX, checked as Asterisk checks it."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from callcenter.calls.records import Direction
from sim.pbx.calls import DEFAULT_TIMEOUT_MS, CampaignDial
from sim.pbx.campaign_calls import CONTEXT as CAMPAIGN_CONTEXT
from sim.pbx.campaign_calls import CampaignCalls
from sim.pbx.channels import exten_of
from sim.pbx.click_to_dial import ClickToDial
from sim.pbx.connected import ConnectedCalls
from sim.pbx.dialplan import UnknownContext
from sim.pbx.engine_link import EngineLink
from sim.pbx.members import QueueMembers
from sim.pbx.options import PbxOptions
from sim.pbx.signalling import CALL, Signalling
from sim.pbx.switchboard import ScriptedCaller, Switchboard
from sim.pbx.transfers import Transfers

# The console's hold code (docs/asterisk/features.conf, `consolehold` in the applicationmap).
CONSOLE_HOLD_CODE = "*6"

AGENT_RING_S = 2.0
_CALLERID = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')


def parse_caller_id(text: str) -> tuple[str, str]:
    """`"Ann Customer" <15551230001>` -> ("15551230001", "Ann Customer")."""
    match = _CALLERID.match(text or "")
    if match:
        return match.group(2).strip(), match.group(1).strip()
    return (text or "").strip(), ""


def number_of_channel(channel: str) -> str:
    """The dialled number in `Local/<number>@customer/n` or `PJSIP/<number>@trunk`."""
    tail = channel.split("/", 1)[-1]
    return tail.split("@", 1)[0]


class ConsoleActions:
    """The effects of AMI actions on the switchboard and the engine.

    `check_*` methods return Asterisk's refusal message (or None) before the reply is sent;
    the action methods run after it, at the simulation's present, then `wake` the PBX's loop.
    """

    def __init__(
        self,
        board: Switchboard,
        signals: Signalling,
        link: EngineLink,
        parts: tuple[QueueMembers, ClickToDial, ConnectedCalls, Transfers],
        options: PbxOptions,
        campaigns: CampaignCalls,
        rng: random.Random,
        *,
        now: Callable[[], float],
        wake: Callable[[], None],
    ) -> None:
        self.campaigns = campaigns
        self.board = board
        self.signals = signals
        self.link = link
        self.members, self.click_to_dial, self.connected, self.transfers = parts
        self.options = options
        self.rng = rng
        self.now = now
        self.wake = wake
        self._keys: dict[str, str] = {}  # each agent leg's last keys, for the hold code
        self._held: set[object] = set()  # calls on the console's hold (until the next key)

    # -- actions from AMI clients --------------------------------------------------------

    def _device_agent(self, interface: str) -> str | None:
        device = self.board.device_by_interface(interface)
        return device.agent if device is not None else None

    def check_queue_add(self, queue: str, interface: str) -> str | None:
        """Asterisk's refusals of QueueAdd."""
        if queue not in self.board.queues:
            return "Unable to add interface to queue: No such queue"
        agent = self._device_agent(interface)
        if agent is not None and agent in self.board.queues[queue].members:
            return "Unable to add interface: Already there"
        return None

    def queue_add(
        self,
        queue: str,
        interface: str,
        name: str,
        membership: tuple[int, bool, str],
        state_interface: str,
    ) -> None:
        """QueueAdd: the agent logs in to the queue (the engine starts offering calls).

        `membership` is (penalty, paused, reason); without a `state_interface` Asterisk
        follows the device state of `interface` itself, so a Local interface's `/n` stays in.
        """
        penalty, paused, reason = membership
        at = self.now()
        device = self.board.device_by_interface(interface)
        if device is None:
            # An interface the scenario does not know: a PBX member no simulated call reaches.
            agent = name or interface
            device = self.board.add_device(agent, interface, exten_of(interface))
        self.members.add_member(
            queue,
            device,
            name or device.agent,
            at,
            penalty=penalty,
            paused=paused,
            reason=reason,
            state_interface=state_interface or interface,
        )
        self.link.login(device.agent, queue, penalty, paused, reason)
        self.wake()

    def check_queue_remove(self, queue: str, interface: str) -> str | None:
        """Asterisk's refusals of QueueRemove."""
        if queue not in self.board.queues:
            return "Unable to remove interface from queue: No such queue"
        agent = self._device_agent(interface)
        member = self.board.queues[queue].members.get(agent or "")
        if member is None:
            return "Unable to remove interface: Not there"
        if not member.dynamic:
            return "Member not dynamic"
        return None

    def queue_remove(self, queue: str, interface: str) -> None:
        """QueueRemove: the agent logs out of the queue."""
        agent = self._device_agent(interface)
        if agent is None:
            return
        self.members.remove_member(queue, agent, self.now())
        self.link.logout(agent, queue)
        self.wake()

    def check_member(self, interface: str, queue: str | None) -> bool:
        """Whether the interface is a member (of `queue`, or of any queue)."""
        agent = self._device_agent(interface)
        if agent is None:
            return False
        queues = [self.board.queues[queue]] if queue in self.board.queues else []
        if queue is None:
            queues = list(self.board.queues.values())
        return any(agent in q.members for q in queues)

    def queue_pause(self, interface: str, queue: str | None, paused: bool, reason: str) -> None:
        """QueuePause (with a reason), in one queue or all."""
        agent = self._device_agent(interface)
        if agent is None:
            return
        self.members.set_paused(agent, queue, paused, reason, self.now())
        self.link.pause(agent, queue, paused, reason)
        self.wake()

    def queue_penalty(self, interface: str, queue: str | None, penalty: int) -> None:
        """QueuePenalty (the PBX reports it; routing keeps the scenario's penalties)."""
        agent = self._device_agent(interface)
        if agent is not None:
            self.members.set_penalty(agent, queue, penalty, self.now())

    def check_originate(self, channel: str, exten: str, context: str) -> str | None:
        """Originate from an agent's interface (click-to-dial) or of a caller into a queue;
        Asterisk first wants `exten@context` in its dial plan."""
        if not self._in_dialplan(context, exten):
            return "Extension does not exist."
        if context == CAMPAIGN_CONTEXT:
            return None  # the customer's channel: whatever becomes of it, OriginateResponse says
        if self.board.device_by_interface(channel) is not None:
            agent = self._device_agent(channel)
            if agent is not None and self.link.agent_busy(agent):
                return "Originate failed"
            return None
        destination = self.board.dialplan.route(context, exten)
        if destination is not None and destination.kind == "queue":
            return None
        if destination is not None and destination.kind == "did" and exten in self.board.dids:
            return None
            return None
        return "Originate failed"

    def _in_dialplan(self, context: str, exten: str) -> bool:
        try:
            return self.board.dialplan.find(context, exten) is not None
        except UnknownContext:
            return False

    def check_transfer(self, channel: str, *, attended: bool = False) -> str | None:
        """A transfer needs a channel of a connected call: a queue call, or (blind only: the
        simulation has no consultation from a call outside the queues) a preferred member's."""
        call = self.board.call_of_channel(channel)
        if call is None:
            return "Transfer failed"
        leg = call.agent_channel if attended else call.agent_leg()
        return "Transfer failed" if leg is None else None

    def blind_transfer(self, channel: str, exten: str, context: str) -> None:
        """BlindTransfer of the agent's channel: the caller goes to `exten@context`."""
        call = self.board.call_of_channel(channel)
        if call is not None:
            # Without a Context, the transferer's own channel's context (Asterisk's default).
            self.board.transfer_contexts[call.key] = context or self._context_of(channel)
            self.link.blind_transfer(call.key, exten)
            self.wake()

    def _context_of(self, name: str) -> str:
        channel = self.board.channels.get(name)
        return channel.context if channel is not None else ""

    def redirect(self, channel: str, exten: str, context: str) -> None:
        """Redirect of a connected call's channel: modelled as the console's blind transfer."""
        self.blind_transfer(channel, exten, context)

    def attended_transfer(self, channel: str, exten: str, context: str) -> None:
        """Atxfer: consult `exten@context`; the agent hanging up completes the transfer."""
        call = self.board.call_of_channel(channel)
        if call is not None:
            self.transfers.attended_transfer_start(
                call.key,
                exten,
                context or self._context_of(channel),
                self.now(),
                answer_after_s=self.options.far_answer_s,
            )
            self.wake()

    def key_received(self, channel: str, key: str) -> None:
        """A key from the phone on `channel` (PlayDTMF with Receive): the console's hold code
        (docs/asterisk/features.conf) holds the caller of the agent's connected call until the
        next key, as its `Read()` there does."""
        call = self.board.call_of_channel(channel)
        agent = call.agent_leg() if call is not None else None
        if call is None or agent is None or channel != agent.name or call.consult is not None:
            return
        at = self.now()
        self.transfers.key(agent, key, at)
        if call.key in self._held:
            self._held.discard(call.key)
            self.connected.unhold(call.key, at)
        else:
            keys = self._keys.get(channel, "") + key
            self._keys[channel] = keys[-len(CONSOLE_HOLD_CODE) :]
            if keys.endswith(CONSOLE_HOLD_CODE) and not call.held:
                self._keys.pop(channel, None)
                self._held.add(call.key)
                self.connected.hold(call.key, at)
        self.wake()

    def cancel_attended(self, channel: str) -> None:
        """CancelAtxfer: the consulting agent goes back to the held caller."""
        call = self.board.call_of_channel(channel)
        if call is not None and call.consult is not None:
            self.transfers.abort_consultation(call.key, self.now())
            self.wake()

    def complete_attended(self, key: object, at: float) -> None:
        """The consulting agent hangs up: the caller stays with the transfer target a while."""
        talk = self.options.far_talk_s(self.rng)
        self.transfers.attended_transfer_complete(key, at, caller_talk_s=talk)

    def originate(
        self,
        channel: str,
        exten: str,
        context: str,
        caller_id: str,
        action_id: str | None,
        *,
        variables: dict[str, str] | None = None,
        timeout_ms: int | None = None,
        channel_ids: tuple[str, str] = ("", ""),
    ) -> None:
        """Click-to-dial from an agent's interface, a caller sent into a queue (as the
        captures were made: `Originate Local/<number>@customer/n` into `queues,<queue>`), or
        a campaign's customer dialled first (`[campaign-dial]`)."""
        if context == CAMPAIGN_CONTEXT:
            request = CampaignDial(
                channel,
                context,
                exten,
                parse_caller_id(caller_id),
                action_id,
                dict(variables or {}),
                DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms,
                *channel_ids,
            )
            self.campaigns.dial(request, self.now())
        else:
            self._originate(channel, exten, context, caller_id, action_id)
        self.wake()

    def hangup(self, channel: str) -> None:
        """AMI Hangup: whoever is on that channel hangs up, and the simulation follows."""
        self._hangup(channel)
        self.wake()

    def _originate(
        self, channel: str, exten: str, context: str, caller_id: str, action_id: str | None
    ) -> None:
        at = self.now()
        device = self.board.device_by_interface(channel)
        number, name = parse_caller_id(caller_id)
        if device is None:
            number = number or number_of_channel(channel)
            did = exten if exten in self.board.dids and exten not in self.board.queues else None
            queue = self.board.dids[exten] if did is not None else exten
            self.board.scripted_caller = ScriptedCaller(
                number, name or None, queue, action_id, dialed=did
            )
            self.link.inject_caller(queue, number, name, dialed=did)
            return
        ring_s = AGENT_RING_S
        sim_call = self.link.originate(device.agent, exten, ring_s + self.options.far_answer_s)
        if sim_call is None:
            failure = [("ActionID", action_id)] if action_id is not None else []
            failure += [
                ("Response", "Failure"), ("Channel", channel), ("Context", context),
                ("Exten", exten), ("Reason", "0"), ("Uniqueid", "<null>"),
                ("CallerIDNum", number or "<unknown>"), ("CallerIDName", name or "<unknown>"),
            ]  # fmt: skip
            self.signals.emit("OriginateResponse", CALL, failure, at)
            return
        call = self.click_to_dial.originate(
            sim_call.id,
            device,
            exten,
            (number or device.exten, name or device.agent),
            at,
            context=context or "outbound",
            action_id=action_id,
            ring_s=ring_s,
        )
        sim_call.linkedid = call.caller.linkedid

    def _hangup(self, name: str) -> None:
        at = self.now()
        call = self.board.call_of_channel(name)
        if call is None:
            return
        if call.campaign is not None and self.campaigns.hang_up(call, name, at):
            return  # only the PBX had it (dialling, AMD, the message)
        if call.campaign is None and call.truth.direction is Direction.OUTBOUND:
            self.link.hangup(call.key, "agent" if name == call.caller.name else "caller")
            return
        if call.direct is not None:  # a preferred member dialled (or talking) before the queue
            direct = call.direct.channel
            by_agent = name in (direct.name, getattr(direct.peer, "name", ""))
            self.link.hangup(call.key, "agent" if by_agent else "caller")
            return
        agent = call.agent_channel
        if agent is not None and name in (agent.name, getattr(agent.peer, "name", "")):
            consult = self.board.consultation_target(call.key)
            if consult is not None:
                self.complete_attended(call.key, at)
                self.link.blind_transfer(call.key, consult.split("@", 1)[0])
                return
            self.link.hangup(call.key, "agent")
            return
        if call.routing is not None:
            call.truth.turned_away = True  # hung up while the routing server was asked
        if call.far is not None or (call.entry is None and agent is None):
            # The queues are done with this caller (voicemail, a transfer target): the PBX ends it.
            self.connected.caller_hangs_up(call.key, at)
            return
        if name == call.caller.name or name == getattr(call.caller.peer, "name", ""):
            self.link.hangup(call.key, "caller")
        # A ringing phone cannot reject the call here: the queue goes on ringing it.
