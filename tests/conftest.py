"""Shared fixtures: a migrated database per test, paths to the capture fixtures."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import make_engine, make_sessionmaker, upgrade
from callcenter.users import service as users_service

# Fixtures shared across test packages, registered once (no test module imports fixtures).
pytest_plugins = ("tests.console_app", "tests.browser_tab", "tests.redis_server")

FIXTURES = Path(__file__).parent / "fixtures"
# A PostgreSQL server the tests may create and drop databases on (a role with CREATEDB, and
# pg_signal_backend so that DROP ... WITH (FORCE) may stop an autovacuum worker), e.g.
# postgresql+psycopg://callcenter_test:callcenter_test@127.0.0.1:5432/postgres (see .ci/run)
POSTGRES_URL_VARIABLE = "CALLCENTER_TEST_POSTGRES_URL"
_pg_database_numbers = itertools.count(1)


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its smallest cost for this test: the same code path, milliseconds instead
    of seconds (undone afterwards, so no later test inherits it)."""
    monkeypatch.setattr(
        users_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built once by `alembic upgrade head`, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    """URL of a fresh, migrated SQLite database for this test."""
    target = tmp_path / "callcenter.db"
    target.write_bytes(migrated_template.read_bytes())
    return f"sqlite:///{target}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


def _postgres_admin(url: str) -> Engine:
    """An engine on the server's maintenance URL; CREATE/DROP DATABASE need autocommit."""
    return make_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database built once by `alembic upgrade head`, the template of each test's."""
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: no PostgreSQL server to test against")
    name = f"callcenter_test_template_{os.getpid()}"
    admin = _postgres_admin(server_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_database_url(pg_template: str) -> Iterator[str]:
    """URL of a fresh, migrated PostgreSQL database for this test (dropped afterwards)."""
    server_url = os.environ[POSTGRES_URL_VARIABLE]
    name = f"callcenter_test_{os.getpid()}_{next(_pg_database_numbers)}"
    admin = _postgres_admin(server_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        # FORCE: an engine a failed test left open must not keep the database alive.
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
