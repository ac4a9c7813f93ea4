"""HTTP answers for domain errors: the web boundary maps a CRM error to JSON with its status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from callcenter.db_busy import BUSY_MESSAGE, RETRY_AFTER_S, is_busy
from callcenter.queues.exceptions import DuplicateQueue, QueueError, QueueNotFound
from crm.exceptions import CrmError, InvalidInput


class FieldError(BaseModel):
    """One input problem, pointing at its field."""

    field: str
    message: str
    type: str


class ErrorOut(BaseModel):
    """The body of every 4xx answer: a sentence, and per field what is wrong (422)."""

    detail: str
    errors: list[FieldError] = []


# What any signed-in route may answer besides success; routers extend it with their own.
HTTP_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a body that is not readable JSON, or a bad period"},
    401: {"model": ErrorOut, "description": "not signed in: send Authorization: Bearer TOKEN"},
    403: {"model": ErrorOut, "description": "not for your role (docs/security.md)"},
    422: {"model": ErrorOut, "description": "invalid input, per field"},
}


async def crm_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A CRM error as JSON with its status; input errors name their field."""
    assert isinstance(exc, CrmError)
    errors = []
    if isinstance(exc, InvalidInput):
        errors.append({"field": exc.field, "message": exc.message, "type": "invalid"})
    return JSONResponse({"detail": str(exc), "errors": errors}, status_code=exc.status_code)


async def queue_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A refused queue request as JSON: 404 unknown, 409 taken, else 422 naming its field."""
    assert isinstance(exc, QueueError)
    if isinstance(exc, QueueNotFound):
        return JSONResponse({"detail": str(exc), "errors": []}, status_code=404)
    code = 409 if isinstance(exc, DuplicateQueue) else 422
    errors = [{"field": exc.field, "message": str(exc), "type": "invalid"}] if exc.field else []
    return JSONResponse({"detail": str(exc), "errors": errors}, status_code=code)


log = logging.getLogger(__name__)


async def database_busy(request: Request, exc: Exception) -> Response:
    """503 with Retry-After for a busy database; any other database error stays a 500."""
    assert isinstance(exc, DBAPIError)
    if not is_busy(exc):
        raise exc
    log.warning("%s %s: database busy, answered 503 (%s)", request.method, request.url.path,
                exc.orig)  # fmt: skip
    return JSONResponse(
        {"detail": BUSY_MESSAGE, "errors": []},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
