"""Plugging the desk's pages into the app."""

from __future__ import annotations

from fastapi import FastAPI

from agent_ui.desk.callbacks import router as callbacks_router
from agent_ui.desk.customers import router as customers_router
from agent_ui.desk.tickets import router as tickets_router


def install_desk(app: FastAPI) -> None:
    """The desk's pages under /desk."""
    app.include_router(tickets_router)
    app.include_router(customers_router)
    app.include_router(callbacks_router)
