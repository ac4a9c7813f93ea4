"""Plugging the admin pages into the app."""

from __future__ import annotations

from fastapi import FastAPI

from agent_ui.admin.account import router as account_router
from agent_ui.admin.call_lists import router as call_lists_router
from agent_ui.admin.campaigns import router as campaigns_router
from agent_ui.admin.dnc_pages import router as dnc_router
from agent_ui.admin.kb import router as kb_router
from agent_ui.admin.list_leads import router as list_leads_router
from agent_ui.admin.queues import router as queues_router
from agent_ui.admin.routing import router as routing_router
from agent_ui.admin.routing_api import router as routing_api_router
from agent_ui.admin.sla import router as sla_router
from agent_ui.admin.teams import router as teams_router
from agent_ui.admin.users import router as users_router


def install_admin(app: FastAPI) -> None:
    """The admin pages under /admin (outbound's for supervisors too)."""
    app.include_router(users_router)
    app.include_router(account_router)
    app.include_router(teams_router)
    app.include_router(queues_router)
    app.include_router(sla_router)
    app.include_router(kb_router)
    app.include_router(routing_router)
    app.include_router(routing_api_router)
    # Outbound, for supervisors and admins.
    app.include_router(campaigns_router)
    app.include_router(call_lists_router)
    app.include_router(list_leads_router)
    app.include_router(dnc_router)
