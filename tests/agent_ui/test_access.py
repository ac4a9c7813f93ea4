"""Who may see what: sign-in, cookies, CSRF, tokens, and each role's scope, on the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocketDisconnect

from callcenter.users.auth import SESSION_COOKIE
from callcenter.users.service import get_user, revoke_tokens, set_password
from tests.console_app import PASSWORD, Staff, publish, ringing, sign_in_as


def signin_form(client: TestClient) -> str:
    page = client.get("/signin")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def test_a_page_without_a_session_redirects_to_sign_in(client: TestClient) -> None:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/console"


@pytest.mark.parametrize("path", ["/api/customers", "/api/tickets", "/api/agents", "/api/kb"])
def test_the_api_without_credentials_answers_401(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401


def test_signing_in_sets_a_signed_httponly_cookie(client: TestClient) -> None:
    token = signin_form(client)
    response = client.post(
        "/signin",
        data={"username": "agent1", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert client.get("/console").status_code == 200


def test_sign_in_without_the_forms_csrf_token_is_refused(client: TestClient) -> None:
    signin_form(client)
    response = client.post(
        "/signin", data={"username": "agent1", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_sign_in_is_rate_limited_after_repeated_failures(client: TestClient) -> None:
    for _ in range(5):
        response = client.post(
            "/signin",
            data={"username": "agent1", "password": "wrong", "csrf_token": signin_form(client)},
        )
        assert response.status_code == 401
    response = client.post(
        "/signin",
        data={"username": "agent1", "password": PASSWORD, "csrf_token": signin_form(client)},
    )
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text


def test_a_forged_session_cookie_is_not_a_session(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "eyJ1IjoxLCJjIjoieCJ9.forged.signature")
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert client.get("/api/agents").status_code == 401


def test_a_cookie_request_that_changes_something_needs_the_csrf_header(
    client: TestClient, staff: Staff
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="minutes")
    callback = {"number": "+15551230001", "due_at": tomorrow}
    refused = client.post("/console/callbacks", data=callback)
    accepted = client.post("/console/callbacks", data=callback, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_a_bearer_token_acts_with_its_users_scope(client: TestClient, staff: Staff) -> None:
    headers = {"Authorization": f"Bearer {staff.tokens['agent1']}"}
    agents = client.get("/api/agents", headers=headers).json()
    assert [a["username"] for a in agents] == ["agent1"]


def test_a_revoked_token_is_refused(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        revoke_tokens(session, get_user(session, "agent1"))
    headers = {"Authorization": f"Bearer {staff.tokens['agent1']}"}
    assert client.get("/api/agents", headers=headers).status_code == 401


SCOPES = [
    # viewer        agents they see
    ("agent1", ["agent1"]),
    ("supervisor1", ["agent1", "agent2"]),
    ("supervisor2", ["agent3"]),
    ("admin", ["agent1", "agent2", "agent3"]),
]


@pytest.mark.parametrize(("viewer", "visible"), SCOPES)
def test_each_role_lists_only_the_agents_in_its_scope(
    client: TestClient, staff: Staff, viewer: str, visible: list[str]
) -> None:
    headers = {"Authorization": f"Bearer {staff.tokens[viewer]}"}
    assert [a["username"] for a in client.get("/api/agents", headers=headers).json()] == visible


WATCH = [
    # viewer        agent       status
    ("agent1", "agent1", 200),
    ("agent1", "agent2", 404),  # out of scope answers as unknown: no user enumeration
    ("supervisor1", "agent2", 200),
    ("supervisor1", "agent3", 404),
    ("supervisor2", "agent3", 200),
    ("admin", "agent3", 200),
    ("admin", "nobody", 404),
    ("agent1", "nobody", 404),
]


@pytest.mark.parametrize(("viewer", "agent", "status"), WATCH)
def test_each_role_opens_only_the_consoles_in_its_scope(
    client: TestClient, staff: Staff, viewer: str, agent: str, status: int
) -> None:
    sign_in_as(client, staff, viewer)
    assert client.get(f"/console/agents/{agent}").status_code == status


def test_a_websocket_without_a_session_is_closed(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws/console"):
        pass
    assert closed.value.code == 4401


def test_an_agent_cannot_watch_another_agents_pops(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/console?agent=agent2"),
    ):
        pass
    assert closed.value.code == 4403


def test_a_supervisor_outside_the_team_cannot_watch(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor2")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/console?agent=agent1"),
    ):
        pass
    assert closed.value.code == 4403


def test_a_supervisor_watches_the_pops_of_a_team_agent(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    with client.websocket_connect("/ws/console?agent=agent1") as ws:
        ws.receive_json()
        publish(client, ringing("PJSIP/1001", "watched"))
        frame = ws.receive_json()
    assert (frame["type"], frame["call"]["linkedid"]) == ("pop", "watched")


def test_a_websocket_from_another_site_is_refused(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/console", headers={"Origin": "http://evil.example"}),
    ):
        pass
    assert closed.value.code == 4403


def test_signing_out_ends_every_copy_of_the_session(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    copied = client.cookies.get(SESSION_COOKIE)
    assert copied and client.get("/api/agents").status_code == 200
    response = client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set(SESSION_COOKIE, copied)  # someone kept a copy of the cookie
    assert client.get("/api/agents").status_code == 401
    assert client.get("/console", follow_redirects=False).status_code == 303
    written = client.post(
        "/console/callbacks", data={"number": "+15551230001"}, headers={"X-CSRF-Token": csrf}
    )
    assert written.status_code in (303, 401)
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws/console"):
        pass
    assert closed.value.code == 4401


def test_a_new_password_ends_the_sessions_signed_in_before(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/api/agents").status_code == 200
    with sessions() as session, session.begin():
        set_password(session, get_user(session, "agent1"), "a brand new agent password")
    assert client.get("/api/agents").status_code == 401


def test_failed_sign_ins_from_one_address_do_not_lock_the_user_out_elsewhere(
    client: TestClient,
) -> None:
    for _ in range(6):
        client.post(
            "/signin",
            data={"username": "agent1", "password": "wrong", "csrf_token": signin_form(client)},
        )
    app = client.app
    with TestClient(app, base_url="http://testserver", client=("10.9.8.7", 4000)) as desk:
        response = desk.post(
            "/signin",
            data={"username": "agent1", "password": PASSWORD, "csrf_token": signin_form(desk)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        # and others behind the guesser's address still sign in
    response = client.post(
        "/signin",
        data={"username": "agent2", "password": PASSWORD, "csrf_token": signin_form(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize("path", ["/signin", "/console", "/api/agents", "/healthz", "/nowhere"])
def test_every_response_forbids_framing_and_foreign_scripts(
    client: TestClient, staff: Staff, path: str
) -> None:
    sign_in_as(client, staff, "agent1")
    headers = client.get(path).headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("url", "origin", "opens"),
    [
        ("/ws/console", "http://testserver", True),
        ("/ws/console", "https://testserver", False),  # a ws:// socket is an http:// page's
        ("wss://testserver/ws/console", "https://testserver", True),
        ("wss://testserver/ws/console", "http://testserver", False),  # plain-text page
        ("/ws/console", "null", False),
    ],
)
def test_the_origin_check_compares_the_scheme_too(
    client: TestClient, staff: Staff, url: str, origin: str, opens: bool
) -> None:
    sign_in_as(client, staff, "agent1")
    if opens:
        with client.websocket_connect(url, headers={"Origin": origin}) as ws:
            assert ws.receive_json()["type"] == "hello"
        return
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(url, headers={"Origin": origin}),
    ):
        pass
    assert closed.value.code == 4403


def test_an_agent_outside_ones_scope_answers_as_an_unknown_one(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    known = client.get("/console/agents/agent2")
    unknown = client.get("/console/agents/nobody")
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text)
    assert known.status_code == 404
