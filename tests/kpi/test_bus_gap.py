"""Several processes: the board shows a gap while the shared bus is down or lost events, and
counts today again from the stored calls once it is back with events lost."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from callcenter.events import BusLinkChanged, CallEnded, PbxConnectionChanged
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.alerts import AlertLimits, evaluate, evaluate_live
from kpi.board import LiveBoard
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import ROLLUPS, at, call, visit

BOOK = ThresholdBook(QueueThresholds(20, 5, 0.8))
LIMITS = AlertLimits()
STORED = call("c1", visit("support", "09:10:00", V.ANSWERED, 5, 60, agent="ann"))
MISSED = call("c2", visit("support", "09:20:00", V.ANSWERED, 5, 60, agent="ann"))


def link(clock: str, up: bool, lost: int | None = 0) -> BusLinkChanged:
    return BusLinkChanged(at=at(clock), server="", up=up, lost=lost)


def floor(*, subscribed: bool = True) -> tuple[LiveKpis, Bus]:
    bus, presence = Bus(), Presence()
    presence.subscribe(bus)
    kpis = LiveKpis(BOOK, presence, lambda: at("10:00:00"))
    if subscribed:  # else the board subscribes it
        kpis.subscribe(bus)
    bus.publish(PbxConnectionChanged(at=at("08:00:00"), server="pbx", connected=True))
    return kpis, bus


def alerts(kpis: LiveKpis) -> list[str]:
    found = evaluate_live(kpis, LIMITS)
    assert found == evaluate(kpis.snapshot(), LIMITS)
    return [alert.message for alert in found if alert.kind == "pbx_down"]


def test_down_is_a_gap_and_back_with_nothing_lost_ends_it() -> None:
    kpis, bus = floor()
    bus.publish(link("09:30:00", up=False))
    assert kpis.pbx_link()["state"] == "bus_down" and kpis.pbx_link()["data_gap"]
    assert alerts(kpis) == ["Bus link down since 09:30 UTC: figures have a data gap"]
    bus.publish(link("09:31:00", up=True, lost=0))
    assert kpis.pbx_link()["state"] == "up" and not kpis.pbx_link()["data_gap"]
    assert alerts(kpis) == []


def test_back_with_events_lost_stays_a_gap_until_today_is_counted_again() -> None:
    kpis, bus = floor()
    bus.publish(CallEnded(at=at("09:21:00"), server="pbx", record=MISSED))
    bus.publish(link("09:30:00", up=False))
    bus.publish(link("09:31:00", up=True, lost=3))
    bus.publish(link("09:32:00", up=True, lost=2))  # another process's outbox overflowed
    assert kpis.pbx_link()["detail"] == "5 events lost on the bus: counting today again"
    assert alerts(kpis) == ["Since 09:30 UTC: 5 events lost on the bus: counting today again"]
    assert kpis.bus_gap.recount_due
    kpis.recount([STORED])  # the stored calls are the truth
    assert kpis.queues["support"].today.answered == 1
    assert kpis.agent_days["ann"].calls_today == 1
    assert alerts(kpis) == [] and not kpis.bus_gap.recount_due


def test_an_unknown_loss_while_down_waits_for_the_link() -> None:
    kpis, bus = floor()
    bus.publish(link("09:30:00", up=True, lost=None))
    bus.publish(link("09:31:00", up=False))
    assert not kpis.bus_gap.recount_due  # counting now would miss what is still coming
    bus.publish(link("09:32:00", up=True, lost=0))
    assert kpis.bus_gap.recount_due
    assert "how many unknown" in kpis.pbx_link()["detail"]


async def test_the_board_counts_today_again_from_the_database(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        store_calls(session, [STORED], after_store=ROLLUPS)
    kpis, bus = floor(subscribed=False)
    board = LiveBoard(kpis, LIMITS, bus, "pbx", period_s=0.01)
    board.start(sessions)
    try:
        bus.publish(CallEnded(at=at("09:21:00"), server="pbx", record=MISSED))
        assert kpis.queues["support"].today.answered == 2
        bus.publish(link("09:31:00", up=True, lost=None))
        deadline = time.monotonic() + 5
        while kpis.bus_gap.state:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert kpis.queues["support"].today.answered == 1
    finally:
        await board.stop()
