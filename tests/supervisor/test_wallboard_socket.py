"""The wallboard websocket: snapshots pushed as bus events arrive, throttled, team-scoped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocketDisconnect

from callcenter.app import create_app
from callcenter.calls.records import (
    AgentState,
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.calls.service import store_calls
from callcenter.db import utc_now
from callcenter.events import CallQueued, DomainEvent
from callcenter.settings import Settings
from callcenter.users.models import User
from kpi.board import LiveBoard
from tests.console_app import AT, Staff, sign_in_as, state
from tests.kpi.calls import ROLLUPS


@pytest.fixture
def manual_client(settings: Settings, staff: Staff) -> Iterator[TestClient]:
    """The app with a push period so long that only the test's `tick()` pushes."""
    quiet = settings.model_copy(update={"wallboard_push_s": 3600.0})
    with TestClient(create_app(quiet), base_url="http://testserver") as client:
        yield client


def board(client: TestClient) -> LiveBoard:
    return client.app.state.callcenter.kpi_board  # type: ignore[attr-defined,no-any-return]


def publish(client: TestClient, *events: DomainEvent) -> None:
    """Events onto the app's bus, on the app's loop (as the CTI pipeline publishes)."""
    for event in events:
        assert client.portal is not None
        client.portal.call(client.app.state.callcenter.bus.publish, event)  # type: ignore[attr-defined]


def tick(client: TestClient) -> bool:
    assert client.portal is not None
    return client.portal.call(board(client).tick)


def queued(linkedid: str) -> CallQueued:
    return CallQueued(at=AT, server="sim", linkedid=linkedid, uniqueid=linkedid, queue="support",
                      position=1, caller_number=None, caller_name=None)  # fmt: skip


def receive(socket: Any) -> dict[str, Any]:
    message: dict[str, Any] = socket.receive_json()
    assert message["type"] == "snapshot"
    return message


def test_snapshots_follow_bus_events_and_are_throttled(
    manual_client: TestClient, staff: Staff
) -> None:
    sign_in_as(manual_client, staff, "supervisor1")
    with manual_client.websocket_connect("/ws/wallboard") as socket:
        first = receive(socket)  # the current board, at once
        assert first["queues"] == {}
        publish(manual_client, *(queued(f"call-{n}") for n in range(5)))
        pushes = board(manual_client).pushes
        assert tick(manual_client)
        burst = receive(socket)  # five events, one snapshot
        assert burst["queues"]["support"]["waiting"] == 5
        assert board(manual_client).pushes == pushes + 1
        assert not tick(manual_client)  # nothing changed: nothing pushed
        assert board(manual_client).pushes == pushes + 1
        publish(manual_client, queued("call-5"), state("PJSIP/1001", AgentState.AVAILABLE))
        assert tick(manual_client)
        later = receive(socket)
        assert later["queues"]["support"]["waiting"] == 6
        assert later["queues"]["support"]["agents"]["available"] == 1
        assert later["version"] > burst["version"]


def test_a_supervisor_sees_only_their_team(manual_client: TestClient, staff: Staff) -> None:
    publish(
        manual_client,
        state("PJSIP/1001", AgentState.AVAILABLE),  # agent1, red
        state("PJSIP/1003", AgentState.PAUSED, "Break"),  # agent3, blue
    )
    tick(manual_client)
    sign_in_as(manual_client, staff, "supervisor1")  # red team
    with manual_client.websocket_connect("/ws/wallboard") as socket:
        agents = [a["interface"] for a in receive(socket)["agents"]]
    assert agents == ["PJSIP/1001"]
    sign_in_as(manual_client, staff, "admin")
    with manual_client.websocket_connect("/ws/wallboard") as socket:
        assert len(receive(socket)["agents"]) == 2


@pytest.mark.parametrize(("who", "code"), [("agent1", 4403), (None, 4401)])
def test_agents_and_strangers_are_refused(
    manual_client: TestClient, staff: Staff, who: str | None, code: int
) -> None:
    if who:
        sign_in_as(manual_client, staff, who)
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        manual_client.websocket_connect("/ws/wallboard") as socket,
    ):
        socket.receive_json()
    assert refused.value.code == code


def test_a_socket_from_another_site_is_refused_before_it_opens(
    manual_client: TestClient, staff: Staff
) -> None:
    sign_in_as(manual_client, staff, "admin")  # the browser sends our cookie from any site
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        manual_client.websocket_connect(
            "/ws/wallboard", headers={"Origin": "http://evil.example"}
        ) as socket,
    ):
        socket.receive_json()
    assert refused.value.code == 4403


def test_a_socket_from_the_wallboard_page_itself_opens(
    manual_client: TestClient, staff: Staff
) -> None:
    tick(manual_client)
    sign_in_as(manual_client, staff, "admin")
    with manual_client.websocket_connect(
        "/ws/wallboard", headers={"Origin": "http://testserver"}
    ) as socket:
        assert receive(socket)["type"] == "snapshot"


def test_after_a_restart_the_board_shows_todays_stored_calls(
    settings: Settings, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    entered = utc_now() - timedelta(minutes=5)
    record = CallRecord(
        server="sim", linkedid="r1", direction=Direction.INBOUND, started_at=entered,
        ended_at=entered + timedelta(minutes=2), outcome=CallOutcome.ANSWERED,
        queue_visits=(QueueVisitRecord(queue="support", uniqueid="r1", entered_at=entered,
            outcome=VisitOutcome.ANSWERED, agent="agent1", wait_s=8.0, talk_s=100.0),),
    )  # fmt: skip
    with sessions() as session, session.begin():
        store_calls(session, [record], after_store=ROLLUPS)
    with TestClient(create_app(settings), base_url="http://testserver") as restarted:
        sign_in_as(restarted, staff, "admin")
        with restarted.websocket_connect("/ws/wallboard") as socket:
            support = receive(socket)["queues"]["support"]
    assert (support["last_15m"]["offered"], support["last_15m"]["asa_s"]) == (1, 8.0)
    if entered.date() == utc_now().date():  # not when the test straddles midnight UTC
        assert support["today"]["answered"] == 1


def test_the_board_names_each_agent_by_display_name(
    manual_client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        user = session.scalars(select(User).where(User.username == "agent1")).one()
        user.display_name = "Alice Agent"
    # The PBX names agent1 by interface here and by member name ("Agent 1") elsewhere.
    publish(manual_client, state("PJSIP/1001", AgentState.AVAILABLE))
    tick(manual_client)
    sign_in_as(manual_client, staff, "admin")
    with manual_client.websocket_connect("/ws/wallboard") as socket:
        names = [a["name"] for a in receive(socket)["agents"]]
    assert names == ["Alice Agent"]
