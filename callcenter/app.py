"""The composition root: `create_app()` builds the web app and everything it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from agent_ui.admin.wiring import install_admin
from agent_ui.console_remote import start_remote_console, stop_remote_console
from agent_ui.desk.wiring import install_desk
from agent_ui.error_pages import crm_error, error_page, wants_page
from agent_ui.pbx_routes import PbxRoutes
from agent_ui.supervisor.wiring import install_supervisor, start_board
from agent_ui.wiring import install_console, start_console, stop_console
from callcenter import __version__
from callcenter.agi.server import FastAgiServer
from callcenter.bus import make_bus
from callcenter.campaigns.dial_wiring import dialing
from callcenter.campaigns.router import router as campaigns_router
from callcenter.campaigns.web_callbacks import install_web_callbacks
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.db import make_engine, make_sessionmaker, pool_options
from callcenter.deps import api_user
from callcenter.errors import database_busy, queue_error_handler
from callcenter.gc_tuning import long_lived_objects_frozen
from callcenter.queues.exceptions import QueueError
from callcenter.queues.floors import follow_floors
from callcenter.queues.presence import Presence
from callcenter.queues.router import router as queues_router
from callcenter.queues.routing.live import PresenceLive
from callcenter.queues.routing.service import Router
from callcenter.routing_wiring import start_agi_listener
from callcenter.security_headers import SecurityHeaders
from callcenter.services import Services
from callcenter.settings import Settings, get_settings
from callcenter.state import AppState
from callcenter.users.session_end import announce_ended_sessions
from callcenter.users.session_key import session_keys
from callcenter.wiring import wire_consumers
from crm.exceptions import CrmError
from crm.router import router as crm_router
from crm.sla.tasks import start_scheduler
from kpi.staffing_worker import staffing_worker


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app.

    Console and wallboard frames are small JSON, and compressing each one costs the event
    loop (which delivers screen pops) more than it saves on a LAN. X-Forwarded-For and
    X-Forwarded-Proto are believed only from the proxies named in CALLCENTER_TRUSTED_PROXIES:
    from anyone else they would let a client choose its own address (and escape the
    sign-in limits).
    """
    trusted = settings.trusted_proxies.strip()
    return {
        "ws_per_message_deflate": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app; nothing is built until its lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as state:
            app.state.callcenter = state
            yield

    # /docs is the console's page over a vendored Swagger UI (FastAPI's loads it from a CDN).
    app = FastAPI(
        title="callcenter", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(CrmError, crm_error)
    app.add_exception_handler(DBAPIError, database_busy)
    # Every CRM route needs a signed-in user or a bearer token.
    app.include_router(crm_router, dependencies=[Depends(api_user)])
    app.add_exception_handler(QueueError, queue_error_handler)
    app.include_router(queues_router, dependencies=[Depends(api_user)])
    # Outbound: campaigns, call lists, do-not-call lists (CRM errors, same sign-in).
    app.include_router(campaigns_router, dependencies=[Depends(api_user)])
    # Web pages of the company's site ask for callbacks with the site's token, no session.
    install_web_callbacks(app, settings)
    install_supervisor(app)  # before the console: its /static/supervisor mount must win
    install_console(app)
    install_desk(app)
    install_admin(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[AppState]:
    """Everything the app runs, started in order and stopped in reverse."""
    keys = session_keys(settings)  # before anything starts: no key, no app
    engine = make_engine(settings.database_url, **pool_options(settings))
    services = Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        bus=make_bus(settings),
        session_keys=keys,
    )
    await services.bus.start()  # on a shared bus: connected before anything publishes
    announce_ended_sessions(services.sessions, services.bus)
    # Without a PBX nothing in this process publishes call records: no idle writer for them.
    # With several processes the active `cti run` writes the records and the history, and
    # `callcenter worker` runs the scheduled jobs.
    alone = not settings.distributed
    consumers = wire_consumers(
        services.bus,
        services.sessions,
        settings,
        live=True,
        store_records=settings.ami is not None,
        store_history=alone,
    )
    await consumers.start()
    scheduler = (
        start_scheduler(
            services.sessions, services.bus, settings.server, settings.sla_check_interval_s
        )
        if alone
        else None
    )
    # Live presence, the console and the board subscribe before the PBX link starts, so no
    # agent event is missed.
    presence = Presence()
    presence.subscribe(services.bus)
    requests: PbxRoutes | None = None
    if alone:
        console = start_console(services, presence)
    else:  # the consoles run in the PBX's active process; tabs are relayed from Redis
        console, requests = await start_remote_console(services, presence)
    # Live KPIs: today rebuilt from stored calls, then fed by the bus (before the PBX).
    board = start_board(services, presence, consumers.service_levels)
    # A web worker of several learns the floor (agents' states, callers waiting) from each
    # PBX's process at start (or its first event) and after the bus lost events; the deltas
    # follow on the bus.
    floor = (
        follow_floors(
            requests.call_for,
            services.bus,
            settings.server,
            also=await requests.served(),
            awaiting=board.kpis.await_floor,
        )
        if requests is not None
        else None
    )
    adapter: LiveAdapter | None = None
    routing: Router | None = None
    agi: FastAgiServer | None = None
    dialer = AsyncExitStack()
    try:
        # Routing on the app's own Presence; the FastAGI server with CALLCENTER_AGI_LISTEN.
        routing, agi = await start_agi_listener(
            services.sessions, settings, PresenceLive(presence), services.bus
        )
        if settings.ami is not None:
            # The PBX link in the same process: its events reach the CRM on this bus.
            adapter = LiveAdapter(
                settings.ami,
                server=settings.server,
                bus=services.bus,
                region=settings.default_region,
                wrap_up_reason=settings.wrap_up_reason,
                checkpoints=Checkpoints(services.sessions),
            )
            # Before the start: the resync's agent states reach consoles that may ask the
            # PBX at once (since when a wrap-up pause holds).
            console.pbx.connection = adapter.connection
            console.pbx.calls = adapter.pipeline.tracker
            await adapter.start()
            # The campaigns' dialer on the adapter's connection: started after it, stopped
            # before it.
            started = await dialer.enter_async_context(
                dialing(
                    pbx=adapter.connection,
                    sessions=services.sessions,
                    bus=services.bus,
                    presence=presence,
                    server=settings.server,
                    settings=settings,
                )
            )
            campaigns = getattr(console.consoles, "campaigns", None)
            if campaigns is not None:  # the console's campaign mode reaches the dialer
                dialer.callback(campaigns.attach_dialer(started))
        with long_lived_objects_frozen():
            yield AppState.of(services, console=console, kpi_board=board, routing=routing)
    finally:
        await dialer.aclose()
        if agi is not None:
            await agi.stop()
        if routing is not None:
            routing.close()
        staffing_worker().close()
        if floor is not None:
            await floor.stop()
        await board.stop()
        if requests is not None:
            await stop_remote_console(console, requests)
        else:
            await stop_console(console)
        if adapter is not None:
            await adapter.stop()
        await consumers.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        engine.dispose()
        await services.bus.stop()


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """422 with one entry per bad field: where it is (`name`, `query.limit`) and why.

    Body fields are named by their path in the body (`phones.0.number`), as services name
    the fields they refuse, so a client handles both the same way. A browser loading a
    page gets a page naming each field.
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
    if wants_page(request):
        fields = [{"label": _label(e["field"]), "message": e["message"]} for e in errors]
        return error_page(request, 422, "Some fields need another value", fields=fields)
    return JSONResponse({"detail": "invalid input", "errors": errors}, status_code=422)


def _label(field: str) -> str:
    """`query.calls_per_hour` -> `calls per hour`: the field as a person reads it."""
    return field.rsplit(".", 1)[-1].replace("_", " ")


def _field_name(loc: object) -> str:
    parts = [str(part) for part in loc] if isinstance(loc, (list, tuple)) else [str(loc)]
    if parts[:1] == ["body"] and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)
