"""Plugging the console into the app: its runtime (hub, consoles, PBX control) and its routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from agent_ui.config import ConsoleSettings
from agent_ui.consoles import Consoles
from agent_ui.hub import PopHub
from agent_ui.pbx import ConsoleError, PbxControl
from agent_ui.render import STATIC_DIR
from callcenter.deps import SignInRequired
from callcenter.users.auth import SignInLimiter

if TYPE_CHECKING:
    from callcenter.app import AppState
    from callcenter.cti.connection import AmiConnection


@dataclass
class ConsoleRuntime:
    """What the console keeps while the app runs."""

    config: ConsoleSettings
    hub: PopHub
    consoles: Consoles
    pbx: PbxControl
    limiter: SignInLimiter


def start_console(
    state: AppState,
    connection: AmiConnection | None = None,
    config: ConsoleSettings | None = None,
) -> ConsoleRuntime:
    """Build the console's runtime and subscribe it to the bus (inside the running loop)."""
    config = config or ConsoleSettings()
    hub = PopHub(config.replay_frames)
    pbx = PbxControl(connection, config.dial_context)
    consoles = Consoles(
        hub=hub,
        sessions=state.sessions,
        region=state.settings.default_region,
        config=config,
        pbx=pbx,
    )
    consoles.start(state.bus)
    return ConsoleRuntime(
        config=config, hub=hub, consoles=consoles, pbx=pbx, limiter=SignInLimiter()
    )


async def stop_console(runtime: ConsoleRuntime) -> None:
    """Close consoles' websockets and stop the consoles' timers."""
    runtime.hub.close()
    await runtime.consoles.stop()


def console_runtime(request: Request) -> ConsoleRuntime:
    """The console runtime the lifespan started."""
    return cast(ConsoleRuntime, request.app.state.console)


ConsoleDep = Annotated[ConsoleRuntime, Depends(console_runtime)]


def install_console(app: FastAPI) -> None:
    """Add the console's pages, actions, websocket, static files and error answers."""
    from agent_ui.routes_auth import router as auth_router
    from agent_ui.routes_console import router as console_router
    from agent_ui.routes_work import router as work_router
    from agent_ui.ws import router as ws_router

    app.include_router(auth_router)
    app.include_router(console_router)
    app.include_router(work_router)
    app.include_router(ws_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(ConsoleError, _console_error)


async def _sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/signin?next={exc.next_path}", status_code=303)


async def _console_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConsoleError)
    return JSONResponse({"detail": str(exc), "errors": []}, status_code=exc.status_code)
