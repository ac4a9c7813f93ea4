"""The web app on a migrated database, driven through httpx in-process, as a signed-in agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from callcenter.app import create_app
from callcenter.db import make_engine, make_sessionmaker, transaction
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user, issue_token


@pytest.fixture(scope="session")
def api_template(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """The migrated database plus the agent `alice` and her bearer token, built once
    (password hashing is deliberately slow)."""
    path = tmp_path_factory.mktemp("api-template") / "api.db"
    path.write_bytes(migrated_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    with transaction(make_sessionmaker(engine)) as session:
        alice = create_user(session, "alice", role=Role.AGENT, password="not-used-here")
        token = issue_token(session, alice, "tests")
    engine.dispose()
    return path, token


@pytest.fixture
def database_url(tmp_path: Path, api_template: tuple[Path, str]) -> str:
    target = tmp_path / "callcenter.db"
    target.write_bytes(api_template[0].read_bytes())
    return f"sqlite:///{target}"


@pytest.fixture
def token(api_template: tuple[Path, str]) -> str:
    """A bearer token of the agent `alice`, who acts in these tests."""
    return api_template[1]


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The SLA sweep runs on its own clock in production; tests call it directly.
    return Settings(database_url=database_url, default_region="US", sla_check_interval_s=3600)


@pytest.fixture
async def client(settings: Settings, token: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield client
