"""Issue 3's proof: the project's own CTI adapter, connected to the simulated PBX over TCP, keeps
call records equal to the simulator's ground truth (outcomes, agents, waits within 1 s)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.cti.adapter import PipelineFeed
from callcenter.cti.connection import AmiConnection
from callcenter.cti.pipeline import Pipeline
from callcenter.events import CallEnded
from callcenter.settings import AmiTarget
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import logged_in, running_pbx, scripted_scenario, send_caller
from tests.waiting import until

SERVER = "simpbx"
WAIT_TOLERANCE_S = 1.0

# A busy little center for the unscripted run: two queues, ring-no-answers, abandons,
# blind transfers support -> billing, wrap-up.
BUSY = """
seed = 11
server = "simpbx"

[callers]
known_share = 0.5
numbers = ["+15551230001", "+15551230002", "+15551230003"]
names = ["Ann Customer", "José Núñez", "张伟"]

[[queue]]
name = "support"
arrival_rate_per_hour = 500
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 2
member_timeout_s = 8
retry_s = 1
talk = { distribution = "exponential", mean_s = 25 }
patience = { distribution = "exponential", mean_s = 30 }
transfer = { probability = 0.2, queue = "billing" }

[[queue]]
name = "billing"
arrival_rate_per_hour = 150
service_level_s = 30
short_abandon_s = 0
wrap_up_s = 1
member_timeout_s = 10
retry_s = 2
timeout_s = 40
talk = { distribution = "exponential", mean_s = 20 }
patience = { distribution = "exponential", mean_s = 45 }

[[agent]]
name = "bot"
count = 3
queues = ["support"]
ring = { distribution = "uniform", low_s = 1, high_s = 3 }
ring_no_answer_probability = 0.1

[[agent]]
name = "Rupert"
interface = "PJSIP/3001"
queues = ["billing"]
ring = { distribution = "deterministic", mean_s = 2 }
"""


@asynccontextmanager
async def adapter(pbx: SimulatedPbx, *, resyncs: int = 1) -> AsyncIterator[list[CallRecord]]:
    """The real adapter (connection + pipeline + tracker) logged in to the simulated PBX."""
    bus = Bus()
    records: list[CallRecord] = []
    bus.subscribe(CallEnded, lambda event: records.append(event.record))
    pipeline = Pipeline(server=SERVER, bus=bus)
    target = AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
    feed = PipelineFeed(pipeline)
    connection = AmiConnection(target, feed, first_retry=0.05)
    await connection.start()
    try:
        yield records
    finally:
        await connection.aclose()
        pipeline.close()
    # The adapter's resync (QueueStatus, QueueSummary, CoreShowChannels) was answered.
    assert (feed.resyncs, feed.failed_resyncs) == (resyncs, 0)


def digits(number: str | None) -> str:
    """A number's digits (the adapter writes E.164 where it can tell; the PBX sends raw)."""
    return re.sub(r"\D", "", number or "")


def assert_same_calls(truth: list[CallRecord], seen: list[CallRecord]) -> None:
    """Call by call (by Linkedid): outcome, agent, and each queue visit's queue, outcome,
    agent and wait (within a second)."""
    by_linkedid = {record.linkedid: record for record in seen}
    assert set(by_linkedid) >= {record.linkedid for record in truth}
    for expected in truth:
        got = by_linkedid[expected.linkedid]
        assert (got.outcome, got.agent, digits(got.caller_number)) == (
            expected.outcome,
            expected.agent,
            digits(expected.caller_number),
        ), expected.linkedid
        assert [(v.queue, v.outcome, v.agent) for v in got.queue_visits] == [
            (v.queue, v.outcome, v.agent) for v in expected.queue_visits
        ], expected.linkedid
        assert abs(got.hold_s - expected.hold_s) <= WAIT_TOLERANCE_S, expected.linkedid
        for want, have in zip(expected.queue_visits, got.queue_visits, strict=True):
            assert want.wait_s is not None and have.wait_s is not None
            assert abs(want.wait_s - have.wait_s) <= WAIT_TOLERANCE_S, expected.linkedid


@pytest.mark.parametrize("local_channels", [False, True], ids=["pjsip", "local"])
async def test_scripted_calls_adapter_agrees_with_ground_truth(local_channels: bool) -> None:
    scenario = scripted_scenario(patience_s=4, bob_human=True)
    async with (
        running_pbx(scenario, speed=10.0, local_channels=local_channels) as pbx,
        adapter(pbx) as seen,
        logged_in(pbx) as console,
    ):
        # Ann: answered by Alice. Ben: answered by Bob (a person at a console), then
        # blind-transferred to sales where Ivan answers. Cara: both support agents are
        # paused after their call is connected, so nobody takes her and she abandons.
        send_caller(console, "15551230001", "Ann Customer")
        alice = await console.event("AgentConnect", MemberName="Alice")
        await console.response(
            console.send("QueuePause", ("Interface", alice["Interface"]), ("Paused", "true"))
        )
        send_caller(console, "15551230002", "Ben Customer")
        send_caller(console, "15551230003", "Cara Customer")
        ben = await console.event("AgentConnect", MemberName="Bob")
        await console.response(
            console.send("QueuePause", ("Interface", ben["Interface"]), ("Paused", "true"))
        )
        console.send(
            "BlindTransfer",
            ("Channel", ben["DestChannel"]),
            ("Context", "queues"),
            ("Exten", "sales"),
        )
        await until(lambda: len(pbx.records) == 3 and len(seen) >= 3)
    outcomes = sorted((r.caller_name or "", r.outcome.value) for r in pbx.records)
    assert outcomes == [
        ("Ann Customer", "answered"),
        ("Ben Customer", "answered"),
        ("Cara Customer", "abandoned"),
    ]
    assert_same_calls(pbx.records, seen)


async def test_busy_center_adapter_agrees_with_ground_truth() -> None:
    async with (
        running_pbx(BUSY, speed=100.0, auto_arrivals=True, hold_share=0.3) as pbx,
        adapter(pbx) as seen,
    ):
        await until(lambda: len(pbx.records) >= 40, timeout=60.0)
        finished = list(pbx.records)
        await until(lambda: {r.linkedid for r in finished} <= {r.linkedid for r in seen})
    visits = {visit.outcome.value for record in finished for visit in record.queue_visits}
    assert {"answered", "abandoned", "transferred"} <= visits
    assert any(record.hold_s > 0 for record in finished)
    assert any(v.ring_no_answer for record in finished for v in record.queue_visits)
    assert_same_calls(finished, seen)


async def test_a_call_that_ends_while_the_adapter_is_cut_off_is_flagged() -> None:
    scenario = scripted_scenario(bob_human=True)
    async with running_pbx(scenario, speed=10.0) as pbx, adapter(pbx, resyncs=2) as seen:
        async with logged_in(pbx) as console:
            client_pause = console.send(
                "QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true")
            )
            await console.response(client_pause)
            send_caller(console, "15551230002", "Ben Customer")
            connect = await console.event("AgentConnect", MemberName="Bob")
        # The network drops; meanwhile Bob's console hangs up.
        pbx.server.drop_clients()
        pbx.hangup(connect["DestChannel"])
        await until(lambda: len(pbx.records) == 1 and len(seen) == 1)
    (truth,), (record,) = pbx.records, seen
    assert record.linkedid == truth.linkedid
    assert record.data_gap
