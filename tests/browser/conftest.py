"""The console's browser tests: agent1 in queue support, and Ann, a VIP customer."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.service import Role, create_user
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from tests.browser.console_helpers import PASSWORD


@pytest.fixture
def seeded(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
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
        create_customer(
            session,
            CustomerCreate(
                name="Ann Customer", category="vip", phones=[PhoneIn(number="+15551230001")]
            ),
            "US",
        )
