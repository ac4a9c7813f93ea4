"""The service desk's callback lists: mine (promised by me or owed in my queues), my team's,
or all."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callcenter.queues.models import QueueMembership
from callcenter.users.models import User
from crm.callbacks.models import Callback
from crm.enums import CallbackStatus


def queues_served(session: Session, user_id: int, *, team_id: int | None = None) -> set[str]:
    """The queues a user answers; with `team_id`, those any member of that team answers."""
    query = select(QueueMembership.queue).join(User, User.id == QueueMembership.user_id)
    if team_id is None:
        query = query.where(User.id == user_id)
    else:
        query = query.where(User.team_id == team_id)
    return set(session.scalars(query))


def team_usernames(session: Session, team_id: int) -> set[str]:
    """The usernames of a team's members."""
    return set(session.scalars(select(User.username).where(User.team_id == team_id)))


def owed_callbacks(
    session: Session,
    *,
    queues: Collection[str] | None,
    owners: Collection[str] = (),
    status: str = CallbackStatus.OPEN,
    limit: int = 200,
) -> list[Callback]:
    """Callbacks owed in `queues` or promised by one of `owners` (queues None: every one),
    soonest due first."""
    query = select(Callback).where(Callback.status == str(status))
    if queues is not None:
        query = query.where(
            or_(Callback.queue.in_(sorted(queues)), Callback.owner.in_(sorted(owners)))
        )
    return list(session.scalars(query.order_by(Callback.due_at, Callback.id).limit(limit)))


def is_overdue(callback: Callback, now: datetime) -> bool:
    """An open callback whose due time has passed."""
    return callback.status == str(CallbackStatus.OPEN) and callback.due_at < now
