"""The CRM's HTTP API under /api (the app adds sign-in for every route and maps CRM errors)."""

from __future__ import annotations

from fastapi import APIRouter

from crm.callbacks.router import router as callbacks
from crm.customers.router import router as customers
from crm.interactions.router import router as interactions
from crm.kb.router import router as kb
from crm.lookup.router import router as lookup
from crm.sla.router import router as sla
from crm.tickets.router import router as tickets

# Every route needs a signed-in user: the app includes this router with `api_user`. Routes
# that delete records or change SLA targets and business hours also check the user's role.
router = APIRouter(prefix="/api")
# In this order the OpenAPI document lists the screen pop first, as the agents meet it.
for part in (lookup, customers, interactions, tickets, kb, callbacks, sla):
    router.include_router(part)
