"""Over TCP: the live connection decodes only the events its listener or a watcher reads."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from callcenter.cti.adapter import PipelineFeed
from callcenter.cti.connection import AmiConnection, AmiListener
from callcenter.cti.frames import Frame
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import encode
from tests.waiting import until


class Hangups(AmiListener):
    """Reads hangups and the queue's status variable, as the pipeline does."""

    wanted_events = {"Hangup": None, "VarSet": b"\r\nVariable: QUEUESTATUS\r\n"}

    def __init__(self) -> None:
        self.events: list[Frame] = []

    def event_received(self, frame: Frame, received_at: float) -> None:
        self.events.append(frame)


def _noise(uniqueid: str) -> list[bytes]:
    """What a real PBX sends around every call that no reader here wants."""
    return [
        encode([("Event", "Newexten"), ("Uniqueid", uniqueid), ("Application", "Queue")]),
        encode(
            [
                ("Event", "VarSet"),
                ("Uniqueid", uniqueid),
                ("Variable", "RTPAUDIOQOS"),
                ("Value", "x"),
            ]
        ),
        encode([("Event", "DeviceStateChange"), ("Device", "PJSIP/1001"), ("State", "INUSE")]),
    ]


def _hangup(uniqueid: str) -> bytes:
    return encode([("Event", "Hangup"), ("Uniqueid", uniqueid), ("Cause", "16")])


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(3)) as ami:
        yield ami


@pytest.fixture
def listener() -> Hangups:
    return Hangups()


@pytest.fixture
async def connection(server: AmiServer, listener: Hangups) -> AsyncIterator[AmiConnection]:
    pbx = AmiConnection(server.target, listener, first_retry=0.01, rng=random.Random(1))
    await pbx.start()
    await until(lambda: pbx.protocol.parser.ignored == 1)  # FullyBooted, after the login
    yield pbx
    await pbx.aclose()


async def _call(server: AmiServer, uniqueid: str, *, extra: tuple[bytes, ...] = ()) -> None:
    for frame in [*_noise(uniqueid), *extra, _hangup(uniqueid)]:
        await server.send(frame)


def _hung_up(events: list[Frame]) -> list[str]:
    return [f["Uniqueid"] for f in events if f["Event"] == "Hangup"]


async def test_events_nobody_reads_are_not_decoded(
    server: AmiServer, listener: Hangups, connection: AmiConnection
) -> None:
    before = connection.protocol.parser.ignored
    status = [("Event", "VarSet"), ("Uniqueid", "1.1"), ("Variable", "QUEUESTATUS")]
    await _call(server, "1.1", extra=(encode([*status, ("Value", "TIMEOUT")]),))
    await until(lambda: _hung_up(listener.events) == ["1.1"])
    assert [f["Event"] for f in listener.events] == ["VarSet", "Hangup"]
    assert connection.protocol.parser.ignored - before == 3


async def test_an_event_answering_an_action_always_arrives(
    server: AmiServer, listener: Hangups, connection: AmiConnection
) -> None:
    answer = await connection.request_list({"Action": "QueueStatus"})
    assert answer[-1]["Event"] == "QueueStatusComplete"  # an event no listener wants


async def test_a_watcher_reading_everything_sees_everything_until_it_leaves(
    server: AmiServer, listener: Hangups, connection: AmiConnection
) -> None:
    seen: list[Frame] = []
    before = connection.protocol.parser.ignored
    with connection.watching(seen.append):
        await _call(server, "2.1")
        await until(lambda: _hung_up(seen) == ["2.1"])
    assert [f["Event"] for f in seen] == ["Newexten", "VarSet", "DeviceStateChange", "Hangup"]
    await _call(server, "2.2")
    await until(lambda: _hung_up(listener.events) == ["2.1", "2.2"])
    assert connection.protocol.parser.ignored - before == 3  # the second call's noise only
    assert len(seen) == 4


async def test_a_watcher_gets_the_events_it_names(
    server: AmiServer, listener: Hangups, connection: AmiConnection
) -> None:
    seen: list[Frame] = []
    before = connection.protocol.parser.ignored
    with connection.watching(seen.append, {"Newexten": None}):
        await _call(server, "3.1")
        await until(lambda: _hung_up(listener.events) == ["3.1"])
    assert [f["Event"] for f in seen] == ["Newexten", "Hangup"]
    assert connection.protocol.parser.ignored - before == 2


def test_the_adapter_reads_only_what_the_pipeline_translates() -> None:
    wanted = PipelineFeed.wanted_events
    assert wanted is not None
    assert {"AgentCalled", "Hangup", "QueueCallerJoin", "FullyBooted"} <= set(wanted)
    assert not {"Newexten", "DeviceStateChange", "MusicOnHoldStart", "Cdr"} & set(wanted)
    assert wanted["VarSet"] == b"\r\nVariable: QUEUESTATUS\r\n"
