"""The composition root: `create_app()` builds the web app and everything it runs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.supervisor.wiring import install_supervisor, start_board
from agent_ui.wiring import install_console, start_console, stop_console
from callcenter import __version__
from callcenter.bus import Bus
from callcenter.db import make_engine, make_sessionmaker
from callcenter.deps import api_user
from callcenter.errors import crm_error_handler
from callcenter.queues.presence import Presence
from callcenter.settings import Settings, get_settings
from callcenter.users.session_key import SessionKeys, session_keys
from crm.exceptions import CrmError
from crm.history import CallHistory
from crm.router import router as crm_router
from crm.tasks import start_scheduler

# How uvicorn serves the app: console and wallboard frames are small JSON, and compressing
# each one costs the event loop (which delivers screen pops) more than it saves on a LAN.
SERVER_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}


@dataclass
class AppState:
    """What the lifespan builds and hands to routes as typed state."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bus: Bus
    session_keys: SessionKeys


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app; nothing is built until its lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keys = session_keys(settings)  # before anything starts: no key, no app
        engine = make_engine(settings.database_url)
        state = AppState(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            bus=Bus(),
            session_keys=keys,
        )
        app.state.callcenter = state
        collection = gc.get_threshold()
        history = asyncio.create_task(
            CallHistory(state.sessions, settings).run(state.bus), name="crm-call-history"
        )
        await asyncio.sleep(0)  # let it subscribe before anything can publish
        scheduler = start_scheduler(
            state.sessions, state.bus, settings.server, settings.sla_check_interval_s
        )
        adapter = None
        # Live presence, the console and the board subscribe before the PBX link starts,
        # so no agent event is missed.
        presence = Presence()
        presence.subscribe(state.bus)
        console = start_console(state, presence)
        app.state.console = console
        # Live KPIs: today rebuilt from stored calls, then fed by the bus (before the PBX).
        board = start_board(state, presence)
        app.state.kpi_board = board
        try:
            if settings.ami is not None:
                # The PBX link in the same process: its events reach the CRM on this bus.
                from callcenter.cti.live import LiveAdapter

                live = LiveAdapter(
                    settings.ami,
                    server=settings.server,
                    sessions=state.sessions,
                    bus=state.bus,
                    region=settings.default_region,
                    wrap_up_reason=settings.wrap_up_reason,
                )
                await live.start()
                adapter = live
                console.pbx.connection = live.connection
                console.pbx.calls = live.pipeline.tracker
            # A full garbage collection walks every live object (a floor's websockets, the
            # calls in flight) and stops the event loop, and every pop, meanwhile. What is
            # built so far (modules, routes, mappers) lives as long as the app: frozen out of
            # those walks. And they run a tenth as often; young garbage goes as usual.
            gc.freeze()
            gc.set_threshold(*collection[:2], collection[2] * 10)
            yield
        finally:
            gc.set_threshold(*collection)
            gc.unfreeze()
            await board.stop()
            await stop_console(console)
            if adapter is not None:
                await adapter.stop()
            scheduler.shutdown(wait=True)
            history.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await history
            engine.dispose()

    app = FastAPI(title="callcenter", version=__version__, lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(CrmError, crm_error_handler)
    # Every CRM route needs a signed-in user or a bearer token.
    app.include_router(crm_router, dependencies=[Depends(api_user)])
    install_supervisor(app)  # before the console: its /static/supervisor mount must win
    install_console(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with one entry per bad field: where it is (`name`, `query.limit`) and why.

    Body fields are named by their path in the body (`phones.0.number`), as services name
    the fields they refuse, so a client handles both the same way.
    """
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_name(error.get("loc", ())),
            "message": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "invalid")),
        }
        for error in exc.errors()
    ]
    return JSONResponse({"detail": "invalid input", "errors": errors}, status_code=422)


def _field_name(loc: object) -> str:
    parts = [str(part) for part in loc] if isinstance(loc, (list, tuple)) else [str(loc)]
    if parts[:1] == ["body"] and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)
