"""The calls a stopping adapter had in flight, saved so that the next start resumes them.

On a clean stop (`cti run` or `serve` shutting down, SIGTERM) the adapter writes every call
in flight as it stands (channels, queue visits with their positions, answer and talk times)
to the database (one row per PBX, table `calls_in_flight`: any process that follows that PBX
next finds it, whatever the database), then publishes a record for each, flagged data_gap,
so nothing is lost if no next start comes. The next start reads them back before it
connects (and deletes the row once logged in, so an old stop is never resumed twice): its
first resync then finishes
those calls from what the PBX says, as after any gap. A call still up goes on with its own
visits (a caller at position 6 stays at 6, not the 1 a resync would see); one that ended
while the adapter was down closes at the stop time. Either way its new record replaces the
stop's (one per call: records are stored by server and Linkedid, the later gap one wins).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import CallsInFlight
from callcenter.calls.records import VisitOutcome
from callcenter.cti.tracker import Tracker
from callcenter.cti.tracker_state import Channel, TrackedCall, Visit, VisitPhase

log = logging.getLogger(__name__)

FORMAT = 1


def _fields(obj: object, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in type(obj).__slots__:  # type: ignore[attr-defined]
        if name in skip or name == "__weakref__":
            continue
        value = getattr(obj, name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, set):
            value = sorted(value)
        values[name] = value
    return values


def document(tracker: Tracker, at: float) -> dict[str, Any]:
    """The calls in flight in `tracker`, stopped at `at` (PBX time), as a JSON document."""
    calls = []
    for call in tracker.calls.values():
        entry = _fields(call, skip=("visits",))
        entry["visits"] = [_fields(visit, skip=("_call",)) for visit in call.visits]
        calls.append(entry)
    channels = []
    for channel in tracker.channels.values():
        entry = _fields(channel, skip=("held_visit",))
        owner = tracker.calls.get(channel.linkedid)
        held = channel.held_visit
        entry["held_visit"] = (
            owner.visits.index(held) if owner is not None and held in owner.visits else None
        )
        channels.append(entry)
    return {
        "format": FORMAT,
        "server": tracker.server,
        "stopped_at": at,
        "calls": calls,
        "channels": channels,
    }


class Checkpoints:
    """Where stopping adapters leave their calls in flight: the database (flushes and
    commits its own short transactions; call from a worker thread)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def save(self, saved: dict[str, Any]) -> None:
        """Keep `saved` (from `document`) as its PBX's calls in flight, replacing older ones."""
        row = CallsInFlight(
            server=saved["server"],
            saved_at=datetime.fromtimestamp(saved["stopped_at"], UTC),
            document=json.dumps(saved),
        )
        with self.sessions() as session, session.begin():
            session.merge(row)

    def load(self, server: str) -> dict[str, Any] | None:
        """The calls `server`'s adapter left at its last stop; None when there are none."""
        with self.sessions() as session:
            row = session.get(CallsInFlight, server)
            text = row.document if row is not None else None
        return _readable(text, server) if text is not None else None

    def clear(self, server: str) -> None:
        """Forget `server`'s saved calls (once they are taken back)."""
        with self.sessions() as session, session.begin():
            session.execute(delete(CallsInFlight).where(CallsInFlight.server == server))


def _readable(text: str, server: str) -> dict[str, Any] | None:
    try:
        saved = json.loads(text)
    except ValueError:
        log.warning("ignored the unreadable calls in flight saved for %s", server)
        return None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        log.warning(
            "ignored the calls in flight saved for %s: not a form this version reads", server
        )
        return None
    if saved.get("server") != server:
        log.warning("ignored calls in flight saved for %r, not %r", saved.get("server"), server)
        return None
    return saved


def resume(tracker: Tracker, document: dict[str, Any]) -> int:
    """Take the saved calls back into `tracker`, flagged data_gap; how many."""
    stopped_at = float(document["stopped_at"])
    for saved in document["calls"]:
        call = TrackedCall(saved["linkedid"], saved["started_at"])
        for name, value in saved.items():
            if name not in ("visits", "live"):
                setattr(call, name, value)
        call.live = set(saved["live"])
        call.data_gap = True
        for saved_visit in saved["visits"]:
            visit = Visit(call, saved_visit["queue"], saved_visit["uniqueid"], 0.0, None)
            for name, value in saved_visit.items():
                setattr(visit, name, value)
            visit.phase = VisitPhase(saved_visit["phase"])
            outcome = saved_visit["outcome"]
            visit.outcome = VisitOutcome(outcome) if outcome is not None else None
            call.visits.append(visit)
            if visit.phase is VisitPhase.CONNECTED:
                tracker.queue.resume_connected(visit)
        tracker.calls[call.linkedid] = call
    for saved in document["channels"]:
        channel = Channel(saved["uniqueid"], saved["linkedid"], saved["name"], saved["device"])
        for name, value in saved.items():
            if name != "held_visit":
                setattr(channel, name, value)
        owner = tracker.calls.get(channel.linkedid)
        index = saved["held_visit"]
        if owner is not None and index is not None:
            channel.held_visit = owner.visits[index]
        tracker.channels[channel.uniqueid] = channel
        if channel.bridge is not None:
            tracker.bridges.setdefault(channel.bridge, set()).add(channel.uniqueid)
    tracker.gap_started_at = stopped_at
    return len(document["calls"])
