"""HTTP answers for domain errors: the web boundary maps a CRM error to JSON with its status."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from crm.exceptions import CrmError, InvalidInput


async def crm_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A CRM error as JSON with its status; input errors name their field."""
    assert isinstance(exc, CrmError)
    errors = []
    if isinstance(exc, InvalidInput):
        errors.append({"field": exc.field, "message": exc.message, "type": "invalid"})
    return JSONResponse({"detail": str(exc), "errors": errors}, status_code=exc.status_code)
