"""Screen pops over the console websocket: routing, every tab, acks, resume, escaping.

A ring is two frames: the pop (caller, queue, wait) at once, then the customer card, which
names the pop it belongs to. Both are numbered, acknowledged and replayed alike.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession

import agent_ui.pops
from agent_ui.card_process import lookups_in_a_process
from agent_ui.console_state import LiveCall, PopCard, build_card
from agent_ui.pops import lookups_on_loop
from agent_ui.route_note import RoutingFacts
from callcenter.events import AgentRinging
from tests.agent_ui.test_pop_routes import consoles_of
from tests.console_app import AT, Staff, publish, ringing, sign_in_as


def receive(ws: WebSocketTestSession) -> dict[str, Any]:
    return json.loads(ws.receive_text())


def next_of(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next frame of `kind` (skipping others, e.g. the hello)."""
    while True:
        frame = receive(ws)
        if frame["type"] == kind:
            return frame


def ring(ws: WebSocketTestSession) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pop and the card frame of one ring, whichever else comes between."""
    pop = next_of(ws, "pop")
    card = next_of(ws, "card")
    return pop, card


def rings(ws: WebSocketTestSession, count: int) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Linkedid -> (pop, card) of `count` rings in flight together (cards in any order)."""
    pops: dict[str, dict[str, Any]] = {}
    cards: dict[str, dict[str, Any]] = {}
    while len(pops) < count or len(cards) < count:
        frame = receive(ws)
        if frame["type"] == "pop":
            pops[frame["call"]["linkedid"]] = frame
        elif frame["type"] == "card":
            cards[frame["linkedid"]] = frame
    return {linkedid: (pop, cards[linkedid]) for linkedid, pop in pops.items()}


class CardGate:
    """Holds the customer lookups of chosen calls until released (a slow server database,
    whose lookups run in worker threads)."""

    def __init__(self, *held: str) -> None:
        self.held = set(held)
        self.release = threading.Event()

    def __call__(
        self,
        sessions: sessionmaker[Session],
        region: str,
        event: AgentRinging | LiveCall,
        route: RoutingFacts | None = None,
    ) -> PopCard:
        if event.linkedid in self.held:
            assert self.release.wait(timeout=30), "the test never released the lookup"
        return build_card(sessions, region, event, route)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[CardGate]:
    held = CardGate("slow")
    monkeypatch.setattr(agent_ui.pops, "build_card", held)
    monkeypatch.setattr(agent_ui.pops, "lookups_in_a_process", lambda _sessions: False)
    monkeypatch.setattr(agent_ui.pops, "lookups_on_loop", lambda _sessions: False)
    yield held
    held.release.set()


def test_the_pop_shows_the_caller_then_the_card_shows_the_customer(
    client: TestClient, staff: Staff, ann: int
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        assert receive(ws)["type"] == "hello"
        publish(client, ringing("PJSIP/1001", "1700000000.1"))
        pop, card = ring(ws)
    assert pop["seq"] == 1
    assert pop["call"]["caller_number"] == "+15551230001"
    assert pop["call"]["queue"] == "support"
    assert pop["call"]["waited_s"] == 12.0
    assert pop["card_pending"] is True
    assert "+15551230001" in pop["html"]
    assert (card["seq"], card["pop"], card["linkedid"]) == (2, 1, "1700000000.1")
    assert card["call"]["customer_id"] == ann
    assert "Ann Customer" in card["html"]


def test_the_pop_does_not_wait_for_the_customer_lookup(
    client: TestClient, staff: Staff, ann: int, gate: CardGate
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "slow"))
        pop = next_of(ws, "pop")  # while the lookup is still held
        gate.release.set()
        card = next_of(ws, "card")
    assert pop["call"]["linkedid"] == "slow"
    assert "Looking up the caller" in pop["html"]
    assert (card["pop"], card["call"]["customer_id"]) == (pop["seq"], ann)


def test_a_late_card_names_its_own_pop_and_leaves_the_next_call_on_screen(
    client: TestClient, staff: Staff, ann: int, gate: CardGate
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "slow"))
        first = next_of(ws, "pop")
        publish(client, ringing("PJSIP/1001", "next", number="+15559990001", name="Zed"))
        second, second_card = ring(ws)
        gate.release.set()
        late = next_of(ws, "card")
    with client.websocket_connect("/ws/console") as fresh:
        snapshot = receive(fresh)["snapshot"]
    assert (second_card["pop"], late["pop"]) == (second["seq"], first["seq"])
    assert late["seq"] > second_card["seq"]
    assert (snapshot["call"]["linkedid"], snapshot["pop_seq"]) == ("next", second["seq"])
    assert "No customer has this number" in snapshot["pop_html"]


