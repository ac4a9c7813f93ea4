"""Console controls against the simulated PBX over real AMI, HTTP and websockets."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker
from websockets.sync.client import ClientConnection, connect

from callcenter.users import service as users_service
from callcenter.users.auth import SESSION_COOKIE
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_stack import LiveStack, live_stack

PASSWORD = "agent1-password"


@pytest.fixture
def stack(
    database_url: str, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveStack]:
    # billing has no console users, only the PBX's bot: the console learns it from settings.
    monkeypatch.setenv("CALLCENTER_CONSOLE_QUEUE_EXTENSIONS", '{"billing": "billing"}')
    users_service._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    with sessions() as session, session.begin():
        create_user(
            session,
            "agent1",
            role=Role.AGENT,
            password=PASSWORD,
            interface="PJSIP/1001",
            member_name="agent1",
            queues=[("support", 0)],
        )
    with live_stack(database_url, sessions) as running:
        yield running


class Console:
    """agent1 signed in over HTTP, with one console websocket open."""

    def __init__(self, stack: LiveStack) -> None:
        self.http = httpx.Client(base_url=stack.base_url)
        form = self.http.get("/signin").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        self.http.post(
            "/signin",
            data={"username": "agent1", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        page = self.http.get("/console").text
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
        assert csrf
        self.http.headers["X-CSRF-Token"] = csrf.group(1)
        cookie = self.http.cookies[SESSION_COOKIE]
        url = stack.base_url.replace("http", "ws") + "/ws/console"
        self._exits = contextlib.ExitStack()
        self._exits.callback(self.http.close)
        self.ws: ClientConnection = self._exits.enter_context(
            connect(url, additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
        )
        self.ws.recv(timeout=10)  # hello

    def post(self, path: str, **data: str) -> httpx.Response:
        response = self.http.post(path, data=data)
        assert response.status_code == 200, response.text
        return response

    def until(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The next frame of `kind` whose fields have these values."""
        while True:
            frame = json.loads(self.ws.recv(timeout=30))
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    def close(self) -> None:
        self._exits.close()


@pytest.fixture
def console(stack: LiveStack) -> Iterator[Console]:
    console = Console(stack)
    yield console
    console.close()


def member(stack: LiveStack, queue: str = "support") -> Any:
    async def read() -> Any:
        return stack.pbx.board.queues[queue].members.get("agent1")

    return stack.run(read())


def pbx_says(stack: LiveStack, holds: Callable[[Any], bool]) -> None:
    """Wait until agent1's queue membership in the PBX satisfies `holds` (commands are async)."""
    deadline = time.monotonic() + 20
    while not holds(member(stack)):
        assert time.monotonic() < deadline, "the PBX never got there"
        time.sleep(0.02)


def test_pause_with_a_reason_reaches_the_pbx_and_comes_back(
    stack: LiveStack, console: Console
) -> None:
    console.post("/console/queues/signin")
    console.post("/console/pause", reason="Lunch")
    frame = console.until("state", state="paused")
    assert frame["reason"] == "Lunch"
    pbx_says(stack, lambda m: (m.paused, m.paused_reason) == (True, "Lunch"))
    console.post("/console/available")
    console.until("state", state="available")
    pbx_says(stack, lambda m: m.paused is False)


def test_sign_out_removes_the_agent_from_the_queue(stack: LiveStack, console: Console) -> None:
    console.post("/console/queues/signout")
    console.until("state", state="logged_out")
    assert member(stack) is None
    console.post("/console/queues/signin")
    console.until("state", state="available")
    assert member(stack) is not None


def test_hangup_starts_wrap_up_paused_in_the_pbx_until_done(
    stack: LiveStack, console: Console
) -> None:
    stack.call_in("+15551230001", "Ann Customer")
    pop = console.until("pop")
    assert pop["call"]["caller_number"] == "+15551230001"
    console.until("state", state="on_call")
    console.post("/console/call/hangup")
    console.until("state", state="wrap_up")
    pbx_says(stack, lambda m: (m.paused, m.paused_reason) == (True, "Wrap-up"))
    console.post("/console/wrapup/done")
    console.until("state", state="available")
    pbx_says(stack, lambda m: m.paused is False)


def test_a_blind_transfer_sends_the_caller_to_another_queue(
    stack: LiveStack, console: Console
) -> None:
    stack.call_in("+15551230002", "Ben Customer")
    console.until("pop")
    console.until("state", state="on_call")
    console.post("/console/call/transfer", kind="blind", target_type="queue", target="billing")
    console.until("state", state="wrap_up")

    async def billing_bot_talking() -> bool:
        bot = stack.pbx.board.queues["billing"].members["billing-bot"]
        return bool(bot.in_call)

    deadline = time.monotonic() + 20
    while not stack.run(billing_bot_talking()):
        assert time.monotonic() < deadline, "the caller never reached billing"
        time.sleep(0.05)


def test_click_to_dial_rings_the_agents_phone_first(stack: LiveStack, console: Console) -> None:
    response = console.post("/console/dial", number="+15557654321")
    assert "Calling +15557654321" in response.text
    frame = console.until("state", state="on_call")
    assert frame["state"] == "on_call"


def test_an_attended_transfer_consults_then_completes_on_hangup(
    stack: LiveStack, console: Console
) -> None:
    stack.call_in("+15551230003", "Cara Customer")
    console.until("pop")
    console.until("state", state="on_call")
    response = console.post(
        "/console/call/transfer", kind="attended", target_type="number", target="5551234"
    )
    assert "Consulting 5551234" in response.text
    console.post("/console/call/hangup")  # the agent leaves: caller and target stay together
    console.until("state", state="wrap_up")
