"""The calls a stopping adapter had in flight, saved so that the next start resumes them.

On a clean stop (`cti run` or `serve` shutting down, SIGTERM) the adapter writes every call
in flight as it stands (channels, queue visits with their positions, answer and talk times)
to a JSON file, then publishes a record for each, flagged data_gap, so nothing is lost if no
next start comes. The next start reads the file back before it connects (and deletes it
once logged in, so an old stop is never resumed twice): its first resync then finishes
those calls from what the PBX says, as after any gap. A call still up goes on with its own
visits (a caller at position 6 stays at 6, not the 1 a resync would see); one that ended
while the adapter was down closes at the stop time. Either way its new record replaces the
stop's (one per call: records are stored by server and Linkedid, the later gap one wins).
"""

from __future__ import annotations

import json
import logging
import os
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from callcenter.calls.records import VisitOutcome
from callcenter.cti.tracker import Tracker
from callcenter.cti.tracker_state import Channel, TrackedCall, Visit, VisitPhase

log = logging.getLogger(__name__)

FORMAT = 1


def _fields(obj: object, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in type(obj).__slots__:  # type: ignore[attr-defined]
        if name in skip:
            continue
        value = getattr(obj, name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, set):
            value = sorted(value)
        values[name] = value
    return values


def save(tracker: Tracker, path: Path, at: float) -> int:
    """Write the calls in flight to `path` (atomically); how many were written."""
    calls = []
    for call in tracker.calls.values():
        entry = _fields(call, skip=("visits",))
        entry["visits"] = [_fields(visit, skip=("call",)) for visit in call.visits]
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
    document = {
        "format": FORMAT,
        "server": tracker.server,
        "stopped_at": at,
        "calls": calls,
        "channels": channels,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(document), encoding="utf-8")
    os.replace(partial, path)
    return len(calls)


def load(path: Path, server: str) -> dict[str, Any] | None:
    """The checkpoint at `path` for `server`; None when there is none (or it is unusable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        log.warning("ignored the unreadable checkpoint %s", path)
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        log.warning("ignored the checkpoint %s: not one this version writes", path)
        return None
    if document.get("server") != server:
        log.warning("ignored the checkpoint %s: it is of server %r", path, document.get("server"))
        return None
    return document


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


def checkpoint_path(configured: str | None, database_url: str, server: str) -> Path | None:
    """The checkpoint file: the configured one, else one beside a SQLite database file
    (named after the PBX), else none (the stop's records are still written)."""
    if configured:
        return Path(configured).expanduser()
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in server)
    path = Path(database).expanduser().resolve()
    return path.with_name(f"{path.name}.cti-{safe}.json")
