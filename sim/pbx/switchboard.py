"""What the simulated PBX holds: queues, phones, live channels and calls, timers, ground truth."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from sim.pbx.calls import PbxCall
from sim.pbx.channels import ChannelFactory
from sim.pbx.dialplan import Dialplan
from sim.pbx.model import Channel, Device, Member, PbxQueue
from sim.pbx.truth import GroundTruth


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """What the PBX needs to know about a queue (queues.conf)."""

    name: str
    strategy: str = "rrmemory"
    service_level_s: int = 20
    wrapup_s: int = 0


@dataclass(frozen=True, slots=True)
class ScriptedCaller:
    """The caller an AMI Originate is sending into a queue, until the engine announces it."""

    number: str
    name: str | None
    queue: str
    action_id: str | None
    dialed: str | None = None  # a DID the caller dials (from-trunk), else straight to `queue`


class Switchboard:
    """The PBX's state, shared by everything that works it (see `sim.pbx.pbx`).

    Queues, agents' phones and live channels as Asterisk would list them; the calls in
    progress (keyed by the engine's call id); the PBX's own timers (a voicemail ending, a far
    party hanging up); and the ground-truth records of finished calls.
    """

    def __init__(
        self, epoch: Callable[[float], float], *, local_channels: bool = False, server: str = "sim"
    ) -> None:
        self.epoch = epoch
        self.local = local_channels
        self.factory = ChannelFactory(epoch, local_channels=local_channels)
        self.truth = GroundTruth(server, epoch)
        self.queues: dict[str, PbxQueue] = {}
        self.devices: dict[str, Device] = {}
        # Each queue interface and state interface -> the first device declared with it.
        self._by_interface: dict[str, Device] = {}
        self.channels: dict[str, Channel] = {}
        self.calls: dict[object, PbxCall] = {}
        self.dialplan = Dialplan(
            lambda: self.queues, lambda: (device.exten for device in self.devices.values())
        )
        # The dialplan context of a blind transfer out of the queues, until the engine moves
        # the call; and the caller an Originate is sending in.
        self.transfer_contexts: dict[object, str] = {}
        self.scripted_caller: ScriptedCaller | None = None
        # A campaign call the engine is about to announce (its customer joins a queue).
        self.joining_campaign: PbxCall | None = None
        self.dids: dict[str, str] = {}  # a DID -> the queue it leads to (scenario `numbers`)
        self._timers: list[tuple[float, int, Callable[[float], None]]] = []
        self._timer_seq = itertools.count()

    # -- configuration -------------------------------------------------------------------

    def add_queue(self, config: QueueConfig) -> PbxQueue:
        """Declare a queue (as queues.conf would)."""
        queue = PbxQueue(
            name=config.name,
            strategy=config.strategy,
            service_level_s=config.service_level_s,
            wrapup_s=config.wrapup_s,
        )
        self.queues[config.name] = queue
        return queue

    def add_device(self, agent: str, interface: str | None, exten: str) -> Device:
        """Declare an agent's phone."""
        device = self.factory.device_for(agent, interface, exten)
        replaced = agent in self.devices
        self.devices[agent] = device
        if replaced:  # the agent's old phone no longer answers to its interfaces
            self._by_interface.clear()
            for known in self.devices.values():
                self._index(known)
        else:
            self._index(device)
        return device

    def _index(self, device: Device) -> None:
        self._by_interface.setdefault(device.interface, device)
        self._by_interface.setdefault(device.state_interface, device)

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

    def device_by_interface(self, interface: str) -> Device | None:
        """The device whose queue interface or state interface is `interface`."""
        return self._by_interface.get(interface)

    def memberships(self, device: Device) -> list[Member]:
        """Every queue membership of a device, in queue order."""
        return [
            queue.members[device.agent]
            for queue in self.queues.values()
            if device.agent in queue.members
        ]

    def call_of_channel(self, name: str) -> PbxCall | None:
        """The live call a channel (caller, agent or far party) belongs to."""
        for call in self.calls.values():
            if call.ended:
                continue
            channels = [call.caller, call.agent_channel, call.far]
            channels += [ring.channel for ring in call.rings.values()]
            if call.direct is not None:
                channels.append(call.direct.channel)
            for channel in channels:
                if channel is not None and name in (
                    channel.name,
                    getattr(channel.peer, "name", ""),
                ):
                    return call
        return None

    def call_of_agent(self, agent: str) -> PbxCall | None:
        """The live call an agent is ringing for or talking in."""
        for call in self.calls.values():
            if call.ended:
                continue
            if agent in call.rings:
                return call
            if call.agent_member is not None and call.agent_member.name == agent:
                return call
            if call.direct is not None and call.direct.device.agent == agent:
                return call
        return None

    def consultation_target(self, key: object) -> str | None:
        """The `exten@context` an agent is consulting, if an attended transfer is pending."""
        call = self.calls.get(key)
        return call.consult.label if call is not None and call.consult is not None else None

    # -- the end of a call ---------------------------------------------------------------

    def end(self, call: PbxCall, at: float) -> None:
        """The call's last channel is gone: its ground-truth record is written."""
        call.ended = True
        if call.routing is not None:
            call.routing.set()  # the routing server is told the caller hung up
        self.truth.close_call(call.truth, at)
        if call.campaign is not None:
            draft = call.campaign.draft
            if draft.hangup_by is None and call.truth.visits:
                draft.hangup_by = call.truth.visits[-1].hangup_by
            if draft.hangup_cause is None and draft.answered_at is not None:
                draft.hangup_cause = 16  # answered calls end normally
            self.truth.close_campaign(draft, at)
        self.calls.pop(call.key, None)
