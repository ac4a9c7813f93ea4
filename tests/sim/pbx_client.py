"""A raw AMI test client (real TCP) and a scripted scenario for the simulated PBX's tests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario

# support (Alice, Bob: answer after 2 s, 5 s talks) and sales (Ivan); callers are sent in by
# the test (AMI Originate into `queues,support`, as the captures were made), never at random.
SCRIPTED = """
seed = 1
server = "simpbx"

[[queue]]
name = "support"
arrival_rate_per_hour = 1
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
member_timeout_s = 8
retry_s = 1
talk = { distribution = "deterministic", mean_s = 5 }
{patience}

[[queue]]
name = "sales"
arrival_rate_per_hour = 1
service_level_s = 30
short_abandon_s = 0
wrap_up_s = 0
member_timeout_s = 10
retry_s = 2
talk = { distribution = "deterministic", mean_s = 12 }

[[agent]]
name = "Alice"
interface = "PJSIP/1001"
queues = ["support"]
ring = { distribution = "deterministic", mean_s = 2 }
ring_no_answer_probability = {alice_rna}

[[agent]]
name = "Bob"
interface = "PJSIP/1002"
queues = ["support"]
human = {bob_human}
ring = { distribution = "deterministic", mean_s = 2 }

[[agent]]
name = "Ivan"
interface = "PJSIP/2001"
queues = ["sales"]
ring = { distribution = "deterministic", mean_s = 2 }
"""


def scripted_scenario(
    *, patience_s: float | None = None, alice_rna: float = 0.0, bob_human: bool = False
) -> str:
    """The scripted scenario's TOML with a few knobs."""
    patience = (
        f'patience = {{ distribution = "deterministic", mean_s = {patience_s} }}'
        if patience_s is not None
        else ""
    )
    return (
        SCRIPTED.replace("{patience}", patience)
        .replace("{alice_rna}", str(alice_rna))
        .replace("{bob_human}", "true" if bob_human else "false")
    )


@dataclass
class Message:
    """One AMI message received: headers in order, and a case-sensitive lookup."""

    headers: list[tuple[str, str]]

    def get(self, key: str, default: str | None = None) -> str | None:
        for name, value in self.headers:
            if name == key:
                return value
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    @property
    def event(self) -> str | None:
        return self.get("Event")


@dataclass
class AmiTestClient:
    """Talks AMI over a real socket; remembers everything received."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    banner: bytes = b""
    messages: list[Message] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, port: int) -> AmiTestClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        client.banner = await reader.readline()
        client._task = asyncio.create_task(client._read())
        return client

    async def _read(self) -> None:
        buffer = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                block, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = block.decode("utf-8").split("\r\n")
                headers = [tuple(line.split(": ", 1)) for line in lines if ": " in line]
                self.messages.append(Message(headers))  # type: ignore[arg-type]
                self._arrived.set()

    def send(self, action: str, *headers: tuple[str, str]) -> str:
        """Send an action; returns its ActionID."""
        action_id = f"t-{next(self._ids)}"
        lines = [("Action", action), ("ActionID", action_id), *headers]
        self.writer.write(("".join(f"{k}: {v}\r\n" for k, v in lines) + "\r\n").encode())
        return action_id

    async def wait_for(self, match: Callable[[Message], bool], timeout: float = 20.0) -> Message:
        """The first message (already received or to come) that matches."""

        async def scan() -> Message:
            seen = 0
            while True:
                for message in self.messages[seen:]:
                    if match(message):
                        return message
                seen = len(self.messages)
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def response(self, action_id: str) -> Message:
        """The reply to an action."""
        return await self.wait_for(
            lambda m: m.get("Response") is not None and m.get("ActionID") == action_id
        )

    async def event(self, name: str, **fields: str) -> Message:
        """The first event called `name` whose headers include `fields`."""
        return await self.wait_for(
            lambda m: m.event == name and all(m.get(k) == v for k, v in fields.items())
        )

    async def login(self, username: str = "crm", secret: str = "crmsecret") -> Message:
        action_id = self.send("Login", ("Username", username), ("Secret", secret))
        return await self.response(action_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.writer.close()
        with suppress(ConnectionError, asyncio.CancelledError):
            await self.writer.wait_closed()

    def events(self, *names: str) -> list[Message]:
        """Events received so far, optionally only those called one of `names`."""
        return [m for m in self.messages if m.event and (not names or m.event in names)]


@asynccontextmanager
async def running_pbx(
    scenario_text: str | None = None,
    *,
    speed: float = 50.0,
    local_channels: bool = False,
    timestamps: bool = True,
    auto_arrivals: bool = False,
    hold_share: float = 0.0,
    humans_logged_out: bool = False,
    agi_url: str | None = None,
) -> AsyncIterator[SimulatedPbx]:
    """A simulated PBX on a free port of 127.0.0.1, closed afterwards."""
    scenario = parse_scenario(scenario_text or scripted_scenario(), source="scripted.toml")
    options = PbxOptions(
        speed=speed,
        local_channels=local_channels,
        timestamps=timestamps,
        auto_arrivals=auto_arrivals,
        hold_share=hold_share,
        humans_logged_out=humans_logged_out,
        agi_url=agi_url,
    )
    pbx = SimulatedPbx(scenario, options)
    await pbx.start("127.0.0.1", 0)
    try:
        yield pbx
    finally:
        await pbx.close()


@asynccontextmanager
async def logged_in(pbx: SimulatedPbx) -> AsyncIterator[AmiTestClient]:
    """A client connected and logged in to `pbx`."""
    client = await AmiTestClient.connect(pbx.port)
    try:
        reply = await client.login()
        assert reply["Response"] == "Success"
        yield client
    finally:
        await client.close()


def send_caller(client: AmiTestClient, number: str, name: str, queue: str = "support") -> str:
    """Send a caller into a queue the way the captures did (Originate into `queues`)."""
    return client.send(
        "Originate",
        ("Channel", f"Local/{number}@customer/n"),
        ("Context", "queues"),
        ("Exten", queue),
        ("Priority", "1"),
        ("CallerID", f'"{name}" <{number}>'),
        ("Async", "true"),
    )


def dial_did(client: AmiTestClient, number: str, name: str, did: str) -> str:
    """Send a caller to a DID from the trunk (routed by the FastAGI server, if any)."""
    return client.send(
        "Originate",
        ("Channel", f"PJSIP/{number}@trunk"),
        ("Context", "from-trunk"),
        ("Exten", did),
        ("Priority", "1"),
        ("CallerID", f'"{name}" <{number}>'),
        ("Async", "true"),
    )
