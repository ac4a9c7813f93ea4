"""The read API routing uses: queues by name and dialled number, members, skills."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.queues.directory import (
    QueueInfo,
    QueueMember,
    agent_skills,
    all_queues,
    queue_for_number,
    queue_info,
    queue_members,
)
from callcenter.queues.models import QueueNumber, ServiceQueue
from callcenter.users.service import Role, create_user, set_active


@pytest.fixture
def floor(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    """Two queues with numbers; three agents, one of them deactivated."""
    with transaction(sessions) as session:
        session.add_all(
            [
                ServiceQueue(
                    name="support", display_name="Support", service_level_s=20.0,
                    service_level_target=0.8, numbers=[QueueNumber(number="+493012345")],
                ),
                ServiceQueue(
                    name="billing", display_name="Billing", open=False, overflow="support",
                    numbers=[QueueNumber(number="8000"), QueueNumber(number="+4930999")],
                ),
            ]
        )  # fmt: skip
        for name, interface, queues in (
            ("ada", "PJSIP/1001", [("support", 1), ("billing", 0)]),
            ("bob", "Local/1002@agents/n", [("support", 0)]),
            ("cy", None, [("support", 0)]),
        ):
            create_user(
                session, name, role=Role.AGENT, password="correct horse battery",
                interface=interface, member_name=name.title() if interface else None,
                queues=queues, skills={"lang:de": 2} if name == "ada" else None,
            )  # fmt: skip
        set_active(session, create_user(
            session, "dee", role=Role.AGENT, password="correct horse battery",
            queues=[("support", 0)],
        ), False)  # fmt: skip


SUPPORT = QueueInfo(
    name="support", display_name="Support", numbers=("+493012345",), business_hours_id=None,
    overflow=None, open=True, service_level_s=20.0, service_level_target=0.8,
    short_abandon_s=None,
)  # fmt: skip


@pytest.mark.usefixtures("floor")
def test_a_queue_by_name_and_every_queue(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert queue_info(session, "support") == SUPPORT
        assert queue_info(session, "nosuch") is None
        billing = queue_info(session, "billing")
        assert billing is not None
        assert (billing.numbers, billing.open, billing.overflow) == (
            ("+4930999", "8000"), False, "support",
        )  # fmt: skip
        assert [q.name for q in all_queues(session)] == ["billing", "support"]


@pytest.mark.parametrize(
    ("dialed", "queue"),
    [
        ("+493012345", "support"),
        ("493012345", "support"),  # the PBX dropped the +
        ("00493012345", "support"),
        ("+49 30 12345", "support"),
        ("8000", "billing"),
        ("+8000", "billing"),
        ("4930999", "billing"),
        ("12345", None),
        ("", None),
        ("s", None),  # Asterisk's start extension: no DID
    ],
)
@pytest.mark.usefixtures("floor")
def test_the_queue_a_dialled_number_leads_to(
    sessions: sessionmaker[Session], dialed: str, queue: str | None
) -> None:
    with sessions() as session:
        found = queue_for_number(session, dialed)
    assert (found.name if found else None) == queue


@pytest.mark.usefixtures("floor")
def test_members_lowest_penalty_first_active_only(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert queue_members(session, "support") == [
            QueueMember("bob", "Local/1002@agents/n", "Bob", "1002", 0),
            QueueMember("cy", None, None, None, 0),
            QueueMember("ada", "PJSIP/1001", "Ada", "1001", 1),
        ]
        assert queue_members(session, "nosuch") == []


@pytest.mark.usefixtures("floor")
def test_an_agents_skills(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert agent_skills(session, "ada") == {"lang:de": 2}
        assert agent_skills(session, "bob") == {}
        assert agent_skills(session, "nobody") == {}
