"""Migration 0013: queue records, memberships kept, skills moved out of users (and back)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from callcenter.db import alembic_config, make_engine, upgrade

USER = (
    "INSERT INTO users (id, username, display_name, role, password_hash, active, interface,"
    " member_name, skills, created_at) VALUES (:id, :u, :u, 'agent', 'x', 1, :i, :u, :s,"
    " '2026-12-01 09:00:00')"
)


def at_0012_with_agents(tmp_path: Path) -> str:
    """A database at 0012 with two agents, their memberships, skills and a token."""
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url, "0012")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(USER), {"id": 1, "u": "ada", "i": "PJSIP/1001", "s": '["lang:DE=2", "billing"]'}
        )
        connection.execute(text(USER), {"id": 2, "u": "bob", "i": "PJSIP/1002", "s": "[]"})
        connection.execute(
            text(
                "INSERT INTO queue_memberships (user_id, queue, penalty) VALUES"
                " (1, 'support', 0), (1, 'billing', 2), (2, 'support', 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at)"
                " VALUES (1, 'h', '', '2026-12-01 09:00:00')"
            )
        )
    engine.dispose()
    return url


def test_upgrade_keeps_memberships_and_moves_skills(tmp_path: Path) -> None:
    url = at_0012_with_agents(tmp_path)
    upgrade(url, "0013")
    engine = make_engine(url)
    with engine.connect() as connection:
        skills = connection.execute(
            text("SELECT user_id, skill, level FROM agent_skills ORDER BY user_id, skill")
        ).all()
        memberships = connection.execute(
            text("SELECT user_id, queue, penalty FROM queue_memberships ORDER BY user_id, queue")
        ).all()
        tokens = connection.execute(text("SELECT COUNT(*) FROM api_tokens")).scalar()
    columns = {c["name"] for c in inspect(engine).get_columns("users")}
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert [tuple(row) for row in skills] == [(1, "billing", 1), (1, "lang:de", 2)]
    assert [tuple(row) for row in memberships] == [
        (1, "billing", 2), (1, "support", 0), (2, "support", 1),
    ]  # fmt: skip
    assert tokens == 1  # the users table was not copied over: nothing cascaded
    assert "skills" not in columns
    assert {"queues", "queue_numbers", "agent_skills"} <= tables


def test_downgrade_puts_the_skills_back_on_the_users(tmp_path: Path) -> None:
    url = at_0012_with_agents(tmp_path)
    upgrade(url, "0013")
    command.downgrade(alembic_config(url), "0012")
    engine = make_engine(url)
    with engine.connect() as connection:
        skills = connection.execute(text("SELECT skills FROM users ORDER BY id")).scalars().all()
        memberships = connection.execute(text("SELECT COUNT(*) FROM queue_memberships")).scalar()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert skills == ['["billing", "lang:de=2"]', "[]"]
    assert memberships == 3
    assert not {"queues", "queue_numbers", "agent_skills"} & tables


def test_a_skill_that_reads_as_none_stops_the_upgrade_named(tmp_path: Path) -> None:
    url = at_0012_with_agents(tmp_path)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET skills = '[\"lang de\"]' WHERE id = 2"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="user 2: 'lang de'"):
        upgrade(url, "0013")
