"""The pop offers the caller's open ticket first and links the call to it on answer, unless
the agent links another, opens a new one or says not to: over the console websocket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession

from crm.tickets.models import Ticket, TicketCall
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.console_app import Staff, answered, publish, ringing, sign_in_as

NOW = datetime.now(UTC)


def next_of(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame


def tickets(sessions: sessionmaker[Session], customer: int, *specs: tuple[str, str]) -> list[int]:
    """Open tickets (subject, assignee) of `customer`, updated one hour apart, oldest first."""
    ids = []
    with sessions() as session, session.begin():
        for hours, (subject, assignee) in enumerate(specs):
            data = TicketCreate(subject=subject, customer_id=customer, assignee=assignee)
            ticket = create_ticket(session, data, "x")
            ids.append(ticket.id)
            session.flush()
            stamp = NOW - timedelta(hours=len(specs) - hours)
            session.execute(update(Ticket).where(Ticket.id == ticket.id).values(updated_at=stamp))
    return ids


def links(sessions: sessionmaker[Session]) -> list[tuple[int, str]]:
    with sessions() as session:
        rows = session.execute(select(TicketCall.ticket_id, TicketCall.linkedid)).all()
    return sorted((ticket, linkedid) for ticket, linkedid in rows)


def test_the_latest_open_ticket_is_offered_first_and_linked_on_answer(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    older, latest = tickets(sessions, ann, ("Older", "agent1"), ("Latest", "agent1"))
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-1"))
        card = next_of(ws, "card")["html"]
        assert card.index("Latest") < card.index("Older")  # offered first
        assert 'data-testid="ticket-offer"' in card
        assert links(sessions) == []  # not before the answer

        publish(client, answered("PJSIP/1001", "offer-1"))
        next_of(ws, "answered")
        refreshed = next_of(ws, "card")["html"]
        assert 'data-testid="linked-ticket"' in refreshed
        assert 'data-testid="ticket-offer"' not in refreshed
    assert links(sessions) == [(latest, "offer-1")]
    assert older not in {ticket for ticket, _ in links(sessions)}


def test_an_agent_who_declines_the_offer_gets_no_link(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    tickets(sessions, ann, ("Latest", "agent1"))
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-2"))
        next_of(ws, "card")
        declined = client.post(
            "/console/calls/ticket-offer/decline",
            data={"linkedid": "offer-2"},
            headers={"X-CSRF-Token": csrf},
        )
        assert declined.status_code == 200, declined.text
        assert 'data-testid="ticket-offer"' not in next_of(ws, "card")["html"]
        publish(client, answered("PJSIP/1001", "offer-2"))
        next_of(ws, "answered")
    # The answer links nothing; the next call from Ann is offered the ticket again.
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-3"))
        assert 'data-testid="ticket-offer"' in next_of(ws, "card")["html"]
    assert links(sessions) == []


def test_a_ticket_the_agent_links_while_ringing_replaces_the_offer(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    other, latest = tickets(sessions, ann, ("Other", "agent1"), ("Latest", "agent1"))
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-4"))
        next_of(ws, "card")
        linked = client.post(
            f"/console/tickets/{other}/calls",
            data={"linkedid": "offer-4"},
            headers={"X-CSRF-Token": csrf},
        )
        assert linked.status_code == 200, linked.text
        next_of(ws, "card")
        publish(client, answered("PJSIP/1001", "offer-4"))
        next_of(ws, "answered")
    assert links(sessions) == [(other, "offer-4")]
    assert latest != other


def test_an_offered_ticket_the_agent_may_not_change_is_not_linked(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        theirs = TicketCreate(subject="Theirs", customer_id=ann, assignee="zoe", team="Faraway")
        create_ticket(session, theirs, "x")
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-5"))
        next_of(ws, "card")
        publish(client, answered("PJSIP/1001", "offer-5"))
        next_of(ws, "answered")
        # The next caller's pop still arrives: the refused link broke nothing.
        publish(client, ringing("PJSIP/1001", "offer-6", number="+15551239999"))
        assert next_of(ws, "pop")["call"]["linkedid"] == "offer-6"
    assert links(sessions) == []


def test_several_customers_with_the_number_offer_no_ticket_until_one_is_chosen(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    from crm.customers.schemas import CustomerCreate, PhoneIn
    from crm.customers.service import create_customer

    with sessions() as session, session.begin():
        twin = create_customer(
            session, CustomerCreate(name="Ann Twin", phones=[PhoneIn(number="+15551230001")]), "US"
        ).id
    tickets(sessions, ann, ("Ann's", "agent1"))
    (twins,) = tickets(sessions, twin, ("Twin's", "agent1"))
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-7"))
        assert 'data-testid="ticket-offer"' not in next_of(ws, "card")["html"]
        chosen = client.post(
            "/console/calls/customer",
            data={"linkedid": "offer-7", "customer_id": str(twin)},
            headers={"X-CSRF-Token": csrf},
        )
        assert chosen.status_code == 200, chosen.text
        assert 'data-testid="ticket-offer"' in next_of(ws, "card")["html"]
        publish(client, answered("PJSIP/1001", "offer-7"))
        next_of(ws, "answered")
        next_of(ws, "card")
    assert links(sessions) == [(twins, "offer-7")]


def test_the_pop_says_how_routing_chose_the_agent_and_offers_that_ticket(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    from callcenter.queues.routing.decision import Reason, RouteDecision
    from callcenter.queues.routing.facts import RouteRequest
    from callcenter.queues.routing.store import store_decisions

    routed, latest = tickets(sessions, ann, ("Routed by", "agent1"), ("Latest", "agent1"))
    with sessions() as session, session.begin():
        number = session.get(Ticket, routed).number  # type: ignore[union-attr]
        request = RouteRequest(
            caller="+15551230001",
            caller_name="Ann",
            dialed="5550100",
            uniqueid="offer-8",
            channel="PJSIP/trunk-00000001",
            at=NOW,
        )
        decision = RouteDecision(
            queue="support",
            reason=Reason.OPEN_TICKET,
            customer_id=ann,
            preferred_member="PJSIP/1001",
            preferred_username="agent1",
            ticket_id=routed,
        )
        store_decisions(session, [(request, decision, 1.0)])
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "offer-8"))
        card = next_of(ws, "card")["html"]
        assert f"Open ticket {number}: routed to you, its assignee" in card
        assert card.index("Routed by") < card.index("Latest")  # routing's ticket first
        publish(client, answered("PJSIP/1001", "offer-8"))
        next_of(ws, "answered")
        next_of(ws, "card")
    assert links(sessions) == [(routed, "offer-8")]
    assert latest != routed
