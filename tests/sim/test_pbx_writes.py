"""How the simulated PBX writes to its AMI clients: a turn's events together, in order; a
Logoff's Goodbye before the connection closes; a client that stops reading dropped alone."""

from __future__ import annotations

import asyncio
import socket
from contextlib import suppress

import pytest

import sim.pbx.server
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import AmiTestClient, logged_in, running_pbx


def emit_fill(pbx: SimulatedPbx, number: int, pad: int = 0) -> None:
    pbx.server.emit(
        "UserEvent",
        "user,all",
        [("UserEvent", "Fill"), ("N", str(number)), ("Pad", "x" * pad)],
        pbx.clock.now(),
    )


async def test_the_events_of_one_turn_reach_a_client_in_order_in_one_write() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        (session,) = [s for s in pbx.server.sessions if s.authenticated]
        writes: list[bytes] = []
        write = session.writer.write

        def counted(data: bytes | bytearray | memoryview) -> None:
            writes.append(bytes(data))
            write(data)

        session.writer.write = counted  # type: ignore[method-assign]
        for number in range(50):
            emit_fill(pbx, number)
        await client.wait_for(lambda m: m.get("UserEvent") == "Fill" and m.get("N") == "49")
        filled = [m["N"] for m in client.events("UserEvent") if m.get("UserEvent") == "Fill"]
        assert filled == [str(n) for n in range(50)]
        assert len([data for data in writes if b"UserEvent: Fill" in data]) == 1


async def test_a_logoff_is_answered_before_the_connection_closes() -> None:
    async with running_pbx() as pbx:
        client = await AmiTestClient.connect(pbx.port)
        try:
            assert (await client.login())["Response"] == "Success"
            goodbye = await client.response(client.send("Logoff"))
            assert goodbye["Response"] == "Goodbye"
            assert await asyncio.wait_for(client.reader.read(), 10) == b""  # then closed
        finally:
            await client.close()


async def test_a_client_that_stops_reading_is_dropped_and_the_others_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sim.pbx.server, "MAX_BUFFERED", 64 * 1024)
    async with running_pbx() as pbx, logged_in(pbx) as reading:
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.setblocking(False)
        await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", pbx.port))
        reader, writer = await asyncio.open_connection(sock=raw)
        try:
            await reader.readline()  # the banner
            writer.write(b"Action: Login\r\nUsername: crm\r\nSecret: crmsecret\r\n\r\n")
            await reader.readuntil(b"\r\n\r\n")
            transport = writer.transport
            assert isinstance(transport, asyncio.Transport)
            transport.pause_reading()  # from now on it reads nothing
            stuck = lambda: [s for s in pbx.server.sessions if s.authenticated]  # noqa: E731
            async with asyncio.timeout(60):
                while len(stuck()) == 2:
                    for _ in range(200):
                        emit_fill(pbx, 0, pad=1000)
                    await asyncio.sleep(0.01)
            assert len(stuck()) == 1  # only the reading client is left
            emit_fill(pbx, 7)
            await reading.wait_for(lambda m: m.get("UserEvent") == "Fill" and m.get("N") == "7")
        finally:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()
