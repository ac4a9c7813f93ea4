"""The pop says how a call was routed even before the routing server has stored its decision:
the decision announced on the bus is used; where announcements do not reach the consoles,
a card found without one looks again a moment later. A lookup begun before a fresher card
was shown is not shown over it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession

import agent_ui.pops
from agent_ui.console_state import LiveCall, PopCard, build_card, card_of
from agent_ui.consoles import Consoles
from agent_ui.hub import PopHub
from agent_ui.pbx import PbxControl
from agent_ui.recent_routes import CardsWithoutRoute, RecentRoutes
from agent_ui.route_note import RoutingFacts
from callcenter.bus import Bus
from callcenter.events import AgentRinging, CallRouted
from callcenter.queues.presence import Presence
from callcenter.queues.routing.decision import Reason, RouteDecision
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.store import decision_for_call, store_decisions
from callcenter.settings import Settings
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.console_app import AT, Staff, publish, ringing, sign_in_as

VIP_NOTE = "VIP caller: answered before the others"


def routed(linkedid: str, reason: str = "vip", server: str = "sim") -> CallRouted:
    return CallRouted(
        at=AT,
        server=server,
        uniqueid=linkedid,
        caller="+15551230001",
        dialed="+15550100",
        queue="support",
        priority=10,
        customer_id=None,
        preferred_member=None,
        preferred_username=None,
        reason=reason,
        rule="",
        ticket_id=None,
    )


def next_of(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(ws.receive_text())
        if frame["type"] == kind:
            return frame


def test_a_card_says_how_the_call_was_routed_before_the_decision_is_stored(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, routed("1700000000.1"))
        publish(client, ringing("PJSIP/1001", "1700000000.1"))
        pop = next_of(ws, "pop")
        card = next_of(ws, "card")
    with sessions() as session:
        assert decision_for_call(session, "1700000000.1") is None  # never stored here
    assert card["pop"] == pop["seq"]
    assert VIP_NOTE in card["html"] and "Ann Customer" in card["html"]


def consoles_of(client: TestClient) -> Consoles:
    consoles: Consoles = client.app.state.callcenter.console.consoles  # type: ignore[attr-defined]
    return consoles


def store_decision(
    sessions: sessionmaker[Session], linkedid: str, *, ticket_id: int | None = None
) -> None:
    """The routing server's row for `linkedid`: agent1's open ticket brought the call."""
    request = RouteRequest(
        caller="+15551230001",
        dialed="+15550100",
        uniqueid=linkedid,
        channel="PJSIP/trunk-00000001",
        at=AT,
    )
    decision = RouteDecision(
        queue="support",
        priority=0,
        reason=Reason.OPEN_TICKET,
        customer_id=None,
        preferred_member="PJSIP/1001",
        preferred_username="agent1",
        ticket_id=ticket_id,
    )
    with sessions.begin() as session:
        store_decisions(session, [(request, decision, 1.0)])


def test_where_decisions_are_not_heard_a_card_without_one_looks_again_and_offers_its_ticket(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    """The PBX's process of several does not read the routing server's announcements: the
    card looks for the stored decision again a moment later."""
    pops = consoles_of(client).pops
    pops.hears_routes, pops.route_recheck_s = False, 0.3
    with sessions.begin() as session:
        routed_by = create_ticket(
            session, TicketCreate(subject="Router reboots", customer_id=ann), "x"
        ).id
        newer = create_ticket(session, TicketCreate(subject="Newer", customer_id=ann), "x").id
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.2"))
        pop = next_of(ws, "pop")
        first = next_of(ws, "card")
        store_decision(sessions, "1700000000.2", ticket_id=routed_by)
        again = next_of(ws, "card")
    assert "routed to you" not in first["html"]
    assert (again["pop"], again["linkedid"]) == (pop["seq"], "1700000000.2")
    assert "routed to you, its assignee" in again["html"]
    assert pops.routes.get("1700000000.2") is not None
    # Offered first (and linked on answer): the caller's ticket the card picks by itself
    # before the decision was found, then the one the routing server chose the agent by.
    assert first["html"].index("Newer") < first["html"].index("Router reboots")
    assert again["html"].index("Router reboots") < again["html"].index("Newer")
    assert newer != routed_by


def test_where_decisions_are_heard_no_card_looks_again(
    client: TestClient, staff: Staff, ann: int, sessions: sessionmaker[Session]
) -> None:
    """In one process the announcement always comes before the ring: a card without a
    decision is a call nobody routed, and it is not looked up twice."""
    pops = consoles_of(client).pops
    assert pops.hears_routes
    pops.route_recheck_s = 0.1
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.3"))
        next_of(ws, "pop")
        next_of(ws, "card")
        store_decision(sessions, "1700000000.3")
        time.sleep(0.5)
        publish(client, ringing("PJSIP/1001", "1700000000.4", number=None, name=None))
        following = next_of(ws, "pop")  # no second card came before it
    assert following["call"]["linkedid"] == "1700000000.4"


def test_a_decision_heard_after_the_card_was_looked_up_is_shown_on_it(
    client: TestClient, staff: Staff, ann: int
) -> None:
    """The PBX's process of several hears the routing server through Redis: a decision that
    comes just after its call's card shows on that card, with no second lookup of its own,
    and only on that call's."""
    pops = consoles_of(client).pops
    assert pops.hears_routes
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.5"))
        pop = next_of(ws, "pop")
        first = next_of(ws, "card")
        publish(client, routed("1700000000.9"))  # another call's: nothing here changes
        publish(client, routed("1700000000.5"))
        again = next_of(ws, "card")
    assert VIP_NOTE not in first["html"]
    assert (again["pop"], again["linkedid"]) == (pop["seq"], "1700000000.5")
    assert VIP_NOTE in again["html"] and "Ann Customer" in again["html"]
    assert len(pops.unrouted) == 0


