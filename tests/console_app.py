"""The console app on a migrated database, a small call center of users, sign-in; the
console's and supervisor's tests share it (a plugin of the root conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.calls.records import AgentState
from callcenter.events import AgentRinging, AgentStateChanged, CallAnswered, DomainEvent
from callcenter.settings import Settings
from callcenter.users.auth import SESSION_COOKIE, SessionSigner
from callcenter.users.service import Role, create_user, issue_token
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer

PASSWORD = "correct horse battery"
SECRET = "test-secret-key-of-at-least-32-characters"
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# name, role, team, interface
STAFF = [
    ("agent1", Role.AGENT, "red", "PJSIP/1001"),
    ("agent2", Role.AGENT, "red", "PJSIP/1002"),
    ("agent3", Role.AGENT, "blue", "PJSIP/1003"),
    ("supervisor1", Role.SUPERVISOR, "red", None),
    ("supervisor2", Role.SUPERVISOR, "blue", None),
    ("admin", Role.ADMIN, None, None),
]


@dataclass
class Staff:
    """User ids by name, and bearer tokens by name."""

    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def staff(sessions: sessionmaker[Session], fast_password_hashing: None) -> Staff:
    ids, tokens = {}, {}
    with sessions() as session, session.begin():
        for name, role, team, interface in STAFF:
            user = create_user(
                session,
                name,
                role=role,
                password=PASSWORD,
                team=team,
                interface=interface,
                # Unlike the username, as in real PBX configs ("agent1" is "Agent 1" there).
                member_name=name.replace("agent", "Agent ") if interface else None,
                queues=[("support", 0)] if interface else [],
            )
            ids[name] = user.id
            tokens[name] = issue_token(session, user, "tests")
    return Staff(ids, tokens)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET, sla_check_interval_s=3600)


@pytest.fixture
def client(settings: Settings, staff: Staff) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def sign_in_as(client: TestClient, staff: Staff, name: str) -> str:
    """Put `name`'s session cookie on the client; returns the session's CSRF token."""
    value, web = SessionSigner(SECRET).issue(staff.ids[name])
    client.cookies.set(SESSION_COOKIE, value)
    return web.csrf


def publish(client: TestClient, event: DomainEvent) -> None:
    """Put an event on the app's bus, as the CTI pipeline does."""
    client.app.state.callcenter.bus.publish(event)  # type: ignore[attr-defined]


def ringing(
    interface: str,
    linkedid: str,
    number: str | None = "+15551230001",
    name: str | None = "Ann Customer",
    queue: str = "support",
) -> AgentRinging:
    return AgentRinging(
        at=AT,
        server="sim",
        linkedid=linkedid,
        uniqueid=linkedid,
        queue=queue,
        agent=interface,
        interface=interface,
        caller_number=number,
        caller_name=name,
        waited_s=12.0,
    )


def answered(interface: str, linkedid: str) -> CallAnswered:
    return CallAnswered(
        at=AT,
        server="sim",
        linkedid=linkedid,
        queue="support",
        agent=interface,
        interface=interface,
        wait_s=12.0,
    )


def state(interface: str, agent_state: AgentState, reason: str | None = None) -> AgentStateChanged:
    return AgentStateChanged(
        at=AT,
        server="sim",
        agent=interface,
        interface=interface,
        state=agent_state,
        reason=reason,
        queue=None,
        queues=() if agent_state is AgentState.LOGGED_OUT else ("support",),
    )


@pytest.fixture
def ann(sessions: sessionmaker[Session]) -> int:
    """A known customer calling from +1 555 123 0001."""
    with sessions() as session, session.begin():
        data = CustomerCreate(name="Ann Customer", phones=[PhoneIn(number="+15551230001")])
        return create_customer(session, data, "US").id
