"""Routing end to end: the simulated PBX asks the CRM's FastAGI routing
server over TCP before it queues a DID caller; the CTI adapter stores the calls; agent1's
console pops over a websocket. A VIP who came second is answered first; a returning customer
rings the assignee of their open ticket first, whose pop says so and links the call to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

import callcenter.routing_wiring
from callcenter.calls.models import Call
from callcenter.queues.records import QueueFields, create_queue
from callcenter.queues.routing.service import Decided
from callcenter.queues.routing.store import StoredDecision, decision_for_call, store_decisions
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from crm.enums import CustomerCategory
from crm.tickets.models import TicketCall
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from sim.pbx.pbx import SimulatedPbx
from tests.agent_ui.live_console import Console, add_agent1
from tests.e2e.routed_stack import SUPPORT_DID, RoutedStack, routed_stack
from tests.waiting import until

VIP, REGULAR, RETURNING = "+15551230011", "+15551230033", "+15551230022"


@pytest.fixture
def seeded(sessions: sessionmaker[Session], fast_password_hashing: None) -> dict[str, int]:
    """support's queue record with its DID, agent1, a VIP, a returning customer whose open
    ticket is agent1's; returns their ids."""
    with sessions() as session, session.begin():
        create_queue(
            session, "support", QueueFields(display_name="Support", numbers=(SUPPORT_DID,))
        )
        add_agent1(session)
        vip = customer(session, "Vera Vip", VIP, CustomerCategory.VIP)
        olga = customer(session, "Olga Open", RETURNING, CustomerCategory.REGULAR)
        ticket = create_ticket(
            session,
            TicketCreate(subject="Router keeps rebooting", customer_id=olga, assignee="agent1"),
            "x",
        )
        session.flush()
        return {"vip": vip, "olga": olga, "ticket": ticket.id}


def customer(session: Session, name: str, number: str, category: CustomerCategory) -> int:
    data = CustomerCreate(name=name, category=category, phones=[PhoneIn(number=number)])
    return create_customer(session, data, "US").id


@pytest.fixture
def stack(database_url: str, seeded: dict[str, int]) -> Iterator[RoutedStack]:
    with routed_stack(database_url) as running:
        yield running


@pytest.fixture
def console(stack: RoutedStack) -> Iterator[Console]:
    console = Console(stack)
    yield console
    console.close()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait in the test's thread (its own loop) for what the stack's thread makes true."""
    asyncio.run(until(condition, timeout))


def waiting(pbx: SimulatedPbx) -> list[str]:
    """The numbers of support's callers in queue order."""
    return [entry.channel.caller_num for entry in pbx.board.queues["support"].entries]


def stored_calls(sessions: sessionmaker[Session]) -> dict[str, Call]:
    """The calls the CTI adapter stored, by caller number (their queue visits loaded)."""
    with sessions() as session:
        calls = session.scalars(select(Call).options(selectinload(Call.queue_visits))).all()
        return {call.caller_number or "": call for call in calls}


def decision(sessions: sessionmaker[Session], linkedid: str) -> StoredDecision | None:
    with sessions() as session:
        return decision_for_call(session, linkedid)


def test_a_vip_who_called_second_waits_less_than_the_regular_caller_before(
    stack: RoutedStack, console: Console, sessions: sessionmaker[Session], seeded: dict[str, int]
) -> None:
    console.post("/console/queues/signin")
    console.post("/console/pause", reason="Lunch")  # agent1 away: only bot may answer
    console.until("state", state="paused")
    stack.pause("PJSIP/1002", paused=True)
    stack.until_pbx(lambda pbx: pbx.board.queues["support"].members["bot"].paused)

    stack.dial_did(REGULAR, "Rita Regular")
    stack.until_pbx(lambda pbx: waiting(pbx) == [REGULAR])
    stack.dial_did(VIP, "Vera Vip")
    stack.until_pbx(lambda pbx: len(waiting(pbx)) == 2)
    assert waiting(stack.pbx) == [VIP, REGULAR]  # her priority put her ahead on joining

    stack.pause("PJSIP/1002", paused=False)  # one agent free: who is answered first?
    wait_for(lambda: len(stored_calls(sessions)) == 2)

    calls = stored_calls(sessions)
    vip, regular = calls[VIP], calls[REGULAR]
    assert vip.outcome == regular.outcome == "answered"
    assert vip.agent == regular.agent
    assert vip.answered_at is not None and regular.answered_at is not None
    assert vip.answered_at < regular.answered_at
    assert regular.started_at < vip.started_at  # though she called second
    (vip_visit,) = vip.queue_visits
    (regular_visit,) = regular.queue_visits
    assert vip_visit.wait_s is not None and regular_visit.wait_s is not None
    assert vip_visit.wait_s < regular_visit.wait_s
    assert regular_visit.wait_s - vip_visit.wait_s >= 3  # she waited out the VIP's call too

    vip_route = decision(sessions, vip.linkedid)
    regular_route = decision(sessions, regular.linkedid)
    assert vip_route is not None and regular_route is not None
    assert (vip_route.reason, vip_route.priority, vip_route.queue) == ("vip", 10, "support")
    assert (vip_route.customer_id, vip_route.dialed, vip_route.caller) == (
        seeded["vip"],
        SUPPORT_DID,
        VIP,
    )
    assert vip_route.preferred_member is None
    assert (regular_route.reason, regular_route.priority, regular_route.queue) == (
        "known",
        0,
        "support",
    )
    assert regular_route.customer_id is None
    routes = {route.caller: route for route in stack.pbx.board.truth.routes}
    assert routes[VIP].variables["QUEUE_PRIO"] == "10"
    assert routes[REGULAR].variables["QUEUE_PRIO"] == "0"


