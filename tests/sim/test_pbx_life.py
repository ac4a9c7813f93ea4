"""The simulated PBX's life cycle: closing while busy, and human agents who sign in themselves."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario
from tests.sim.pbx_client import logged_in, running_pbx, scripted_scenario, send_caller

# Callers every few milliseconds of wall time and agents always busy: the runner never idles.
BUSY = """
seed = 11
server = "sim"

[[queue]]
name = "support"
arrival_rate_per_hour = 36000
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
talk = { distribution = "deterministic", mean_s = 2 }

[[agent]]
name = "bot"
count = 20
queues = ["support"]
ring = { distribution = "deterministic", mean_s = 1 }
"""

# Generous bound: a close that takes this long is a close that hangs.
CLOSE_BOUND_S = 30


async def test_closing_a_busy_pbx_always_returns() -> None:
    scenario = parse_scenario(BUSY, source="busy.toml")
    for round_ in range(20):
        pbx = SimulatedPbx(scenario, PbxOptions(speed=20.0))
        await pbx.start("127.0.0.1", 0)
        await asyncio.sleep(0.001 * (round_ % 5))
        async with asyncio.timeout(CLOSE_BOUND_S):
            await pbx.close()


async def test_closing_right_after_a_wake_up_returns() -> None:
    # A wake-up pending when close() cancels the runner is the race that lost the cancel;
    # with callers arriving the runner sleeps with a deadline (the next arrival).
    for _ in range(20):
        async with running_pbx(scripted_scenario(), auto_arrivals=True) as pbx:
            await asyncio.sleep(0.01)
            pbx.wake()
            async with asyncio.timeout(CLOSE_BOUND_S):
                await pbx.close()


async def test_human_agents_start_outside_their_queues_when_asked() -> None:
    text = scripted_scenario(bob_human=True)
    async with running_pbx(text, humans_logged_out=True) as pbx:
        members = set(pbx.board.queues["support"].members)
    assert members == {"Alice"}


async def test_human_agents_start_in_their_queues_by_default() -> None:
    async with running_pbx(scripted_scenario(bob_human=True)) as pbx:
        members = set(pbx.board.queues["support"].members)
    assert members == {"Alice", "Bob"}


async def test_queue_add_signs_a_human_in_and_calls_then_ring_them() -> None:
    text = scripted_scenario(bob_human=True)
    async with (
        running_pbx(text, humans_logged_out=True) as pbx,
        logged_in(pbx) as client,
    ):
        added = await client.response(
            client.send(
                "QueueAdd",
                ("Queue", "support"),
                ("Interface", "PJSIP/1002"),
                ("MemberName", "Bob"),
            )
        )
        await client.event("QueueMemberAdded", MemberName="Bob")
        # Alice is away: the next caller can only ring the person who just signed in.
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230002", "Ben Customer")
        called = await client.event("AgentCalled")
    assert added["Response"] == "Success"
    assert called["Interface"] == "PJSIP/1002"


BOOT_CAPTURE = Path(__file__).parent.parent / "fixtures" / "ami" / "resync" / "boot.raw"


def boot_capture_frame(start: bytes) -> dict[str, str]:
    """The headers of boot.raw's first frame that starts with `start`."""
    data = BOOT_CAPTURE.read_bytes()
    begin = data.index(start)
    block = data[begin : data.index(b"\r\n\r\n", begin)].decode()
    return dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line)


async def test_a_booting_pbx_refuses_app_queue_actions_until_fully_booted() -> None:
    """As a login during `core restart now` (tests/fixtures/ami/resync/boot.raw): the login is
    accepted without FullyBooted, QueueStatus is unknown (with RequestBadFormat), channels can
    be listed, and FullyBooted comes later; then QueueStatus is answered."""
    refused_capture = boot_capture_frame(b"Response: Error")
    bad_format = boot_capture_frame(b"Event: RequestBadFormat")
    booted_capture = boot_capture_frame(b"Event: FullyBooted")
    pbx = SimulatedPbx(parse_scenario(scripted_scenario(), source="scripted.toml"), BOOTING)
    await pbx.start("127.0.0.1", 0)
    try:
        async with logged_in(pbx) as client:
            refused = await client.response(client.send("QueueStatus"))
            event = await client.event("RequestBadFormat")
            channels = await client.response(client.send("CoreShowChannels"))
            assert not client.events("FullyBooted")
            booted = await client.event("FullyBooted")
            answered = await client.response(client.send("QueueStatus"))
    finally:
        await pbx.close()
    assert (refused["Response"], refused["Message"]) == ("Error", refused_capture["Message"])
    assert [k for k, _ in event.headers if k != "Timestamp"] == [
        k for k in bad_format if k != "Timestamp"
    ]
    assert event["RequestType"] == bad_format["RequestType"]
    assert channels["Response"] == "Success"
    assert [k for k, _ in booted.headers] == list(booted_capture)
    assert booted["Status"] == "Fully Booted"
    assert answered["Response"] == "Success"


# A second of wall time booting (100 simulated seconds at speed 100).
BOOTING = PbxOptions(speed=100.0, auto_arrivals=False, boot_s=100.0)
