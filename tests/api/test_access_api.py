"""Who may change what (docs/security.md): tickets by assignee and team, account fields of
customers, calls linked only when stored; each rule allowed and refused, by role, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.models import Team, User
from callcenter.users.service import Role, issue_token
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.api.test_tickets_api import store_call

# username: (role, team)
STAFF = {
    "nina": (Role.AGENT, "North"),
    "ned": (Role.AGENT, "North"),
    "sam": (Role.AGENT, "South"),
    "sue": (Role.SUPERVISOR, "North"),
    "ada": (Role.ADMIN, None),
}
# ticket name: (assignee, team)
TICKETS = {
    "for-nina": ("nina", None),
    "for-ned": ("ned", None),
    "for-north": (None, "North"),
    "unclaimed": (None, None),
    "for-south": ("sam", "South"),
}

Act = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> tuple[dict[str, str], dict[str, int]]:
    """The staff's bearer tokens and the tickets' ids."""
    tokens: dict[str, str] = {}
    with sessions() as session, session.begin():
        teams = {name: Team(name=name) for name in ("North", "South")}
        session.add_all(teams.values())
        for username, (role, team) in STAFF.items():
            user = User(
                username=username,
                display_name=username.title(),
                role=str(role),
                team=teams[team] if team else None,
                password_hash="unused",
            )
            session.add(user)
            session.flush()
            tokens[username] = issue_token(session, user, "tests")
        ids = {
            name: create_ticket(
                session, TicketCreate(subject=name, assignee=assignee, team=team), "setup"
            ).id
            for name, (assignee, team) in TICKETS.items()
        }
    return tokens, ids


@pytest.fixture
def as_user(app: FastAPI, desk: tuple[dict[str, str], dict[str, int]]) -> Act:
    @asynccontextmanager
    async def client(username: str) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {desk[0][username]}"},
        ) as http:
            yield http

    return client


# (who, whose ticket, allowed)
TICKET_SCOPE = [
    ("nina", "for-nina", True),
    ("nina", "for-ned", True),  # a teammate's
    ("nina", "for-north", True),  # her team's queue
    ("nina", "unclaimed", True),
    ("nina", "for-south", False),
    ("sam", "for-nina", False),
    ("sam", "for-south", True),
    ("sue", "for-ned", True),
    ("sue", "unclaimed", True),
    ("sue", "for-south", False),
    ("ada", "for-south", True),
]
WRITES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "update": ("patch", "", {"description": "more detail"}),
    "move": ("post", "/transitions", {"status": "open"}),
    "comment": ("post", "/comments", {"body": "Called back", "public": False}),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(("who", "whose", "allowed"), TICKET_SCOPE)
async def test_ticket_writes_follow_assignee_and_team(
    as_user: Act,
    desk: tuple[dict[str, str], dict[str, int]],
    write: str,
    who: str,
    whose: str,
    allowed: bool,
) -> None:
    method, tail, body = WRITES[write]
    url = f"/api/tickets/{desk[1][whose]}"
    async with as_user(who) as http:
        response = await http.request(method, url + tail, json=body)
        assert response.status_code == (201 if write == "comment" else 200) if allowed else 403
        if not allowed:
            assert "belongs to another team" in response.json()["detail"]
            events = (await http.get(f"{url}/events")).json()
            assert [e["kind"] for e in events] == ["created"]


# (who, ticket, changes, allowed)
ROUTING = [
    ("nina", "unclaimed", {"assignee": "nina"}, True),  # taking it
    ("nina", "for-nina", {"assignee": "ned"}, True),  # to a teammate
    ("nina", "for-nina", {"assignee": None}, True),  # back to the pool
    ("nina", "for-nina", {"team": "North"}, True),
    ("nina", "for-nina", {"assignee": "sam"}, False),
    ("nina", "for-north", {"team": "South"}, False),
    ("sue", "for-north", {"team": "South"}, True),  # a supervisor passes it on
    ("sue", "for-north", {"assignee": "sam"}, False),
    ("ada", "for-south", {"assignee": "nina", "team": "North"}, True),
]


@pytest.mark.parametrize(("who", "whose", "changes", "allowed"), ROUTING)
async def test_who_may_assign_to_whom(
    as_user: Act,
    desk: tuple[dict[str, str], dict[str, int]],
    who: str,
    whose: str,
    changes: dict[str, Any],
    allowed: bool,
) -> None:
    async with as_user(who) as http:
        response = await http.patch(f"/api/tickets/{desk[1][whose]}", json=changes)
        assert response.status_code == (200 if allowed else 403), response.text
        if allowed:
            assert {k: response.json()[k] for k in changes} == changes


@pytest.mark.parametrize(
    ("who", "fields", "allowed"),
    [
        ("nina", {"assignee": "ned", "team": "North"}, True),
        ("nina", {"assignee": "sam"}, False),
        ("nina", {"team": "South"}, False),
        ("sue", {"team": "South"}, True),
        ("ada", {"assignee": "sam", "team": "South"}, True),
    ],
)
async def test_who_may_open_a_ticket_for_whom(
    as_user: Act, who: str, fields: dict[str, Any], allowed: bool
) -> None:
    async with as_user(who) as http:
        response = await http.post("/api/tickets", json={"subject": "New", **fields})
        assert response.status_code == (201 if allowed else 403), response.text


async def test_only_a_stored_call_can_be_linked(
    as_user: Act, desk: tuple[dict[str, str], dict[str, int]], sessions: sessionmaker[Session]
) -> None:
    store_call(sessions, "pbx", "1795441073.0")
    mine = f"/api/tickets/{desk[1]['for-nina']}"
    async with as_user("nina") as http:
        missing = await http.post(f"{mine}/calls", json={"server": "nosuch", "linkedid": "x"})
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["field"] == "call"
        opened = await http.post(
            "/api/tickets", json={"subject": "x", "call": {"server": "nosuch", "linkedid": "x"}}
        )
        assert opened.status_code == 422
        call = {"server": "pbx", "linkedid": "1795441073.0"}
        linked = await http.post(f"{mine}/calls", json=call)
        assert linked.status_code == 200
        assert linked.json()["calls"] == [call]
        theirs = f"/api/tickets/{desk[1]['for-south']}/calls"
        assert (await http.post(theirs, json=call)).status_code == 403


@pytest.mark.parametrize(
    ("who", "changes", "allowed"),
    [
        ("nina", {"name": "Acme Rockets Inc", "email": "desk@acme.test", "city": "Kiel"}, True),
        ("nina", {"notes": "prefers mornings", "code": "ACME-2"}, True),
        ("nina", {"category": "regular"}, True),  # unchanged: nothing decided
        ("nina", {"category": "vip"}, False),
        ("nina", {"blacklisted": True}, False),
        ("nina", {"value": 5000}, False),
        ("nina", {"preferred_agent": "nina"}, False),
        ("sue", {"blacklisted": True, "category": "vip"}, True),
        ("ada", {"value": 5000, "credit_rating": "AA"}, True),
    ],
)
async def test_agents_keep_contact_data_current_account_fields_need_a_supervisor(
    as_user: Act, who: str, changes: dict[str, Any], allowed: bool
) -> None:
    async with as_user("ada") as admin:
        customer = (
            await admin.post(
                "/api/customers", json={"name": "Acme", "phones": [{"number": "5551230001"}]}
            )
        ).json()
    url = f"/api/customers/{customer['id']}"
    async with as_user(who) as http:
        response = await http.patch(url, json=changes)
        assert response.status_code == (200 if allowed else 403), response.text
        if not allowed:
            assert "account fields take a supervisor" in response.json()["detail"]
            assert (await http.get(url)).json()["updated_at"] == customer["updated_at"]
        phone = await http.post(f"{url}/phones", json={"number": "5551230002"})
        assert phone.status_code == 201
        contact = await http.post(f"{url}/contacts", json={"name": "Ann", "email": "a@b.test"})
        assert contact.status_code == 201


async def test_an_agent_creates_customers_without_account_fields(as_user: Act) -> None:
    async with as_user("nina") as http:
        plain = await http.post("/api/customers", json={"name": "Bolt", "category": "regular"})
        assert plain.status_code == 201
        vip = await http.post("/api/customers", json={"name": "Bolt", "category": "vip"})
        assert vip.status_code == 403
    async with as_user("sue") as http:
        vip = await http.post("/api/customers", json={"name": "Bolt", "category": "vip"})
        assert vip.status_code == 201
