"""The CRM's HTTP API under /api, and the mapping of CRM errors to HTTP answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crm.exceptions import CrmError, InvalidInput
from crm.routes_customers import router as customers
from crm.routes_desk import router as desk
from crm.routes_tickets import router as tickets

# Sign-in (a later issue) adds its dependency here, once, for every CRM route.
router = APIRouter(prefix="/api")
router.include_router(customers)
router.include_router(tickets)
router.include_router(desk)


async def crm_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A CRM error as JSON with its status; input errors name their field."""
    assert isinstance(exc, CrmError)
    errors = []
    if isinstance(exc, InvalidInput):
        errors.append({"field": exc.field, "message": exc.message, "type": "invalid"})
    return JSONResponse({"detail": str(exc), "errors": errors}, status_code=exc.status_code)
