"""The service desk's callback lists: mine (promised by me or owed in my queues), my team's,
or all."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callcenter.campaigns.models import Lead
from callcenter.queues.models import QueueMembership
from callcenter.users.models import User
from crm.callbacks.campaign import existing_callback_list_id
from crm.callbacks.schemas import CallbackOut
from crm.callbacks.states import LEAD_STATES
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
) -> list[CallbackOut]:
    """Callbacks owed in `queues` or promised by one of `owners` (queues None: every one),
    soonest due first."""
    list_id = existing_callback_list_id(session)
    if list_id is None:
        return []
    query = select(Lead).where(
        Lead.list_id == list_id, Lead.state.in_(LEAD_STATES[CallbackStatus(status)])
    )
    if queues is not None:
        query = query.where(or_(Lead.queue.in_(sorted(queues)), Lead.owner.in_(sorted(owners))))
    rows = session.scalars(query.order_by(Lead.due_at, Lead.id).limit(limit))
    return [CallbackOut.model_validate(lead) for lead in rows]


def is_overdue(callback: CallbackOut, now: datetime) -> bool:
    """An open callback whose due time has passed."""
    return callback.status == CallbackStatus.OPEN and callback.due_at < now
