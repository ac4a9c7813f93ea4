"""Creating users, checking passwords and bearer tokens; flushes, never commits."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.db import utc_now
from callcenter.queues import members
from callcenter.queues.exceptions import QueueError
from callcenter.users.exceptions import DuplicateUser, UserError, UserNotFound, WeakPassword
from callcenter.users.models import ApiToken, Team, User
from callcenter.users.passwords import check_password

_hasher = PasswordHasher()
USERNAME_LENGTH = 64
# A phone as the PBX names it: technology/resource (PJSIP/1001, Local/1001@agents/n).
INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9_]*/\S{1,120}")
DISPLAY_NAME_LENGTH = 128
TEAM_NAME_LENGTH = 128
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
# session.info key: ids of users whose sessions or tokens this transaction ended.
_ENDED = "callcenter.users.ended"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown names, so their sign-in takes as long."""
    return _hasher.hash(secrets.token_hex(16))


class Role(StrEnum):
    """What a user may see: their own console, their team, or everything."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (check its strength first: `check_password`)."""
    return _hasher.hash(password)


def create_user(
    session: Session,
    username: str,
    *,
    role: Role,
    password: str,
    display_name: str | None = None,
    team: str | None = None,
    interface: str | None = None,
    member_name: str | None = None,
    queues: Sequence[tuple[str, int]] = (),
    skills: Mapping[str, int] | None = None,
) -> User:
    """Add a user; an agent may carry a PBX interface, member name, queue memberships (queue,
    penalty) and skills with levels."""
    username = username.strip()
    if not username or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise UserError(
            f"{username!r} is not a valid username (letters, digits, . _ -)", "username"
        )
    if len(username) > USERNAME_LENGTH:
        raise UserError(f"a username has at most {USERNAME_LENGTH} characters", "username")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateUser(f"a user named {username!r} already exists", "username")
    _check_interface(session, interface, None)
    # Call records, agent states and the wallboard know agents by their queue member name:
    # a second agent under the same name would merge into the first.
    member_name = member_name or (display_name if interface else None)
    check_password(password, Role(role).value, (username, display_name or ""))
    _check_member_name(session, member_name, None)
    user = User(
        username=username,
        display_name=display_name or username,
        role=Role(role).value,
        password_hash=hash_password(password),
        interface=interface,
        member_name=member_name,
        team=ensure_team(session, team) if team else None,
    )
    session.add(user)
    session.flush()
    set_queues(session, user, queues)
    set_skills(session, user, skills or {})
    return user


def _check_interface(session: Session, interface: str | None, user_id: int | None) -> None:
    """UserError unless `interface` reads as the PBX names phones and no one else has it."""
    if not interface:
        return
    if not INTERFACE.fullmatch(interface):
        raise UserError(
            f"{interface!r} is not a phone as the PBX names it (PJSIP/1001)", "interface"
        )
    holder = session.scalar(select(User.id).where(User.interface == interface))
    if holder is not None and holder != user_id:
        raise DuplicateUser(
            f"the interface {interface!r} already belongs to another user", "interface"
        )


def _check_member_name(session: Session, member_name: str | None, user_id: int | None) -> None:
    if not member_name:
        return
    holder = session.execute(
        select(User.id, User.username).where(User.member_name == member_name)
    ).first()
    if holder is not None and holder.id != user_id:
        raise DuplicateUser(
            f"member name {member_name!r} already belongs to {holder.username!r}", "member_name"
        )


def ensure_team(session: Session, name: str) -> Team:
    """The team called `name`, created when missing."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def list_teams(session: Session) -> list[Team]:
    """Every team, by name."""
    return list(session.scalars(select(Team).order_by(Team.name)))


def get_team(session: Session, team_id: int) -> Team:
    """The team with `team_id`, or UserNotFound."""
    team = session.get(Team, team_id)
    if team is None:
        raise UserNotFound(f"no team with id {team_id}")
    return team


def team_members(session: Session, team: Team) -> list[User]:
    """The team's users, by name."""
    return list(
        session.scalars(select(User).where(User.team_id == team.id).order_by(User.username))
    )


def create_team(session: Session, name: str) -> Team:
    """A new team; its name is unique."""
    team = Team(name=_team_name(session, name, None))
    session.add(team)
    session.flush()
    return team


def rename_team(session: Session, team: Team, name: str) -> None:
    """Give a team another name (its members stay; reports and tickets name teams as now)."""
    team.name = _team_name(session, name, team.id)
    session.flush()


def _team_name(session: Session, name: str, team_id: int | None) -> str:
    name = name.strip()
    if not name or len(name) > TEAM_NAME_LENGTH:
        raise UserError(f"a team name has 1 to {TEAM_NAME_LENGTH} characters", "name")
    holder = session.scalar(select(Team.id).where(Team.name == name))
    if holder is not None and holder != team_id:
        raise DuplicateUser(f"a team named {name!r} already exists", "name")
    return name


def set_team(session: Session, user: User, team: Team | None) -> None:
    """Move a user to `team` (None: no team); their sessions end, as what a supervisor's team
    sees and which tickets are an agent's team's follow the team."""
    if user.team_id == (team.id if team else None):
        return
    user.team = team
    session.flush()
    end_sessions(session, user)


