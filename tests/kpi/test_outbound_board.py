"""The wallboard's outbound tiles: today's figures per live campaign, as the report counts
them, the agents in the campaign's queue, refreshed after the dialer's events."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.db import utc_now
from callcenter.events import AgentStateChanged, DomainEvent
from callcenter.queues.presence import Presence
from callcenter.settings import Settings
from kpi.aggregator import LiveKpis, day_start
from kpi.alerts import AlertLimits
from kpi.board import LiveBoard
from kpi.outbound import outbound_report
from kpi.outbound_board import TILE_FIELDS, OutboundTiles, dialer_events
from kpi.reports import ReportQuery
from kpi.thresholds import ThresholdBook
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import DAY, at
from tests.kpi.outbound_data import RENEWALS_DAY, store_outbound_day


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_outbound_day(session)


def joined(agent: str, state: AgentState, queues: tuple[str, ...]) -> AgentStateChanged:
    return AgentStateChanged(
        at=at("09:00:00"), server="pbx", agent=agent, interface=f"PJSIP/{agent}", state=state,
        reason=None, queue=None, queues=queues,
    )  # fmt: skip


def test_tiles_are_todays_report_of_live_campaigns(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    tiles = OutboundTiles(clock=lambda: at("23:00:00"))
    with sessions() as session:
        tiles.update(tiles.read(session))
    # survey is stopped: no tile; callbacks runs with nothing dialled yet.
    assert sorted(tiles.figures) == ["callbacks", "renewals"]
    renewals = tiles.figures["renewals"]
    assert {k: renewals[k] for k in TILE_FIELDS} == {k: RENEWALS_DAY[k] for k in TILE_FIELDS}
    assert renewals["abandon_level_today"] == "bad"  # 25 % against a 3 % cap
    bus, presence = Bus(), Presence()
    presence.subscribe(bus)
    bus.publish(joined("ann", AgentState.AVAILABLE, ("renewals",)))
    bus.publish(joined("bob", AgentState.ON_CALL, ("renewals", "support")))
    bus.publish(joined("cy", AgentState.AVAILABLE, ("support",)))
    tile = tiles.tiles(presence)["renewals"]
    assert tile["agents_signed_in"] == 2
    assert (tile["agents"]["available"], tile["agents"]["on_call"]) == (1, 1)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_a_tile_agrees_with_the_report_of_today_so_far(
    stored: None, sessions: sessionmaker[Session], zone: str
) -> None:
    site = ZoneInfo(zone)
    now = at("09:30:00")  # mid-morning: part of the attempts so far
    tiles = OutboundTiles(site, clock=lambda: now)
    with sessions() as session:
        read = tiles.read(session)["renewals"]
        query = ReportQuery(day_start(now, site), now, None, 900, site)
        report = outbound_report(session, query, ["renewals"])
    (totals,) = report.totals.values()
    assert {k: read[k] for k in TILE_FIELDS} == {k: totals[k] for k in TILE_FIELDS}
    # Kolkata's day began at 18:30 UTC the day before: yesterday's two attempts are not in it.
    assert (read["dials"], read["connects"]) == (6, 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptEnded(DomainEvent):
    """Stands for the dialer's DialAttemptEnded until callcenter.events has it."""

    attempt_id: int


def test_a_dialer_event_makes_the_tiles_due() -> None:
    bus, tiles = Bus(), OutboundTiles()
    stop = tiles.subscribe(bus, [AttemptEnded])
    bus.publish(AttemptEnded(at=DAY, server="pbx", attempt_id=1))
    assert tiles.due
    assert tiles.update({}) is False  # nothing changed, no new version
    assert not tiles.due
    stop()
    bus.publish(AttemptEnded(at=DAY, server="pbx", attempt_id=2))
    assert not tiles.due
    assert all(kind.__module__ == "callcenter.events" for kind in dialer_events())


def test_the_board_pushes_outbound_tiles(stored: None, sessions: sessionmaker[Session]) -> None:
    async def scenario() -> tuple[dict[str, Any], bool, int]:
        clock = lambda: at("23:00:00")  # noqa: E731
        bus, presence = Bus(), Presence()
        presence.subscribe(bus)
        kpis = LiveKpis(ThresholdBook(), presence, clock)
        tiles = OutboundTiles(clock=clock)
        board = LiveBoard(kpis, AlertLimits(), bus, "pbx", 3600.0, outbound=tiles)
        board.start(sessions)
        queue = board.attach()
        first = queue.get_nowait()
        quiet = board.tick()  # nothing changed
        with sessions() as session, session.begin():
            from callcenter.campaigns.models import Campaign

            session.query(Campaign).filter_by(name="callbacks").update({"state": "stopped"})
        await board.refresh_outbound()
        board.tick()
        later = queue.get_nowait()
        await board.stop()
        return first, quiet, len(later["outbound"])

    first, quiet, later = asyncio.run(scenario())
    assert first["outbound"]["renewals"]["dials"] == RENEWALS_DAY["dials"]
    assert not quiet
    assert later == 1  # callbacks stopped: its tile went


def test_the_wallboard_socket_carries_the_tiles(
    settings: Settings, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    now = utc_now()
    day = now - timedelta(hours=11)  # the hand-counted attempts, 2 h to 55 min ago
    with sessions() as session, session.begin():
        store_outbound_day(session, datetime(day.year, day.month, day.day, tzinfo=day.tzinfo))
    from callcenter.app import create_app

    with TestClient(create_app(settings), base_url="http://testserver") as client:
        sign_in_as(client, staff, "admin")
        with client.websocket_connect("/ws/wallboard") as socket:
            snapshot = socket.receive_json()
        page = client.get("/supervisor/wallboard")
    with sessions() as session:
        today = outbound_report(
            session, ReportQuery(day_start(now, settings.zone), utc_now(), None, None)
        )
    tile = snapshot["outbound"]["renewals"]
    (figures,) = [t for cid, t in today.totals.items() if today.name(cid) == "renewals"]
    for name in ("dials", "connects", "abandons", "conversions", "leads_left"):
        assert tile[name] == figures[name]
    assert 'id="wb-campaigns"' in page.text
