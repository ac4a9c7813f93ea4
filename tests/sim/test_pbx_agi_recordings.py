"""The simulated PBX against the FastAGI conversations recorded from Asterisk 22.10.1.

A server replays each recording's side (tests/fixtures/agi/, read by tests/agi_recordings.py)
to the simulated PBX over TCP, with the recorded caller dialling the recorded DID: the PBX must
send the recorded request (but for the run's channel, unique id and thread id), give the
recorded replies, and then do what Asterisk did next.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from tests.sim.pbx_client import AmiTestClient, Message, dial_did, logged_in, running_pbx

recordings = pytest.importorskip("tests.agi_recordings", reason="needs the AGI recordings")

DID = "4930555000"
# As in the recordings' PBX: support (Alice 0, Bob 1, Carol 2) and sales; Local-channel phones.
RECORDED_PBX = f"""
seed = 1
server = "simpbx"

[[queue]]
name = "support"
numbers = ["{DID}"]
arrival_rate_per_hour = 1
talk = {{ distribution = "deterministic", mean_s = 5 }}

[[queue]]
name = "sales"
arrival_rate_per_hour = 1
talk = {{ distribution = "deterministic", mean_s = 5 }}

[[agent]]
name = "Alice"
interface = "PJSIP/1001"
queues = {{ support = 0 }}
ring = {{ distribution = "deterministic", mean_s = 2 }}

[[agent]]
name = "Bob"
interface = "PJSIP/1002"
queues = {{ support = 1 }}
ring = {{ distribution = "deterministic", mean_s = 2 }}

[[agent]]
name = "Carol"
interface = "PJSIP/1003"
queues = {{ support = 2 }}
ring = {{ distribution = "deterministic", mean_s = 2 }}

[[agent]]
name = "Ivan"
interface = "PJSIP/2001"
queues = ["sales"]
ring = {{ distribution = "deterministic", mean_s = 2 }}
"""
# Fields of a request that belong to one run.
RUN_FIELDS = {"agi_channel", "agi_uniqueid", "agi_threadid", "agi_request"}


@dataclass
class Replay:
    """Plays the server's side of one recording; keeps what the PBX sent."""

    recording: object
    request: bytes = b""
    replies: list[bytes] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (line := await reader.readline()) not in (b"\n", b""):
                self.request += line
            self.request += b"\n"
            for sender, line in self.recording.after_request():  # type: ignore[attr-defined]
                if sender == recordings.FROM_SERVER:
                    writer.write(line)
                    await writer.drain()
                else:
                    self.replies.append(await reader.readline())
        finally:
            writer.close()
            self.done.set()


@asynccontextmanager
async def replayed(name: str) -> AsyncIterator[tuple[Replay, AmiTestClient]]:
    """The PBX asking a server that replays `name`; the recorded caller has dialled."""
    recording = recordings.load(name)
    replay = Replay(recording)
    server = await asyncio.start_server(replay.serve, "127.0.0.1", 0)
    url = f"agi://127.0.0.1:{server.sockets[0].getsockname()[1]}/route"
    try:
        async with (
            running_pbx(RECORDED_PBX, agi_url=url, local_channels=True) as pbx,
            logged_in(pbx) as client,
        ):
            header = recording.header()
            dial_did(client, header["agi_callerid"], header["agi_calleridname"], DID)
            await asyncio.wait_for(replay.done.wait(), 10)
            yield replay, client
    finally:
        server.close()
        await server.wait_closed()


def _fields(block: bytes) -> dict[str, str]:
    return dict(line.partition(": ")[::2] for line in block.decode().splitlines() if line)


def assert_as_recorded(replay: Replay) -> None:
    """The request as Asterisk sent it (run fields by shape), the replies byte for byte."""
    recording = replay.recording
    want, got = _fields(recording.request()), _fields(replay.request)  # type: ignore[attr-defined]
    assert list(got) == list(want)
    assert {k: v for k, v in got.items() if k not in RUN_FIELDS} == {
        k: v for k, v in want.items() if k not in RUN_FIELDS
    }
    assert re.fullmatch(r"Local/\d+@customer-[0-9a-f]{8};1", got["agi_channel"])
    assert re.fullmatch(r"\d{10}\.\d+", got["agi_uniqueid"])
    recorded_replies = [
        line
        for sender, line in recording.after_request()
        if sender == recordings.FROM_ASTERISK  # type: ignore[attr-defined]
    ]
    assert replay.replies == recorded_replies


def _caller(client: AmiTestClient, replay: Replay) -> dict[str, str]:
    return {"CallerIDNum": replay.recording.header()["agi_callerid"]}  # type: ignore[attr-defined]


async def _joined(client: AmiTestClient, replay: Replay) -> Message:
    return await client.event("QueueCallerJoin", **_caller(client, replay))


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("known", "support"),
        ("unknown", "support"),
        ("vip", "support"),
        ("closed_overflow", "sales"),
        ("no_answer", "support"),
        ("skills_max_penalty", "support"),
    ],
)
async def test_the_recorded_answer_queues_the_caller_where_asterisk_did(
    name: str, queue: str
) -> None:
    async with replayed(name) as (replay, client):
        join = await _joined(client, replay)
    assert_as_recorded(replay)
    assert join["Queue"] == queue


@pytest.mark.parametrize(("name", "member"), [("preferred_agent", "1001"), ("open_ticket", "1002")])
async def test_the_recorded_preferred_member_is_dialled_first(name: str, member: str) -> None:
    async with replayed(name) as (replay, client):
        begin = await client.event("DialBegin", **_caller(client, replay))
    assert_as_recorded(replay)
    assert begin["DialString"] == f"{member}@agents/n"
    assert begin["DestChannel"].startswith(f"Local/{member}@agents-")


async def test_the_recorded_skills_window_rings_only_the_member_inside_it() -> None:
    async with replayed("skills_rule") as (replay, client):
        called = await client.event("AgentCalled", **_caller(client, replay))
    assert_as_recorded(replay)
    assert called["MemberName"] == "Bob"


@pytest.mark.parametrize(("name", "context", "cause"), [("blocked", "refused", "21")])
async def test_a_recorded_refusal_hangs_the_caller_up(name: str, context: str, cause: str) -> None:
    async with replayed(name) as (replay, client):
        hangup = await client.event("Hangup", **_caller(client, replay))
    assert_as_recorded(replay)
    assert (hangup["Context"], hangup["Cause"]) == (context, cause)
    assert not client.events("QueueCallerJoin")


async def test_the_recorded_closed_answer_plays_the_message_then_hangs_up() -> None:
    async with replayed("closed") as (replay, client):
        hangup = await client.event("Hangup", **_caller(client, replay))
    assert_as_recorded(replay)
    assert hangup["Context"] == "closed"
    assert not client.events("QueueCallerJoin")
