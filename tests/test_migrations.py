"""The schema is built by the migrations and matches the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from callcenter.db import alembic_config, make_engine, upgrade


def test_migrations_match_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'check.db'}"
    upgrade(url)
    command.check(alembic_config(url))  # raises when models and migrations disagree


def test_upgrade_creates_tables_and_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'cc.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    assert {"calls", "queue_visits", "agent_state_intervals"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    upgrade(url)


def test_upgrade_to_unique_member_names_names_the_shared_ones(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url, "0005")
    engine = make_engine(url)
    with engine.begin() as connection:
        for username in ("asmith", "asmith2"):
            connection.execute(
                text(
                    "INSERT INTO users (username, display_name, role, password_hash, active,"
                    " member_name, skills, created_at) VALUES (:u, 'Alice Smith', 'agent', 'x',"
                    " 1, 'Alice Smith', '[]', '2026-03-02 09:00:00')"
                ),
                {"u": username},
            )
    engine.dispose()
    with pytest.raises(RuntimeError, match="'Alice Smith'"):
        upgrade(url)


def test_rebuilding_the_users_table_keeps_what_points_at_it(tmp_path: Path) -> None:
    """0006 and 0008 rebuild `users` on SQLite (copy, drop, rename): with foreign keys
    enforced, dropping the old table would cascade into tokens and memberships."""
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url, "0005")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, password_hash, active,"
                " member_name, skills, created_at) VALUES (7, 'ann', 'Ann', 'agent', 'x', 1,"
                " 'Ann', '[]', '2026-03-02 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at)"
                " VALUES (7, 'h', 'wallboard', '2026-03-02 09:00:00')"
            )
        )
        connection.execute(
            text("INSERT INTO queue_memberships (user_id, queue, penalty) VALUES (7, 'support', 1)")
        )
    engine.dispose()
    upgrade(url)
    command.downgrade(alembic_config(url), "0007")  # 0008's downgrade rebuilds it again
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        tokens = connection.execute(text("SELECT user_id, label FROM api_tokens")).all()
        queues = connection.execute(text("SELECT user_id, queue FROM queue_memberships")).all()
    engine.dispose()
    assert [tuple(row) for row in tokens] == [(7, "wallboard")]
    assert [tuple(row) for row in queues] == [(7, "support")]
