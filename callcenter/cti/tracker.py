"""The call tracker: follows each call across its channels by Linkedid, one record per call."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from callcenter.calls.records import Direction, VisitOutcome, WrapUpRecord, is_campaign_call
from callcenter.cti.agent_leg import agent_leg
from callcenter.cti.numbers import is_external_number, normalize_number
from callcenter.cti.pbx_events import (
    ChannelChanged,
    ChannelCreated,
    ChannelHungUp,
    HangupRequested,
    LocalOptimized,
    LocalPaired,
    PbxEvent,
)
from callcenter.cti.tracker_agents import AgentTracker
from callcenter.cti.tracker_clock import EventClock
from callcenter.cti.tracker_queue import QueueCallHandlers
from callcenter.cti.tracker_state import (
    Channel,
    TrackedCall,
    Visit,
    VisitPhase,
    build_record,
    to_datetime,
)
from callcenter.cti.tracker_talk import TalkHandlers
from callcenter.cti.translate import device_of
from callcenter.events import (
    CallEnded,
    CallStarted,
    DomainEvent,
    PbxConnectionChanged,
    WrapUpEnded,
)
from callcenter.settings import DEFAULT_WRAP_UP_REASON

log = logging.getLogger(__name__)

# How long (in event time) a call whose channels are all gone waits for a trailing
# AgentComplete before it is closed without one.
COMPLETION_GRACE_S = 2.0
# Hung-up channels remembered so a straggling event does not bring one back to life.
_GONE_MEMORY = 4096


class Tracker:
    """Turns typed PBX events into domain events on the bus and one CallRecord per call.

    Nothing here depends on channel naming: a call is a Linkedid, a caller is the call's
    first channel, an agent is a queue member (by interface) or a device a member uses.
    """

    def __init__(
        self,
        *,
        server: str,
        publish: Callable[[DomainEvent], None],
        region: str = "US",
        clock: EventClock | None = None,
        wrap_up_reason: str = DEFAULT_WRAP_UP_REASON,
    ) -> None:
        self.server = server
        self.region = region
        self.publish = publish
        self.clock = clock or EventClock()
        self.agents = AgentTracker(
            server,
            publish,
            wrap_up_reason=wrap_up_reason,
            wrap_up_ended=self._wrap_up_ended,
        )
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, TrackedCall] = {}
        self.bridges: dict[str, set[str]] = {}
        self.gap_started_at: float | None = None
        self._parked: deque[tuple[float, TrackedCall]] = deque()
        self._gone: dict[str, None] = {}
        self._optimizing: set[str] = set()
        self.queue = QueueCallHandlers(self)
        self.talk = TalkHandlers(self)
        self._handlers: dict[type[Any], Callable[[Any, float], None]] = {
            ChannelCreated: self._channel_created,
            ChannelChanged: self._channel_changed,
            ChannelHungUp: self._hangup,
            HangupRequested: self._hangup_requested,
            LocalPaired: self._nothing,
            LocalOptimized: self._local_optimized,
            **self.talk.handlers(),
            **self.queue.handlers(),
        }

    def apply(self, event: PbxEvent, at: float) -> None:
        """Take one event that happened at `at` (epoch seconds)."""
        if self._parked and self._parked[0][0] <= at:
            self._close_parked(at)
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event, at)

    # channels and calls

    def channel(self, uniqueid: str, linkedid: str, name: str, at: float) -> Channel | None:
        """The tracked channel, adopting one first seen mid-life (its call gets data_gap).

        None for a channel that already hung up: its late events change nothing.
        """
        channel = self.channels.get(uniqueid)
        if channel is None:
            if uniqueid in self._gone:
                return None
            channel = self._open_channel(uniqueid, linkedid, name, at, adopted=True)
        elif channel.linkedid != linkedid:
            self._rehome(channel, linkedid, at)
        return channel

    def call_of(self, uniqueid: str | None, linkedid: str | None) -> TrackedCall | None:
        if linkedid is not None:
            call = self.calls.get(linkedid)
            if call is not None:
                return call
        channel = self.channels.get(uniqueid) if uniqueid else None
        return self.calls.get(channel.linkedid) if channel else None

    def _open_channel(
        self,
        uniqueid: str,
        linkedid: str,
        name: str,
        at: float,
        *,
        adopted: bool,
        created: ChannelCreated | None = None,
    ) -> Channel:
        channel = Channel(uniqueid, linkedid, name, device_of(name))
        self.channels[uniqueid] = channel
        if created is not None:
            channel.exten = created.exten
            channel.caller_number, channel.caller_name = created.caller_number, created.caller_name
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = TrackedCall(linkedid, at)
            call.first_uniqueid = uniqueid
            call.first_device = channel.device
            call.data_gap = adopted
            call.caller_number, call.caller_name = channel.caller_number, channel.caller_name
            if channel.exten not in (None, "s"):
                call.dialed_number = channel.exten
            self.publish(
                CallStarted(
                    at=to_datetime(at),
                    server=self.server,
                    linkedid=linkedid,
                    caller_number=normalize_number(call.caller_number, self.region),
                    caller_name=call.caller_name,
                    dialed_number=call.dialed_number,
                )
            )
        if not self.clock.exact:
            call.derived_time = True
        call.live.add(uniqueid)
        return channel

    def _rehome(self, channel: Channel, linkedid: str, at: float) -> None:
        """Bridging can hand a channel the older Linkedid of its peers: move it there."""
        old = self.calls.get(channel.linkedid)
        channel.linkedid = linkedid
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = TrackedCall(linkedid, at)
            call.first_uniqueid, call.first_device, call.data_gap = (
                channel.uniqueid,
                channel.device,
                True,
            )
        call.live.add(channel.uniqueid)
        if old is not None:
            old.live.discard(channel.uniqueid)
            if not old.live:
                self._finish(old, at)

    def _channel_created(self, event: ChannelCreated, at: float) -> None:
        at = self.clock.channel_born(at, event.uniqueid)
        if event.uniqueid in self.channels:
            return
        self._open_channel(
            event.uniqueid, event.linkedid, event.channel, at, adopted=False, created=event
        )

    def _channel_changed(self, event: ChannelChanged, at: float) -> None:
        channel = self.channel(event.uniqueid, event.linkedid, event.channel, at)
        if channel is not None:
            self._caller_id(channel, event.caller_number, event.caller_name)

    def _caller_id(self, channel: Channel, number: str | None, name: str | None) -> None:
        if number is None and name is None:
            return
        channel.caller_number = number or channel.caller_number
        channel.caller_name = name or channel.caller_name
        call = self.calls.get(channel.linkedid)
        if call is not None and call.first_uniqueid == channel.uniqueid:
            call.caller_number = channel.caller_number
            call.caller_name = channel.caller_name

    def _hangup_requested(self, event: HangupRequested, at: float) -> None:
        channel = self.channels.get(event.uniqueid)
        if channel is not None:
            channel.hangup_requested = True

    def _hangup(self, event: ChannelHungUp, at: float) -> None:
        channel = self.channels.pop(event.uniqueid, None)
        if channel is None:
            self._hangup_unknown(event, at)
            return
        self._gone[event.uniqueid] = None
        if len(self._gone) > _GONE_MEMORY:
            del self._gone[next(iter(self._gone))]
        call = self.calls.get(channel.linkedid)
        if channel.bridge is not None:
            self.talk.leave_bridge(channel, at)
        if event.uniqueid in self._optimizing:
            # A Local pair optimised away: the call goes on over the channels it joined;
            # the member's call ends with AgentComplete, not with this hang-up.
            self._optimizing.discard(event.uniqueid)
        else:
            self.agents.channel_gone(channel.uniqueid, at)
        if call is None:
            return
        call.caller_gone(channel.uniqueid, event.arrival)
        if channel.held_since is not None:
            self.talk.end_hold(channel, call, at)
        if channel.uniqueid == call.first_uniqueid:
            call.stop_talk(at)
        call.live.discard(channel.uniqueid)
        if not call.live:
            self._finish(call, at)

    def _hangup_unknown(self, event: ChannelHungUp, at: float) -> None:
        """A call's first channel (Uniqueid = Linkedid) hangs up before we ever saw it: the
        call began and ended unseen (the link was down or the adapter not yet started). It
        still gets its record, flagged data_gap; its other channels' hang-ups add nothing."""
        if (
            event.uniqueid != event.linkedid
            or event.uniqueid in self._gone
            or event.linkedid in self.calls
        ):
            return
        self._open_channel(event.uniqueid, event.linkedid, event.channel, at, adopted=True)
        self._hangup(event, at)

    def _nothing(self, event: Any, at: float) -> None:
        """Local-channel pairing changes no call: Linkedid already links the halves."""

    def _local_optimized(self, event: LocalOptimized, at: float) -> None:
        if event.begin:
            self._optimizing.update((event.one_uniqueid, event.two_uniqueid))

    # closing

    def _finish(self, call: TrackedCall, at: float) -> None:
        """The call's last channel is gone: close it, or wait briefly for AgentComplete."""
        call.ended_at = at
        call.stop_talk(at)
        if call.awaits_completion():
            self._parked.append((at + COMPLETION_GRACE_S, call))
            return
        self.close_call(call)

    def _close_parked(self, at: float) -> None:
        while self._parked and self._parked[0][0] <= at:
            _, call = self._parked.popleft()
            if call.linkedid in self.calls and self.calls[call.linkedid] is call:
                self.close_call(call)

    def close_call(self, call: TrackedCall) -> None:
        """Settle what is still open, publish CallEnded with the record, forget the call."""
        if self.calls.get(call.linkedid) is not call:
            return
        del self.calls[call.linkedid]
        ended = call.ended_at if call.ended_at is not None else self.clock.now
        call.ended_at = ended
        call.stop_talk(ended)
        for seq, visit in enumerate(call.visits, start=1):
            visit.seq = seq
            self.queue.settle(visit, ended)
        call.undo_dropped_transfer()
        direction = self._direction(call)
        # What the agent dialed, not their own line (a campaign call's number is its attempt's,
        # named on the stored record).
        if (
            direction is not Direction.INBOUND
            and call.dial_exten
            and not is_campaign_call(call.linkedid)
        ):
            call.dialed_number = call.dial_exten
        record = build_record(
            call,
            server=self.server,
            direction=direction,
            agent=self._agent_of(call),
            caller_number=normalize_number(call.caller_number, self.region),
        )
        self.publish(CallEnded(at=record.ended_at, server=self.server, record=record))

    def _direction(self, call: TrackedCall) -> Direction:
        if is_campaign_call(call.linkedid):
            return Direction.OUTBOUND  # the customer's leg came first, but we called them
        if not self.agents.is_agent_device(call.first_device):
            return Direction.INBOUND
        dialed = call.dial_exten or call.dialed_number
        return Direction.OUTBOUND if is_external_number(dialed, self.region) else Direction.INTERNAL

    def _agent_of(self, call: TrackedCall) -> str | None:
        for visit in reversed(call.visits):
            if visit.agent:
                return visit.agent
        return self.agents.name_of_device(call.first_device) or self.agents.name_of_device(
            call.answered_device
        )

    def _wrap_up_ended(self, visit: Visit, seconds: float, at: float) -> None:
        """An agent's exact wrap-up interval after `visit` ended: the seconds go on the visit.

        While the call is still in flight (the caller went on, e.g. after a transfer) its
        record will carry them; once the record is out they follow it as WrapUpEnded."""
        visit.wrap_up_s = (visit.wrap_up_s or 0.0) + seconds
        call = visit.tracked_call()
        if call is not None and self.calls.get(call.linkedid) is call:
            return
        if visit.seq is None:
            return  # close_call numbers the visits of every call whose record is out
        self.publish(
            WrapUpEnded(
                at=to_datetime(at),
                server=self.server,
                record=WrapUpRecord(
                    server=self.server,
                    linkedid=visit.linkedid,
                    seq=visit.seq,
                    queue=visit.queue,
                    uniqueid=visit.uniqueid,
                    entered_at=to_datetime(visit.entered_at),
                    agent=visit.agent,
                    wrap_up_s=round(visit.wrap_up_s, 3),
                    added_s=round(seconds, 3),
                ),
            )
        )

    def finish_parked(self) -> None:
        """Close every call still waiting for a trailing AgentComplete."""
        self._close_parked(float("inf"))

    def agent_channel(self, interface: str, linkedid: str | None) -> str | None:
        """The agent's own leg of the call `linkedid` among the channels in flight."""
        return agent_leg(self.channels.values(), interface, linkedid)

    # the link to the PBX

    def connection_lost(self, at: float) -> None:
        """Events may be missed from now on: every call and interval in flight is flagged."""
        self.gap_started_at = at if self.gap_started_at is None else self.gap_started_at
        for call in self.calls.values():
            call.data_gap = True
        self.agents.connection_lost()
        self.publish(PbxConnectionChanged(at=to_datetime(at), server=self.server, connected=False))

    def end_all(self, at: float) -> None:
        """End of stream: close every open call with what is known, flagged data_gap."""
        self.finish_parked()
        for call in list(self.calls.values()):
            call.data_gap = True
            if call.ended_at is None:
                call.ended_at = at
            for visit in call.visits:
                if visit.phase is not VisitPhase.DONE and visit.outcome is None:
                    self.queue.settle(visit, at, outcome=VisitOutcome.EXITED)
            self.close_call(call)
        self.agents.close_all(at)
