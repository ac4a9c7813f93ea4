"""An adapter killed mid-traffic (no stop(): a crash, SIGKILL) and started again, over TCP.

Nothing of the killed run's calls in flight was written or saved, so the next start knows
only what its resync tells: the calls still up then are adopted, flagged data_gap and
finished from their events as the simulated PBX's ground truth says; those that ended while
no adapter ran are lost (no resync can know them); nothing is stored twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_calls
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.events import CallEnded
from callcenter.settings import Settings
from callcenter.wiring import wire_consumers
from tests.sim.pbx_client import running_pbx
from tests.sim.test_pbx_adapter import BUSY, SERVER, assert_same_calls
from tests.sim.test_pbx_faults import (
    EDGE,
    adapter,
    assert_same_end,
    live,
    pbx_now,
    stored_linkedids,
    talking,
)
from tests.waiting import until


def kill(killed: LiveAdapter) -> None:
    """What a crash or SIGKILL leaves: the TCP connection reset, no Logoff, nothing written
    for the calls in flight, nothing saved, and nothing of the run goes on."""
    connection = killed.connection
    connection._closing = True  # the process is gone: no reconnect, no listener call
    if connection._supervisor is not None:
        connection._supervisor.cancel()
    if connection.protocol is not None:
        connection.protocol.transport.abort()
    killed.feed.close()


async def test_an_adapter_killed_mid_traffic_is_followed_by_one_that_adopts_from_its_resync(
    sessions: sessionmaker[Session],
) -> None:
    checkpoints = Checkpoints(sessions)
    bus = Bus()
    published: list[CallRecord] = []
    bus.subscribe(CallEnded, lambda event: published.append(event.record))
    consumers = wire_consumers(bus, sessions, Settings(), live=True)
    await consumers.start()
    async with running_pbx(BUSY, speed=100.0, auto_arrivals=True, hold_share=0.3) as pbx:
        first = adapter(pbx, bus, checkpoints)
        await first.start()
        await until(lambda: first.feed.resyncs == 1)
        started_at = pbx_now(first)
        await until(lambda: len(pbx.records) >= 10, timeout=60)
        # Killed while callers talk with agents.
        await until(lambda: len(talking(pbx)) >= 2, timeout=60)
        killed_at = pbx_now(first)
        kill(first)
        await asyncio.gather(first.connection._supervisor, return_exceptions=True)
        written = len(published)
        await asyncio.sleep(0.2)  # some 20 s of PBX time while nobody listens
        # A kill writes nothing for the calls it was following, and saves nothing.
        assert len(published) == written
        assert checkpoints.load(SERVER) is None

        second = adapter(pbx, bus, checkpoints)
        await second.start()
        await until(lambda: second.feed.resyncs == 1)
        restarted_at = pbx_now(second)
        up_at_restart = {c.truth.linkedid for c in live(pbx)}
        await until(lambda: len(pbx.records) >= 40, timeout=90)
        truth = list(pbx.records)
        before = datetime.fromtimestamp(0, UTC)
        # | call                                       | the resync after the kill       |
        # | over before the first start                | could not know it               |
        # | ended while no adapter ran (even if it was | could not know it: the killed   |
        # |   tracked before the kill)                 |   run wrote nothing for it      |
        unseen = {
            r.linkedid
            for r in truth
            if (r.started_at > before and r.ended_at < started_at + EDGE)
            or killed_at - EDGE < r.ended_at < restarted_at + EDGE
        }
        wanted = {r.linkedid for r in truth} - unseen
        await until(lambda: wanted <= {r.linkedid for r in published}, timeout=60)
        await second.stop()
        pbx_had = {r.linkedid for r in pbx.records} | {c.truth.linkedid for c in live(pbx)}
    await consumers.stop()

    with sessions() as session:
        stored = {call.linkedid: call for call in list_calls(session, server=SERVER)}
    by_truth = {r.linkedid: r for r in truth}

    # Nothing lost that the resync could know, nothing doubled, nothing invented.
    assert wanted <= set(stored)
    rows = stored_linkedids(sessions)
    assert len(rows) == len(set(rows)) == len(stored)
    assert set(rows) <= pbx_had
    assert set(Counter(r.linkedid for r in published).values()) == {1}

    # | call                                        | stored record                         |
    # | seen whole by either run                    | equal to the truth, not flagged       |
    # | up at the restart (adopted from the resync) | flagged; truth's outcome, agent and   |
    # |                                             |   answer time once its end is seen    |
    adopted = {
        lid
        for lid in wanted & up_at_restart
        if by_truth[lid].started_at < restarted_at - EDGE
        and by_truth[lid].ended_at > restarted_at + EDGE
    }
    assert adopted, "calls up when the second adapter started"
    for linkedid in adopted:
        record = stored[linkedid]
        assert record.data_gap, linkedid
        assert_same_end(record, by_truth[linkedid])
    clean = [stored[lid] for lid in wanted if not stored[lid].data_gap]
    assert len(clean) >= 10
    assert_same_calls([by_truth[r.linkedid] for r in clean], clean)
    assert {r.linkedid for r in clean}.isdisjoint(adopted)
