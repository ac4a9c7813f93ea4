"""The schema is built by the migrations and matches the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

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
