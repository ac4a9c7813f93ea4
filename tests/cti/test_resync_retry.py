"""A refused resync is retried, at once on FullyBooted, and shown on the board (issue 12, item 3).

After `core restart now` the adapter logs in while Asterisk is still booting: QueueStatus
is refused with the words Asterisk uses for an action no loaded module provides, until
app_queue loads and FullyBooted is sent. Real AMI bytes over TCP (the in-test PBX).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.cti.adapter import LiveAdapter
from callcenter.events import CallEnded, PbxConnectionChanged
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.alerts import AlertLimits, evaluate_live
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook
from tests.conftest import FIXTURES
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import PbxState
from tests.cti.test_resync_adoption import ANN, body, offset_after
from tests.waiting import until

BOOT = FIXTURES / "ami" / "resync" / "boot.raw"  # a login during `core restart now`


def captured(start_of_frame: bytes) -> bytes:
    """The first frame of the boot capture that starts with `start_of_frame`."""
    data = BOOT.read_bytes()
    start = data.index(start_of_frame)
    return data[start : data.index(b"\r\n\r\n", start) + 4]


# Asterisk's words while app_queue is not loaded yet, and its FullyBooted once it is.
BOOTING = captured(b"Response: Error").decode().split("Message: ")[1].strip()
FULLY_BOOTED = captured(b"Event: FullyBooted")
# The steps of the resync backoff: 1 s doubling, capped at 15 s.
STEPS = (1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0)


def board(bus: Bus) -> LiveKpis:
    kpis = LiveKpis(
        ThresholdBook(QueueThresholds(20, 5, 0.8)), Presence(), lambda: datetime.now(UTC)
    )
    kpis.subscribe(bus)
    return kpis


async def test_a_restart_mid_call_closes_the_call_once_asterisk_has_fully_booted() -> None:
    data = body()
    talking = offset_after(data, "BridgeEnter", 2)
    bus = Bus()
    ended: list[CallRecord] = []
    links: list[PbxConnectionChanged] = []
    bus.subscribe(CallEnded, lambda event: ended.append(event.record))
    bus.subscribe(PbxConnectionChanged, links.append)
    kpis = board(bus)
    async with AmiServer() as pbx:
        pbx.stamp_logins = True
        # A long first retry: only FullyBooted can bring the resync back in this test.
        adapter = LiveAdapter(
            pbx.target, server="pbx-test", bus=bus, first_retry=0.01, resync_first_retry=60
        )
        await adapter.start()
        await until(lambda: adapter.feed.resyncs == 1)
        await pbx.stream(data[:talking])  # Ann talks with Alice

        # `core restart now`: every channel is gone; the manager answers before app_queue.
        now = pbx.state.now
        pbx.drop()
        pbx.state = PbxState(now=now + 5)
        pbx.booted = False
        pbx.refuse["QueueStatus"] = BOOTING
        await until(lambda: adapter.feed.failed_resyncs == 1)
        assert ended == []  # nothing the adapter may close yet
        link = kpis.snapshot()["pbx_link"]
        assert (link["state"], link["data_gap"]) == ("resync_pending", True)
        assert "Invalid/unknown command" in link["detail"]
        since = datetime.fromisoformat(link["since"]).strftime("%H:%M")
        (alert,) = [a for a in evaluate_live(kpis, AlertLimits()) if a.kind == "pbx_down"]
        assert alert.message.startswith(f"PBX link: resync pending since {since}")

        await pbx.boot(FULLY_BOOTED)  # app_queue loaded
        await until(lambda: adapter.feed.resyncs == 2)
        await adapter.stop()

    # | call | what happened                        | record                         |
    # | Ann  | cut by the restart while talking     | answered by Alice, data_gap    |
    assert [(r.linkedid, r.outcome, r.agent, r.data_gap) for r in ended] == [
        (ANN, "answered", "Alice", True)
    ]
    assert [link.connected for link in links] == [True, False, False, True]
    assert kpis.snapshot()["pbx_link"]["state"] == "up"
    assert pbx.count("QueueStatus") == 3  # first login, refused, after FullyBooted


async def test_a_refused_resync_is_asked_again_with_backoff_until_it_is_answered() -> None:
    bus = Bus()
    kpis = board(bus)
    async with AmiServer() as pbx:
        pbx.refuse["QueueStatus"] = BOOTING
        adapter = LiveAdapter(pbx.target, server="pbx-test", bus=bus, resync_first_retry=0.02)
        await adapter.start()
        await until(lambda: adapter.feed.failed_resyncs >= 3)
        assert kpis.snapshot()["pbx_link"]["state"] == "resync_pending"
        del pbx.refuse["QueueStatus"]  # no FullyBooted: the backoff alone brings it back
        await until(lambda: adapter.feed.resyncs == 1)
        await adapter.stop()
    assert pbx.logins == 1
    assert kpis.snapshot()["pbx_link"]["state"] == "up"


async def test_the_resync_backoff_doubles_from_one_second_to_fifteen() -> None:
    """The delays the adapter asks for between refused resyncs, read without waiting them out:
    each retry is put off by the injected scheduler, which records the delay and runs it now."""
    delays: list[float] = []
    parked: list[Callable[[], None]] = []
    loop = asyncio.get_running_loop()

    def call_later(delay: float, retry: Callable[[], None]) -> asyncio.Handle:
        delays.append(delay)
        if len(delays) < len(STEPS):
            return loop.call_soon(retry)
        parked.append(retry)  # the last one waits for the test
        return loop.call_later(3600, lambda: None)

    async with AmiServer() as pbx:
        pbx.refuse["QueueStatus"] = BOOTING
        adapter = LiveAdapter(pbx.target, server="pbx-test", bus=Bus())  # the default backoff
        adapter.feed.call_later = call_later
        await adapter.start()
        await until(lambda: bool(parked))
        assert adapter.feed.failed_resyncs == len(STEPS)
        # Each delay is drawn between half and all of its step (jitter), the step doubling
        # from 1 s and held at 15 s.
        assert len(delays) == len(STEPS)
        for delay, step in zip(delays, STEPS, strict=True):
            assert step / 2 <= delay <= step, (delays, STEPS)
        del pbx.refuse["QueueStatus"]
        parked[0]()
        await until(lambda: adapter.feed.resyncs == 1)
        await adapter.stop()
    assert pbx.logins == 1
