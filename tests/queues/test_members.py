"""Memberships and skills in the queues domain: replaced as a whole, checked, typed as
`lang:de=2, product:billing=1`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.queues.exceptions import QueueError
from callcenter.queues.members import (
    Membership,
    format_skills,
    memberships_by_user,
    memberships_of,
    parse_skills,
    set_memberships,
    set_skills,
    skills_of,
)
from callcenter.users.service import Role, create_user


@pytest.fixture
def agent_id(sessions: sessionmaker[Session], fast_password_hashing: None) -> int:
    with transaction(sessions) as session:
        return create_user(session, "ada", role=Role.AGENT, password="correct horse battery").id


def test_memberships_are_replaced_keeping_what_stays(
    sessions: sessionmaker[Session], agent_id: int
) -> None:
    with transaction(sessions) as session:
        set_memberships(session, agent_id, [("support", 0), ("billing", 2)])
    with transaction(sessions) as session:
        set_memberships(session, agent_id, [("billing", 1), ("sales", 0)])
    with sessions() as session:
        assert memberships_of(session, agent_id) == [
            Membership("billing", 1),
            Membership("sales", 0),
        ]
        assert memberships_by_user(session) == {agent_id: memberships_of(session, agent_id)}


@pytest.mark.parametrize(
    ("queues", "message"),
    [
        ([("no spaces", 0)], "not a queue name"),
        ([("support", -1)], "0 to 1000"),
        ([("support", 0), ("support", 1)], "listed twice"),
    ],
)
def test_bad_memberships_are_refused(
    sessions: sessionmaker[Session], agent_id: int, queues: list[tuple[str, int]], message: str
) -> None:
    with sessions() as session, pytest.raises(QueueError, match=message):
        set_memberships(session, agent_id, queues)


def test_skills_are_replaced(sessions: sessionmaker[Session], agent_id: int) -> None:
    with transaction(sessions) as session:
        set_skills(session, agent_id, {"lang:de": 2, "product:billing": 1})
    with transaction(sessions) as session:
        set_skills(session, agent_id, {"lang:de": 3, "lang:fr": 0})
    with sessions() as session:
        assert skills_of(session, agent_id) == {"lang:de": 3, "lang:fr": 0}


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("lang:de=2, product:billing=1", {"lang:de": 2, "product:billing": 1}),
        ("Lang:DE = 2\nvip", {"lang:de": 2, "vip": 1}),
        ("", {}),
        (" , ", {}),
    ],
)
def test_skills_as_typed(text: str, skills: dict[str, int]) -> None:
    assert parse_skills(text) == skills


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lang:de=two", "whole number"),
        ("lang:de=-1", "whole number"),
        ("lang:de=101", "0 to 100"),
        ("lang de=1", "not a skill"),
        ("=2", "names no skill"),
        ("lang:de=1, LANG:DE=2", "listed twice"),
    ],
)
def test_skills_typed_wrong_are_refused(text: str, message: str) -> None:
    with pytest.raises(QueueError, match=message) as refused:
        parse_skills(text)
    assert refused.value.field == "skills"


def test_skills_read_back_as_typed() -> None:
    skills = {"product:billing": 1, "lang:de": 2}
    assert format_skills(skills) == "lang:de=2, product:billing=1"
    assert parse_skills(format_skills(skills)) == skills
