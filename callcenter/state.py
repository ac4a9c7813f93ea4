"""The running app's typed state: the shared services plus the console and the live board."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from callcenter.services import Services

if TYPE_CHECKING:
    from agent_ui.runtime import ConsoleRuntime
    from callcenter.queues.routing.service import Router
    from kpi.board import LiveBoard


@dataclass
class AppState(Services):
    """What the lifespan built, as `app.state.callcenter`: routes and websockets read it."""

    console: ConsoleRuntime
    kpi_board: LiveBoard
    routing: Router | None = None  # the router (the FastAGI server's, when it runs)

    @classmethod
    def of(
        cls,
        services: Services,
        console: ConsoleRuntime,
        kpi_board: LiveBoard,
        routing: Router | None = None,
    ) -> AppState:
        """The services with the runtimes started on them."""
        shared = {f.name: getattr(services, f.name) for f in fields(Services)}
        return cls(**shared, console=console, kpi_board=kpi_board, routing=routing)
