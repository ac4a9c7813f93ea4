"""A floor of real processes for the several-process tests: the simulated PBX (in the test's
loop), `callcenter cti run` and two `callcenter serve` web workers sharing one Redis and one
database, and websocket clients for the agent's console and the supervisors' wallboards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.service import list_calls
from callcenter.db import transaction
from callcenter.users import service as users_service
from callcenter.users.auth import SESSION_COOKIE, SessionSigner
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import running_pbx
from tests.sim.test_cti_run_process import free_port, poll

ROOT = Path(__file__).resolve().parents[2]
SECRET = "several-processes-test-key-of-32-chars"
SERVER = "simpbx"
AGENT_PHONE = "PJSIP/1001"

# support: agent1 (PJSIP/1001, at the console), answering after 1 s, talking 2 s.
FLOOR = f"""
seed = 3
server = "{SERVER}"

[[queue]]
name = "support"
arrival_rate_per_hour = 1
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
member_timeout_s = 8
retry_s = 1
talk = {{ distribution = "deterministic", mean_s = 2 }}
patience = {{ distribution = "deterministic", mean_s = 600 }}

[[agent]]
name = "agent1"
interface = "{AGENT_PHONE}"
queues = ["support"]
ring = {{ distribution = "deterministic", mean_s = 1 }}
"""


def seed_people(sessions: sessionmaker[Session]) -> dict[str, int]:
    """agent1 at PJSIP/1001 in support, and a supervisor; their user ids."""
    with transaction(sessions) as session:
        agent = users_service.create_user(
            session,
            "agent1",
            role=users_service.Role.AGENT,
            password="agent1-password-long-enough",
            interface=AGENT_PHONE,
            member_name="agent1",
            queues=[("support", 0)],
        )
        boss = users_service.create_user(
            session, "sue", role=users_service.Role.SUPERVISOR, password="sue-password-long-enough"
        )
        return {"agent1": agent.id, "sue": boss.id}


def cookie_of(user_id: int) -> str:
    return f"{SESSION_COOKIE}={SessionSigner(SECRET).issue(user_id)[0]}"


@dataclass
class Floor:
    """The running processes and the PBX."""

    pbx: SimulatedPbx
    redis_url: str
    database_url: str
    logs: Path
    web_ports: list[int]
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    callers: int = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
        env.update(
            PYTHONPATH=str(ROOT),
            CALLCENTER_BUS_URL=self.redis_url,
            CALLCENTER_DATABASE_URL=self.database_url,
            CALLCENTER_SECRET_KEY=SECRET,
            CALLCENTER_PBX_NAME=SERVER,
            CALLCENTER_CONSOLE_WRAP_UP_DEFAULT_S="0",
            CALLCENTER_SLA_CHECK_INTERVAL_S="3600",
        )
        return env

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    async def start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        with self.log(name).open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "callcenter", *args,
                stdout=out, stderr=out, env=self.env(), cwd=ROOT,
            )  # fmt: skip
        self.processes[name] = process
        return process

    async def start_adapter(self, name: str = "cti") -> None:
        url = f"ami://crm:crmsecret@127.0.0.1:{self.pbx.port}"
        await self.start(name, "cti", "run", "--ami", url, "--server", SERVER)

    async def until_active(self, name: str = "cti", timeout: float = 60) -> None:
        await poll(lambda: "active for PBX" in self.log(name).read_text(), timeout)

    async def start_web(self, number: int) -> None:
        port = self.web_ports[number]
        await self.start(f"web{number}", "serve", "--port", str(port))
        await poll(lambda: _answers(port), 60)

    def call_in(self, number: str, name: str) -> None:
        self.callers += 1
        channel = f"Local/{number}@customer/n"
        self.pbx.originate(channel, "support", "queues", f'"{name}" <{number}>', None)

    async def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.returncode is not None:
            return
        process.send_signal(sig)
        try:
            async with asyncio.timeout(30):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()

    def stored(self, sessions: sessionmaker[Session]) -> set[str]:
        with sessions() as session:
            return {call.linkedid for call in list_calls(session, server=SERVER)}


def _answers(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


@contextlib.asynccontextmanager
async def floor_of_processes(
    redis_url: str, database_url: str, logs: Path, *, speed: float = 4.0
) -> AsyncIterator[Floor]:
    """The simulated PBX, the active adapter and two web workers, all up; stopped after."""
    async with running_pbx(FLOOR, speed=speed) as pbx:
        floor = Floor(pbx, redis_url, database_url, logs, [free_port(), free_port()])
        try:
            await floor.start_adapter()
            await floor.until_active()
            await asyncio.gather(floor.start_web(0), floor.start_web(1))
            yield floor
        finally:
            for name in list(floor.processes):
                await floor.stop(name)


@dataclass
class ConsoleTab:
    """One console websocket: every frame it got, in order."""

    socket: Any
    hello: dict[str, Any]
    frames: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, user_id: int, since: int | None = None) -> ConsoleTab:
        url = f"ws://127.0.0.1:{port}/ws/console"
        if since is not None:
            url += f"?since={since}"
        socket = await websockets.connect(url, additional_headers={"Cookie": cookie_of(user_id)})
        hello = json.loads(await socket.recv())
        tab = cls(socket, hello)
        tab.reader = asyncio.create_task(tab._read())
        return tab

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in self.socket:
                frame = json.loads(text)
                if frame.get("seq"):
                    self.frames.append(frame)
                    await self.socket.send(json.dumps({"ack": frame["seq"]}))

    def pops(self) -> list[str]:
        return [f["call"]["linkedid"] for f in self.frames if f.get("type") == "pop"]

    def last_seq(self) -> int:
        return self.frames[-1]["seq"] if self.frames else int(self.hello["seq"])

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await self.reader


@dataclass
class Wallboard:
    """A supervisor's wallboard websocket: the latest snapshot it was sent."""

    socket: Any
    latest: dict[str, Any] | None = None
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, user_id: int) -> Wallboard:
        url = f"ws://127.0.0.1:{port}/ws/wallboard"
        socket = await websockets.connect(url, additional_headers={"Cookie": cookie_of(user_id)})
        board = cls(socket)
        board.reader = asyncio.create_task(board._read())
        return board

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in self.socket:
                self.latest = json.loads(text)

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await self.reader


# What each process computes for itself: figures of its own clock at the moment it sends,
# and its board's change counter.
LOCAL_CLOCK_FIELDS = {"at", "in_state_s", "longest_wait_s", "version", "pushes"}


def comparable(value: Any) -> Any:
    """A wallboard snapshot without the figures of the sender's clock."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in LOCAL_CLOCK_FIELDS}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


async def until(check: Callable[[], bool], timeout: float = 30) -> None:
    await poll(check, timeout)
