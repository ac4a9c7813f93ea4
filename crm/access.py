"""Who may change what in the CRM: tickets by assignee and team, customers' account fields.

Reading stays open to every signed-in user; these rules guard writes, on the API and the
console alike (docs/security.md, "Who may change what").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.users.models import Team, User
from callcenter.users.service import Role
from crm.exceptions import Forbidden

# Customer fields that classify the account (what it is worth, how the desk treats it, who
# serves it): a supervisor's or admin's decision. The rest (name, code, kind, industry, parent,
# address, e-mail, notes, numbers, contacts) is what agents record and correct on the phone.
ACCOUNT_FIELDS = frozenset({"category", "value", "credit_rating", "blacklisted", "preferred_agent"})


class Person(Protocol):
    """What the rules need of a signed-in user."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def team_id(self) -> int | None: ...


@dataclass(frozen=True)
class Editor:
    """A user about to change CRM records: their role, team and teammates."""

    username: str
    role: Role
    team: str | None
    teammates: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def editor_of(session: Session, user: Person) -> Editor:
    """The editor behind a signed-in user (one query for the team, one for its members)."""
    team: str | None = None
    mates: frozenset[str] = frozenset()
    if user.team_id is not None:
        team = session.scalar(select(Team.name).where(Team.id == user.team_id))
        mates = frozenset(
            session.scalars(select(User.username).where(User.team_id == user.team_id))
        )
    return Editor(user.username, Role(user.role), team, mates | {user.username})


def may_change_ticket(editor: Editor, assignee: str | None, team: str | None) -> bool:
    """Admins: every ticket. Agents and supervisors: their own, their team's (by team or by a
    teammate as assignee), and unclaimed ones (no assignee, no team), which they may take."""
    if editor.is_admin or assignee == editor.username:
        return True
    if assignee is None and team is None:
        return True
    return editor.team is not None and (team == editor.team or assignee in editor.teammates)


def check_ticket_write(editor: Editor, assignee: str | None, team: str | None) -> None:
    """Forbidden unless `editor` may change a ticket with this assignee and team."""
    if not may_change_ticket(editor, assignee, team):
        raise Forbidden(
            "this ticket belongs to another team: only its assignee, its team or an admin"
            " may change it"
        )


def check_ticket_routing(editor: Editor, assignee: str | None, team: str | None) -> None:
    """Forbidden unless `editor` may give a ticket this assignee and team.

    Agents hand tickets to themselves or a teammate, within their team; supervisors assign
    within their team and may pass a ticket to another team; admins route anywhere.
    """
    if editor.is_admin:
        return
    if assignee is not None and assignee not in editor.teammates:
        raise Forbidden("you may assign tickets only to yourself or a member of your team")
    if editor.role == Role.AGENT and team is not None and team != editor.team:
        raise Forbidden("passing a ticket to another team takes a supervisor")


def check_customer_fields(editor: Editor, fields: Iterable[str]) -> None:
    """Forbidden when an agent sets a field that classifies the account."""
    if editor.role != Role.AGENT:
        return
    refused = sorted(set(fields) & ACCOUNT_FIELDS)
    if refused:
        raise Forbidden(f"{', '.join(refused)}: account fields take a supervisor or an admin")


def check_customer_merge(editor: Editor) -> None:
    """Forbidden unless a supervisor or an admin merges customers (it deletes a record)."""
    if editor.role == Role.AGENT:
        raise Forbidden("merging customers takes a supervisor or an admin")
