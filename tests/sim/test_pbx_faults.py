"""Issue 12's proof: faults mid-traffic against the simulated PBX over TCP, records compared
with its ground truth. The adapter loses its link, is stopped (what SIGTERM, `serve` shutting
down or `cti run` stopping do) while calls are up, and is started again while the PBX goes
on: nothing the adapter or its resync could know is lost, nothing is stored twice, and
every record the faults touched is flagged data_gap while the untouched ones equal the truth.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.models import Call
from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.cti.tracker_state import Visit, VisitPhase
from callcenter.events import CallEnded, PbxConnectionChanged
from callcenter.settings import AmiTarget, Settings
from callcenter.wiring import wire_consumers
from sim.pbx.calls import PbxCall
from sim.pbx.clock import ScaledClock
from sim.pbx.pbx import PbxOptions, SimulatedPbx
from sim.scenario_file import parse_scenario
from tests.cti.test_resync_retry import board
from tests.sim.pbx_client import running_pbx
from tests.sim.test_pbx_adapter import BUSY, SERVER, assert_same_calls
from tests.waiting import until

# Simulated seconds the restarted PBX boots (half a second of wall time at speed 100).
BOOT_S = 50.0
# PBX seconds around each gap's ends: a call inside a gap could not be known (no event and
# no resync saw it); one this close to an end may or may not have been.
EDGE = timedelta(seconds=2)
ONE_SECOND = timedelta(seconds=1)


def adapter(
    pbx: SimulatedPbx, bus: Bus, checkpoints: Checkpoints | None, **options: float
) -> LiveAdapter:
    target = AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
    return LiveAdapter(
        target, server=SERVER, bus=bus, checkpoints=checkpoints, first_retry=0.05, **options
    )


def waiting(live: LiveAdapter) -> list[Visit]:
    """The queue visits the adapter sees waiting now."""
    calls = live.pipeline.tracker.calls.values()
    return [v for call in calls for v in call.visits if v.phase is VisitPhase.WAITING]


def pbx_now(live: LiveAdapter) -> datetime:
    """The PBX's clock as the adapter reads it now."""
    return datetime.fromtimestamp(time.time() + live.feed.clock_offset, UTC)


