"""A supervisor signed in over HTTP to the live stack, with the page's CSRF token."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.orm import Session

from callcenter.users.service import Role, create_user
from tests.agent_ui.live_console import PASSWORD as AGENT_PASSWORD
from tests.agent_ui.live_stack import LiveStack

PASSWORD = "supervisor-password"


def seed_team(session: Session) -> None:
    """Sue leads team red (agent1, at PJSIP/1001 in support); agent2 is in team blue."""
    create_user(
        session, "sue", role=Role.SUPERVISOR, password=PASSWORD, team="red",
        display_name="Sue Lead",
    )  # fmt: skip
    create_user(
        session, "agent1", role=Role.AGENT, password=AGENT_PASSWORD, team="red",
        interface="PJSIP/1001", member_name="agent1", queues=[("support", 0)],
    )  # fmt: skip
    create_user(
        session, "agent2", role=Role.AGENT, password=AGENT_PASSWORD, team="blue",
        interface="PJSIP/1002", member_name="agent2", queues=[("support", 0)],
    )  # fmt: skip


class Supervisor:
    """A signed-in supervisor's HTTP client; `post` sends the CSRF token as htmx does."""

    def __init__(self, stack: LiveStack, username: str = "sue", password: str = PASSWORD) -> None:
        self.http = httpx.Client(base_url=stack.base_url, timeout=30)
        form = self.http.get("/signin").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        self.http.post(
            "/signin",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        page = self.http.get("/supervisor/agents/agent1").text
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
        assert csrf, page
        self.http.headers["X-CSRF-Token"] = csrf.group(1)
        self.http.headers["HX-Request"] = "true"

    def page(self, username: str = "agent1") -> httpx.Response:
        return self.http.get(f"/supervisor/agents/{username}", headers={"HX-Request": ""})

    def post(self, path: str, data: dict[str, str | list[str]]) -> httpx.Response:
        return self.http.post(path, data=data)

    def close(self) -> None:
        self.http.close()
