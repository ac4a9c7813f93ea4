"""Tells the bus, once a transaction commits, whose sessions or tokens it ended."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.db import utc_now
from callcenter.events import UserSessionsEnded
from callcenter.users.service import ended_in


def announce_ended_sessions(sessions: sessionmaker[Session], bus: Bus) -> None:
    """Publish UserSessionsEnded after every commit of `sessions` that ended some (sign-out,
    password, role, token revocation), so open websockets of those users close at once.

    After the commit, not at the change: a rolled-back sign-out ended nothing.
    """

    def committed(session: Session) -> None:
        for user_id in sorted(ended_in(session)):
            bus.publish(UserSessionsEnded(at=utc_now(), server="", user_id=user_id))

    def rolled_back(session: Session) -> None:
        ended_in(session)

    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_rollback", rolled_back)
