"""What the console keeps while the app runs, and the route dependency that hands it out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from agent_ui.console_ops import ConsoleOps
from agent_ui.consoles import Consoles
from agent_ui.hub import ConsoleHub
from agent_ui.pbx import PbxControl
from agent_ui.session_watch import SessionWatch
from callcenter.settings import Settings
from callcenter.users.auth import SignInLimiter


@dataclass
class ConsoleRuntime:
    """The console's hub, agents' consoles, PBX control and open sockets' sessions, with the
    settings they run on. Routes ask the consoles through `ops`; `consoles` is set only
    where they run (None on a web worker of several, whose `ops` reach the PBX's process)."""

    settings: Settings
    hub: ConsoleHub
    consoles: Consoles | None
    pbx: PbxControl
    limiter: SignInLimiter
    sockets: SessionWatch
    ops: ConsoleOps


def console_runtime(request: Request) -> ConsoleRuntime:
    """The console runtime the lifespan started."""
    return cast(ConsoleRuntime, request.app.state.callcenter.console)


ConsoleDep = Annotated[ConsoleRuntime, Depends(console_runtime)]