def test_a_pop_goes_only_to_the_agent_whose_phone_rings(client: TestClient, staff: Staff) -> None:
    """agent2's console sees its own pop and card, never agent1's."""
    sign_in_as(client, staff, "agent2")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "for-agent1"))
        publish(client, ringing("PJSIP/1002", "for-agent2"))
        pop, card = ring(ws)
    assert (pop["call"]["linkedid"], card["linkedid"]) == ("for-agent2", "for-agent2")
    assert (pop["seq"], card["seq"]) == (1, 2)  # agent1's frames took none of agent2's numbers


def test_every_open_tab_of_the_agent_gets_the_pop_and_the_card(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    with (
        client.websocket_connect("/ws/console") as tab1,
        client.websocket_connect("/ws/console") as tab2,
    ):
        receive(tab1), receive(tab2)
        publish(client, ringing("PJSIP/1001", "two-tabs"))
        frames = [ring(tab1), ring(tab2)]
    assert [(p["call"]["linkedid"], c["linkedid"]) for p, c in frames] == [
        ("two-tabs", "two-tabs"),
        ("two-tabs", "two-tabs"),
    ]
    assert frames[0][0]["seq"] == frames[1][0]["seq"]
    assert frames[0][1]["seq"] == frames[1][1]["seq"]


def test_a_console_that_reconnects_gets_the_pops_and_cards_it_missed(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    hub = client.app.state.callcenter.console.hub  # type: ignore[attr-defined]
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "seen"))
        _, seen = ring(ws)
        ws.send_text(json.dumps({"ack": seen["seq"]}))
    # The network blinks: two calls ring while the console is away.
    publish(client, ringing("PJSIP/1001", "missed-1"))
    publish(client, ringing("PJSIP/1001", "missed-2"))
    deadline = time.monotonic() + 30
    while hub.last_seq(staff.ids["agent1"]) < seen["seq"] + 4:  # both cards are out too
        assert time.monotonic() < deadline, "the cards never came"
        time.sleep(0.01)
    with client.websocket_connect(f"/ws/console?since={seen['seq']}") as ws:
        hello = receive(ws)
        replay = [receive(ws) for _ in range(4)]
    assert hello["resync"] is False
    assert [f["seq"] for f in replay] == [seen["seq"] + n for n in range(1, 5)]
    pops = {f["seq"]: f["call"]["linkedid"] for f in replay if f["type"] == "pop"}
    cards = {f["pop"]: f["linkedid"] for f in replay if f["type"] == "card"}
    assert sorted(pops.values()) == ["missed-1", "missed-2"]
    assert cards == pops  # each card names the pop of its own call


def test_acks_of_pops_and_cards_are_recorded_per_agent(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    hub = client.app.state.callcenter.console.hub  # type: ignore[attr-defined]
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "acked"))
        pop, card = ring(ws)
        ws.send_text(json.dumps({"ack": pop["seq"]}))
        ws.send_text(json.dumps({"ack": card["seq"]}))
        # A round trip on the same socket proves the acks were read before we look.
        publish(client, ringing("PJSIP/1001", "after"))
        ring(ws)
    assert hub.acked(staff.ids["agent1"]) == card["seq"]


def test_a_fresh_tab_gets_the_call_and_its_card_as_a_snapshot(
    client: TestClient, staff: Staff, ann: int
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "ringing-now"))
        pop, _ = ring(ws)
    with client.websocket_connect("/ws/console") as ws:
        hello = receive(ws)
    assert hello["resync"] is True
    assert hello["snapshot"]["call"]["linkedid"] == "ringing-now"
    assert hello["snapshot"]["call"]["customer_id"] == ann
    assert hello["snapshot"]["pop_seq"] == pop["seq"]
    assert "ringing-now" in hello["snapshot"]["pop_html"]
    assert "Ann Customer" in hello["snapshot"]["pop_html"]


HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
]


def test_a_hostile_caller_name_is_escaped_in_the_pop_and_the_card(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        for i, name in enumerate(HOSTILE_NAMES):
            publish(client, ringing("PJSIP/1001", f"x{i}", number="+15559990000", name=name))
        shown = rings(ws, len(HOSTILE_NAMES))
    for i, name in enumerate(HOSTILE_NAMES):
        pop, card = shown[f"x{i}"]
        assert pop["call"]["caller_name"] == name  # the data is intact...
        for html in (pop["html"], card["html"]):  # ...the markup is not
            assert "<script>" not in html
            assert "<img" not in html
            assert "&lt;" in html


def test_an_unknown_number_offers_a_new_customer(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "unknown", number="+15559990001", name="Zed"))
        _, card = ring(ws)
    assert "No customer has this number" in card["html"]
    assert 'name="number" value="+15559990001"' in card["html"]
    assert card["call"]["customer_id"] is None


