"""Creating users, checking passwords and bearer tokens; flushes, never commits."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.db import utc_now
from callcenter.users.exceptions import DuplicateUser, UserError, UserNotFound
from callcenter.users.models import ApiToken, QueueMembership, Team, User
from callcenter.users.passwords import check_password

_hasher = PasswordHasher()
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
    skills: Sequence[str] = (),
) -> User:
    """Add a user; an agent may carry a PBX interface, member name and queue memberships."""
    username = username.strip()
    if not username or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise UserError(f"{username!r} is not a valid username (letters, digits, . _ -)")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateUser(f"a user named {username!r} already exists")
    if interface and session.scalar(select(User.id).where(User.interface == interface)):
        raise DuplicateUser(f"the interface {interface!r} already belongs to another user")
    # Call records, agent states and the wallboard know agents by their queue member name:
    # a second agent under the same name would merge into the first.
    member_name = member_name or (display_name if interface else None)
    check_password(password, Role(role).value, (username, display_name or ""))
    if member_name:
        holder = session.scalar(select(User.username).where(User.member_name == member_name))
        if holder is not None:
            raise DuplicateUser(f"member name {member_name!r} already belongs to {holder!r}")
    user = User(
        username=username,
        display_name=display_name or username,
        role=Role(role).value,
        password_hash=hash_password(password),
        interface=interface,
        member_name=member_name,
        skills=list(skills),
        team=ensure_team(session, team) if team else None,
        memberships=[QueueMembership(queue=q, penalty=p) for q, p in queues],
    )
    session.add(user)
    session.flush()
    return user


def ensure_team(session: Session, name: str) -> Team:
    """The team called `name`, created when missing."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def get_user(session: Session, username: str) -> User:
    """The user called `username`, or UserNotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserNotFound(f"no user named {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password; every session of theirs ends."""
    check_password(password, user.role, (user.username, user.display_name))
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def set_role(session: Session, user: User, role: Role) -> None:
    """Give a user another role; every session of theirs ends (its rights were the old role's)."""
    user.role = Role(role).value
    end_sessions(session, user)


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
