"""The queue records as routing reads them: plain, frozen values, no ORM rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.cti.agent_leg import dialable_extension
from callcenter.queues.models import AgentSkill, QueueMembership, QueueNumber, ServiceQueue
from callcenter.queues.numbers import number_variants
from callcenter.users.models import User


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue record: the PBX's name for it and how the call centre runs it."""

    name: str  # as the PBX names it
    display_name: str
    numbers: tuple[str, ...]  # DIDs, as dialled (digits, maybe +)
    business_hours_id: int | None  # crm_business_hours.id; None = always open
    overflow: str | None  # queue name
    open: bool  # an admin's switch; False = closed whatever the hours
    service_level_s: float | None  # None = the PBX's own servicelevel
    service_level_target: float | None  # fraction 0..1
    short_abandon_s: float | None


@dataclass(frozen=True, slots=True)
class QueueMember:
    """An agent serving a queue, as the PBX and the dialplan know them."""

    username: str
    interface: str | None  # PJSIP/1001 or Local/1001@agents/n
    member_name: str | None
    extension: str | None  # the dialable extension (what transfers use), if known
    penalty: int


def info_of(queue: ServiceQueue) -> QueueInfo:
    """A queue record as a plain value."""
    return QueueInfo(
        name=queue.name,
        display_name=queue.display_name,
        numbers=tuple(n.number for n in queue.numbers),
        business_hours_id=queue.business_hours_id,
        overflow=queue.overflow,
        open=queue.open,
        service_level_s=queue.service_level_s,
        service_level_target=queue.service_level_target,
        short_abandon_s=queue.short_abandon_s,
    )


def queue_for_number(session: Session, dialed: str) -> QueueInfo | None:
    """The queue a dialled number leads to (any of the forms a PBX presents it in: with +,
    without, with 00), or None for a number no queue has."""
    variants = number_variants(dialed)
    if not variants:
        return None
    rows = session.execute(
        select(QueueNumber.number, ServiceQueue)
        .join(ServiceQueue, ServiceQueue.id == QueueNumber.queue_id)
        .where(QueueNumber.number.in_(variants))
    ).all()
    if not rows:
        return None
    best = min(rows, key=lambda row: variants.index(row.number))
    return info_of(best.ServiceQueue)


def queue_info(session: Session, name: str) -> QueueInfo | None:
    """The record of the queue the PBX calls `name`, or None."""
    queue = session.scalar(select(ServiceQueue).where(ServiceQueue.name == name))
    return info_of(queue) if queue is not None else None


def all_queues(session: Session) -> list[QueueInfo]:
    """Every queue record, by name."""
    return [info_of(q) for q in session.scalars(select(ServiceQueue).order_by(ServiceQueue.name))]


def queue_members(session: Session, queue: str) -> list[QueueMember]:
    """The active agents serving `queue`, lowest penalty first, then by username."""
    rows = session.execute(
        select(User, QueueMembership.penalty)
        .join(QueueMembership, QueueMembership.user_id == User.id)
        .where(QueueMembership.queue == queue, User.active.is_(True))
        .order_by(QueueMembership.penalty, User.username)
    ).all()
    return [
        QueueMember(
            username=user.username,
            interface=user.interface,
            member_name=user.member_name,
            extension=dialable_extension(user.interface) if user.interface else None,
            penalty=penalty,
        )
        for user, penalty in rows
    ]


def agent_skills(session: Session, username: str) -> dict[str, int]:
    """The skills of the user called `username` and their levels (`{"lang:de": 2}`); empty
    for an unknown name."""
    rows = session.execute(
        select(AgentSkill.skill, AgentSkill.level)
        .join(User, User.id == AgentSkill.user_id)
        .where(User.username == username)
        .order_by(AgentSkill.skill)
    )
    return {skill: level for skill, level in rows}
