"""Who serves which queue (memberships with penalties) and agents' skills; flushes, never
commits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from callcenter.queues.exceptions import QueueError
from callcenter.queues.models import AgentSkill, QueueMembership
from callcenter.users.models import User

# A queue's name as the PBX writes it (queues.conf section names).
QUEUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
MAX_PENALTY = 1000
# A skill: a word, usually `kind:value` (lang:de, product:billing); stored in lower case.
SKILL = re.compile(r"[a-z0-9][a-z0-9_.:/-]{0,63}")
MAX_SKILL_LEVEL = 100
DEFAULT_SKILL_LEVEL = 1


@dataclass(frozen=True, slots=True)
class Membership:
    """One queue an agent serves and the penalty they serve it with (lower rings first)."""

    queue: str
    penalty: int


def checked_queue_name(name: str, field: str = "queue") -> str:
    """`name` when it reads as a PBX queue name, else QueueError."""
    if not QUEUE_NAME.fullmatch(name):
        raise QueueError(f"{name!r} is not a queue name (letters, digits, . _ -)", field)
    return name


def checked_memberships(queues: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """The memberships, each queue once, names as the PBX writes them, penalties in range."""
    seen: dict[str, int] = {}
    for name, penalty in queues:
        checked_queue_name(name, "queues")
        if not 0 <= penalty <= MAX_PENALTY:
            raise QueueError(f"the penalty in {name} is 0 to {MAX_PENALTY}", "queues")
        if name in seen:
            raise QueueError(f"{name} is listed twice", "queues")
        seen[name] = penalty
    return list(seen.items())


def memberships_of(session: Session, user_id: int) -> list[Membership]:
    """The queues `user_id` serves, by queue name."""
    rows = session.scalars(
        select(QueueMembership)
        .where(QueueMembership.user_id == user_id)
        .order_by(QueueMembership.queue)
    )
    return [Membership(row.queue, row.penalty) for row in rows]


def memberships_by_user(session: Session) -> dict[int, list[Membership]]:
    """Every user's memberships (users serving no queue left out), for lists of users."""
    found: dict[int, list[Membership]] = {}
    rows = session.scalars(select(QueueMembership).order_by(QueueMembership.queue))
    for row in rows:
        found.setdefault(row.user_id, []).append(Membership(row.queue, row.penalty))
    return found


def set_memberships(session: Session, user_id: int, queues: Iterable[tuple[str, int]]) -> None:
    """Replace the queues `user_id` serves and their penalties (the PBX takes them at the
    agent's next sign-in to their queues)."""
    wanted = dict(checked_memberships(queues))
    rows = session.scalars(select(QueueMembership).where(QueueMembership.user_id == user_id))
    for row in rows:
        if row.queue in wanted:
            row.penalty = wanted.pop(row.queue)
        else:
            session.delete(row)
    session.flush()
    session.add_all(QueueMembership(user_id=user_id, queue=q, penalty=p) for q, p in wanted.items())
    session.flush()


def set_queue_members(session: Session, queue: str, members: Mapping[int, int]) -> None:
    """Replace who serves `queue`: user id -> penalty (users left out leave the queue)."""
    for penalty in members.values():
        checked_memberships([(queue, penalty)])
    rows = session.scalars(select(QueueMembership).where(QueueMembership.queue == queue))
    wanted = dict(members)
    for row in rows:
        if row.user_id in wanted:
            row.penalty = wanted.pop(row.user_id)
        else:
            session.delete(row)
    session.flush()
    session.add_all(
        QueueMembership(user_id=user_id, queue=queue, penalty=penalty)
        for user_id, penalty in wanted.items()
    )
    session.flush()


def members_by_name(session: Session, queue: str) -> list[tuple[str, int]]:
    """Who serves `queue` (deactivated users too) and with which penalty, by username."""
    rows = session.execute(
        select(User.username, QueueMembership.penalty)
        .join(User, User.id == QueueMembership.user_id)
        .where(QueueMembership.queue == queue)
        .order_by(User.username)
    )
    return [(username, penalty) for username, penalty in rows]


def queue_served(session: Session, queue: str) -> bool:
    """Whether any agent serves `queue`."""
    member = select(QueueMembership.id).where(QueueMembership.queue == queue).limit(1)
    return session.scalar(member) is not None


def served_queue_names(session: Session) -> set[str]:
    """Every queue some agent serves."""
    return set(session.scalars(select(QueueMembership.queue).distinct()))


def checked_skills(skills: Mapping[str, int]) -> dict[str, int]:
    """Skills in lower case with levels 0 to MAX_SKILL_LEVEL, else QueueError."""
    checked: dict[str, int] = {}
    for name, level in skills.items():
        skill = name.strip().lower()
        if not SKILL.fullmatch(skill):
            raise QueueError(
                f"{name!r} is not a skill (a word such as lang:de or product:billing)", "skills"
            )
        if isinstance(level, bool) or not isinstance(level, int):
            raise QueueError(f"the level of {skill} is a whole number", "skills")
        if not 0 <= level <= MAX_SKILL_LEVEL:
            raise QueueError(f"the level of {skill} is 0 to {MAX_SKILL_LEVEL}", "skills")
        if skill in checked:
            raise QueueError(f"{skill} is listed twice", "skills")
        checked[skill] = level
    return checked


def parse_skills(text: str) -> dict[str, int]:
    """`lang:de=2, product:billing=1` (or one a line; a skill without `=` is level 1)."""
    skills: list[tuple[str, int]] = []
    for item in text.replace("\n", ",").split(","):
        name, equals, level = item.strip().partition("=")
        name, level = name.strip(), level.strip()
        if not name:
            if equals:
                raise QueueError(f"{item.strip()!r} names no skill before '='", "skills")
            continue
        if equals and not (level.isascii() and level.isdecimal()):
            raise QueueError(f"the level of {name} is a whole number (lang:de=2)", "skills")
        skills.append((name, int(level) if equals else DEFAULT_SKILL_LEVEL))
    names = [name.lower() for name, _ in skills]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise QueueError(f"{twice} is listed twice", "skills")
    return checked_skills(dict(skills))


def format_skills(skills: Mapping[str, int]) -> str:
    """Skills as people type them: `lang:de=2, product:billing=1`."""
    return ", ".join(f"{name}={level}" for name, level in sorted(skills.items()))


def skills_of(session: Session, user_id: int) -> dict[str, int]:
    """`user_id`'s skills and levels, by skill."""
    rows = session.scalars(
        select(AgentSkill).where(AgentSkill.user_id == user_id).order_by(AgentSkill.skill)
    )
    return {row.skill: row.level for row in rows}


def skills_by_user(session: Session) -> dict[int, dict[str, int]]:
    """Every user's skills (users with none left out), for lists of users."""
    found: dict[int, dict[str, int]] = {}
    for row in session.scalars(select(AgentSkill).order_by(AgentSkill.skill)):
        found.setdefault(row.user_id, {})[row.skill] = row.level
    return found


def set_skills(session: Session, user_id: int, skills: Mapping[str, int]) -> None:
    """Replace `user_id`'s skills and their levels."""
    wanted = checked_skills(skills)
    session.execute(delete(AgentSkill).where(AgentSkill.user_id == user_id))
    session.add_all(AgentSkill(user_id=user_id, skill=s, level=v) for s, v in wanted.items())
    session.flush()
