"""Password strength: short, common and guessable passwords are refused, more so for admins."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.users import service
from callcenter.users.exceptions import WeakPassword
from callcenter.users.passwords import check_password
from callcenter.users.service import Role


@pytest.mark.parametrize(
    "password",
    ["12345678", "password", "password1234", "qwertyuiop123", "Passw0rd!2024", "rootroot2026"],
)
def test_common_passwords_are_refused_for_an_admin(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password(password, "admin", ("root",))


def test_an_admin_needs_more_than_an_agent() -> None:
    check_password("agent-password", "agent")
    with pytest.raises(WeakPassword, match="at least 12"):
        check_password("sun-Tiger-9", "admin")
    check_password("violet staple orbit canyon", "admin")


def test_the_users_own_name_does_not_make_a_password() -> None:
    with pytest.raises(WeakPassword):
        check_password("margaret-smith-1", "agent", ("margaret", "Margaret Smith"))


def test_short_passwords_say_how_long_they_must_be() -> None:
    with pytest.raises(WeakPassword, match="at least 10 characters"):
        check_password("k7#Qz!", "agent")


def test_create_user_and_set_password_apply_the_rule(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(WeakPassword), transaction(sessions) as session:
        service.create_user(session, "root", role=Role.ADMIN, password="12345678")
    with transaction(sessions) as session:
        user = service.create_user(
            session, "root", role=Role.ADMIN, password="violet staple orbit canyon"
        )
        with pytest.raises(WeakPassword):
            service.set_password(session, user, "password")


def test_a_new_password_or_role_ends_every_session(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user = service.create_user(session, "ann", role=Role.AGENT, password="agent-password")
        first = user.session_generation
        service.set_password(session, user, "another agent password")
        assert user.session_generation == first + 1
        service.set_role(session, user, Role.SUPERVISOR)
        assert user.session_generation == first + 2
