"""The AMI connection against a real TCP server: login, keepalive, reconnect, robust bytes."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from itertools import accumulate

import pytest

from callcenter.cti.connection import (
    MAX_RECONNECT_DELAY,
    AmiConnection,
    AmiListener,
    reconnect_delays,
)
from callcenter.cti.frames import Frame
from callcenter.cti.protocol import ConnectFailed, LoginFailed
from callcenter.settings import AmiTarget
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import encode
from tests.waiting import until


class Recorded(AmiListener):
    """Keeps what the connection reported."""

    def __init__(self) -> None:
        self.events: list[Frame] = []
        self.reads: list[bytes] = []
        self.sessions = 0
        self.losses = 0

    def raw_received(self, data: bytes) -> None:
        self.reads.append(data)

    def session_started(self, connection: AmiConnection) -> None:
        self.sessions += 1

    def event_received(self, frame: Frame, received_at: float) -> None:
        self.events.append(frame)

    def connection_lost(self, at: float) -> None:
        self.losses += 1

    def named(self, event: str) -> list[Frame]:
        return [frame for frame in self.events if frame["Event"] == event]


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(7)) as ami:
        yield ami


@pytest.fixture
def listener() -> Recorded:
    return Recorded()


@pytest.fixture
async def connection(server: AmiServer, listener: Recorded) -> AsyncIterator[AmiConnection]:
    pbx = AmiConnection(server.target, listener, first_retry=0.01, rng=random.Random(1))
    await pbx.start()
    yield pbx
    await pbx.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_login_sends_the_user_with_events_on(
    server: AmiServer, connection: AmiConnection
) -> None:
    login = server.raw_actions[0].decode()
    lines = [line for line in login.split("\r\n") if line]
    assert [line.split(": ")[0] for line in lines] == [
        "Action",
        "ActionID",
        "Events",
        "Secret",
        "Username",
    ]
    assert server.actions[0] | {"ActionID": "-"} == {
        "Action": "Login",
        "ActionID": "-",
        "Events": "on",
        "Secret": "crmsecret",
        "Username": "crm",
    }
    assert connection.connected.is_set()


async def test_a_refused_login_raises_with_asterisk_s_reason(server: AmiServer) -> None:
    target = server.target.model_copy(update={"secret": "wrong"})
    with pytest.raises(LoginFailed, match="refused the login of AMI user 'crm': Authentication"):
        await AmiConnection(target).start()


async def test_an_unreachable_pbx_raises_connect_failed() -> None:
    target = AmiTarget(host="127.0.0.1", port=free_port(), username="crm", secret="x")
    refused = r"cannot reach the PBX at 127\.0\.0\.1:[0-9]+: Connection refused"
    with pytest.raises(ConnectFailed, match=refused):
        await AmiConnection(target).start()


async def test_a_service_that_is_not_ami_is_named_so() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        writer.close()

    web = await asyncio.start_server(http, "127.0.0.1", 0)
    port = web.sockets[0].getsockname()[1]
    target = AmiTarget(host="127.0.0.1", port=port, username="crm", secret="x")
    try:
        with pytest.raises(ConnectFailed, match="does not speak AMI"):
            await AmiConnection(target).start()
    finally:
        web.close()
        await web.wait_closed()


async def test_keepalive_pings_while_connected(server: AmiServer, listener: Recorded) -> None:
    async with AmiConnection(server.target, listener, ping_interval=0.01):
        await until(lambda: server.count("Ping") >= 3)
    assert (server.logins, listener.losses) == (1, 0)


async def test_an_unanswered_ping_drops_the_connection_and_reconnects(
    server: AmiServer, listener: Recorded
) -> None:
    server.silent.add("Ping")
    pbx = AmiConnection(
        server.target, listener, ping_interval=0.01, ping_timeout=0.05, first_retry=0.01
    )
    async with pbx:
        await until(lambda: server.logins >= 2)
    assert listener.losses >= 1


async def test_a_dropped_connection_logs_in_again(
    server: AmiServer, listener: Recorded, connection: AmiConnection
) -> None:
    server.drop()
    await until(lambda: listener.sessions == 2)
    assert (server.logins, listener.losses, connection.sessions) == (2, 1, 2)


async def test_reconnects_once_the_pbx_is_back(server: AmiServer, listener: Recorded) -> None:
    port = server.port
    async with AmiConnection(server.target, listener, first_retry=0.01, rng=random.Random(3)):
        await server.close()
        await until(lambda: listener.losses == 1)
        await asyncio.sleep(0.05)  # a few attempts fail while the PBX is down
        await server.start(port)
        await until(lambda: listener.sessions == 2)
    assert (server.logins, listener.losses) == (2, 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reconnect_delays_double_with_jitter_and_never_pass_five_seconds(seed: int) -> None:
    delays = reconnect_delays(first=0.5, rng=random.Random(seed))
    schedule = [next(delays) for _ in range(12)]
    steps = [0.5, 1, 2, 4, 5, 5, 5, 5, 5, 5, 5, 5]
    for delay, step in zip(schedule, steps, strict=True):
        assert step / 2 <= delay <= step
    assert max(schedule) <= MAX_RECONNECT_DELAY
    assert len(set(schedule[4:])) > 1  # jittered even at the cap


def test_reconnect_delays_refuse_a_first_delay_above_the_cap() -> None:
    with pytest.raises(ValueError, match="first reconnect delay"):
        next(reconnect_delays(first=6.0))


async def test_a_malformed_frame_is_skipped_and_the_stream_goes_on(
    server: AmiServer, listener: Recorded, connection: AmiConnection
) -> None:
    await server.send(encode([("Event", "Newchannel"), ("Uniqueid", "1.1")]))
    await server.send(b"this line is not AMI\r\nnor this one\r\n\r\n")
    await server.send(encode([("Event", "Hangup"), ("Uniqueid", "1.1")]))
    await until(lambda: len(listener.named("Hangup")) == 1)
    assert [f["Event"] for f in listener.events[-2:]] == ["Newchannel", "Hangup"]
    assert connection.protocol.parser.skipped == 1


@pytest.mark.parametrize("name", ["José Núñez", "张伟"])
async def test_a_utf8_name_split_across_reads_survives(
    server: AmiServer, listener: Recorded, connection: AmiConnection, name: str
) -> None:
    frame = encode([("Event", "NewCallerid"), ("CallerIDName", name), ("Uniqueid", "2.1")])
    first_multibyte = next(i for i, byte in enumerate(name.encode()) if byte >= 0x80)
    split = frame.index(name.encode()) + first_multibyte + 1  # after a character's first byte
    assert not _is_boundary(frame, split)
    before = sum(map(len, listener.reads))
    await server.send(frame[:split])
    await until(lambda: sum(map(len, listener.reads)) == before + split)
    await server.send(frame[split:])
    await until(lambda: len(listener.named("NewCallerid")) == 1)
    assert listener.named("NewCallerid")[0]["CallerIDName"] == name
    assert before + split in accumulate(map(len, listener.reads))  # a read ended mid-character


def _is_boundary(data: bytes, index: int) -> bool:
    """Whether `index` falls between two UTF-8 characters."""
    return index >= len(data) or (data[index] & 0xC0) != 0x80
