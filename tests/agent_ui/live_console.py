"""agent1 at a console of the live stack: signed in over HTTP, a console websocket open."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.orm import Session
from websockets.sync.client import ClientConnection, connect

from callcenter.users.auth import SESSION_COOKIE
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_stack import LiveStack

PASSWORD = "agent1-password"


def add_agent1(session: Session, interface: str = "PJSIP/1001") -> None:
    """agent1, a member of support, with the phone `interface` (the simulated PBX's agent)."""
    create_user(
        session,
        "agent1",
        role=Role.AGENT,
        password=PASSWORD,
        interface=interface,
        member_name="agent1",
        queues=[("support", 0)],
    )


class Console:
    """agent1 signed in over HTTP, with one console websocket open."""

    def __init__(self, stack: LiveStack) -> None:
        # Generous: the machine running the tests may be busy; nothing here measures speed.
        self.http = httpx.Client(base_url=stack.base_url, timeout=30)
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
        self.hello: dict[str, Any] = json.loads(self.ws.recv(timeout=10))

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

    def until_each(self, *wants: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """For each of `wants`, the first frame it accepts, in whatever order they arrive: a
        card built while the phone rings may reach the socket after the agent's state."""
        found: list[dict[str, Any] | None] = [None] * len(wants)
        deadline = time.monotonic() + 60
        while None in found:
            left = deadline - time.monotonic()
            assert left > 0, (
                f"frames still awaited: {[i for i, f in enumerate(found) if f is None]}"
            )
            frame = json.loads(self.ws.recv(timeout=left))
            for index, want in enumerate(wants):
                if found[index] is None and want(frame):
                    found[index] = frame
        return [frame for frame in found if frame is not None]

    def close(self) -> None:
        self._exits.close()


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
