"""The composition root: `create_app()` builds the web app and everything it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter import __version__
from callcenter.bus import Bus
from callcenter.db import make_engine, make_sessionmaker
from callcenter.settings import Settings, get_settings


@dataclass
class AppState:
    """What the lifespan builds and hands to routes as typed state."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bus: Bus


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app; nothing is built until its lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        state = AppState(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            bus=Bus(),
        )
        app.state.callcenter = state
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="callcenter", version=__version__, lifespan=lifespan)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
