"""Dials, bridges, hold and transfers: when a call is answered, talks, waits on hold, moves on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from callcenter.cti.numbers import is_external_number, normalize_number
from callcenter.cti.pbx_events import (
    BridgeChanged,
    ChannelTransferred,
    DialEnded,
    DialStarted,
    HoldChanged,
)
from callcenter.cti.tracker_ledger import CallLedger
from callcenter.cti.tracker_state import Channel, TrackedCall, VisitPhase, to_datetime
from callcenter.events import (
    AgentDialled,
    AgentRinging,
    AgentRingNoAnswer,
    CallAnswered,
    CallHeld,
    CallUnheld,
)
from callcenter.events import CallTransferred as CallTransferredEvent

log = logging.getLogger(__name__)

_FAILED_DIALS = frozenset({"BUSY", "CONGESTION", "CHANUNAVAIL", "NOANSWER"})


class TalkHandlers:
    """The conversation side of the tracker.

    A call is answered when a channel of it dials someone who answers (a queue's answer is
    told by AgentConnect instead); its caller talks while sharing a bridge with anyone; hold
    runs from Hold to Unhold (or to the holder's hang-up); a transfer names its target on
    the visit the transferring agent was serving.
    """

    def __init__(self, tracker: CallLedger) -> None:
        self.tracker = tracker

    def handlers(self) -> dict[type[Any], Callable[[Any, float], None]]:
        return {
            DialStarted: self._dial_started,
            DialEnded: self._dial_ended,
            BridgeChanged: self._bridge_changed,
            HoldChanged: self._hold_changed,
            ChannelTransferred: self._transferred,
        }

    def _dial_started(self, event: DialStarted, at: float) -> None:
        if event.uniqueid is None:
            return  # an Originate dialing its first leg: no caller yet
        call = self.tracker.call_of(event.uniqueid, event.linkedid)
        if call is None:
            return
        call.caller_moved_on(event.uniqueid)
        if call.first_uniqueid == event.uniqueid and call.dial_exten is None:
            call.dial_exten = event.exten
            self._agent_dialled(call, event, at)
        self._caller_dials_agent(call, event, at)

    def _dial_ended(self, event: DialEnded, at: float) -> None:
        if event.uniqueid is None:
            return
        call = self.tracker.call_of(event.uniqueid, event.linkedid)
        if call is None:
            return
        if event.status != "ANSWER":
            call.dial_failed = call.dial_failed or event.status in _FAILED_DIALS
            self._agent_not_reached(call, event, at)
            return
        if any(v.is_open and v.uniqueid == event.uniqueid for v in call.visits):
            return  # a queue answer: AgentConnect tells it with the queue's own figures
        dest = self.tracker.channels.get(event.dest_uniqueid)
        device = dest.device if dest else None
        if call.answered_at is None:
            call.answered_at = at
            call.answered_device = device
        agents = self.tracker.agents
        # An agent's own outbound call: answered by the customer, shown on the agent's console.
        dialler = call.first_device if agents.is_agent_device(call.first_device) else None
        self.tracker.publish(
            CallAnswered(
                at=to_datetime(at),
                server=self.tracker.server,
                linkedid=call.linkedid,
                queue=None,
                agent=agents.name_of_device(dialler or device),
                interface=agents.interface_of_device(dialler) or device,
                wait_s=max(0.0, at - call.started_at),
            )
        )

    def _agent_dialled(self, call: TrackedCall, event: DialStarted, at: float) -> None:
        """The agent's phone dials an outside number: their console pops the customer."""
        agents = self.tracker.agents
        interface = agents.interface_of_device(call.first_device)
        if interface is None or not is_external_number(event.exten, self.tracker.region):
            return
        self.tracker.publish(
            AgentDialled(
                at=to_datetime(at),
                server=self.tracker.server,
                linkedid=call.linkedid,
                uniqueid=event.uniqueid or "",
                agent=agents.name_of_device(call.first_device),
                interface=interface,
                number=normalize_number(event.exten, self.tracker.region),
            )
        )

    def _direct_ring(self, call: TrackedCall, event: DialStarted | DialEnded) -> str | None:
        """The device of the agent an outside caller's channel dials itself, before any
        queue (the dialplan's preferred member, a DID to an extension); else None."""
        agents = self.tracker.agents
        if call.visits or agents.is_agent_device(call.first_device):
            return None  # a queue's member call, a transfer, or the agent's own call
        dest = self.tracker.channels.get(event.dest_uniqueid)
        device = dest.device if dest else None
        return device if agents.is_agent_device(device) else None

    def _caller_dials_agent(self, call: TrackedCall, event: DialStarted, at: float) -> None:
        """An outside caller dials an agent's phone directly: that agent's screen pop."""
        device = self._direct_ring(call, event)
        if device is None:
            return
        agents = self.tracker.agents
        self.tracker.publish(
            AgentRinging(
                at=to_datetime(at),
                server=self.tracker.server,
                linkedid=call.linkedid,
                uniqueid=event.uniqueid or "",
                queue="",
                agent=agents.name_of_device(device) or device,
                interface=agents.interface_of_device(device) or device,
                caller_number=normalize_number(call.caller_number, self.tracker.region),
                caller_name=call.caller_name,
                waited_s=max(0.0, at - call.started_at),
            )
        )

    def _agent_not_reached(self, call: TrackedCall, event: DialEnded, at: float) -> None:
        """The agent's phone rang out (or the caller gave up): the pop is over."""
        device = self._direct_ring(call, event)
        if device is None:
            return
        agents = self.tracker.agents
        self.tracker.publish(
            AgentRingNoAnswer(
                at=to_datetime(at),
                server=self.tracker.server,
                linkedid=call.linkedid,
                queue="",
                agent=agents.name_of_device(device) or device,
                interface=agents.interface_of_device(device) or device,
                ring_s=None,
            )
        )

    def _bridge_changed(self, event: BridgeChanged, at: float) -> None:
        channel = self.tracker.channel(event.uniqueid, event.linkedid, "", at)
        if channel is None:
            return
        if not event.entered:
            if channel.bridge == event.bridge:
                self.leave_bridge(channel, at)
            return
        if channel.bridge is not None:
            self.leave_bridge(channel, at)
        call = self.tracker.calls.get(channel.linkedid)
        if call is not None:
            call.caller_moved_on(channel.uniqueid)
        members = self.tracker.bridges.setdefault(event.bridge, set())
        members.add(channel.uniqueid)
        channel.bridge = event.bridge
        self._update_talk(members, at)

    def leave_bridge(self, channel: Channel, at: float) -> None:
        bridge = channel.bridge
        channel.bridge = None
        members = self.tracker.bridges.get(bridge) if bridge else None
        if members is None:
            return
        members.discard(channel.uniqueid)
        self._update_talk((*members, channel.uniqueid), at)
        if not members:
            del self.tracker.bridges[bridge]  # type: ignore[arg-type]

    def _update_talk(self, uniqueids: Iterable[str], at: float) -> None:
        """A caller talks while it shares a bridge with anyone else."""
        for uniqueid in uniqueids:
            channel = self.tracker.channels.get(uniqueid)
            if channel is None:
                continue
            call = self.tracker.calls.get(channel.linkedid)
            if call is None or call.first_uniqueid != uniqueid:
                continue
            members = self.tracker.bridges.get(channel.bridge) if channel.bridge else None
            if members is not None and len(members) >= 2:
                call.start_talk(at)
            else:
                call.stop_talk(at)

    def _hold_changed(self, event: HoldChanged, at: float) -> None:
        channel = self.tracker.channel(event.uniqueid, event.linkedid, "", at)
        call = self.tracker.calls.get(channel.linkedid) if channel is not None else None
        if channel is None or call is None:
            return
        if event.held:
            if channel.held_since is not None:
                log.debug("hold on %s while already held: ignored", channel.uniqueid)
                return
            channel.held_since = at
            channel.held_visit = call.connected_visit()
            self.tracker.publish(
                CallHeld(
                    at=to_datetime(at),
                    server=self.tracker.server,
                    linkedid=call.linkedid,
                    channel=channel.name,
                )
            )
            return
        if channel.held_since is None:
            log.debug("unhold on %s without a hold: ignored", channel.uniqueid)
            return
        self.end_hold(channel, call, at)
        self.tracker.publish(
            CallUnheld(
                at=to_datetime(at),
                server=self.tracker.server,
                linkedid=call.linkedid,
                channel=channel.name,
            )
        )

    def end_hold(self, channel: Channel, call: TrackedCall, at: float) -> None:
        held = max(0.0, at - (channel.held_since or at))
        call.hold_s += held
        if channel.held_visit is not None:
            channel.held_visit.hold_s += held
        channel.held_since, channel.held_visit = None, None

    def _transferred(self, event: ChannelTransferred, at: float) -> None:
        call = self.tracker.call_of(
            event.transferer_uniqueid, event.linkedid
        ) or self.tracker.call_of(event.transferee_uniqueid, None)
        if call is None:
            log.info("transfer of an unknown call ignored (%s)", event.linkedid)
            return
        visit = (
            next(
                (
                    v
                    for v in reversed(call.visits)
                    if v.phase is VisitPhase.CONNECTED
                    and event.transferer_uniqueid in (v.member_uniqueid, None)
                ),
                None,
            )
            or call.connected_visit()
        )
        if visit is not None:
            visit.transfer_target = event.target
        call.transfer_target = event.target
        if not event.attended and event.transferee_uniqueid and event.target:
            call.transfer_landing = (event.transferee_uniqueid, event.target)
        self.tracker.publish(
            CallTransferredEvent(
                at=to_datetime(at),
                server=self.tracker.server,
                linkedid=call.linkedid,
                kind="attended" if event.attended else "blind",
                queue=visit.queue if visit else None,
                agent=visit.agent if visit else None,
                target=event.target,
            )
        )
