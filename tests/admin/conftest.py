"""An admin and agent1 with known passwords, for the admin pages' browser tests."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.service import Role, create_user
from tests.browser.console_helpers import PASSWORD as AGENT_PASSWORD

ADMIN_PASSWORD = "quiet harbour lantern maple"


@pytest.fixture
def floor(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        create_user(session, "root", role=Role.ADMIN, password=ADMIN_PASSWORD, team="red")
        create_user(
            session, "agent1", role=Role.AGENT, password=AGENT_PASSWORD, team="red",
            interface="PJSIP/1001", member_name="agent1", queues=[("support", 0)],
        )  # fmt: skip


def sign_in(page: Any, base_url: str, path: str, name: str, password: str) -> None:
    """Open `path`, sign in on the form it sends us to, and land back on it."""
    page.goto(base_url + path)
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
