"""The pop says how a call was routed even before the routing server has stored its decision:
the decision announced on the bus is used, and one announced after the card went out sends
the card again."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession

import agent_ui.pops
from agent_ui.console_state import LiveCall, PopCard, build_card
from agent_ui.consoles import Consoles
from agent_ui.hub import PopHub
from agent_ui.pbx import PbxControl
from agent_ui.recent_routes import RecentRoutes
from agent_ui.route_note import RoutingFacts
from callcenter.bus import Bus
from callcenter.events import AgentRinging, CallRouted
from callcenter.queues.presence import Presence
from callcenter.queues.routing.store import decision_for_call
from callcenter.settings import Settings
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


def test_a_decision_announced_after_the_card_sends_the_card_again_saying_it(
    client: TestClient, staff: Staff, ann: int
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.2"))
        pop = next_of(ws, "pop")
        first = next_of(ws, "card")
        publish(client, routed("1700000000.2"))
        again = next_of(ws, "card")
        # Another call's decision, or another PBX's, changes nothing on this pop.
        publish(client, routed("1700000000.9"))
        publish(client, ringing("PJSIP/1001", "1700000000.3"))
        following = next_of(ws, "pop")
    assert VIP_NOTE not in first["html"]
    assert (again["pop"], again["linkedid"]) == (pop["seq"], "1700000000.2")
    assert VIP_NOTE in again["html"] and "Ann Customer" in again["html"]
    assert following["seq"] == again["seq"] + 1


class HeldLookups:
    """Card lookups that wait until released (a slow server database's worker threads)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.routes: list[RoutingFacts | None] = []

    def __call__(
        self,
        sessions: sessionmaker[Session],
        region: str,
        event: AgentRinging | LiveCall,
        route: RoutingFacts | None = None,
    ) -> PopCard:
        self.routes.append(route)
        assert self.release.wait(timeout=30), "the test never released the lookup"
        return build_card(sessions, region, event, route)


def test_a_lookup_still_in_flight_when_the_decision_comes_is_not_shown(
    client: TestClient, staff: Staff, ann: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldLookups()
    monkeypatch.setattr(agent_ui.pops, "build_card", held)
    monkeypatch.setattr(agent_ui.pops, "lookups_on_loop", lambda _sessions: False)
    sign_in_as(client, staff, "agent1")
    try:
        with client.websocket_connect("/ws/console") as ws:
            publish(client, ringing("PJSIP/1001", "1700000000.4"))
            pop = next_of(ws, "pop")
            publish(client, routed("1700000000.4"))
            assert client.portal is not None
            while len(held.routes) < 2:  # both lookups waiting: the ring's and the route's
                client.portal.call(_yield)
            held.release.set()
            card = next_of(ws, "card")
            publish(client, ringing("PJSIP/1001", "1700000000.5", number=None, name=None))
            following = next_of(ws, "pop")
    finally:
        held.release.set()
    assert held.routes[0] is None and held.routes[1] is not None
    assert card["pop"] == pop["seq"] and VIP_NOTE in card["html"]
    assert following["seq"] == card["seq"] + 1  # the lookup without the route sent nothing


async def _yield() -> None:
    await asyncio.sleep(0.01)


def test_recent_routes_keep_the_latest_decision_per_call_for_a_while() -> None:
    now = [100.0]
    routes = RecentRoutes(keep_s=60, most=3, clock=lambda: now[0])
    routes.add(routed("a", reason="vip"))
    routes.add(routed("a", reason="rule"))
    found = routes.get("a")
    assert found is not None and found.reason == "rule" and len(routes) == 1
    now[0] = 161.0
    assert routes.get("a") is None  # older than keep_s
    for linkedid in "bcde":
        routes.add(routed(linkedid))
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
