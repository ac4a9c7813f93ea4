"""The routing server as deployed: `callcenter agi serve` (alone, or following the simulated
PBX for live agent state) and inside `callcenter serve` with CALLCENTER_AGI_LISTEN."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.agi_cli import routing_server
from callcenter.app import create_app
from callcenter.calls.records import AgentState
from callcenter.cli import main
from callcenter.events import AgentStateChanged, CallRouted
from callcenter.queues.models import QueueNumber, ServiceQueue
from callcenter.queues.routing.store import decision_for_call
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user
from tests.agi.agi_client import converse, request_for
from tests.crm.conftest import add_customer
from tests.sim.pbx_client import running_pbx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(sessions: sessionmaker[Session], preferred: str) -> int:
    """Queue support on +4930100, agent `preferred` on PJSIP/1001 in it, Ann who prefers them."""
    with sessions.begin() as session:
        session.add(
            ServiceQueue(
                name="support", display_name="Support", numbers=[QueueNumber(number="+4930100")]
            )
        )
        create_user(
            session, preferred, role=Role.AGENT, password="correct horse battery",
            interface="PJSIP/1001", member_name="Alice", queues=[("support", 0)],
        )  # fmt: skip
        return add_customer(session, "Ann", "+1 555 123 0001", preferred_agent=preferred).id


def variables(commands: list[str]) -> dict[str, str]:
    return {c.split()[2]: c.split(" ", 3)[3].strip('"') for c in commands}


def test_agi_serve_alone_answers_and_says_preferred_members_are_off(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    seed(sessions, "alice")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "agi", "serve", "--port", str(port),
         "--database", database_url],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        answer: list[str] = []
        for _ in range(600):  # up to a minute on a busy machine
            try:
                answer = asyncio.run(converse(port, request_for("+15551230001", "4930100")))
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=30)
    assert server.returncode == 0, log.decode(errors="replace")
    shown = variables(answer)
    assert (shown["QUEUE"], shown["ROUTE_REASON"], shown["PREFERRED_MEMBER"]) == (
        "support", "known", "",
    )  # fmt: skip
    assert "preferred members are off" in log.decode()
    with sessions() as session:
        stored = decision_for_call(session, "1764669600.42")
    assert stored is not None and stored.queue == "support"


async def test_agi_serve_follows_the_pbx_for_the_preferred_member(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    ann = seed(sessions, "alice")
    async with running_pbx() as pbx:
        settings = Settings(
            database_url=database_url, ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            pbx_name="simpbx", default_region="US",
        )  # fmt: skip
        async with routing_server("127.0.0.1", 0, sessions, settings) as server:
            shown: dict[str, str] = {}
            for attempt in range(100):  # until the resync has reported Alice
                question = request_for("+15551230001", "+4930100", f"1.{attempt}")
                shown = variables(await converse(server.port, question))
                if shown["PREFERRED_MEMBER"]:
                    break
                await asyncio.sleep(0.1)
    assert shown["PREFERRED_MEMBER"] == "PJSIP/1001"
    assert (shown["ROUTE_REASON"], shown["CUSTOMER_ID"], shown["PREFERRED_EXTENSION"]) == (
        "preferred_agent", str(ann), "1001",
    )  # fmt: skip


async def test_serve_runs_the_routing_server_on_the_apps_presence(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    seed(sessions, "alice")
    port = free_port()
    settings = Settings(
        database_url=database_url, agi_listen=f"127.0.0.1:{port}", default_region="US",
        sla_check_interval_s=3600,
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = app.state.callcenter
        routed: list[CallRouted] = []
        state.bus.subscribe(CallRouted, routed.append)
        state.bus.publish(AgentStateChanged(
            at=datetime.now(UTC),
            server="pbx", agent="Alice", interface="PJSIP/1001", state=AgentState.AVAILABLE,
            reason=None, queue="support", queues=("support",),
        ))  # fmt: skip
        shown = variables(await converse(port, request_for("+15551230001", "+4930100")))
        await asyncio.sleep(0.2)
    assert shown["PREFERRED_MEMBER"] == "PJSIP/1001"
    [event] = routed
    assert (event.queue, event.reason, event.preferred_username) == (
        "support", "preferred_agent", "alice",
    )  # fmt: skip
    with sessions() as session:
        stored = decision_for_call(session, "1764669600.42")
    assert stored is not None and stored.preferred_username == "alice"


def test_serve_refuses_a_taken_routing_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("CALLCENTER_AGI_LISTEN", f"127.0.0.1:{port}")
        argv = ["serve", "--port", str(free_port()), "--database", database_url]
        assert main(argv) == 2
    assert (
        f"cannot listen on 127.0.0.1:{port}: the port is already in use" in capsys.readouterr().err
    )


def test_a_bad_routing_address_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALLCENTER_AGI_LISTEN", "4573")
    assert main(["routing", "export"]) == 2
    assert "CALLCENTER_AGI_LISTEN is invalid: '4573' is not host:port" in capsys.readouterr().err
