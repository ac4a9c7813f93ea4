"""The agent's state on the console follows the PBX; wrap-up after each call, ended or timed out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from callcenter.calls.records import AgentState
from callcenter.db import utc_now
from callcenter.settings import Settings
from tests.console_app import Staff, answered, publish, ringing, sign_in_as, state

AGENT1 = "PJSIP/1001"


def next_state(ws: WebSocketTestSession) -> dict[str, Any]:
    while True:
        frame = ws.receive_json()
        if frame["type"] == "state":
            return frame


def take_a_call(client: TestClient, ws: WebSocketTestSession, linkedid: str) -> None:
    """Ring, answer, talk, hang up: as the tracker reports a queue call."""
    publish(client, ringing(AGENT1, linkedid))
    publish(client, state(AGENT1, AgentState.RINGING))
    publish(client, answered(AGENT1, linkedid))
    publish(client, state(AGENT1, AgentState.ON_CALL))
    assert next_state(ws)["state"] == "ringing"
    assert next_state(ws)["state"] == "on_call"
    publish(client, state(AGENT1, AgentState.AVAILABLE))


def test_the_console_follows_a_pause_made_elsewhere(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        publish(client, state(AGENT1, AgentState.PAUSED, "Lunch"))
        frame = next_state(ws)
    assert (frame["state"], frame["reason"]) == ("paused", "Lunch")
    assert frame["since"]


def test_after_a_call_the_agent_is_in_wrap_up(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        take_a_call(client, ws, "call-1")
        frame = next_state(ws)
    assert (frame["state"], frame["reason"]) == ("wrap_up", "Wrap-up")
    assert frame["wrap_up_until"] is not None
    assert frame["call"]["linkedid"] == "call-1"


def test_wrap_up_ends_when_the_agent_is_done(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        take_a_call(client, ws, "call-2")
        assert next_state(ws)["state"] == "wrap_up"
        response = client.post("/console/wrapup/done", headers={"X-CSRF-Token": csrf})
        frame = next_state(ws)
    assert response.status_code == 200
    assert (frame["state"], frame["wrap_up_until"], frame["call"]) == ("available", None, None)


def test_wrap_up_ends_at_the_queues_limit(
    settings: Any, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    from callcenter.app import create_app

    monkeypatch.setenv("CALLCENTER_CONSOLE_WRAP_UP_S", '{"support": 0.05}')
    settings = Settings(**settings.model_dump(exclude={"console_wrap_up_s"}))
    with TestClient(create_app(settings)) as client:
        sign_in_as(client, staff, "agent1")
        with client.websocket_connect("/ws/console") as ws:
            ws.receive_json()
            take_a_call(client, ws, "call-3")
            assert next_state(ws)["state"] == "wrap_up"
            frame = next_state(ws)  # sent by the wrap-up timer
    assert frame["state"] == "available"


def test_an_unpause_elsewhere_during_wrap_up_ends_it(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        take_a_call(client, ws, "call-4")
        assert next_state(ws)["state"] == "wrap_up"
        publish(client, state(AGENT1, AgentState.PAUSED, "Wrap-up"))  # the PBX confirms
        publish(client, state(AGENT1, AgentState.AVAILABLE))  # a supervisor unpauses
        frame = next_state(ws)
    assert (frame["state"], frame["wrap_up_until"]) == ("available", None)


def test_a_ring_nobody_answers_clears_the_pop(client: TestClient, staff: Staff) -> None:
    from callcenter.events import AgentRingNoAnswer
    from tests.console_app import AT

    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        publish(client, ringing(AGENT1, "rna"))
        publish(
            client,
            AgentRingNoAnswer(
                at=AT, server="sim", linkedid="rna", queue="support", agent="agent1",
                interface=AGENT1, ring_s=15.0,
            ),
        )  # fmt: skip
        kinds = [ws.receive_json()["type"] for _ in range(3)]
    # The card is looked up meanwhile and may come before or after the miss.
    assert [kind for kind in kinds if kind != "card"] == ["pop", "missed"]
    assert "card" in kinds


def paused_at(client: TestClient, monkeypatch: pytest.MonkeyPatch, started: datetime) -> None:
    """The PBX says the agent's wrap-up pause began at `started` (its LastPause)."""

    async def paused_since(interface: str, reason: str) -> datetime:
        assert (interface, reason) == (AGENT1, "Wrap-up")
        return started

    pbx = client.app.state.callcenter.console.pbx  # type: ignore[attr-defined]
    monkeypatch.setattr(pbx, "paused_since", paused_since)


def test_a_wrap_up_pause_found_at_start_goes_on_for_the_time_left(
    client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = utc_now() - timedelta(seconds=10)
    paused_at(client, monkeypatch, started)
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        publish(client, state(AGENT1, AgentState.PAUSED, "Wrap-up"))  # the resync's news
        frame = next_state(ws)
    assert frame["state"] == "wrap_up"
    assert datetime.fromisoformat(frame["wrap_up_until"]) == started + timedelta(seconds=30)


def test_a_wrap_up_pause_found_at_start_past_its_limit_ends_at_once(
    client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    paused_at(client, monkeypatch, utc_now() - timedelta(minutes=10))
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as ws:
        ws.receive_json()
        publish(client, state(AGENT1, AgentState.PAUSED, "Wrap-up"))
        frame = next_state(ws)
    assert (frame["state"], frame["wrap_up_until"]) == ("available", None)
