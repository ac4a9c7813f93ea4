"""Who sits at a phone: remembered for the pop's sake, forgotten when users change."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.console_users import UNKNOWN_FOR_S, ConsoleUsers
from callcenter.users.models import User

PHONE = "PJSIP/1009"


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _user(username: str, interface: str) -> dict[str, object]:
    return {
        "username": username,
        "display_name": username.title(),
        "role": "agent",
        "password_hash": "x",
        "interface": interface,
    }


def test_a_user_added_here_is_found_at_once(sessions: sessionmaker[Session]) -> None:
    users = ConsoleUsers(sessions)
    users.watch_users()
    try:
        assert users.seat_of(PHONE) is None  # nobody's phone yet: remembered as such
        with sessions() as session, session.begin():
            session.add(User(**_user("nina", PHONE)))
        found = users.seat_of(PHONE)
    finally:
        users.stop_watching()
    assert found is not None and found[1] == "nina"


def test_nobody_at_a_phone_is_asked_again_after_a_while(sessions: sessionmaker[Session]) -> None:
    ticks = Ticks()
    users = ConsoleUsers(sessions, clock=ticks)
    assert users.seat_of(PHONE) is None
    # Another process adds the user: no event here, only the entry's age tells.
    with sessions() as session, session.begin():
        session.execute(insert(User).values(**_user("omar", PHONE)))
    assert users.seat_of(PHONE) is None
    ticks.now += UNKNOWN_FOR_S + 1
    found = users.seat_of(PHONE)
    assert found is not None and found[1] == "omar"
