"""The FastAGI server against conversations recorded from Asterisk 22.10.1 (docs/asterisk's
recordings in tests/fixtures/agi/): the bytes Asterisk sent, replayed over TCP, get the
recorded answer byte for byte; a recorded `HANGUP` ends the answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from callcenter.agi.protocol import AgiRequest
from callcenter.agi.server import AgiChannel, FastAgiServer
from callcenter.queues.routing.agi_route import route_request
from callcenter.queues.routing.decision import VARIABLES

recordings: Any = pytest.importorskip("tests.agi_recordings", reason="no recordings yet")
FROM_ASTERISK, FROM_SERVER = recordings.FROM_ASTERISK, recordings.FROM_SERVER
ANSWERED = [n for n in recordings.names() if recordings.load(n).variables()]


@pytest.mark.parametrize("name", ANSWERED)
async def test_the_recorded_answer_is_sent_byte_for_byte(name: str) -> None:
    recording = recordings.load(name)

    async def script(request: AgiRequest, channel: AgiChannel) -> None:
        await channel.set_variables(recording.variables())

    server = FastAgiServer({"route": script}, port=0)
    await server.start()
    try:
        sent = await replay(server.port, recording)
    finally:
        await server.stop()
    commands = [line for sender, line in recording.after_request() if sender == FROM_SERVER]
    hung_up = (FROM_ASTERISK, b"HANGUP\n") in recording.after_request()
    assert sent == (commands[:1] if hung_up else commands)
    assert list(recording.variables()) == list(VARIABLES)


async def replay(port: int, recording: Any) -> list[bytes]:
    """Play Asterisk's side: the request, then each recorded reply or HANGUP in turn."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(recording.request())
    sent: list[bytes] = []
    for sender, line in recording.after_request():
        if sender == FROM_ASTERISK:
            writer.write(line)
            await writer.drain()
            continue
        received = await asyncio.wait_for(reader.readline(), 5)
        if not received:
            break  # the server closed
        sent.append(received)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # and then it closes
    writer.close()
    return sent


@pytest.mark.parametrize("name", recordings.names())
def test_the_routing_question_in_each_recorded_request(name: str) -> None:
    header = recordings.load(name).header()
    question = route_request(AgiRequest(header))
    assert question.dialed == header["agi_arg_1"] and question.digits == header["agi_arg_2"]
    assert (question.caller, question.uniqueid) == (header["agi_callerid"], header["agi_uniqueid"])
