"""Queue member names are unique: call records and the wallboard know agents by them."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.users import service
from callcenter.users.exceptions import DuplicateUser
from callcenter.users.models import User
from callcenter.users.service import Role


@pytest.fixture
def alice(sessions: sessionmaker[Session]) -> None:
    """Alice Smith at PJSIP/1001, member name defaulted from her display name."""
    with transaction(sessions) as session:
        service.create_user(
            session,
            "asmith",
            role=Role.AGENT,
            password="long enough phrase",
            display_name="Alice Smith",
            interface="PJSIP/1001",
        )


# the second agent's display name and member name; every case lands on "Alice Smith"
CLASHES = [
    ("Alice Smith", None),  # the default from the display name
    ("Alice B. Smith", "Alice Smith"),  # named outright
]


@pytest.mark.parametrize(("display_name", "member_name"), CLASHES)
def test_a_second_agent_under_the_same_member_name_is_refused(
    alice: None, sessions: sessionmaker[Session], display_name: str, member_name: str | None
) -> None:
    with (
        pytest.raises(DuplicateUser, match="member name 'Alice Smith' already belongs to 'asmith'"),
        transaction(sessions) as session,
    ):
        service.create_user(
            session,
            "asmith2",
            role=Role.AGENT,
            password="long enough phrase",
            display_name=display_name,
            interface="PJSIP/1002",
            member_name=member_name,
        )


def test_a_distinct_member_name_lets_the_namesake_in(
    alice: None, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        other = service.create_user(
            session,
            "asmith2",
            role=Role.AGENT,
            password="long enough phrase",
            display_name="Alice Smith",
            interface="PJSIP/1002",
            member_name="Alice Smith (2)",
        )
        assert other.member_name == "Alice Smith (2)"


def test_supervisors_without_a_phone_share_no_member_name(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for name in ("sup1", "sup2"):
            user = service.create_user(
                session,
                name,
                role=Role.SUPERVISOR,
                password="long enough phrase",
                display_name="Sam",
            )
            assert user.member_name is None


def test_the_database_refuses_a_shared_member_name_too(
    alice: None, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(
            User(username="x", display_name="x", role="agent", password_hash="x",
                 member_name="Alice Smith")
        )  # fmt: skip
        session.flush()
