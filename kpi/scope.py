"""Team scope: which agents a supervisor may see, by every name an agent appears under."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.users.models import Team, User
from callcenter.users.service import Role


class Viewer(Protocol):
    """Who is looking: their role and team (a signed-in user)."""

    @property
    def role(self) -> str: ...

    @property
    def team_id(self) -> int | None: ...


def agent_names(user: User) -> tuple[str, ...]:
    """The names a user's calls and states carry: queue member name, username, interface."""
    return tuple(n for n in (user.member_name, user.username, user.interface) if n)


def visible_agents(session: Session, viewer: Viewer) -> frozenset[str] | None:
    """Names of the agents in the viewer's team; None means every agent (an admin)."""
    if viewer.role == Role.ADMIN:
        return None
    if viewer.team_id is None:
        return frozenset()
    users = session.scalars(select(User).where(User.team_id == viewer.team_id))
    return frozenset(name for user in users for name in agent_names(user))


def is_visible(agent: str | None, visible: frozenset[str] | None) -> bool:
    """Whether a record of `agent` may be shown; records without an agent belong to the queue."""
    return visible is None or agent is None or agent in visible


def team_of(session: Session) -> dict[str, str]:
    """Agent name (every name the agent appears under) -> team name."""
    rows = session.execute(select(User, Team.name).join(Team, Team.id == User.team_id))
    return {name: team for user, team in rows for name in agent_names(user)}
