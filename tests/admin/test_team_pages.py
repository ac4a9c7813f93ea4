"""The admin's team pages over HTTP: create, rename (tickets follow), move members."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.models import Team, User
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.console_app import Staff, sign_in_as


def team_id(sessions: sessionmaker[Session], name: str) -> int | None:
    with sessions() as session:
        return session.scalar(select(Team.id).where(Team.name == name))


def user_row(sessions: sessionmaker[Session], name: str) -> tuple[int | None, int]:
    with sessions() as session:
        user = session.scalar(select(User).where(User.username == name))
        assert user is not None
        return user.team_id, user.session_generation


def test_the_list_names_each_teams_members(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    html = client.get("/admin/teams").text
    row = re.search(r'data-team="red">.*?</tr>', html, re.S)
    assert row is not None
    assert "agent1" in row.group(0) and "supervisor1" in row.group(0)
    assert "agent3" not in row.group(0)


def test_a_new_team_needs_a_free_name(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    for name, says in (("red", "already exists"), ("  ", "1 to 128 characters")):
        refused = client.post("/admin/teams", data={"csrf_token": csrf, "name": name})
        assert refused.status_code == 422 and says in refused.text
        assert re.search(r'name="name"[^>]*aria-invalid="true"', refused.text)
    created = client.post(
        "/admin/teams", data={"csrf_token": csrf, "name": "green"}, follow_redirects=False
    )
    assert created.status_code == 303
    assert created.headers["location"] == f"/admin/teams/{team_id(sessions, 'green')}"


def test_a_renamed_team_keeps_its_members_and_tickets(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        ticket = create_ticket(session, TicketCreate(subject="Fax", team="red"), "admin")
        ticket_id = ticket.id
    csrf = sign_in_as(client, staff, "admin")
    red = team_id(sessions, "red")
    refused = client.post(f"/admin/teams/{red}", data={"csrf_token": csrf, "name": "blue"})
    assert refused.status_code == 422 and 'data-testid="error-name"' in refused.text
    answer = client.post(f"/admin/teams/{red}", data={"csrf_token": csrf, "name": "crimson"})
    assert answer.status_code == 200 and 'data-testid="team-title">crimson<' in answer.text
    assert team_id(sessions, "crimson") == red and user_row(sessions, "agent1")[0] == red
    sign_in_as(client, staff, "agent1")
    assert "crimson" in client.get(f"/desk/tickets/{ticket_id}").text
    assert 'data-testid="read-only"' not in client.get(f"/desk/tickets/{ticket_id}").text


def test_moving_a_member_ends_their_sessions(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    blue = team_id(sessions, "blue")
    _, before = user_row(sessions, "agent1")
    url = f"/admin/teams/{blue}/members"
    assert client.post(url, data={"csrf_token": csrf, "user_id": "x"}).status_code == 422
    added = client.post(url, data={"csrf_token": csrf, "user_id": str(staff.ids["agent1"])})
    assert added.status_code == 200 and 'data-user="agent1"' in added.text
    team, moved = user_row(sessions, "agent1")
    assert team == blue and moved > before

    removed = client.post(f"{url}/{staff.ids['agent1']}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 200 and 'data-user="agent1"' not in removed.text
    team, out = user_row(sessions, "agent1")
    assert team is None and out > moved