def get_user(session: Session, username: str) -> User:
    """The user called `username`, or UserNotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserNotFound(f"no user named {username!r}")
    return user


def get_user_by_id(session: Session, user_id: int) -> User:
    """The user with `user_id`, or UserNotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"no user with id {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password; every session of theirs ends."""
    check_password(password, user.role, (user.username, user.display_name))
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def set_role(session: Session, user: User, role: Role, password: str | None = None) -> None:
    """Give a user another role; every session of theirs ends (its rights were the old role's).

    A password chosen under a lesser role's rule is not good enough for an admin: making
    someone an admin takes a new `password` that meets the admin rule.
    """
    role = Role(role)
    if user.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(session, user, "role")
    if role == Role.ADMIN and user.role != Role.ADMIN:
        if not password:
            raise WeakPassword("making someone an admin takes a new password (admin rule)")
        check_password(password, role.value, (user.username, user.display_name))
        user.password_hash = hash_password(password)
    user.role = role.value
    end_sessions(session, user)


def update_profile(
    session: Session,
    user: User,
    *,
    display_name: str,
    team: Team | None,
    interface: str | None,
    member_name: str | None,
) -> bool:
    """Change who a user is to the PBX and the floor; returns whether their sessions ended.

    A new team, phone or member name changes what the user sees and which calls are theirs,
    so every session of theirs ends (as a new role does); a new display name does not.
    """
    display_name = display_name.strip()
    if not display_name or len(display_name) > DISPLAY_NAME_LENGTH:
        raise UserError(f"a display name has 1 to {DISPLAY_NAME_LENGTH} characters", "display_name")
    _check_interface(session, interface, user.id)
    _check_member_name(session, member_name, user.id)
    if interface and not member_name:
        raise UserError("an agent with a phone needs a queue member name", "member_name")
    rights = (team.id if team else None, interface, member_name)
    changed = rights != (user.team_id, user.interface, user.member_name)
    user.display_name = display_name
    user.team = team
    user.interface = interface
    user.member_name = member_name
    session.flush()
    if changed:
        end_sessions(session, user)
    return changed


def set_queues(session: Session, user: User, queues: Sequence[tuple[str, int]]) -> None:
    """Replace the queues a user serves and their penalties (the PBX takes them at the
    agent's next sign-in to their queues)."""
    try:
        members.set_memberships(session, user.id, queues)
    except QueueError as exc:
        raise UserError(str(exc), exc.field) from None


def set_skills(session: Session, user: User, skills: Mapping[str, int]) -> None:
    """Replace a user's skills and their levels (`{"lang:de": 2}`)."""
    try:
        members.set_skills(session, user.id, skills)
    except QueueError as exc:
        raise UserError(str(exc), exc.field) from None


def set_active(session: Session, user: User, active: bool) -> None:
    """Let a user sign in again, or stop them: a deactivated user's sessions end at once and
    their tokens stop working (they are kept, for the record)."""
    if not active and user.active and user.role == Role.ADMIN:
        _keep_an_admin(session, user, "active")
    user.active = active
    session.flush()
    if not active:
        end_sessions(session, user)


def _keep_an_admin(session: Session, user: User, field: str) -> None:
    """UserError when `user` is the last active admin: no one could manage users after."""
    others = session.scalar(
        select(User.id)
        .where(User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)
        .limit(1)
    )
    if others is None:
        raise UserError(f"{user.username} is the last active admin; make another first", field)


def end_sessions(session: Session, user: User) -> None:
    """End every signed-in session of `user` (sign-out everywhere); tokens are not touched."""
    user.session_generation += 1
    session.flush()
    _mark_ended(session, user)


def ended_in(session: Session) -> frozenset[int]:
    """Ids of users whose sessions or tokens the current transaction ended; forgets them
    (call once it committed or rolled back)."""
    return frozenset(session.info.pop(_ENDED, ()))


def _mark_ended(session: Session, user: User) -> None:
    session.info.setdefault(_ENDED, set()).add(user.id)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user whose password matches, else None (same work either way)."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.flush()
    return user


def issue_token(session: Session, user: User, label: str = "") -> str:
    """A new bearer token for `user`; the plain token is shown once, only its hash is kept."""
    token = "cc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label))
    session.flush()
    return token


def user_for_token(session: Session, token: str, *, touch: bool = True) -> User | None:
    """The active user a valid, unrevoked token acts for, else None.

    `touch` records the token's use; a re-check of a socket opened with it does not.
    """
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if not touch:
        return row.user
    now = utc_now()
    # Minute-level freshness is enough to spot unused tokens; writing on every call would
    # turn each read-only API request (a screen-pop lookup) into a database write.
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
        session.flush()
    return row.user


def revoke_tokens(session: Session, user: User, token_id: int | None = None) -> int:
    """Revoke one token of `user` (by id) or all of them; returns how many were revoked."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    rows = list(session.scalars(query))
    if token_id is not None and not rows:
        raise UserError(f"{user.username} has no active token with id {token_id}")
    now = utc_now()
    for row in rows:
        row.revoked_at = now
    session.flush()
    if rows:
        _mark_ended(session, user)
    return len(rows)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """Every token of `user`, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
