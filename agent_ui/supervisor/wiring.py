"""Plugging the supervisor pages and the live board into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from agent_ui.supervisor.agent_page import router as agent_page_router
from agent_ui.supervisor.drilldowns import router as drilldowns_router
from agent_ui.supervisor.outbound_page import router as outbound_page_router
from agent_ui.supervisor.pages import router as pages_router
from agent_ui.supervisor.quality import router as quality_router
from agent_ui.supervisor.render import STATIC_DIR
from agent_ui.supervisor.wallboard import router as wallboard_router
from callcenter.queues.presence import Presence
from callcenter.queues.service_levels import PbxServiceLevels
from kpi.aggregator import LiveKpis
from kpi.alerts import AlertLimits
from kpi.board import LiveBoard
from kpi.outbound_board import OutboundTiles
from kpi.outbound_router import router as outbound_router
from kpi.router import router as kpi_router
from kpi.thresholds import thresholds_from_settings

if TYPE_CHECKING:
    from callcenter.services import Services


def install_supervisor(app: FastAPI) -> None:
    """The supervisor pages, the wallboard socket, the KPI API and their static files."""
    app.include_router(kpi_router)
    app.include_router(outbound_router)
    app.include_router(outbound_page_router)
    app.include_router(quality_router)
    app.include_router(pages_router)
    app.include_router(drilldowns_router)
    app.include_router(wallboard_router)
    app.include_router(agent_page_router)
    # Mounted before the console's /static so this prefix wins.
    app.mount("/static/supervisor", StaticFiles(directory=STATIC_DIR), name="supervisor-static")


def start_board(state: Services, presence: Presence, pbx_levels: PbxServiceLevels) -> LiveBoard:
    """Build the live aggregator, subscribe it, rebuild today from the database, start pushing
    (inside the running loop, before the PBX link starts). Queues are judged by the PBX's
    thresholds as last stored (`pbx_levels`, loaded here) until the PBX reports them again."""
    settings = state.settings
    pbx_levels.load()
    board = LiveBoard(
        LiveKpis(
            thresholds_from_settings(settings),
            presence,
            pbx_levels=pbx_levels,
            zone=settings.zone,
        ),
        AlertLimits(settings.alert_longest_wait_s, settings.alert_pause_s),
        state.bus,
        settings.server,
        settings.wallboard_push_s,
        outbound=OutboundTiles(settings.zone),
    )
    board.start(state.sessions)
    return board