async def test_a_link_drop_and_an_adapter_restart_mid_traffic_lose_and_double_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    checkpoints = Checkpoints(sessions)
    bus = Bus()
    published: list[CallRecord] = []
    bus.subscribe(CallEnded, lambda event: published.append(event.record))
    consumers = wire_consumers(bus, sessions, Settings(), live=True)
    await consumers.start()
    async with running_pbx(BUSY, speed=100.0, auto_arrivals=True, hold_share=0.3) as pbx:
        # The adapter starts while a caller already talks with an agent.
        await until(lambda: bool(talking(pbx)), timeout=60)
        talking_at_start = talking(pbx)
        first = adapter(pbx, bus, checkpoints)
        await first.start()
        await until(lambda: first.feed.resyncs == 1)
        started_at = pbx_now(first)
        await until(lambda: len(pbx.records) >= 10, timeout=60)
        dropped_at = pbx_now(first)
        pbx.server.drop_clients()  # the link drops mid-traffic
        await until(lambda: first.feed.resyncs == 2)
        relinked_at = pbx_now(first)
        await until(lambda: len(pbx.records) >= 20, timeout=60)

        # SIGTERM: the adapter stops with calls in flight.
        # ... while someone waits behind another caller (a position a resync would not know).
        await until(lambda: any((v.position or 0) >= 2 for v in waiting(first)), timeout=60)
        stopped_at = pbx_now(first)
        await first.stop()
        saved_in_flight = checkpoints.load(SERVER)
        assert saved_in_flight is not None
        saved = saved_in_flight["calls"]
        in_flight = {
            call["linkedid"]: [(v["queue"], v["uniqueid"], v["position"]) for v in call["visits"]]
            for call in saved
        }
        at_stop = {r.linkedid for r in published}
        assert set(in_flight) <= at_stop  # each has its stop record
        assert any(position >= 2 for visits in in_flight.values() for *_, position in visits)
        await asyncio.sleep(0.3)  # some 30 s of PBX time while nobody listens

        second = adapter(pbx, bus, checkpoints)
        await second.start()
        await until(lambda: second.feed.resyncs == 1)
        restarted_at = pbx_now(second)
        assert checkpoints.load(SERVER) is None  # taken over: never resumed twice
        await until(lambda: set(in_flight) <= {r.linkedid for r in pbx.records}, timeout=90)
        truth = list(pbx.records)
        before = datetime.fromtimestamp(0, UTC)
        gaps = [(before, started_at), (dropped_at, relinked_at), (stopped_at, restarted_at)]
        unseen = {
            r.linkedid
            for r in truth
            for start, end in gaps
            if r.started_at > start - EDGE and r.ended_at < end + EDGE
        }
        wanted = {r.linkedid for r in truth} - unseen
        await until(lambda: wanted <= {r.linkedid for r in published}, timeout=60)
        # Every call the PBX had, finished or still up (these get the stop's record).
        await second.stop()
        pbx_had = {r.linkedid for r in pbx.records} | {c.truth.linkedid for c in live(pbx)}
    await consumers.stop()

    with sessions() as session:
        stored = {call.linkedid: call for call in list_calls(session, server=SERVER)}
        states = list_agent_states(session)
    by_truth = {r.linkedid: r for r in truth}

    # Nothing lost that the adapter or its resync could know; one row per call of the PBX's
    # ground truth (the rows counted in the table itself), and none for a call it never had.
    assert wanted <= set(stored)
    rows = stored_linkedids(sessions)
    assert len(rows) == len(set(rows)) == len(stored)
    assert set(rows) <= pbx_had
    # Published twice only for the calls in flight at the stop (the stop's record, then
    # the finished one, which replaced it).
    twice = {linkedid for linkedid, n in Counter(r.linkedid for r in published).items() if n > 1}
    assert twice <= set(in_flight)

    # | call                                  | stored record                              |
    # | untouched by any fault                | equal to the truth                         |
    # | in flight at the stop                 | flagged; visits from before keep position  |
    # | in flight at the stop, up at restart  | finished from events: truth's outcome too  |
    clean = [stored[lid] for lid in wanted if lid in by_truth and not stored[lid].data_gap]
    assert len(clean) >= 10
    assert_same_calls([by_truth[r.linkedid] for r in clean], clean)
    for linkedid, visits in in_flight.items():
        record = stored[linkedid]
        assert record.data_gap, linkedid
        kept = [(v.queue, v.uniqueid, v.position) for v in record.queue_visits[: len(visits)]]
        assert kept == visits, linkedid
        expected = by_truth[linkedid]
        assert [v.position for v in expected.queue_visits[: len(visits)]] == [
            position for _, _, position in visits
        ], linkedid
        if expected.ended_at > restarted_at + EDGE:
            assert (record.outcome, record.agent) == (expected.outcome, expected.agent), linkedid
            assert_same_end(record, expected)

    # | up when a resync ran (adopted), its end seen | flagged; outcome, agent and answer |
    # |                                               | time (within 1 s) of the truth     |
    ends = [started_at, relinked_at, restarted_at]
    adopted = [
        linkedid
        for linkedid, expected in by_truth.items()
        if linkedid in wanted
        and stored[linkedid].data_gap
        and any(expected.started_at < end < expected.ended_at for end in ends)
        and not any(start - EDGE < expected.ended_at < end + EDGE for start, end in gaps)
    ]
    assert set(talking_at_start) & set(adopted), "a call connected before the start"
    for linkedid in adopted:
        assert_same_end(stored[linkedid], by_truth[linkedid])
    for linkedid, agent in talking_at_start.items():
        if linkedid in adopted:
            record = stored[linkedid]
            assert (record.outcome, record.agent) == ("answered", agent), linkedid

    # The agent intervals open at the stop were written, cut at the stop and flagged.
    cut = [s for s in states if s.data_gap and stopped_at - EDGE < s.ended_at < restarted_at]
    assert cut


def live(pbx: SimulatedPbx) -> list[PbxCall]:
    """The PBX's calls in progress."""
    return [call for call in pbx.board.calls.values() if not call.ended]


def talking(pbx: SimulatedPbx) -> dict[str, str]:
    """The PBX's calls in which a caller talks with an agent now, and that agent."""
    return {
        call.truth.linkedid: call.agent_member.name
        for call in live(pbx)
        if call.agent_member is not None and call.bridge is not None
    }


def assert_same_end(record: CallRecord, expected: CallRecord) -> None:
    """An adopted call finished from its events: outcome, agent and answer time of the truth."""
    assert (record.outcome, record.agent) == (expected.outcome, expected.agent), record.linkedid
    if expected.answered_at is None:
        assert record.answered_at is None, record.linkedid
    else:
        assert record.answered_at is not None, record.linkedid
        assert abs(record.answered_at - expected.answered_at) <= ONE_SECOND, record.linkedid


def stored_linkedids(sessions: sessionmaker[Session]) -> list[str]:
    """The Linkedid of every row of the calls table for the PBX (not through list_calls)."""
    with sessions() as session:
        return list(session.scalars(select(Call.linkedid).where(Call.server == SERVER)))


