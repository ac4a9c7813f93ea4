"""A burst from the PBX is routed a slice at a time over a real TCP connection: in order,
whole, with the loop getting turns between slices (a pop's write leaves before the rest)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator

import pytest

from callcenter.cti import protocol
from callcenter.cti.connection import AmiConnection
from callcenter.cti.frames import Frame
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import encode
from tests.cti.test_connection import Recorded
from tests.waiting import until

BURST = 300


def burst(first: int = 1, count: int = BURST) -> bytes:
    """`count` numbered UserEvents written at once."""
    return b"".join(
        encode([("Event", "UserEvent"), ("UserEvent", "n"), ("N", str(n))])
        for n in range(first, first + count)
    )


def numbered(listener: Recorded) -> list[int]:
    return [int(frame["N"]) for frame in listener.named("UserEvent")]


class Turns(Recorded):
    """Notes how many burst events were routed when a callback queued by the first one ran,
    and how many when the link was reported lost; can fail on one numbered event."""

    def __init__(self) -> None:
        super().__init__()
        self.turn_at: int | None = None
        self.lost_at: int | None = None
        self.fail_on: int | None = None
        self.close_on: int | None = None
        self.connection: AmiConnection | None = None

    def session_started(self, connection: AmiConnection) -> None:
        self.connection = connection
        super().session_started(connection)

    def event_received(self, frame: Frame, received_at: float) -> None:
        if frame.get("N") == "1":
            asyncio.get_running_loop().call_soon(self._turn)
        if self.close_on is not None and frame.get("N") == str(self.close_on):
            assert self.connection is not None
            self.connection.protocol.transport.close()  # as a link found dead does
        if self.fail_on is not None and frame.get("N") == str(self.fail_on):
            raise RuntimeError("a handler failed")
        super().event_received(frame, received_at)

    def _turn(self) -> None:
        self.turn_at = len(numbered(self))

    def connection_lost(self, at: float) -> None:
        self.lost_at = len(numbered(self))
        super().connection_lost(at)


@pytest.fixture
def every_frame_a_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "WORK_SLICE_S", 0.0)


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(3)) as ami:
        yield ami


@pytest.fixture
async def turns(server: AmiServer) -> AsyncIterator[Turns]:
    listener = Turns()
    pbx = AmiConnection(server.target, listener, first_retry=0.01, rng=random.Random(1))
    await pbx.start()
    yield listener
    await pbx.aclose()


def frames_in_read_of_first(listener: Recorded) -> int:
    """How many burst frames arrived in the same read as the first one."""
    read = next(data for data in listener.reads if b"N: 1\r\n" in data)
    return read[read.index(b"N: 1\r\n") :].count(b"\r\n\r\n")


@pytest.mark.usefixtures("every_frame_a_slice")
async def test_the_loop_gets_a_turn_inside_a_burst_and_every_frame_comes_in_order(
    server: AmiServer, turns: Turns
) -> None:
    await server.send(burst())
    await until(lambda: len(numbered(turns)) == BURST)
    assert numbered(turns) == list(range(1, BURST + 1))
    in_first_read = frames_in_read_of_first(turns)
    assert in_first_read > 2, "the burst should arrive in few reads"
    # Routed all at once, the callback would only run after the whole read.
    assert turns.turn_at is not None and turns.turn_at < in_first_read
    # Reading goes on after the burst.
    await server.send(burst(BURST + 1, 1))
    await until(lambda: len(numbered(turns)) == BURST + 1)


async def test_with_the_default_slice_a_burst_still_arrives_whole_and_in_order(
    server: AmiServer, turns: Turns
) -> None:
    for start in range(1, 10 * BURST, BURST):
        await server.send(burst(start))
    await until(lambda: len(numbered(turns)) == 10 * BURST)
    assert numbered(turns) == list(range(1, 10 * BURST + 1))


@pytest.mark.usefixtures("every_frame_a_slice")
async def test_a_link_lost_mid_burst_comes_after_every_frame_read_before_it(
    server: AmiServer, turns: Turns
) -> None:
    await server.send(burst())
    server.drop()
    await until(lambda: turns.losses == 1)
    assert turns.lost_at == BURST
    assert numbered(turns) == list(range(1, BURST + 1))


@pytest.mark.usefixtures("every_frame_a_slice")
async def test_a_frame_that_fails_mid_burst_drops_the_link_to_resync(
    server: AmiServer, turns: Turns, caplog: pytest.LogCaptureFixture
) -> None:
    turns.fail_on = 5
    with caplog.at_level(logging.ERROR):
        await server.send(burst())
        await until(lambda: turns.sessions == 2)  # logged in again, so the adapter resyncs
    assert numbered(turns) == [1, 2, 3, 4]  # the rest of that read went with the link
    assert "could not be routed" in caplog.text
    turns.fail_on = None
    await server.send(burst(BURST + 1, 3))
    await until(lambda: numbered(turns)[-3:] == [BURST + 1, BURST + 2, BURST + 3])


@pytest.mark.usefixtures("every_frame_a_slice")
async def test_a_frame_that_fails_while_a_lost_link_is_settled_still_lets_it_reconnect(
    server: AmiServer, turns: Turns, caplog: pytest.LogCaptureFixture
) -> None:
    """The link closes mid-burst: what was read is routed first; a frame failing then is
    logged and the rest dropped, and the loss is still handled (the connection comes back)."""
    turns.close_on, turns.fail_on = 2, 5
    with caplog.at_level(logging.ERROR):
        await server.send(burst())
        await until(lambda: turns.sessions == 2)
    assert numbered(turns) == [1, 2, 3, 4]
    assert turns.lost_at == 4
    assert "could not be routed as the link went down" in caplog.text
