"""`serve`, `cti run` and `ami replay` store calls and write customer history alike."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.calls.service import list_calls
from callcenter.campaigns.models import Lead
from callcenter.cli import main
from callcenter.settings import Settings
from crm.interactions.models import Interaction
from tests.conftest import FIXTURES
from tests.crm.conftest import add_customer
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import split_capture

ABANDON = FIXTURES / "ami" / "abandon" / "ami.raw"
# Dan gave up after 8 s in the queue (a callback is owed); Cara was answered.
DAN, CARA = "555-123-0004", "555-123-0003"


def seed(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session, session.begin():
        return {
            "dan": add_customer(session, "Dan Customer", DAN).id,
            "cara": add_customer(session, "Cara Customer", CARA).id,
        }


def history(sessions: sessionmaker[Session]) -> tuple[set[tuple[object, ...]], set[object]]:
    """(callbacks, interactions) as (customer, number, status, origin) and (customer, answered)."""
    with sessions() as session:
        callbacks = {
            (c.customer_id, c.number, c.state, c.origin, c.linkedid)
            for c in session.scalars(select(Lead))
        }
        interactions = {(i.customer_id, i.answered) for i in session.scalars(select(Interaction))}
    return callbacks, interactions


def expected(customers: dict[str, int]) -> tuple[set[tuple[object, ...]], set[object]]:
    dan, cara = customers["dan"], customers["cara"]
    return (
        {(dan, "+15551230004", "open", "abandoned", "1795441202.4")},
        {(dan, False), (cara, True)},
    )


async def poll(check: Callable[[], bool]) -> None:
    """Until `check()` holds (the writers work in their own time)."""
    async with asyncio.timeout(30):
        while not check():
            await asyncio.sleep(0.05)


def calls_stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(list_calls(session))


def test_ami_replay_writes_interactions_and_callbacks(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    customers = seed(sessions)
    assert main(["ami", "replay", str(ABANDON), "--database", database_url]) == 0
    assert calls_stored(sessions) == 2
    assert history(sessions) == expected(customers)


async def test_cti_run_writes_interactions_and_callbacks(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    customers = seed(sessions)
    _, body = split_capture(ABANDON.read_bytes())
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLCENTER_")}
    async with AmiServer(rng=random.Random(5), max_chunk=512) as pbx:
        process = await asyncio.create_subprocess_exec(
            Path(sys.executable).with_name("callcenter"),
            *("cti", "run", "--ami", pbx.url, "--database", database_url, "--server", "pbx"),
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        await pbx.wait_for(lambda: pbx.count("CoreShowChannels") == 1, timeout=30)
        await pbx.stream(body)
        await poll(lambda: history(sessions) == expected(customers))
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            _, error = await process.communicate()
    assert process.returncode == 0, error.decode()
    assert calls_stored(sessions) == 2
    assert history(sessions) == expected(customers)


async def test_serve_writes_interactions_and_callbacks(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    customers = seed(sessions)
    _, body = split_capture(ABANDON.read_bytes())
    async with AmiServer(rng=random.Random(5), max_chunk=512) as pbx:
        settings = Settings(database_url=database_url, ami_url=pbx.url, pbx_name="pbx")
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await pbx.wait_for(lambda: pbx.count("CoreShowChannels") == 1, timeout=30)
            await pbx.stream(body)
            await poll(lambda: calls_stored(sessions) == 2)
            await poll(lambda: history(sessions) == expected(customers))
    assert history(sessions) == expected(customers)


@pytest.fixture(autouse=True)
def _no_environment_pbx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLCENTER_AMI_URL", raising=False)