def test_cards_are_looked_up_in_a_child_process_where_the_database_can_be_shared(
    client: TestClient, staff: Staff, ann: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_place: list[int] = []

    def looked_up(
        sessions: sessionmaker[Session],
        region: str,
        event: AgentRinging | LiveCall,
        route: RoutingFacts | None = None,
    ) -> PopCard:
        in_place.append(threading.get_ident())
        return build_card(sessions, region, event, route)

    monkeypatch.setattr(agent_ui.pops, "build_card", looked_up)
    pops = consoles_of(client).pops
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.1"))
        _, card = ring(ws)
        assert "Ann Customer" in card["html"]
        assert in_place == []  # a SQLite file: the child process looked it up
        child = pops.lookup_process()
        assert child is not None and child.process.is_alive()
        assert child.process.pid != os.getpid()
        monkeypatch.setattr(agent_ui.pops, "lookups_in_a_process", lambda _sessions: False)
        publish(client, ringing("PJSIP/1001", "1700000000.2"))
        ring(ws)
        monkeypatch.setattr(agent_ui.pops, "lookups_on_loop", lambda _sessions: False)
        publish(client, ringing("PJSIP/1001", "1700000000.3"))
        ring(ws)
        assert client.portal is not None
        loop_thread = client.portal.call(threading.get_ident)
    assert in_place[0] == loop_thread  # in-memory SQLite: in the pop's own task
    assert in_place[1] != loop_thread  # no child, a server database: in a worker thread

    sqlite = sessionmaker(bind=create_engine("sqlite://"))
    server = sessionmaker(bind=create_engine("postgresql+psycopg://cc:cc@127.0.0.1:1/cc"))
    assert lookups_on_loop(sqlite) and not lookups_on_loop(server)
    assert not lookups_in_a_process(sqlite) and lookups_in_a_process(server)


def test_after_the_card_child_dies_the_next_callers_card_still_comes(
    client: TestClient, staff: Staff, ann: int
) -> None:
    pops = consoles_of(client).pops
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.1"))
        ring(ws)
        child = pops.lookup_process()
        assert child is not None
        first = child.process
        os.kill(first.pid, signal.SIGSTOP)  # the next caller's lookup is in flight when it dies
        publish(client, ringing("PJSIP/1001", "1700000000.2"))
        pop = next_of(ws, "pop")
        time.sleep(0.3)
        os.kill(first.pid, signal.SIGKILL)
        failed = next_of(ws, "card")
        publish(client, ringing("PJSIP/1001", "1700000000.3"))
        _, card = ring(ws)
    assert (failed["pop"], failed["linkedid"]) == (pop["seq"], "1700000000.2")
    assert "could not be loaded" in failed["html"]
    assert card["call"]["customer_id"] == ann and "Ann Customer" in card["html"]
    assert child.process is not first


def test_a_call_without_a_number_needs_no_card(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "anonymous", number=None, name=None))
        pop = next_of(ws, "pop")
        # The next ring's frames come straight after: no card was sent for this one.
        publish(client, ringing("PJSIP/1001", "numbered"))
        following = receive(ws)
    assert pop["card_pending"] is False
    assert "unknown number" in pop["html"]
    assert "No customer has this number" in pop["html"]
    assert (following["type"], following["call"]["linkedid"]) == ("pop", "numbered")


def test_a_caller_who_rings_the_phone_directly_is_shown_as_a_direct_inbound_call(
    client: TestClient, staff: Staff, ann: int
) -> None:
    """Routing may ring a preferred agent's phone before any queue: no queue, not outbound."""
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        publish(client, ringing("PJSIP/1001", "1700000000.8", queue=""))
        pop, card = ring(ws)
    assert "direct call" in pop["html"] and "outbound call" not in pop["html"]
    assert "waited 0:12" in pop["html"]
    assert pop["call"]["direction"] == "inbound"
    assert card["call"]["direction"] == "inbound" and "Ann Customer" in card["html"]


def test_a_ticket_about_a_call_names_where_it_came_from() -> None:
    def call(queue: str | None) -> LiveCall:
        return LiveCall(
            server="sim",
            linkedid="1700000000.9",
            uniqueid="1700000000.9",
            queue=queue,
            caller_number="+15551230001",
            caller_name=None,
            waited_s=None,
            rang_at=AT,
        )

    assert (call("support").origin, call("").origin, call(None).origin) == (
        "queue support",
        "direct",
        "outbound",
    )
    assert call("support").summary() == "Caller +15551230001 in queue support."
    assert call("").summary() == "Caller +15551230001 rang the agent's phone directly."
    assert call(None).summary() == "Outbound call to +15551230001."
