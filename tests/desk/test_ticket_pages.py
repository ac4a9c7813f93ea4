"""The desk's ticket list and ticket page over HTTP: views, filters, rights, marked fields."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm.tickets.models import Ticket
from tests.console_app import Staff, sign_in_as
from tests.desk.seed import seed_tickets

TICKETS = ("mine", "blue", "free", "red")


@pytest.fixture
def ids(sessions: sessionmaker[Session], staff: Staff) -> dict[str, int]:
    return seed_tickets(sessions)


def numbers(html: str, ids: dict[str, int]) -> set[str]:
    """Which of the seeded tickets a list page links to."""
    return {name for name, id_ in ids.items() if f'href="/desk/tickets/{id_}"' in html}


def test_the_list_asks_for_a_sign_in(client: TestClient) -> None:
    answer = client.get("/desk/tickets", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")


def test_each_view_lists_its_tickets(client: TestClient, staff: Staff, ids: dict[str, int]) -> None:
    sign_in_as(client, staff, "agent1")
    ticket_ids = {k: ids[k] for k in TICKETS}
    got = {
        view: numbers(client.get(f"/desk/tickets?view={view}").text, ticket_ids)
        for view in ("mine", "team", "unassigned", "all")
    }
    assert got == {
        "mine": {"mine"},
        "team": {"mine", "red"},
        "unassigned": {"free", "red"},
        "all": {"mine", "blue", "free", "red"},
    }


def test_filters_search_sort_and_paging(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    sign_in_as(client, staff, "agent1")
    ticket_ids = {k: ids[k] for k in TICKETS}
    assert numbers(client.get("/desk/tickets?view=all&priority=urgent").text, ticket_ids) == {
        "free"
    }
    assert numbers(client.get("/desk/tickets?view=all&q=FAX").text, ticket_ids) == {"red"}
    with sessions() as session:
        number = session.get(Ticket, ids["blue"]).number  # type: ignore[union-attr]
    assert numbers(client.get(f"/desk/tickets?view=all&q={number}").text, ticket_ids) == {"blue"}
    page = client.get("/desk/tickets?view=all&sort=number&order=asc").text
    positions = [page.index(f'href="/desk/tickets/{ticket_ids[k]}"') for k in ticket_ids]
    assert positions == sorted(positions)
    assert "Page 1 of 1" in page
    assert client.get("/desk/tickets?view=nonsense").status_code == 422


def test_breaching_soon_lists_active_tickets_due_within_hours(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    from datetime import UTC, datetime, timedelta

    with sessions() as session, session.begin():
        for key, due in (("mine", timedelta(hours=1)), ("blue", timedelta(days=3))):
            ticket = session.get(Ticket, ids[key])
            assert ticket is not None
            ticket.first_response_due = datetime.now(UTC) + due
            ticket.resolution_due = datetime.now(UTC) + due
        for key in ("free", "red"):
            ticket = session.get(Ticket, ids[key])
            assert ticket is not None
            ticket.first_response_due = ticket.resolution_due = None
    sign_in_as(client, staff, "agent1")
    html = client.get("/desk/tickets?view=breaching").text
    assert numbers(html, {k: ids[k] for k in TICKETS}) == {"mine"}
    assert "left)" in html


def test_the_ticket_page_shows_the_call_facts_and_the_customer(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    sign_in_as(client, staff, "agent1")
    html = client.get(f"/desk/tickets/{ids['mine']}").text
    assert f'href="/desk/customers/{ids["customer"]}"' in html
    for fact in ("inbound", "support", "agent1", "2:05", "answered"):
        assert fact in html
    assert "Caller smells smoke near the printer" in html
    assert 'data-testid="move-open"' in html
    assert 'data-testid="move-closed"' not in html  # only a resolved ticket closes


def test_an_agent_comments_moves_and_reprioritises_their_ticket(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/tickets/{ids['mine']}"
    answer = client.post(
        url + "/comments", data={"csrf_token": csrf, "body": "Sent a technician"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    assert (
        client.post(url + "/status", data={"csrf_token": csrf, "target": "open"}).status_code == 200
    )
    assert (
        client.post(
            url, data={"csrf_token": csrf, "assignee": "agent1", "priority": "high"}
        ).status_code
        == 200
    )
    with sessions() as session:
        ticket = session.get(Ticket, ids["mine"])
        assert ticket is not None
        assert (ticket.status, ticket.priority) == ("open", "high")
    assert "Sent a technician" in client.get(url).text


def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    sign_in_as(client, staff, "agent1")
    answer = client.post(f"/desk/tickets/{ids['mine']}/comments", data={"body": "x"})
    assert answer.status_code == 403


def test_an_agent_cannot_change_another_teams_ticket(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/tickets/{ids['blue']}"
    page = client.get(url).text
    assert 'data-testid="read-only"' in page and "comment-form" not in page
    for path, data in (
        ("/comments", {"body": "mine now"}),
        ("/status", {"target": "open"}),
        ("", {"assignee": "agent1", "priority": "low"}),
    ):
        answer = client.post(url + path, data={"csrf_token": csrf, **data})
        assert answer.status_code == 403, path
        assert "another team" in answer.text
    with sessions() as session:
        ticket = session.get(Ticket, ids["blue"])
        assert ticket is not None
        assert (ticket.status, ticket.priority, ticket.assignee) == ("new", "normal", "agent3")


def test_an_agent_cannot_hand_a_ticket_outside_the_team(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    answer = client.post(
        f"/desk/tickets/{ids['mine']}",
        data={"csrf_token": csrf, "assignee": "agent3", "priority": "normal"},
    )
    assert answer.status_code == 403
    assert 'aria-invalid="true"' in answer.text and 'data-testid="error-assignee"' in answer.text


def test_a_422_marks_the_field(client: TestClient, staff: Staff, ids: dict[str, int]) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/tickets/{ids['mine']}"
    empty = client.post(url + "/comments", data={"csrf_token": csrf, "body": "   "})
    assert empty.status_code == 422
    assert 'data-testid="error-body"' in empty.text and 'aria-invalid="true"' in empty.text
    bad = client.post(url, data={"csrf_token": csrf, "assignee": "agent1", "priority": "meh"})
    assert bad.status_code == 422
    assert 'data-testid="error-priority"' in bad.text


def test_a_refused_move_says_why(client: TestClient, staff: Staff, ids: dict[str, int]) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    answer = client.post(
        f"/desk/tickets/{ids['mine']}/status", data={"csrf_token": csrf, "target": "closed"}
    )
    assert answer.status_code == 409
    assert "only a resolved ticket can be closed" in answer.text


def test_a_missing_ticket_is_404(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/desk/tickets/999999").status_code == 404


def test_an_empty_filter_means_any_and_an_unknown_one_is_refused(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/desk/tickets?view=all&status=&priority=&q=").status_code == 200
    answer = client.get("/desk/tickets?status=lost")
    assert answer.status_code == 422 and "one of new" in answer.text