def test_cards_without_a_route_are_kept_for_moments_per_call() -> None:
    now = [100.0]
    shown: CardsWithoutRoute[str] = CardsWithoutRoute(keep_s=10, most=2, clock=lambda: now[0])
    shown.add("a", "agent1")
    shown.add("a", "agent2")  # a call ringing two agents at once
    assert shown.take("a") == ["agent1", "agent2"] and shown.take("a") == []
    shown.add("b", "agent1")
    now[0] = 111.0
    assert shown.take("b") == []  # heard too late to matter
    for linkedid in "cde":
        shown.add(linkedid, "agent1")
    assert len(shown) == 2 and shown.take("c") == []


def test_recent_routes_keep_the_latest_decision_per_call_for_a_while() -> None:
    now = [100.0]
    routes = RecentRoutes(keep_s=60, most=3, clock=lambda: now[0])
    routes.add("a", routed("a", reason="vip"))
    routes.add("a", routed("a", reason="rule"))
    found = routes.get("a")
    assert found is not None and found.reason == "rule" and len(routes) == 1
    now[0] = 161.0
    assert routes.get("a") is None  # older than keep_s
    for linkedid in "bcde":
        routes.add(linkedid, routed(linkedid))
    assert len(routes) == 3 and routes.get("b") is None  # "a" expired, "b" the oldest past 3
    assert routes.get("e") is not None


async def test_the_pbx_process_keeps_only_its_own_pbx_decisions(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    """On a bus several PBXs share, another PBX's routing server is not this one's."""
    bus = Bus()
    consoles = Consoles(
        hub=PopHub(settings.console_replay_frames),
        sessions=sessions,
        settings=settings,
        presence=Presence(),
        pbx=PbxControl(None, settings.console_dial_context),
        server="pbx-a",
    )
    consoles.start(bus)
    try:
        bus.publish(routed("1700000000.6", server="pbx-b"))
        bus.publish(routed("1700000000.7", server="pbx-a"))
        await asyncio.sleep(0)
        assert consoles.pops.routes.get("1700000000.6") is None
        assert consoles.pops.routes.get("1700000000.7") is not None
    finally:
        await consoles.stop()


class HeldLookups:
    """Card lookups that wait until released (a slow server database's worker threads)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.begun = threading.Event()
        self.done = threading.Event()

    def __call__(
        self,
        sessions: sessionmaker[Session],
        region: str,
        event: AgentRinging | LiveCall,
        route: RoutingFacts | None = None,
    ) -> PopCard:
        self.begun.set()
        assert self.release.wait(timeout=30), "the test never released the lookup"
        try:
            return build_card(sessions, region, event, route)
        finally:
            self.done.set()


def test_a_lookup_begun_before_the_agents_change_is_not_shown_over_its_card(
    client: TestClient,
    staff: Staff,
    ann: int,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldLookups()
    monkeypatch.setattr(agent_ui.pops, "build_card", held)
    monkeypatch.setattr(agent_ui.pops, "lookups_in_a_process", lambda _sessions: False)
    monkeypatch.setattr(agent_ui.pops, "lookups_on_loop", lambda _sessions: False)
    consoles = consoles_of(client)
    agent1 = staff.ids["agent1"]
    sign_in_as(client, staff, "agent1")
    try:
        with client.websocket_connect("/ws/console") as ws:
            publish(client, ringing("PJSIP/1001", "1700000000.5"))
            pop = next_of(ws, "pop")
            assert held.begun.wait(timeout=30)
            call = consoles.call_of(agent1, "1700000000.5")
            assert call is not None
            with sessions() as session:  # the agent's change, shown at once
                fresh = card_of(session, "US", call)
            fresh = replace(fresh, html=fresh.html + "<p>after the change</p>")
            assert client.portal is not None
            assert client.portal.call(consoles.show_card, agent1, "1700000000.5", fresh)
            shown = next_of(ws, "card")
            held.release.set()  # the lookup begun at the ring now ends
            assert held.done.wait(timeout=30)
            client.portal.call(asyncio.sleep, 0.2)  # its result reaches the loop
            publish(client, ringing("PJSIP/1001", "1700000000.6", number=None, name=None))
            following = next_of(ws, "pop")
    finally:
        held.release.set()
    assert shown["pop"] == pop["seq"] and "after the change" in shown["html"]
    assert following["seq"] == shown["seq"] + 1  # the older lookup's card never came
