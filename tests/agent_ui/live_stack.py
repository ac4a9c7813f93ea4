"""The whole product on real sockets, in a background thread: simulated PBX + web app + CTI.

Callers are sent in by the test (AMI Originate into `queues,<queue>`, as the captures were
made), so nothing rings until the test says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.cti import actions
from callcenter.cti.connection import AmiConnection
from callcenter.settings import AmiTarget, Settings
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario

# One queue and one person at a console (agent1, PJSIP/1001), who answers what rings.
ONE_AGENT = """
seed = 3
server = "sim"

[[queue]]
name = "support"
arrival_rate_per_hour = 1
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
member_timeout_s = 15
retry_s = 1
talk = { distribution = "deterministic", mean_s = 30 }

[[queue]]
name = "billing"
arrival_rate_per_hour = 1
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
talk = { distribution = "deterministic", mean_s = 30 }

[[agent]]
name = "agent1"
interface = "PJSIP/1001"
human = true
queues = ["support"]
max_talk_s = 900

[[agent]]
name = "billing-bot"
interface = "PJSIP/1101"
queues = ["billing"]
ring = { distribution = "deterministic", mean_s = 1 }
"""


def bound_socket() -> socket.socket:
    """A TCP socket bound to a port of 127.0.0.1 the kernel picked (port 0, read back).

    The port stays ours while the socket is open: hand the socket itself to the server
    (`uvicorn.Server.serve(sockets=...)`), never its number to be bound again later, when
    another process may have taken it. The caller closes it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
    except BaseException:
        sock.close()
        raise
    return sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


@dataclass
class WebApp:
    """The app served by uvicorn on a socket the stack holds, in the stack's loop."""

    listening: socket.socket
    server: uvicorn.Server
    serving: asyncio.Task[None]

    @property
    def port(self) -> int:
        return port_of(self.listening)

    @classmethod
    async def start(cls, settings: Settings, listening: socket.socket) -> WebApp:
        """Serve on `listening` (kept open by its owner): uvicorn gets a duplicate to close,
        so a restarted app serves on the same socket with no moment where the port is free."""
        config = uvicorn.Config(create_app(settings), log_level="warning")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[listening.dup()]))
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        return cls(listening, server, serving)

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.serving


@dataclass
class LiveStack:
    """A running simulated PBX and web app; `call_in` sends a caller to a queue."""

    settings: Settings
    base_url: str
    loop: asyncio.AbstractEventLoop
    pbx: SimulatedPbx
    ami: AmiConnection
    web: WebApp
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the stack's loop from the test's thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def restart_app(self) -> None:
        """Stop the web app (and its PBX link) and start a new one on the same port, as an
        operator restarting `serve` would; the PBX runs on, calls and pauses included."""

        async def restart() -> None:
            await self.web.stop()
            self.web = await WebApp.start(self.settings, self.web.listening)

        self.run(restart())

    def call_in(self, number: str, name: str, queue: str = "support") -> None:
        """A caller dials in and joins `queue`."""
        self.run(
            actions.originate(
                self.ami,
                interface=f"Local/{number}@customer/n",
                number=queue,
                context="queues",
                caller_id=f'"{name}" <{number}>',
            )
        )


@contextlib.contextmanager
def live_stack(
    database_url: str,
    sessions: sessionmaker[Session],
    speed: float = 1.0,
    *,
    humans_logged_out: bool = False,
    local_channels: bool = False,
    scenario: str = ONE_AGENT,
) -> Iterator[LiveStack]:
    """Start everything in a thread; stop it all afterwards.

    With `humans_logged_out`, agent1 (human) starts outside the queues, as in the demo: only
    the console's queue sign-in (QueueAdd) puts them where calls ring. With
    `local_channels`, every party is a Local channel pair as on the capture PBX (agent1's
    interface is then `Local/1001@agents/n`). `scenario`: the PBX's floor (ONE_AGENT's queues
    and people, or a variant of it).
    """
    del sessions  # the caller seeds the database before starting the stack
    ready: Future[LiveStack] = Future()
    listening = bound_socket()
    web_port = port_of(listening)

    async def main() -> None:
        floor = parse_scenario(scenario, source="live_stack.toml")
        options = PbxOptions(
            speed=speed,
            auto_arrivals=False,
            hold_share=0,
            humans_logged_out=humans_logged_out,
            local_channels=local_channels,
        )
        pbx = SimulatedPbx(floor, options)
        await pbx.start("127.0.0.1", 0)
        settings = Settings(
            database_url=database_url,
            ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            pbx_name="sim",
            secret_key="live-stack-secret-of-at-least-32-chars",
            sla_check_interval_s=3600,
        )
        web = await WebApp.start(settings, listening)
        ami = AmiConnection(
            AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
        )
        await ami.start()
        stack = LiveStack(
            settings, f"http://127.0.0.1:{web_port}", asyncio.get_running_loop(), pbx, ami, web
        )
        ready.set_result(stack)
        await stack.stopped.wait()
        await ami.aclose()
        await stack.web.stop()
        await pbx.close()

    def thread_main() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    with listening:
        thread = threading.Thread(target=thread_main, name="live-stack", daemon=True)
        thread.start()
        stack = ready.result(timeout=30)
        try:
            yield stack
        finally:
            stack.loop.call_soon_threadsafe(stack.stopped.set)
            thread.join(timeout=30)
