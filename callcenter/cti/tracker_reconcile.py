"""Resync after a (re)connect: make the tracker agree with what the PBX says is live now."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from callcenter.calls.records import VisitOutcome
from callcenter.cti.frames import BadHeader, Frame
from callcenter.cti.log_limit import LimitedLog
from callcenter.cti.pbx_events import (
    ChannelHungUp,
    ChannelListed,
    ListComplete,
    MemberChanged,
    PbxEvent,
    QueueCallerListed,
)
from callcenter.cti.tracker import Tracker
from callcenter.cti.tracker_state import Visit, VisitPhase
from callcenter.cti.translate import TRANSLATORS, device_of, translated

log = logging.getLogger(__name__)
_warnings = LimitedLog(log)


def _ignoring(name: str) -> Callable[[BadHeader], object]:
    return lambda bad: _warnings.warning(
        f"{name} {bad.header}", "ignored an %s on a %s answer", bad, name
    )


def _events(frames: Sequence[Frame]) -> list[PbxEvent]:
    events: list[PbxEvent] = []
    for frame in frames:
        name = frame.get("Event", "")
        translator = TRANSLATORS.get(name)
        if translator is None:
            continue
        try:
            event = translated(translator, frame, _ignoring(name))
        except KeyError as missing:
            _warnings.warning(
                f"{name} {missing}", "skipped a %s answer without its %s header", name, missing
            )
            continue
        if event is not None:
            events.append(event)
    return events


def reconcile(tracker: Tracker, frames: Sequence[Frame], at: float) -> None:
    """Apply the answers to QueueStatus, QueueSummary and CoreShowChannels received at `at`.

    - Members of the queues listed (QueueParams) take the listed status and pause; members
      no longer listed have logged out. Changes found this way are flagged data_gap.
    - Only with a complete channel list (CoreShowChannelsComplete): tracked channels that
      are no longer live hung up while we could not see, at the moment the link dropped;
      calls left without channels close with what is known, flagged data_gap. Live
      channels the tracker does not know start being tracked, their calls flagged.
    - Callers whose channel runs Queue() in a bridge with a member's channel were
      answered while we could not see (before the adapter started, or during the gap):
      their visit is connected to that member, answered when the member's channel was
      created (its Duration), flagged; AgentComplete and the hang-ups finish it.
    - Callers listed in a queue (QueueEntry) without an open visit get one, flagged.
    """
    events = _events(frames)
    listed_queues = {f["Queue"] for f in frames if f.get("Event") == "QueueParams" and "Queue" in f}
    members = [e for e in events if isinstance(e, MemberChanged)]
    if listed_queues or members:
        tracker.agents.reconcile(members, listed_queues, at)
    complete = any(
        isinstance(e, ListComplete) and e.name == "CoreShowChannelsComplete" for e in events
    )
    if complete:
        live = {e.uniqueid: e for e in events if isinstance(e, ChannelListed)}
        _drop_vanished(tracker, live, tracker.gap_started_at or at)
        _adopt_unknown(tracker, live, at)
        _adopt_answered(tracker, live, at)
    for entry in events:
        if isinstance(entry, QueueCallerListed):
            _adopt_queue_entry(tracker, entry, at)
    tracker.gap_started_at = None
    tracker.finish_parked()


def _drop_vanished(tracker: Tracker, live: dict[str, ChannelListed], gone_at: float) -> None:
    vanished = [channel for uid, channel in tracker.channels.items() if uid not in live]
    for channel in vanished:
        call = tracker.calls.get(channel.linkedid)
        if call is None:
            continue
        call.data_gap = True
        if call.live.issubset({c.uniqueid for c in vanished}):
            for visit in call.visits:
                if visit.phase is VisitPhase.WAITING:
                    # Whether the caller hung up or was served, the stream did not say.
                    tracker.queue.settle(visit, gone_at, outcome=VisitOutcome.EXITED)
    for channel in vanished:
        tracker.apply(
            ChannelHungUp(channel.uniqueid, channel.linkedid, channel.name, None), gone_at
        )


def _adopt_unknown(tracker: Tracker, live: dict[str, ChannelListed], at: float) -> None:
    # A call's first channel (Uniqueid = Linkedid) first, so it becomes the call's caller.
    for listed in sorted(live.values(), key=lambda c: c.uniqueid != c.linkedid):
        if listed.uniqueid in tracker.channels:
            continue
        started = at - (listed.duration or 0.0)
        known_call = listed.linkedid in tracker.calls
        channel = tracker.channel(listed.uniqueid, listed.linkedid, listed.channel, started)
        if channel is None:
            continue
        channel.exten = listed.exten
        channel.caller_number = listed.caller_number
        channel.caller_name = listed.caller_name
        if listed.bridge is not None:
            channel.bridge = listed.bridge
            tracker.bridges.setdefault(listed.bridge, set()).add(listed.uniqueid)
        call = tracker.calls[listed.linkedid]
        call.data_gap = True
        if not known_call and call.first_uniqueid == listed.uniqueid:
            call.caller_number, call.caller_name = listed.caller_number, listed.caller_name


def _adopt_answered(tracker: Tracker, live: dict[str, ChannelListed], at: float) -> None:
    """Connect the visits of queue callers found bridged with a member's channel."""
    by_bridge: dict[str, list[ChannelListed]] = {}
    for listed in live.values():
        if listed.bridge is not None:
            by_bridge.setdefault(listed.bridge, []).append(listed)
    for listed in live.values():
        queue = (listed.application_data or "").partition(",")[0]
        channel = tracker.channels.get(listed.uniqueid)
        if listed.application != "Queue" or not queue or channel is None or not listed.bridge:
            continue
        call = tracker.calls.get(channel.linkedid)
        if call is None or any(
            visit.phase is VisitPhase.CONNECTED and visit.uniqueid == listed.uniqueid
            for visit in call.visits
        ):
            continue
        peers = [p for p in by_bridge[listed.bridge] if p.uniqueid != listed.uniqueid]
        member = next(
            (p for p in peers if tracker.agents.of_device(device_of(p.channel))), None
        ) or next(iter(peers), None)
        if member is None:
            continue
        visit = call.open_visit(listed.uniqueid, queue)
        if visit is None:
            visit = Visit(call, queue, listed.uniqueid, at - (listed.duration or 0.0), None)
            call.visits.append(visit)
        answered = max(visit.entered_at, at - (member.duration or 0.0))
        agent = tracker.agents.of_device(device_of(member.channel))
        tracker.queue.adopt_connected(
            visit,
            answered,
            agent.name if agent else None,
            agent.interface if agent else device_of(member.channel) or member.channel,
            member.uniqueid,
        )
        call.data_gap = True
        if call.first_uniqueid == listed.uniqueid:
            call.start_talk(answered)


def _adopt_queue_entry(tracker: Tracker, entry: QueueCallerListed, at: float) -> None:
    call = tracker.call_of(entry.uniqueid, None)
    if call is None or call.open_visit(entry.uniqueid, entry.queue) is not None:
        return
    entered = at - (entry.wait or 0.0)
    call.visits.append(Visit(call, entry.queue, entry.uniqueid, entered, entry.position))
    call.data_gap = True
    if call.caller_number is None:
        call.caller_number, call.caller_name = entry.caller_number, entry.caller_name
    tracker.queue.announce(call, entry.queue, entry.uniqueid, entered, entry.position)
