"""Users: argon2 passwords, roles, agents' PBX identity, bearer tokens."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.queues.members import memberships_of
from callcenter.users import service
from callcenter.users.exceptions import DuplicateUser, UserError
from callcenter.users.models import User
from callcenter.users.service import Role


@pytest.fixture
def agent(sessions: sessionmaker[Session]) -> User:
    with transaction(sessions) as session:
        return service.create_user(
            session,
            "agent1",
            role=Role.AGENT,
            password="correct horse",
            display_name="Alice",
            team="Tier 1",
            interface="PJSIP/1001",
            queues=[("support", 0), ("billing", 2)],
        )


def test_password_is_stored_as_argon2_hash(agent: User) -> None:
    assert agent.password_hash.startswith("$argon2id$")
    assert "correct horse" not in agent.password_hash


def test_agent_carries_interface_member_name_team_and_queues(
    agent: User, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        user = service.get_user(session, "agent1")
        assert (user.interface, user.member_name, user.team and user.team.name) == (
            "PJSIP/1001",
            "Alice",
            "Tier 1",
        )
        served = [(m.queue, m.penalty) for m in memberships_of(session, user.id)]
        assert served == [("billing", 2), ("support", 0)]


@pytest.mark.parametrize(
    ("username", "password", "signed_in"),
    [
        ("agent1", "correct horse", True),
        ("agent1", "wrong horse!", False),
        ("nobody", "correct horse", False),
    ],
)
def test_authenticate(
    agent: User, sessions: sessionmaker[Session], username: str, password: str, signed_in: bool
) -> None:
    with transaction(sessions) as session:
        assert (service.authenticate(session, username, password) is not None) is signed_in


def test_inactive_user_cannot_sign_in(agent: User, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        service.get_user(session, "agent1").active = False
    with transaction(sessions) as session:
        assert service.authenticate(session, "agent1", "correct horse") is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"username": "agent1"}, DuplicateUser),
        ({"username": "other", "interface": "PJSIP/1001"}, DuplicateUser),
        ({"username": "bad name!"}, UserError),
        ({"username": "short", "password": "1234567"}, UserError),
    ],
)
def test_refused_users(
    agent: User, sessions: sessionmaker[Session], kwargs: dict[str, str], error: type[Exception]
) -> None:
    arguments: dict[str, str] = {"password": "long enough phrase"} | kwargs
    username = arguments.pop("username")
    with pytest.raises(error), transaction(sessions) as session:
        service.create_user(session, username, role=Role.AGENT, **arguments)  # type: ignore[arg-type]


def test_token_acts_for_its_user_until_revoked(
    agent: User, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        token = service.issue_token(session, service.get_user(session, "agent1"), "wallboard")
    with transaction(sessions) as session:
        user = service.user_for_token(session, token)
        assert user is not None and user.username == "agent1"
        assert service.user_for_token(session, token + "x") is None
    with transaction(sessions) as session:
        assert service.revoke_tokens(session, service.get_user(session, "agent1")) == 1
    with transaction(sessions) as session:
        assert service.user_for_token(session, token) is None


def test_token_use_is_noted_at_most_every_few_minutes(
    agent: User, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        token = service.issue_token(session, service.get_user(session, "agent1"))
    with transaction(sessions) as session:
        service.user_for_token(session, token)
        (row,) = service.list_tokens(session, service.get_user(session, "agent1"))
        first = row.last_used_at
    with transaction(sessions) as session:
        service.user_for_token(session, token)
        (row,) = service.list_tokens(session, service.get_user(session, "agent1"))
        assert first is not None and row.last_used_at == first
        row.last_used_at = first - service.TOKEN_TOUCH_INTERVAL
    with transaction(sessions) as session:
        service.user_for_token(session, token)
        (row,) = service.list_tokens(session, service.get_user(session, "agent1"))
        assert row.last_used_at is not None and row.last_used_at > first
