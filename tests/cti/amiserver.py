"""An asyncio AMI server for tests: answers like Asterisk 22 over real TCP on 127.0.0.1.

It greets with the banner, checks Login, answers Ping, Logoff, the resync lists
(QueueStatus, QueueSummary, CoreShowChannels) from the PBX state it derives from the events
it has streamed, and the command actions with the messages real Asterisk sends. Tests stream
capture bytes in random small chunks, drop the connection at any byte, let events happen
while nobody listens (`advance`), and accept the reconnect.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping, Sequence

from callcenter.settings import AmiTarget
from tests.cti.pbxstate import BANNER, PbxState, encode, frames_with_tail

Headers = Sequence[tuple[str, str]]

# What Asterisk 22 answers to each command action it accepted.
ACK_MESSAGES = {
    "Atxfer": "Atxfer successfully queued",
    "BlindTransfer": "Transfer succeeded",
    "Hangup": "Channel Hungup",
    "QueueAdd": "Added interface to queue",
    "QueuePenalty": "Interface penalty set successfully",
    "QueueRemove": "Removed interface from queue",
}


def parse_action(raw: bytes) -> list[tuple[str, str]]:
    """An action's headers in order (repeated keys such as `Variable` kept)."""
    headers = []
    for line in raw.decode().split("\r\n"):
        key, _, value = line.partition(": ")
        headers.append((key, value))
    return headers


def response(action_id: str, message: str, status: str = "Success") -> bytes:
    """A plain answer to an action."""
    return encode([("Response", status), ("ActionID", action_id), ("Message", message)])


Responder = Callable[[Mapping[str, str], list[tuple[str, str]]], list[bytes]]


