"""No session key in the source: cookies signed with anything but the deployment's key fail."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from callcenter.app import create_app
from callcenter.db import make_engine, make_sessionmaker, transaction
from callcenter.settings import Settings
from callcenter.users.auth import SESSION_COOKIE, SessionSigner
from callcenter.users.service import Role, create_user
from callcenter.users.session_key import (
    KEY_FILE_SUFFIX,
    SessionKeyError,
    read_key_file,
    session_keys,
)

PASSWORD = "a long enough password"
# What an attacker who read an older version of the source would sign with.
KEYS_FROM_THE_SOURCE = ("change-me-in-production", "", "secret")


def forged_cookie(key: str, user_id: int) -> str:
    return URLSafeTimedSerializer(key, salt="callcenter.session").dumps({"u": user_id, "c": "x"})


@pytest.fixture
def admin_id(database_url: str) -> int:
    engine = make_engine(database_url)
    with transaction(make_sessionmaker(engine)) as session:
        user_id = create_user(session, "root", role=Role.ADMIN, password=PASSWORD).id
    engine.dispose()
    return user_id


@pytest.fixture
def client(database_url: str, admin_id: int) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, sla_check_interval_s=3600)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def key_file(database_url: str) -> Path:
    database = Path(database_url.removeprefix("sqlite:///"))
    return database.with_name(database.name + KEY_FILE_SUFFIX)


def sign_in(client: TestClient) -> str:
    client.get("/signin")
    response = client.post(
        "/signin",
        data={
            "username": "root",
            "password": PASSWORD,
            "csrf_token": client.cookies.get("callcenter_signin") or "",
            "next": "/console",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


def test_settings_have_no_secret_key_by_default() -> None:
    assert Settings(database_url="sqlite://").secret_key is None


def test_a_short_secret_key_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(database_url="sqlite://", secret_key="change-me-in-production")


@pytest.mark.parametrize("key", KEYS_FROM_THE_SOURCE)
def test_a_cookie_signed_with_a_key_from_the_source_is_refused(
    client: TestClient, admin_id: int, key: str
) -> None:
    client.cookies.set(SESSION_COOKIE, forged_cookie(key, admin_id))
    assert client.get("/api/customers").status_code == 401
    assert client.get("/console", follow_redirects=False).status_code in (302, 303, 307)
    for path in ("/ws/wallboard", "/ws/console"):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(path, headers={"origin": "http://testserver"}) as socket,
        ):
            socket.receive_json()
        assert refused.value.code == 4401


def test_the_generated_key_is_kept_beside_the_database_for_its_owner_alone(
    client: TestClient, database_url: str
) -> None:
    path = key_file(database_url)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(read_key_file(path)) >= 32
    cookie = sign_in(client)
    # Only the kept key signs: the session works, and the same cookie is what a signer
    # with that key would accept.
    assert client.get("/api/customers").status_code == 200
    assert SessionSigner(read_key_file(path)).read(cookie) is not None


def test_sessions_survive_a_restart(database_url: str, admin_id: int) -> None:
    settings = Settings(database_url=database_url, sla_check_interval_s=3600)
    with TestClient(create_app(settings), base_url="http://testserver") as first:
        cookie = sign_in(first)
    with TestClient(create_app(settings), base_url="http://testserver") as second:
        second.cookies.set(SESSION_COOKIE, cookie)
        assert second.get("/api/customers").status_code == 200


def test_rotating_the_key_signs_everyone_out(client: TestClient, database_url: str) -> None:
    sign_in(client)
    assert client.get("/api/customers").status_code == 200
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "session-key", "rotate", "--database", database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "every session" in result.stdout
    time.sleep(1.2)  # running apps look at the key file at most once a second
    assert client.get("/api/customers").status_code == 401
    sign_in(client)  # and signing in again works under the new key
    assert client.get("/api/customers").status_code == 200


def test_a_key_file_others_may_read_is_refused(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    session_keys(settings)
    key_file(database_url).chmod(0o644)
    with pytest.raises(SessionKeyError, match="chmod 600"):
        session_keys(settings)


def test_an_in_memory_database_gets_a_key_for_the_process_alone() -> None:
    first = session_keys(Settings(database_url="sqlite://")).signer()
    second = session_keys(Settings(database_url="sqlite://")).signer()
    cookie, _ = first.issue(1)
    assert first.read(cookie) is not None
    assert second.read(cookie) is None


def test_a_server_database_without_a_key_refuses_to_start() -> None:
    url = "postgresql+psycopg://user:pw@127.0.0.1:1/callcenter"
    with pytest.raises(SessionKeyError, match="CALLCENTER_SECRET_KEY is not set"):
        session_keys(Settings(database_url=url))
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "serve", "--database", url, "--port", "1"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "CALLCENTER_SECRET_KEY is not set" in result.stderr


def test_a_key_from_the_environment_is_used_and_cannot_be_rotated_here(
    database_url: str,
) -> None:
    key = "k" * 40
    signer = session_keys(Settings(database_url=database_url, secret_key=key)).signer()
    cookie, _ = SessionSigner(key).issue(7)
    assert signer.read(cookie) is not None
    assert not key_file(database_url).exists()
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "session-key", "rotate", "--database", database_url],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "CALLCENTER_SECRET_KEY": key},
    )
    assert result.returncode == 2
    assert "CALLCENTER_SECRET_KEY" in result.stderr


def test_generate_prints_a_key_the_settings_accept() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "session-key", "generate"],
        capture_output=True,
        text=True,
        check=True,
    )
    key = result.stdout.strip()
    assert Settings(database_url="sqlite://", secret_key=key).secret_key is not None