def test_a_returning_customer_rings_the_assignee_of_their_open_ticket_first(
    stack: RoutedStack, console: Console, sessions: sessionmaker[Session], seeded: dict[str, int]
) -> None:
    members = stack.pbx.board.queues["support"].members
    # agent1 signed in to support and not paused (the console's sign-in), bot free too.
    stack.until_pbx(lambda pbx: not members["agent1"].paused and not members["bot"].paused)
    assert not members["agent1"].in_call and not members["bot"].in_call

    stack.dial_did(RETURNING, "Olga Open")
    pop = console.until("pop")
    linkedid = pop["call"]["linkedid"]
    assert pop["call"]["caller_number"] == RETURNING
    # Routing rang agent1's phone itself, before the queue: an inbound call, said so.
    assert pop["call"]["direction"] == "inbound" and "direct call" in pop["html"]
    card, _, _ = console.until_each(
        lambda frame: frame["type"] == "card" and "routed to you" in frame["html"],
        lambda frame: frame["type"] == "state" and frame.get("state") == "on_call",
        lambda frame: frame["type"] == "card" and 'data-testid="linked-ticket"' in frame["html"],
    )
    assert "Open ticket" in card["html"] and "its assignee" in card["html"]
    wait_for(lambda: links(sessions) == [(seeded["ticket"], linkedid)])

    route = decision(sessions, linkedid)
    assert route is not None
    assert (route.reason, route.queue, route.priority) == ("open_ticket", "support", 0)
    assert (route.preferred_member, route.preferred_username) == ("PJSIP/1001", "agent1")
    assert (route.customer_id, route.ticket_id) == (seeded["olga"], seeded["ticket"])
    (truth,) = [r for r in stack.pbx.board.truth.routes if r.caller == RETURNING]
    assert truth.action == "preferred"  # agent1's phone alone rang first
    assert members["bot"].calls_taken == 0 and not members["bot"].paused  # free all along

    console.post("/console/call/hangup")
    wait_for(lambda: RETURNING in stored_calls(sessions))
    stored = stored_calls(sessions)[RETURNING]
    assert (stored.linkedid, stored.agent, stored.outcome) == (linkedid, "agent1", "answered")


@pytest.fixture
def held_decision_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The routing server's decisions reach the database only once the test sets the event
    (a busy database): agent1's phone rings before that."""
    release = threading.Event()

    def store_late(session: Session, decided: Sequence[Decided]) -> None:
        release.wait(timeout=30)
        store_decisions(session, decided)

    monkeypatch.setattr(callcenter.routing_wiring, "store_decisions", store_late)
    yield release
    release.set()


def test_the_pop_says_the_call_came_to_the_assignee_before_the_decision_is_stored(
    held_decision_store: threading.Event,
    stack: RoutedStack,
    console: Console,
    sessions: sessionmaker[Session],
    seeded: dict[str, int],
) -> None:
    members = stack.pbx.board.queues["support"].members
    stack.until_pbx(lambda pbx: not members["agent1"].paused and not members["bot"].paused)

    stack.dial_did(RETURNING, "Olga Open")
    pop = console.until("pop")
    linkedid = pop["call"]["linkedid"]
    # The first card, built while the phone rings; on a busy machine agent1 may have
    # answered before it reaches the socket.
    card, _ = console.until_each(
        lambda frame: frame["type"] == "card",
        lambda frame: frame["type"] == "state" and frame.get("state") == "on_call",
    )
    assert decision(sessions, linkedid) is None  # not stored yet
    held_decision_store.set()
    assert card["pop"] == pop["seq"]
    assert "Open ticket" in card["html"] and "routed to you, its assignee" in card["html"]
    wait_for(lambda: links(sessions) == [(seeded["ticket"], linkedid)])
    wait_for(lambda: decision(sessions, linkedid) is not None)
    console.post("/console/call/hangup")
    wait_for(lambda: RETURNING in stored_calls(sessions))


def links(sessions: sessionmaker[Session]) -> list[tuple[int, str]]:
    with sessions() as session:
        rows = session.execute(select(TicketCall.ticket_id, TicketCall.linkedid)).all()
    return sorted((ticket, linkedid) for ticket, linkedid in rows)
