"""Who an agent name in the records is (user, team), and which agents a viewer may see.

Call records and agent-state intervals name an agent as the PBX does: usually the queue
member name, sometimes the interface (`PJSIP/1001`) or the username. The roster maps every
such name to one person, so an agent's calls under two names make one report row. Names no
user carries (a PBX member nobody set up) stay rows of their own, in no team.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.users.models import Team, User
from callcenter.users.service import Role

NO_TEAM = "(no team)"


class Viewer(Protocol):
    """Who is looking: a signed-in user's id, role and team."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def team_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Person:
    """One agent as a report row: its key (the username, or the PBX name when no user has
    it), the name people read, the team, and the user behind it (None when unknown)."""

    key: str
    display_name: str
    team: str
    team_id: int | None = None
    user_id: int | None = None


class Roster:
    """Agent names (member name, username, interface) to people."""

    def __init__(self, people: dict[str, Person]) -> None:
        self._by_name = people

    def person(self, name: str) -> Person:
        """The person a record's agent name belongs to (a team-less stranger if nobody)."""
        known = self._by_name.get(name)
        return known if known is not None else Person(name, name, NO_TEAM)


def agent_names(user: User) -> tuple[str, ...]:
    """The names a user's calls and states may carry: interface, username, member name."""
    return tuple(n for n in (user.interface, user.username, user.member_name) if n)


def load_roster(session: Session) -> Roster:
    """Every user with their team, by each name their records may carry."""
    rows = session.execute(select(User, Team.name).outerjoin(Team, Team.id == User.team_id))
    people: dict[str, Person] = {}
    for user, team in rows:
        person = Person(user.username, user.display_name, team or NO_TEAM, user.team_id, user.id)
        # Later names win a clash: records carry member names first of all.
        for name in agent_names(user):
            people[name] = person
    return Roster(people)


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


def can_see(viewer: Viewer, person: Person) -> bool:
    """An admin sees every agent; a supervisor their team's (and themself); an agent only
    themself.

    Names that belong to no user are shown to admins only (no team can claim them)."""
    if viewer.role == Role.ADMIN:
        return True
    if person.user_id is None:
        return False
    if person.user_id == viewer.id:
        return True
    # The same rule as `callcenter.users.auth.can_see_agent`, on a report row.
    return (
        viewer.role == Role.SUPERVISOR
        and viewer.team_id is not None
        and person.team_id == viewer.team_id
    )
