"""Queue records as a TOML file: one `[[queue]]` table per queue, read all-or-nothing and
written so that reading it back changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from callcenter.queues.exceptions import QueueError
from callcenter.queues.members import members_by_name, set_queue_members
from callcenter.queues.models import ServiceQueue
from callcenter.queues.records import QueueFields, create_queue, list_queues, update_queue
from callcenter.users.models import User

THRESHOLDS = ("service_level_s", "service_level_target", "short_abandon_s")
KEYS = frozenset(
    {"name", "display_name", *THRESHOLDS, "business_hours", "overflow", "open", "numbers",
     "members"}
)  # fmt: skip
# The CRM's calendars by name, read by table name: this package imports nothing from the CRM.
_CALENDARS = table("crm_business_hours", column("id"), column("name"))


@dataclass
class ImportReport:
    """What an import did, or, with errors (entry number, queue name, why), nothing."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)


class EntryError(ValueError):
    """One `[[queue]]` table cannot be taken as it is."""


def import_queues(session: Session, data: dict[str, Any]) -> ImportReport:
    """Create or replace each queue the file lists (queues it leaves out stay as they are);
    an entry's `members`, when given, replace who serves that queue. Each entry is tried on
    its own (a savepoint) so every error is found; the caller commits only without errors."""
    entries = _entries(data)
    report = ImportReport()
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = name if isinstance(name, str) else "?"
        try:
            if label in seen:
                raise EntryError(f"{label} is listed twice")
            seen.add(label)
            with session.begin_nested():
                created = _apply(session, entry)
        except (EntryError, QueueError) as exc:
            report.errors.append((number, label, str(exc)))
            continue
        report.created += created
        report.updated += not created
    return report


def _entries(data: dict[str, Any]) -> list[Any]:
    unknown = sorted(set(data) - {"queue"})
    if unknown:
        raise EntryError(f"unknown top-level keys {unknown}: the file has [[queue]] tables only")
    entries = data.get("queue", [])
    if not isinstance(entries, list):
        raise EntryError("`queue` is a list of tables: write each as [[queue]]")
    return entries


def _apply(session: Session, entry: Any) -> bool:
    """Store one entry; returns whether the queue is new."""
    if not isinstance(entry, dict):
        raise EntryError("each [[queue]] is a table")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise EntryError(f"unknown keys {unknown}; a queue has {sorted(KEYS)}")
    name = _text(entry, "name", required=True)
    fields = QueueFields(
        display_name=_text(entry, "display_name"),
        service_level_s=_float(entry, "service_level_s"),
        service_level_target=_float(entry, "service_level_target"),
        short_abandon_s=_float(entry, "short_abandon_s"),
        business_hours_id=_calendar(session, entry.get("business_hours")),
        overflow=_text(entry, "overflow") or None,
        open=_flag(entry, "open"),
        numbers=tuple(_texts(entry, "numbers")),
    )
    queue = session.scalar(select(ServiceQueue).where(ServiceQueue.name == name))
    new = queue is None
    if queue is None:
        queue = create_queue(session, name, fields)
    else:
        update_queue(session, queue, fields)
    if "members" in entry:
        set_queue_members(session, queue.name, _members(session, entry["members"]))
    return new


def _text(entry: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise EntryError(f"{key} is {'required text' if required else 'text'}")
    return value


def _texts(entry: dict[str, Any], key: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EntryError(f'{key} is a list of text: ["+15550100", "8000"]')
    return value


def _float(entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EntryError(f"{key} is a number")
    return float(value)


def _flag(entry: dict[str, Any], key: str) -> bool:
    value = entry.get(key, True)
    if not isinstance(value, bool):
        raise EntryError(f"{key} is true or false")
    return value


def _calendar(session: Session, name: Any) -> int | None:
    if name is None:
        return None
    if not isinstance(name, str):
        raise EntryError("business_hours is the name of a business-hours calendar")
    found = session.scalar(select(_CALENDARS.c.id).where(_CALENDARS.c.name == name))
    if found is None:
        raise EntryError(f"no business-hours calendar named {name!r}")
    return int(found)


def _members(session: Session, members: Any) -> dict[int, int]:
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise EntryError('members is a list of tables: [{ user = "agent1", penalty = 0 }]')
    found: dict[int, int] = {}
    for member in members:
        user, penalty = member.get("user"), member.get("penalty", 0)
        if set(member) - {"user", "penalty"} or not isinstance(user, str):
            raise EntryError('each member is { user = "NAME", penalty = N }')
        if isinstance(penalty, bool) or not isinstance(penalty, int):
            raise EntryError(f"the penalty of {user} is a whole number")
        user_id = session.scalar(select(User.id).where(User.username == user))
        if user_id is None:
            raise EntryError(f"no user named {user!r}")
        if user_id in found:
            raise EntryError(f"{user} is listed twice")
        found[user_id] = penalty
    return found


def export_queues(session: Session) -> dict[str, Any]:
    """Every queue record as the file's data (empty settings left out: TOML has no null)."""
    rows = session.execute(select(_CALENDARS.c.id, _CALENDARS.c.name))
    calendars = {int(hours_id): str(name) for hours_id, name in rows}
    return {"queue": list(_exported(session, calendars))}


def _exported(session: Session, calendars: dict[int, str]) -> Iterator[dict[str, Any]]:
    for queue in list_queues(session):
        entry: dict[str, Any] = {"name": queue.name, "display_name": queue.display_name}
        for key in THRESHOLDS:
            if getattr(queue, key) is not None:
                entry[key] = getattr(queue, key)
        if queue.business_hours_id is not None:
            entry["business_hours"] = calendars[queue.business_hours_id]
        if queue.overflow:
            entry["overflow"] = queue.overflow
        entry["open"] = queue.open
        entry["numbers"] = [n.number for n in queue.numbers]
        entry["members"] = [
            {"user": username, "penalty": penalty}
            for username, penalty in members_by_name(session, queue.name)
        ]
        yield entry
