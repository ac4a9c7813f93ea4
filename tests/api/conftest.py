"""The web app on a migrated database, driven through httpx in-process, as a signed-in agent
(`client`) or an admin (`admin_client`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from callcenter.app import create_app
from callcenter.db import make_engine, make_sessionmaker, transaction
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user, issue_token


@pytest.fixture(scope="session")
def api_template(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, str]:
    """The migrated database plus the agent `alice`, the admin `root` and their bearer
    tokens, built once (password hashing is deliberately slow)."""
    path = tmp_path_factory.mktemp("api-template") / "api.db"
    path.write_bytes(migrated_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    with transaction(make_sessionmaker(engine)) as session:
        alice = create_user(session, "alice", role=Role.AGENT, password="not-used-here")
        token = issue_token(session, alice, "tests")
        root = create_user(session, "root", role=Role.ADMIN, password="not-used-here")
        admin_token = issue_token(session, root, "tests")
    engine.dispose()
    return path, token, admin_token


@pytest.fixture
def database_url(tmp_path: Path, api_template: tuple[Path, str, str]) -> str:
    target = tmp_path / "callcenter.db"
    target.write_bytes(api_template[0].read_bytes())
    return f"sqlite:///{target}"


@pytest.fixture
def token(api_template: tuple[Path, str, str]) -> str:
    """A bearer token of the agent `alice`, who acts in most of these tests."""
    return api_template[1]


@pytest.fixture
def admin_token(api_template: tuple[Path, str, str]) -> str:
    """A bearer token of the admin `root`, for what agents may not do."""
    return api_template[2]


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The SLA sweep runs on its own clock in production; tests call it directly.
    return Settings(database_url=database_url, default_region="US", sla_check_interval_s=3600)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The web app, running (its lifespan entered) for the test."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def _client(app: FastAPI, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://crm.test",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def client(app: FastAPI, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app, acting as the agent `alice`."""
    async with _client(app, token) as client:
        yield client


@pytest.fixture
async def admin_client(app: FastAPI, admin_token: str) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, acting as the admin `root`."""
    async with _client(app, admin_token) as client:
        yield client
