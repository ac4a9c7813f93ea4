"""Plugging the console into the app: its runtime (hub, consoles, PBX control) and its routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent_ui.campaign_routes import router as campaign_router
from agent_ui.console_ops import LocalConsoleOps
from agent_ui.consoles import Consoles
from agent_ui.docs_page import router as docs_router
from agent_ui.error_pages import http_error
from agent_ui.hub import PopHub
from agent_ui.pbx import ConsoleError, PbxControl
from agent_ui.render import STATIC_DIR
from agent_ui.routes_auth import router as auth_router
from agent_ui.routes_console import router as console_router
from agent_ui.routes_work import router as work_router
from agent_ui.runtime import ConsoleRuntime
from agent_ui.session_watch import SessionWatch
from agent_ui.ws import router as ws_router
from callcenter.deps import SignInRequired
from callcenter.queues.presence import Presence
from callcenter.users.auth import SignInLimiter

if TYPE_CHECKING:
    from callcenter.services import Services


def start_console(state: Services, presence: Presence) -> ConsoleRuntime:
    """Build the console's runtime and subscribe it to the bus (inside the running loop)."""
    settings = state.settings
    hub = PopHub(settings.console_replay_frames)
    pbx = PbxControl(None, settings.console_dial_context, hold_keys=settings.console_hold_keys)
    consoles = Consoles(
        hub=hub, sessions=state.sessions, settings=settings, presence=presence, pbx=pbx
    )
    consoles.start(state.bus)
    sockets = SessionWatch(state)
    sockets.start()
    return ConsoleRuntime(
        settings=settings,
        hub=hub,
        consoles=consoles,
        pbx=pbx,
        limiter=SignInLimiter(),
        sockets=sockets,
        ops=LocalConsoleOps(consoles),
    )


async def stop_console(runtime: ConsoleRuntime) -> None:
    """Close consoles' websockets and stop the consoles' timers."""
    runtime.hub.close()
    await runtime.sockets.stop()
    if runtime.consoles is not None:
        await runtime.consoles.stop()


def install_console(app: FastAPI) -> None:
    """Add the console's pages, actions, websocket, static files and error answers."""
    app.include_router(auth_router)
    app.include_router(console_router)
    app.include_router(work_router)
    app.include_router(campaign_router)
    app.include_router(ws_router)
    app.include_router(docs_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(ConsoleError, _console_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


async def _sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/signin?next={exc.next_path}", status_code=303)


async def _console_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConsoleError)
    return JSONResponse({"detail": str(exc), "errors": []}, status_code=exc.status_code)
