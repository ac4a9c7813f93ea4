"""Creating, changing and deleting queue records and their dialled numbers; flushes, never
commits."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from callcenter.db import utc_now
from callcenter.queues.exceptions import DuplicateQueue, QueueError, QueueNotFound
from callcenter.queues.members import checked_queue_name
from callcenter.queues.models import QueueNumber, ServiceQueue
from callcenter.queues.numbers import normalised_number, number_variants

DISPLAY_NAME_LENGTH = 128
MAX_SERVICE_LEVEL_S = 3600.0
MAX_SHORT_ABANDON_S = 600.0
MAX_NUMBERS = 100
# The CRM's calendars, by table name: this foundation package imports nothing from the CRM.
_BUSINESS_HOURS = table("crm_business_hours", column("id"))


@dataclass(frozen=True, slots=True)
class QueueFields:
    """What an admin sets on a queue record (its name aside)."""

    display_name: str = ""
    service_level_s: float | None = None
    service_level_target: float | None = None
    short_abandon_s: float | None = None
    business_hours_id: int | None = None
    overflow: str | None = None
    open: bool = True
    numbers: tuple[str, ...] = ()


def list_queues(session: Session) -> list[ServiceQueue]:
    """Every queue record, by name."""
    return list(session.scalars(select(ServiceQueue).order_by(ServiceQueue.name)))


def get_queue(session: Session, name: str) -> ServiceQueue:
    """The record of the queue the PBX calls `name`, or QueueNotFound."""
    queue = session.scalar(select(ServiceQueue).where(ServiceQueue.name == name))
    if queue is None:
        raise QueueNotFound(f"no queue named {name!r}")
    return queue


def create_queue(session: Session, name: str, fields: QueueFields) -> ServiceQueue:
    """A new queue record named as the PBX names the queue (queues.conf)."""
    name = checked_queue_name(name.strip(), "name")
    if session.scalar(select(ServiceQueue.id).where(ServiceQueue.name == name)) is not None:
        raise DuplicateQueue(f"a queue named {name!r} already exists", "name")
    queue = ServiceQueue(name=name, display_name=name)
    session.add(queue)
    _apply(session, queue, fields)
    return queue


def update_queue(session: Session, queue: ServiceQueue, fields: QueueFields) -> None:
    """Replace what an admin sets on `queue` (its numbers too)."""
    _apply(session, queue, fields)


def delete_queue(session: Session, queue: ServiceQueue) -> None:
    """Remove a queue record and its numbers (agents' memberships, by the PBX's name, stay);
    refused while another queue overflows into it."""
    feeding = session.scalars(
        select(ServiceQueue.name).where(ServiceQueue.overflow == queue.name).order_by("name")
    ).all()
    if feeding:
        raise QueueError(
            f"{', '.join(feeding)} overflow{'s' if len(feeding) == 1 else ''} into "
            f"{queue.name}; change that first",
            "name",
        )
    session.delete(queue)
    session.flush()


def _apply(session: Session, queue: ServiceQueue, fields: QueueFields) -> None:
    display_name = fields.display_name.strip() or queue.name
    if len(display_name) > DISPLAY_NAME_LENGTH:
        raise QueueError(
            f"a display name has at most {DISPLAY_NAME_LENGTH} characters", "display_name"
        )
    queue.display_name = display_name
    queue.service_level_s = _seconds(
        fields.service_level_s, "service_level_s", 0.0, MAX_SERVICE_LEVEL_S, zero=False
    )
    queue.short_abandon_s = _seconds(
        fields.short_abandon_s, "short_abandon_s", 0.0, MAX_SHORT_ABANDON_S, zero=True
    )
    queue.service_level_target = _target(fields.service_level_target)
    queue.business_hours_id = _business_hours(session, fields.business_hours_id)
    queue.overflow = _overflow(queue.name, fields.overflow)
    queue.open = fields.open
    numbers = _numbers(session, queue, fields.numbers)
    kept = [n for n in queue.numbers if n.number in numbers]
    added = [QueueNumber(number=n) for n in numbers if n not in {k.number for k in kept}]
    queue.numbers = kept + added
    queue.updated_at = utc_now()  # numbers alone change no column of the queue's row
    session.flush()


def _seconds(
    value: float | None, field: str, low: float, high: float, *, zero: bool
) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < low or (value == low and not zero) or value > high:
        lowest = "0" if zero else "more than 0"
        raise QueueError(f"{field.replace('_', ' ')} is {lowest} to {high:g} seconds", field)
    return float(value)


def _target(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not 0 < value <= 1:
        raise QueueError(
            "the service-level target is a share of calls, more than 0 up to 1 (0.8 = 80 %)",
            "service_level_target",
        )
    return float(value)


def _business_hours(session: Session, hours_id: int | None) -> int | None:
    if hours_id is None:
        return None
    found = session.scalar(select(_BUSINESS_HOURS.c.id).where(_BUSINESS_HOURS.c.id == hours_id))
    if found is None:
        raise QueueError(f"no business-hours calendar with id {hours_id}", "business_hours_id")
    return hours_id


def _overflow(name: str, overflow: str | None) -> str | None:
    overflow = (overflow or "").strip()
    if not overflow:
        return None
    checked_queue_name(overflow, "overflow")
    if overflow == name:
        raise QueueError("a queue cannot overflow into itself", "overflow")
    return overflow


def _numbers(session: Session, queue: ServiceQueue, numbers: Iterable[str]) -> list[str]:
    """The dialled numbers normalised, each once, none another queue has (in any of the forms
    a PBX presents a number in: `+4930123` and `004930123` are one)."""
    wanted: list[str] = []
    forms: dict[str, str] = {}
    for text in numbers:
        number = normalised_number(text)
        same = next((forms[v] for v in number_variants(number) if v in forms), None)
        if same is not None:
            raise QueueError(f"{number} is listed twice (as {same})", "numbers")
        wanted.append(number)
        forms.update((v, number) for v in number_variants(number))
    if len(wanted) > MAX_NUMBERS:
        raise QueueError(f"a queue has at most {MAX_NUMBERS} numbers", "numbers")
    if not wanted:
        return wanted
    taken = session.execute(
        select(QueueNumber.number, ServiceQueue.name)
        .join(ServiceQueue, ServiceQueue.id == QueueNumber.queue_id)
        .where(QueueNumber.number.in_(forms), ServiceQueue.name != queue.name)
        .order_by(QueueNumber.number)
    ).first()
    if taken is not None:
        raise DuplicateQueue(f"{forms[taken.number]} already leads to {taken.name}", "numbers")
    return wanted
