"""Open websockets close (4401) when the session or token they were opened with ends."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from agent_ui.hub import HubUnavailable
from callcenter.app import create_app
from callcenter.db import utc_now
from callcenter.settings import Settings
from callcenter.users.auth import SESSION_COOKIE, SessionSigner
from callcenter.users.models import ApiToken, User
from callcenter.users.service import Role, get_user, revoke_tokens, set_password, set_role
from tests.console_app import SECRET, Staff, publish, ringing, sign_in_as


def app_client(settings: Settings, recheck_s: float) -> Iterator[TestClient]:
    tuned = settings.model_copy(update={"session_recheck_s": recheck_s})
    with TestClient(create_app(tuned), base_url="http://testserver") as client:
        yield client


@pytest.fixture
def client(settings: Settings, staff: Staff) -> Iterator[TestClient]:
    """Re-checks an hour apart: only the bus can close a socket within a test."""
    yield from app_client(settings, 3600.0)


@pytest.fixture
def rechecking_client(settings: Settings, staff: Staff) -> Iterator[TestClient]:
    """Re-checks every tenth of a second: a change made behind the app's back is found."""
    yield from app_client(settings, 0.1)


def in_app(client: TestClient, change: Callable[[Session], Any]) -> None:
    """A change committed through the app's own database sessions (as its routes do)."""
    sessions = client.app.state.callcenter.sessions  # type: ignore[attr-defined]
    with sessions() as session, session.begin():
        change(session)


def closed_with(socket: WebSocketTestSession) -> int:
    """Read until the server closes the socket; its close code."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            socket.receive_json()
    return closed.value.code


def test_signing_out_closes_the_open_console(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console") as socket:
        assert socket.receive_json()["type"] == "hello"
        answer = client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
        assert answer.status_code == 303
        assert closed_with(socket) == 4401


def test_a_new_password_closes_the_console_and_the_wallboard(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "supervisor1")
    with (
        client.websocket_connect("/ws/console?agent=agent1") as console,
        client.websocket_connect("/ws/wallboard") as wallboard,
    ):
        assert console.receive_json()["type"] == "hello"
        assert wallboard.receive_json()["type"] == "snapshot"
        in_app(
            client,
            lambda s: set_password(s, get_user(s, "supervisor1"), "another long passphrase 7"),
        )
        assert closed_with(console) == 4401
        assert closed_with(wallboard) == 4401


def test_a_new_role_closes_the_wallboard(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    with client.websocket_connect("/ws/wallboard") as wallboard:
        assert wallboard.receive_json()["type"] == "snapshot"
        in_app(client, lambda s: set_role(s, get_user(s, "supervisor1"), Role.AGENT))
        assert closed_with(wallboard) == 4401


def test_revoking_the_token_closes_the_wallboard_opened_with_it(
    client: TestClient, staff: Staff
) -> None:
    bearer = {"Authorization": f"Bearer {staff.tokens['supervisor1']}"}
    with client.websocket_connect("/ws/wallboard", headers=bearer) as wallboard:
        assert wallboard.receive_json()["type"] == "snapshot"
        in_app(client, lambda s: revoke_tokens(s, get_user(s, "supervisor1")))
        assert closed_with(wallboard) == 4401


def test_other_users_sign_out_leaves_a_socket_open(client: TestClient, staff: Staff) -> None:
    bearer = {"Authorization": f"Bearer {staff.tokens['agent1']}"}
    with client.websocket_connect("/ws/console", headers=bearer) as console:
        assert console.receive_json()["type"] == "hello"
        in_app(client, lambda s: revoke_tokens(s, get_user(s, "agent2")))
        publish(client, ringing("PJSIP/1001", "after-revoke"))
        frame = console.receive_json()  # still open: the next pop arrives
        assert (frame["type"], frame["call"]["linkedid"]) == ("pop", "after-revoke")


def test_a_revocation_made_in_the_database_is_found_by_the_re_check(
    rechecking_client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    bearer = {"Authorization": f"Bearer {staff.tokens['supervisor1']}"}
    with rechecking_client.websocket_connect("/ws/wallboard", headers=bearer) as wallboard:
        assert wallboard.receive_json()["type"] == "snapshot"
        # As `callcenter users revoke` does from another process: no event reaches this app.
        with sessions() as session, session.begin():
            session.execute(update(ApiToken).values(revoked_at=utc_now()))
        assert closed_with(wallboard) == 4401


def test_one_query_re_checks_every_open_socket_and_closes_only_the_ended_one(
    rechecking_client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    client = rechecking_client
    signer = SessionSigner(SECRET)
    names = ("agent1", "agent2", "supervisor1")
    cookies = {n: {"Cookie": f"{SESSION_COOKIE}={signer.issue(staff.ids[n])[0]}"} for n in names}
    user_lookups: list[set[object]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM users" in statement and "session_generation" in statement:
            user_lookups.append(set(parameters))

    engine = client.app.state.callcenter.engine  # type: ignore[attr-defined]
    with (
        client.websocket_connect("/ws/console", headers=cookies["agent1"]) as agent1,
        client.websocket_connect("/ws/console", headers=cookies["agent2"]) as agent2,
        client.websocket_connect("/ws/wallboard", headers=cookies["supervisor1"]) as board,
    ):
        assert agent1.receive_json()["type"] == "hello"
        assert agent2.receive_json()["type"] == "hello"
        assert board.receive_json()["type"] == "snapshot"
        event.listen(engine, "before_cursor_execute", seen)
        try:
            deadline = time.monotonic() + 10
            while len(user_lookups) < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        # Each round asks once for all three sockets' users, not once per socket.
        everyone = {staff.ids[n] for n in names}
        assert len(user_lookups) >= 3
        assert all(lookup == everyone for lookup in user_lookups)
        # agent2 signed out everywhere by another process: only that socket closes.
        with sessions() as session, session.begin():
            session.execute(
                update(User).where(User.id == staff.ids["agent2"]).values(session_generation=1)
            )
        assert closed_with(agent2) == 4401
        publish(client, ringing("PJSIP/1001", "after-agent2-left"))
        frame = agent1.receive_json()
        assert (frame["type"], frame["call"]["linkedid"]) == ("pop", "after-agent2-left")


def test_a_session_that_expires_while_the_console_is_open_closes_it(
    rechecking_client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = SessionSigner(SECRET)
    # Signed almost twelve hours ago: two seconds of it are left.
    signed_at = int(time.time()) - signer.max_age_s + 2
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        cookie, _ = signer.issue(staff.ids["agent1"])
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    with rechecking_client.websocket_connect("/ws/console", headers=headers) as console:
        assert console.receive_json()["type"] == "hello"
        assert closed_with(console) == 4401
    assert time.time() >= signed_at + signer.max_age_s


def test_a_console_the_hub_cannot_take_now_is_told_to_try_again(
    client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = client.app.state.callcenter.console.hub  # type: ignore[attr-defined]

    async def unavailable(user_id: int, since: int | None) -> None:
        raise HubUnavailable("the console hub has no Redis at the moment")

    monkeypatch.setattr(hub, "attach", unavailable)
    sign_in_as(client, staff, "agent1")
    with client.websocket_connect("/ws/console?since=4") as socket:
        assert closed_with(socket) == 1013  # the console reconnects, as after a blink
