"""During and after the call: tickets, notes and disposition, KB, callbacks, new customers."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.dispositions import dispositions_of
from callcenter.campaigns.models import Lead
from crm.customers.models import PhoneNumber
from crm.interactions.models import Interaction
from crm.kb.schemas import KBArticleIn
from crm.kb.service import create_article
from crm.tickets.models import Ticket, TicketCall
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.console_app import Staff, publish, ringing, sign_in_as


def pop(client: TestClient, linkedid: str, number: str = "+15551230001", name: str = "Ann") -> None:
    """Ring agent1 and wait until the pop and its customer card reached their console."""
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        publish(client, ringing("PJSIP/1001", linkedid, number=number, name=name))
        while ws.receive_json()["type"] != "card":
            pass


def test_a_ticket_opened_from_the_call_is_prefilled_and_linked(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    pop(client, "call-t1")
    response = client.post(
        "/console/tickets",
        data={"subject": "Invoice question", "linkedid": "call-t1"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    with sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        link = session.scalars(select(TicketCall)).one()
    assert (ticket.customer_id, ticket.assignee) == (ann, "agent1")
    assert "+15551230001" in (ticket.description or "")
    assert (link.ticket_id, link.server, link.linkedid) == (ticket.id, "sim", "call-t1")


def test_the_call_can_be_linked_to_an_open_ticket(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        ticket_id = create_ticket(session, TicketCreate(subject="Old", customer_id=ann), "x").id
    csrf = sign_in_as(client, staff, "agent1")
    pop(client, "call-t2")
    response = client.post(
        f"/console/tickets/{ticket_id}/calls",
        data={"linkedid": "call-t2"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    with sessions() as session:
        assert session.scalars(select(TicketCall.linkedid)).all() == ["call-t2"]


def test_the_call_cannot_be_linked_to_another_teams_ticket(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        theirs = TicketCreate(subject="Theirs", customer_id=ann, assignee="zoe", team="Faraway")
        ticket_id = create_ticket(session, theirs, "x").id
    csrf = sign_in_as(client, staff, "agent1")
    pop(client, "call-t3")
    response = client.post(
        f"/console/tickets/{ticket_id}/calls",
        data={"linkedid": "call-t3"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403, response.text
    assert "belongs to another team" in response.json()["detail"]
    with sessions() as session:
        assert session.scalars(select(TicketCall.linkedid)).all() == []


def test_an_agent_cannot_file_another_agents_call(client: TestClient, staff: Staff) -> None:
    publish(client, ringing("PJSIP/1001", "agent1s-call"))
    csrf = sign_in_as(client, staff, "agent2")
    response = client.post(
        "/console/tickets",
        data={"subject": "Not mine", "linkedid": "agent1s-call"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403


def test_one_click_makes_a_customer_of_an_unknown_number(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    pop(client, "call-new", number="+15559990002", name="<script>x</script>")
    response = client.post(
        "/console/customers",
        data={"number": "+15559990002", "name": "<script>x</script>", "linkedid": "call-new"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    assert "<script>" not in response.text
    assert "&lt;script&gt;x&lt;/script&gt;" in response.text
    with sessions() as session:
        phone = session.scalars(select(PhoneNumber)).one()
    assert phone.e164 == "+15559990002"


def test_disposition_and_notes_go_to_the_customers_history(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    pop(client, "call-n1")
    response = client.post(
        "/console/wrapup/notes",
        data={"disposition": "Resolved", "notes": "Explained the bill", "linkedid": "call-n1"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    with sessions() as session:
        note = session.scalars(select(Interaction)).one()
    assert note.customer_id == ann
    assert note.subject is not None and note.subject.startswith("Disposition: Resolved")
    assert (note.body, note.agent) == ("Explained the bill", "agent1")
    with sessions() as session:
        (wrapup,) = dispositions_of(session, "sim", "call-n1")
    # Keyed like the call records, by the agent's queue MemberName, so the two join.
    assert (wrapup.agent, wrapup.disposition, wrapup.notes) == (
        "Agent 1",
        "Resolved",
        "Explained the bill",
    )


def test_an_unknown_callers_disposition_is_kept_on_the_call(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    pop(client, "call-n2", number="+15559990003", name="Stranger")
    for disposition in ("Resolved", "Wrong number"):  # a change of mind replaces the first
        response = client.post(
            "/console/wrapup/notes",
            data={"disposition": disposition, "linkedid": "call-n2"},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200, response.text
    with sessions() as session:
        assert [w.disposition for w in dispositions_of(session, "sim", "call-n2")] == [
            "Wrong number"
        ]
        assert session.scalars(select(Interaction)).all() == []


def test_notes_with_neither_call_nor_customer_are_refused(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/wrapup/notes",
        data={"disposition": "Resolved"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert "nothing to attach" in response.text


def test_a_disposition_outside_the_configured_list_is_refused(
    client: TestClient, staff: Staff, ann: int
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/wrapup/notes",
        data={"disposition": "Made up", "customer_id": str(ann)},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422


def test_knowledge_base_search_shows_matching_articles_escaped(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        create_article(
            session,
            KBArticleIn(title="Router <b>drops</b>", problem="The line drops", solution="Reboot"),
        )
    sign_in_as(client, staff, "agent1")
    response = client.get("/console/kb", params={"q": "router"})
    assert response.status_code == 200
    assert "Router &lt;b&gt;drops&lt;/b&gt;" in response.text


def _year_near(month: int, day: int) -> int:
    """The year that puts `month`-`day` within half a year of today: due times must lie
    within a year of now, and these keep their season (winter or summer time)."""
    today = date.today()
    year = today.year
    if date(year, month, day) < today - timedelta(days=182):
        year += 1
    return year


_MARCH, _JULY = _year_near(3, 3), _year_near(7, 1)
# due_at as sent, the browser's offset (minutes east of UTC), stored due time in UTC
DUE_TIMES = [
    (f"{_MARCH}-03-03T10:00", "60", f"{_MARCH}-03-03T09:00"),  # Berlin in winter
    (f"{_JULY}-07-01T10:00", "-240", f"{_JULY}-07-01T14:00"),  # New York in summer
    (f"{_MARCH}-03-03T10:00", "0", f"{_MARCH}-03-03T10:00"),
    # an ISO time with its own offset
    (f"{_MARCH}-03-03T10:00+05:30", "", f"{_MARCH}-03-03T04:30"),
]


@pytest.mark.parametrize(("due_at", "offset", "stored"), DUE_TIMES)
def test_a_callback_is_due_at_the_moment_the_agent_meant(
    client: TestClient,
    staff: Staff,
    ann: int,
    sessions: sessionmaker[Session],
    due_at: str,
    offset: str,
    stored: str,
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/callbacks",
        data={
            "number": "+15551230001",
            "customer_id": str(ann),
            "due_at": due_at,
            "utc_offset_minutes": offset,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    assert f"{stored.replace('T', ' ')} UTC" in response.text
    with sessions() as session:
        callback = session.scalars(select(Lead)).one()
    assert (callback.number, callback.customer_id) == ("+15551230001", ann)
    assert callback.due_at is not None
    assert callback.due_at.astimezone(UTC).isoformat().startswith(stored)


def test_a_due_time_without_a_zone_is_refused(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/callbacks",
        data={"number": "+15551230001", "due_at": "2026-03-03T10:00"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert "no time zone" in response.json()["detail"]


@pytest.mark.parametrize("customer_id", ["²", "١٢", "-1", "1.5"])
def test_an_id_that_is_not_plain_digits_is_422(
    client: TestClient, staff: Staff, customer_id: str
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/callbacks",
        data={"number": "+15551230001", "customer_id": customer_id},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "customer_id must be a number"


def test_phone_controls_without_a_pbx_say_so(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post("/console/call/hangup", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 503
    assert response.json()["detail"] == "no PBX is connected to this console server"


def test_a_pause_reason_outside_the_configured_list_is_refused(
    client: TestClient, staff: Staff
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post("/console/pause", data={"reason": "Nap"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422


def test_when_several_customers_share_the_number_the_agent_chooses(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    from crm.customers.schemas import CustomerCreate, PhoneIn
    from crm.customers.service import create_customer

    with sessions() as session, session.begin():
        shop = CustomerCreate(name="Ann's Shop", phones=[PhoneIn(number="+15551230001")])
        shop_id = create_customer(session, shop, "US").id
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        publish(client, ringing("PJSIP/1001", "shared"))
        frame = ws.receive_json()
        while frame["type"] != "card":
            frame = ws.receive_json()
    assert "2 customers have this number" in frame["html"]
    assert frame["call"]["customer_id"] is None  # nobody is assumed
    chosen = client.post(
        "/console/calls/customer",
        data={"linkedid": "shared", "customer_id": str(shop_id)},
        headers={"X-CSRF-Token": csrf},
    )
    client.post(
        "/console/tickets",
        data={"subject": "For the shop", "linkedid": "shared"},
        headers={"X-CSRF-Token": csrf},
    )
    with sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
    assert chosen.status_code == 200
    assert ticket.customer_id == shop_id


@pytest.mark.parametrize(
    ("due_at", "offset"),
    [("0001-01-01T00:00", "120"), ("9999-12-31T23:59", "-300"), ("9999-12-31T23:59-05:00", "")],
)
def test_a_due_time_out_of_range_is_422(
    client: TestClient, staff: Staff, due_at: str, offset: str
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/callbacks",
        data={"number": "+15551230001", "due_at": due_at, "utc_offset_minutes": offset},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422, response.text
    assert "within a year of today" in response.json()["detail"]
