"""The live adapter takes each queue's service-level threshold from the simulated PBX's
QueueStatus answer (QueueParams, over real TCP), keeps it for the board and stores it, and
the board's Asterisk-style service level then agrees with the PBX's own ServicelevelPerf."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.cti.adapter import LiveAdapter
from callcenter.queues.presence import Presence
from callcenter.queues.service_levels import PbxServiceLevels
from callcenter.settings import AmiTarget, Settings
from callcenter.wiring import wire_consumers
from kpi.aggregator import LiveKpis
from kpi.thresholds import thresholds_from_settings
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx_client import (
    AmiTestClient,
    logged_in,
    running_pbx,
    scripted_scenario,
    send_caller,
)
from tests.waiting import until

IVAN = "PJSIP/2001"  # the one sales agent (sales: servicelevel 30; support: 20)


async def a_sales_caller_waits(pbx: SimulatedPbx, console: AmiTestClient, wait_s: float) -> None:
    """Ivan away until a sales caller has waited `wait_s` seconds, then he answers."""
    paused = console.send("QueuePause", ("Interface", IVAN), ("Paused", "true"))
    assert (await console.response(paused))["Response"] == "Success"
    send_caller(console, "15551230001", "Ann Customer", queue="sales")
    await console.event("QueueCallerJoin", Queue="sales")
    joined = pbx.clock.now()
    await asyncio.sleep(pbx.clock.wall_delay(joined + wait_s))
    unpaused = console.send("QueuePause", ("Interface", IVAN), ("Paused", "false"))
    assert (await console.response(unpaused))["Response"] == "Success"
    await console.event("AgentComplete", Queue="sales")


async def pbx_service_level(console: AmiTestClient, queue: str) -> float:
    """The PBX's own ServicelevelPerf of `queue` (a fraction), from a QueueStatus answer."""
    action = console.send("QueueStatus", ("Queue", queue))
    await console.event("QueueStatusComplete", ActionID=action)
    params = next(m for m in console.events("QueueParams") if m.get("ActionID") == action)
    return float(params["ServicelevelPerf"]) / 100


async def test_the_board_judges_a_queue_by_the_threshold_the_pbx_reports(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    settings = Settings(database_url=database_url)
    async with running_pbx(scripted_scenario(), speed=25.0) as pbx, logged_in(pbx) as console:
        bus = Bus()
        consumers = wire_consumers(bus, sessions, settings, live=True, store_records=False)
        await consumers.start()
        levels = consumers.service_levels
        levels.load()
        kpis = LiveKpis(
            thresholds_from_settings(settings),
            Presence(),
            lambda: datetime.fromtimestamp(pbx.clock.epoch_now(), UTC),
            pbx_levels=levels,
        )
        kpis.subscribe(bus)
        target = AmiTarget(host="127.0.0.1", port=pbx.port, username="crm", secret="crmsecret")
        adapter = LiveAdapter(target, server="simpbx", bus=bus, first_retry=0.05)
        await adapter.start()
        try:
            await until(lambda: adapter.feed.resyncs == 1)
            assert levels.seconds() == {"support": 20.0, "sales": 30.0}
            # 25 s: within sales' 30 s, not within the default 20 s.
            await a_sales_caller_waits(pbx, console, 25.0)
            await until(lambda: kpis.queue("sales").today.answered == 1)
            sales = kpis.snapshot()["queues"]["sales"]
            assert (sales["service_level_s"], sales["service_level_source"]) == (30, "pbx")
            assert sales["today"]["service_level_asterisk"] == await pbx_service_level(
                console, "sales"
            )
            assert sales["today"]["service_level_asterisk"] == 1.0
        finally:
            await adapter.stop()
            await consumers.stop()
    # Stored with the PBX's name and when it was seen: the next start judges alike.
    restarted = PbxServiceLevels(sessions)
    restarted.load()
    assert {q: (lv.server, lv.seconds) for q, lv in restarted.levels.items()} == {
        "support": ("simpbx", 20.0),
        "sales": ("simpbx", 30.0),
    }
