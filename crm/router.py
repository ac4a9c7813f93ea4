"""The CRM's HTTP API under /api (the app adds sign-in for every route and maps CRM errors)."""

from __future__ import annotations

from fastapi import APIRouter

from crm.routes_customers import router as customers
from crm.routes_desk import router as desk
from crm.routes_tickets import router as tickets

# Every route needs a signed-in user: the app includes this router with `api_user`. Routes
# that delete records or change SLA targets and business hours also check the user's role.
router = APIRouter(prefix="/api")
router.include_router(customers)
router.include_router(tickets)
router.include_router(desk)