class AmiServer:
    """The server; one client connection at a time (the adapter holds one)."""

    def __init__(
        self,
        *,
        username: str = "crm",
        secret: str = "crmsecret",
        rng: random.Random | None = None,
        max_chunk: int = 48,
    ) -> None:
        self.username = username
        self.secret = secret
        self.rng = rng or random.Random(0)
        self.max_chunk = max_chunk
        self.state = PbxState()
        self.actions: list[dict[str, str]] = []
        self.raw_actions: list[bytes] = []
        self.connections = 0
        self.logins = 0
        self.silent: set[str] = set()
        self.refuse: dict[str, str] = {}
        self.responders: dict[str, Responder] = {}
        # False: the PBX is still booting (no FullyBooted at login; see `boot`).
        self.booted = True
        # True: a login is followed by SuccessfulAuth stamped with the stream's clock, so
        # the adapter's resync happens at the capture's time, as on the real PBX.
        self.stamp_logins = False
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._write_lock = asyncio.Lock()
        self._changed = asyncio.Condition()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def target(self) -> AmiTarget:
        return AmiTarget(
            host="127.0.0.1", port=self.port, username=self.username, secret=self.secret
        )

    @property
    def url(self) -> str:
        return f"ami://{self.username}:{self.secret}@127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        """Listen on `port` (0: a free one; give the old port to come back after `close`)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)

    async def close(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> AmiServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- what the test drives -------------------------------------------------------------

    async def stream(self, data: bytes, *, batch: int = 65536) -> None:
        """Send capture bytes in random small chunks; whole frames update the PBX state.

        Answers to actions are written between batches of whole frames, never inside one.
        """
        frames = frames_with_tail(data)
        start = 0
        while start < len(frames):
            end, size = start, 0
            while end < len(frames) and (size == 0 or size + len(frames[end]) <= batch):
                size += len(frames[end])
                end += 1
            payload = b"".join(frames[start:end])
            async with self._write_lock:
                writer = self._require_writer()
                position = 0
                while position < len(payload):
                    step = self.rng.randint(1, self.max_chunk)
                    writer.write(payload[position : position + step])
                    position += step
                    await writer.drain()
                    await asyncio.sleep(0)  # let the client read this piece on its own
            for frame in frames[start:end]:
                self.state.apply_raw(frame)
            start = end

    def advance(self, data: bytes) -> None:
        """Events that happen on the PBX while no client listens."""
        self.state.apply_bytes(data)

    async def send(self, frame: bytes) -> None:
        """Write one whole frame at once."""
        async with self._write_lock:
            writer = self._require_writer()
            writer.write(frame)
            await writer.drain()

    async def boot(self, frame: bytes | None = None) -> None:
        """Asterisk finished booting: every module answers now, and the session connected
        meanwhile hears FullyBooted (`frame`, e.g. captured bytes; as after `core restart
        now`)."""
        self.booted = True
        self.refuse.clear()
        if self._writer is not None:
            await self.send(frame or fully_booted())

    def drop(self) -> None:
        """Cut the current connection where the stream is (mid-frame if a frame was half sent).

        The bytes already written still reach the client before the connection ends (a
        close, not a reset), so a test knows exactly what the client saw.
        """
        if self._writer is not None:
            self._writer.transport.close()
            self._writer = None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until `predicate()` holds (it is checked after every action and connection)."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(predicate)

    def count(self, action: str) -> int:
        """How many `action`s were received so far."""
        return sum(1 for a in self.actions if a.get("Action") == action)

    # -- the AMI side -----------------------------------------------------------------------

    def _require_writer(self) -> asyncio.StreamWriter:
        if self._writer is None:
            raise ConnectionError("no client is connected")
        return self._writer

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writer = writer
        logged_in = False
        writer.write(BANNER)
        await self._notify()
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                self.raw_actions.append(raw)
                headers = parse_action(raw[:-4])
                action = dict(headers)
                self.actions.append(action)
                name = action.get("Action", "")
                action_id = action.get("ActionID", "")
                if name == "Login":
                    logged_in = self._login(action)
                    message = "Authentication accepted" if logged_in else "Authentication failed"
                    status = "Success" if logged_in else "Error"
                    await self._answer(writer, [response(action_id, message, status)])
                    if not logged_in:
                        break
                    self.logins += 1
                    await self._answer(writer, self._after_login())
                elif not logged_in:
                    await self._answer(writer, [response(action_id, "Permission denied", "Error")])
                elif name in self.silent:
                    pass
                elif name == "Logoff":
                    await self._answer(
                        writer, [response(action_id, "Thanks for all the fish.", "Goodbye")]
                    )
                    break
                else:
                    await self._answer(writer, self._answers(name, action, headers))
                await self._notify()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if self._writer is writer:
                self._writer = None
            writer.close()
            await self._notify()

    def _after_login(self) -> list[bytes]:
        """What Asterisk sends a session at login: FullyBooted (once it has booted) and,
        with `timestampevents`, SuccessfulAuth stamped with the PBX's clock."""
        frames = [fully_booted()] if self.booted else []
        if self.stamp_logins and self.state.now:
            frames.append(
                encode(
                    [
                        ("Event", "SuccessfulAuth"),
                        ("Privilege", "security,all"),
                        ("Timestamp", f"{self.state.now:.6f}"),
                        ("EventTV", "2026-11-23T13:37:53.000+0000"),
                        ("Service", "AMI"),
                        ("AccountID", self.username),
                    ]
                )
            )
        return frames

    def _login(self, action: Mapping[str, str]) -> bool:
        return action.get("Username") == self.username and action.get("Secret") == self.secret

    def _answers(
        self, name: str, action: Mapping[str, str], headers: list[tuple[str, str]]
    ) -> list[bytes]:
        action_id = action.get("ActionID", "")
        if name in self.refuse:
            return [response(action_id, self.refuse[name], "Error")]
        if name in self.responders:
            return self.responders[name](action, headers)
        if name == "Ping":
            stamp = f"{time.time():.6f}"
            return [
                encode(
                    [
                        ("Response", "Success"),
                        ("ActionID", action_id),
                        ("Ping", "Pong"),
                        ("Timestamp", stamp),
                    ]
                )
            ]
        if name == "QueueStatus":
            return self.state.queue_status(action_id)
        if name == "QueueSummary":
            return self.state.queue_summary(action_id)
        if name == "CoreShowChannels":
            return self.state.core_show_channels(action_id)
        if name == "Originate":
            return [response(action_id, "Originate successfully queued")]
        if name == "QueuePause":
            paused = action.get("Paused", "").lower() in ("true", "yes", "1")
            verb = "paused" if paused else "unpaused"
            return [response(action_id, f"Interface {verb} successfully")]
        if name in ACK_MESSAGES:
            return [response(action_id, ACK_MESSAGES[name])]
        return [
            response(
                action_id,
                f"Invalid/unknown command: {name}. Use Action: ListCommands to show "
                "available commands.",
                "Error",
            )
        ]

    async def _answer(self, writer: asyncio.StreamWriter, frames: list[bytes]) -> None:
        async with self._write_lock:
            for frame in frames:
                writer.write(frame)
            await writer.drain()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def fully_booted() -> bytes:
    return encode(
        [
            ("Event", "FullyBooted"),
            ("Privilege", "system,all"),
            ("Uptime", "1"),
            ("LastReload", "1"),
            ("Status", "Fully Booted"),
        ]
    )