async def test_a_pbx_restart_mid_traffic_closes_the_calls_it_killed_once_and_flagged(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """`core restart now` mid-traffic: the PBX process ends with calls up (they die with it,
    so its ground truth has no record of them) and a new one starts on the same port, booting
    a while: it takes the adapter's login but refuses QueueStatus (`Invalid/unknown command`,
    app_queue not loaded) until its FullyBooted, which brings the resync back."""
    scenario = parse_scenario(BUSY, source="busy.toml")
    options = PbxOptions(speed=100.0, auto_arrivals=True, hold_share=0.3)
    bus = Bus()
    published: list[CallRecord] = []
    bus.subscribe(CallEnded, lambda event: published.append(event.record))
    links: list[PbxConnectionChanged] = []
    bus.subscribe(PbxConnectionChanged, links.append)
    kpis = board(bus)
    consumers = wire_consumers(bus, sessions, Settings(), live=True)
    await consumers.start()
    before = SimulatedPbx(scenario, options)
    await before.start("127.0.0.1", 0)
    port = before.port
    live = adapter(before, bus, Checkpoints(sessions))
    # The resync's backoff (1 s first) as asked, but the first retry runs at once (refused
    # again: still booting) and later ones never: only FullyBooted brings the resync back.
    retries: list[float] = []
    loop = asyncio.get_running_loop()

    def call_later(delay: float, retry: Callable[[], None]) -> asyncio.Handle:
        retries.append(delay)
        return loop.call_soon(retry) if len(retries) == 1 else loop.call_later(3600, retry)

    live.feed.call_later = call_later
    await live.start()
    await until(lambda: live.feed.resyncs == 1)
    started_at = pbx_now(live)
    await until(lambda: len(before.records) >= 15, timeout=60)
    await until(lambda: bool(waiting(live)))  # someone waits in a queue, others talk
    restart_epoch = before.clock.epoch_now() + 5
    await before.close()  # every call up dies with the PBX
    await until(lambda: not live.connection.connected.is_set())
    killed = set(live.pipeline.tracker.calls)

    after = SimulatedPbx(
        replace(scenario, seed=scenario.seed + 1),
        replace(options, boot_s=BOOT_S),
        clock=ScaledClock(options.speed, wall=lambda: restart_epoch),
    )
    await after.start("127.0.0.1", port)
    try:
        # Logged in while the PBX boots: the resync is refused, and the board says so.
        await until(lambda: live.feed.failed_resyncs == 2, timeout=30)
        assert not after.server.booted and live.feed.resyncs == 1
        link = kpis.snapshot()["pbx_link"]
        assert (link["state"], link["data_gap"]) == ("resync_pending", True)
        assert "Invalid/unknown command: QueueStatus" in link["detail"]
        assert killed <= set(live.pipeline.tracker.calls)  # still open: nothing knows yet
        await until(lambda: live.feed.resyncs == 2, timeout=30)
        assert after.server.booted and live.feed.failed_resyncs == 2
        assert len(retries) == 2 and 0.5 <= retries[0] <= 1.0 and 1.0 <= retries[1] <= 2.0
        restarted_at = pbx_now(live)
        link = kpis.snapshot()["pbx_link"]
        assert (link["state"], link["data_gap"]) == ("up", False)
        await until(lambda: len(after.records) >= 10, timeout=60)
        truth = [*before.records, *after.records]
        finished = {r.linkedid for r in truth if r.started_at > started_at + EDGE}
        finished -= {r.linkedid for r in after.records if r.started_at < restarted_at + EDGE}
        await until(lambda: finished | killed <= {r.linkedid for r in published}, timeout=60)
        await live.stop()
    finally:
        await after.close()
    await consumers.stop()

    with sessions() as session:
        stored = {call.linkedid: call for call in list_calls(session, server=SERVER)}
    # | call                                | stored                                  |
    # | finished before or after the restart | equal to the truth                     |
    # | up when the PBX restarted            | one record, flagged data_gap            |
    assert killed and finished
    assert all(stored[linkedid].data_gap for linkedid in killed)
    by_truth = {r.linkedid: r for r in truth}
    clean = [stored[lid] for lid in finished if not stored[lid].data_gap]
    assert {r.linkedid for r in clean} == finished
    assert_same_calls([by_truth[r.linkedid] for r in clean], clean)
    assert set(Counter(r.linkedid for r in published).values()) == {1}
    # The link as the board saw it: up, lost, resync pending (each refusal while booting),
    # up again.
    assert [link.connected for link in links] == [True, False, False, False, True]
    assert [link.detail.startswith("resync pending") for link in links[2:4]] == [True, True]
