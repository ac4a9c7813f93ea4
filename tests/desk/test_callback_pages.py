"""The desk's callback lists over HTTP: mine (my queues), my team's, all; done and failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.enums import LeadOrigin
from callcenter.campaigns.models import Lead
from crm.callbacks.service import add_callback
from tests.console_app import Staff, sign_in_as
from tests.desk.seed import RULES, seed_tickets


@pytest.fixture
def ids(sessions: sessionmaker[Session], staff: Staff) -> dict[str, int]:
    ids = seed_tickets(sessions)
    with sessions() as session, session.begin():
        late = add_callback(
            session,
            RULES,
            number="+15551230002",
            due_at=datetime.now(UTC) - timedelta(minutes=20),
            origin=LeadOrigin.ABANDONED,
            queue="support",
        )
        sales = add_callback(
            session,
            RULES,
            number="+15551230003",
            due_at=datetime.now(UTC) + timedelta(hours=1),
            origin=LeadOrigin.API,
            queue="sales",  # nobody of the staff answers sales
        )
        ids["late"], ids["sales"] = late.id, sales.id
    return ids


def listed(html: str) -> set[str]:
    return {n for n in ("+15551230001", "+15551230002", "+15551230003") if n in html}


def test_mine_team_and_all(client: TestClient, staff: Staff, ids: dict[str, int]) -> None:
    sign_in_as(client, staff, "agent1")
    mine = client.get("/desk/callbacks").text
    assert listed(mine) == {"+15551230001", "+15551230002"}
    assert "2 callbacks, 1 overdue" in mine and "overdue by 2" in mine
    assert listed(client.get("/desk/callbacks?view=team").text) == {
        "+15551230001",
        "+15551230002",
    }
    assert len(listed(client.get("/desk/callbacks?view=all").text)) == 3


def test_the_overdue_callback_comes_first_and_dial_is_one_click(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    sign_in_as(client, staff, "agent1")
    html = client.get("/desk/callbacks").text
    assert html.index("+15551230002") < html.index("+15551230001")
    assert 'hx-post="/console/dial"' in html and "+15551230002" in html
    sign_in_as(client, staff, "supervisor1")  # no phone: nothing to dial from
    assert 'hx-post="/console/dial"' not in client.get("/desk/callbacks?view=all").text


def test_done_closes_and_failed_counts_an_attempt(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    done = client.post(
        f"/desk/callbacks/{ids['callback']}/attempts",
        data={"csrf_token": csrf, "outcome": "done", "note": "Told them it is fixed"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/desk/callbacks"
    failed = client.post(
        f"/desk/callbacks/{ids['late']}/attempts",
        data={"csrf_token": csrf, "outcome": "failed", "back": "https://elsewhere.example/"},
        follow_redirects=False,
    )
    assert failed.headers["location"] == "/desk/callbacks"
    with sessions() as session:
        first = session.get(Lead, ids["callback"])
        late = session.get(Lead, ids["late"])
        assert first is not None and late is not None
        assert (first.state, first.closed_by, first.note) == (
            "done", "agent1", "Told them it is fixed",
        )  # fmt: skip
        assert (late.state, late.attempts) == ("open", 1)
    assert listed(client.get("/desk/callbacks?status=done").text) == {"+15551230001"}


def test_an_attempt_needs_the_csrf_token_and_a_known_outcome(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/callbacks/{ids['callback']}/attempts"
    assert client.post(url, data={"outcome": "done"}).status_code == 403
    assert client.post(url, data={"csrf_token": csrf, "outcome": "maybe"}).status_code == 422


def test_a_callback_an_agent_promised_is_theirs_and_their_teams(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    # agent3 (team blue) answers support too; the promise is agent1's (team red), for a
    # number no queue owes a callback.
    csrf = sign_in_as(client, staff, "agent1")
    due = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled = client.post(
        "/console/callbacks",
        data={"number": "+15551230009", "due_at": due, "utc_offset_minutes": "0"},
        headers={"X-CSRF-Token": csrf},
    )
    assert scheduled.status_code == 200, scheduled.text
    with sessions() as session:
        promised = session.query(Lead).filter_by(number="+15551230009").one()
        assert (promised.owner, promised.queue) == ("agent1", None)

    mine = client.get("/desk/callbacks").text
    assert "+15551230009" in mine
    row = mine[mine.index("+15551230009") - 600 : mine.index("+15551230009") + 600]
    assert 'data-testid="cb-owner">agent1<' in row
    sign_in_as(client, staff, "agent2")  # same team: the team's list has it, theirs not
    assert "+15551230009" in client.get("/desk/callbacks?view=team").text
    assert "+15551230009" not in client.get("/desk/callbacks").text
    sign_in_as(client, staff, "agent3")  # another team, same queue: not theirs to keep
    assert "+15551230009" not in client.get("/desk/callbacks?view=team").text
    assert "+15551230009" in client.get("/desk/callbacks?view=all").text
