"""`callcenter serve` over real TCP, and ended calls reaching the CRM inside the running app."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.calls.records import CallOutcome, CallRecord, Direction
from callcenter.cli import main
from callcenter.events import CallEnded
from callcenter.settings import Settings
from crm.interactions.models import Interaction


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_on_its_port_and_stops_cleanly(database_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    command = [sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--database", database_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        health = None
        for _ in range(600):  # up to a minute on a busy machine
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.json()["status"] == "ok"
        docs = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/api/lookup" in docs["paths"]
    finally:
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=30)
    assert server.returncode == 0, log.decode(errors="replace")


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_serve_refuses_a_bad_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", port])
    assert stopped.value.code == 2
    assert "port" in capsys.readouterr().err


async def test_a_call_ending_in_the_running_app_becomes_history(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    app: FastAPI = create_app(settings)
    started = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    record = CallRecord(
        server="pbx",
        linkedid="1.1",
        direction=Direction.INBOUND,
        started_at=started,
        ended_at=started + timedelta(minutes=2),
        answered_at=started + timedelta(seconds=10),
        outcome=CallOutcome.ANSWERED,
        caller_number="+15551230001",
    )
    async with app.router.lifespan_context(app):
        app.state.callcenter.bus.publish(CallEnded(at=record.ended_at, server="pbx", record=record))
        # The subscriber writes off the event loop; wait for it rather than for a fixed time.
        for _ in range(200):
            with sessions() as session:
                if session.scalar(select(Interaction.linkedid)) == "1.1":
                    break
            await asyncio.sleep(0.05)
    with sessions() as session:
        assert session.scalars(select(Interaction.number)).all() == ["+15551230001"]


def test_a_client_cannot_choose_its_address_with_x_forwarded_for(database_url: str) -> None:
    """Five failed sign-ins for one name from one address, each claiming another address:
    the sixth is still slowed, as the forwarded header comes from no trusted proxy."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    command = [sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--database", database_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        statuses = []
        with httpx.Client(base_url=base, timeout=10) as client:
            for attempt in range(6):
                client.get("/signin")
                statuses.append(
                    client.post(
                        "/signin",
                        data={
                            "username": "root",
                            "password": "wrong",
                            "csrf_token": client.cookies.get("callcenter_signin") or "",
                        },
                        headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
                    ).status_code
                )
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert statuses == [401] * 5 + [429]
