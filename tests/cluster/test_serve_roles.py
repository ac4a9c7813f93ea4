"""`serve` with several processes: no scheduler, no record or history writer (the active
`cti run` and `callcenter worker` do that), and no PBX of its own."""

from __future__ import annotations

import asyncio

import pytest

from callcenter import app as app_module
from callcenter.app import create_app
from callcenter.cli import main
from callcenter.settings import Settings
from tests.redis_server import free_port


def running_tasks() -> set[str]:
    return {task.get_name() for task in asyncio.all_tasks()}


async def test_serve_with_a_bus_runs_no_scheduler_and_no_history_writer(
    database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_scheduler(*args: object) -> None:
        raise AssertionError("the scheduler is `callcenter worker`'s")

    monkeypatch.delenv("CALLCENTER_AMI_URL", raising=False)
    monkeypatch.setattr(app_module, "start_scheduler", no_scheduler)
    app = create_app(Settings(database_url=database_url, bus_url=redis_url))
    async with app.router.lifespan_context(app):
        assert "crm-history" not in running_tasks()
        assert "flusher" not in running_tasks()


async def test_serve_alone_still_writes_the_history(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLCENTER_AMI_URL", raising=False)
    app = create_app(Settings(database_url=database_url))
    async with app.router.lifespan_context(app):
        assert "crm-history" in running_tasks()


def test_serve_refuses_a_pbx_with_a_bus_in_one_sentence(
    database_url: str,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CALLCENTER_AMI_URL", "ami://crm:secret@127.0.0.1:5038")
    monkeypatch.setenv("CALLCENTER_BUS_URL", redis_url)
    code = main(["serve", "--port", str(free_port()), "--database", database_url])
    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1
    assert "CALLCENTER_AMI_URL cannot be used with CALLCENTER_BUS_URL" in error
    assert "callcenter cti run" in error
