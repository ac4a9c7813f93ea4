"""Screen pops over the console websocket: routing, every tab, acks, resume, escaping."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.agent_ui.conftest import Staff, publish, ringing, sign_in_as


def receive(ws: WebSocketTestSession) -> dict[str, Any]:
    return json.loads(ws.receive_text())


def next_of(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next frame of `kind` (skipping others, e.g. the hello)."""
    while True:
        frame = receive(ws)
        if frame["type"] == kind:
            return frame


def test_a_pop_shows_the_caller_and_the_customer_card(
    client: TestClient, staff: Staff, ann: int
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        assert receive(ws)["type"] == "hello"
        publish(client, ringing("PJSIP/1001", "1700000000.1"))
        pop = next_of(ws, "pop")
    assert pop["seq"] == 1
    assert pop["call"]["caller_number"] == "+15551230001"
    assert pop["call"]["queue"] == "support"
    assert pop["call"]["waited_s"] == 12.0
    assert pop["call"]["customer_id"] == ann
    assert "Ann Customer" in pop["html"]


def test_a_pop_goes_only_to_the_agent_whose_phone_rings(client: TestClient, staff: Staff) -> None:
    """agent2's console sees its own pop, never agent1's."""
    sign_in_as(client, staff, "agent2")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "for-agent1"))
        publish(client, ringing("PJSIP/1002", "for-agent2"))
        pop = next_of(ws, "pop")
    assert pop["call"]["linkedid"] == "for-agent2"
    assert pop["seq"] == 1  # agent1's pop took no sequence number of agent2's stream


def test_every_open_tab_of_the_agent_gets_the_pop(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with (
        client.websocket_connect("/ws/console") as tab1,
        client.websocket_connect("/ws/console") as tab2,
    ):
        receive(tab1), receive(tab2)
        publish(client, ringing("PJSIP/1001", "two-tabs"))
        pops = [next_of(tab1, "pop"), next_of(tab2, "pop")]
    assert [p["call"]["linkedid"] for p in pops] == ["two-tabs", "two-tabs"]
    assert pops[0]["seq"] == pops[1]["seq"]


def test_a_console_that_reconnects_gets_the_pops_it_missed(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "seen"))
        seen = next_of(ws, "pop")
        ws.send_text(json.dumps({"ack": seen["seq"]}))
    # The network blinks: two calls ring while the console is away.
    publish(client, ringing("PJSIP/1001", "missed-1"))
    publish(client, ringing("PJSIP/1001", "missed-2"))
    with client.websocket_connect(f"/ws/console?since={seen['seq']}") as ws:
        hello = receive(ws)
        replay = [receive(ws), receive(ws)]
    assert hello["resync"] is False
    assert [(f["seq"], f["call"]["linkedid"]) for f in replay] == [(2, "missed-1"), (3, "missed-2")]


def test_acks_are_recorded_per_agent(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    hub = client.app.state.console.hub  # type: ignore[attr-defined]
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "acked"))
        pop = next_of(ws, "pop")
        ws.send_text(json.dumps({"ack": pop["seq"]}))
        # A round trip on the same socket proves the ack was read before we look.
        publish(client, ringing("PJSIP/1001", "after"))
        next_of(ws, "pop")
    assert hub.acked(staff.ids["agent1"]) == pop["seq"]


def test_a_fresh_tab_gets_the_call_on_screen_as_a_snapshot(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "ringing-now"))
        next_of(ws, "pop")
    with client.websocket_connect("/ws/console") as ws:
        hello = receive(ws)
    assert hello["resync"] is True
    assert hello["snapshot"]["call"]["linkedid"] == "ringing-now"
    assert "ringing-now" in hello["snapshot"]["pop_html"]


HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
]


def test_a_hostile_caller_name_is_escaped_in_the_pop(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        for i, name in enumerate(HOSTILE_NAMES):
            publish(client, ringing("PJSIP/1001", f"x{i}", number="+15559990000", name=name))
        pops = [next_of(ws, "pop") for _ in HOSTILE_NAMES]
    for pop, name in zip(pops, HOSTILE_NAMES, strict=True):
        assert pop["call"]["caller_name"] == name  # the data is intact...
        assert "<script>" not in pop["html"]  # ...the markup is not
        assert "<img" not in pop["html"]
        assert "&lt;" in pop["html"]


def test_an_unknown_number_offers_a_new_customer(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        receive(ws)
        publish(client, ringing("PJSIP/1001", "unknown", number="+15559990001", name="Zed"))
        pop = next_of(ws, "pop")
    assert "No customer has this number" in pop["html"]
    assert 'name="number" value="+15559990001"' in pop["html"]
