"""Errors as pages for people in a browser: a 403 says who may see the page, a 422 names
the fields; the API, htmx and scripts keep their JSON answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent_ui.render import templates
from callcenter.deps import SignedInUser
from callcenter.errors import crm_error_handler
from crm.exceptions import CrmError

TITLES = {
    400: "This request cannot be answered",
    403: "Not for your role",
    404: "Not found",
    405: "Not allowed here",
    422: "Please check the form",
    429: "Too many requests",
}


class PageForbidden(HTTPException):
    """A signed-in user opened a page their role may not see; `allowed` names who may."""

    def __init__(self, user: SignedInUser, allowed: str) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, f"{allowed} only")
        self.user = user
        self.allowed = allowed


def wants_page(request: Request) -> bool:
    """A browser loading a page (not the API, a script's fetch or an htmx swap)."""
    if request.url.path.startswith(("/api/", "/ws/")) or "hx-request" in request.headers:
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(
    request: Request,
    code: int,
    message: str,
    *,
    user: SignedInUser | None = None,
    allowed: str | None = None,
    fields: Sequence[dict[str, str]] = (),
) -> Response:
    """The error as a page in the site's layout (with its navigation when signed in)."""
    context: dict[str, Any] = {
        "code": code,
        "title": TITLES.get(code, "Something went wrong"),
        "message": message,
        "allowed": allowed,
        "fields": list(fields),
    }
    if user is not None:
        context["user"] = user
    return templates.TemplateResponse(request, "error.html", context, status_code=code)


async def http_error(request: Request, exc: Exception) -> Response:
    """An HTTP error: a page for a browser, FastAPI's JSON `{"detail": ...}` for the rest."""
    assert isinstance(exc, StarletteHTTPException)
    if not wants_page(request) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    user = exc.user if isinstance(exc, PageForbidden) else None
    allowed = exc.allowed if isinstance(exc, PageForbidden) else None
    response = error_page(request, exc.status_code, str(exc.detail), user=user, allowed=allowed)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def crm_error(request: Request, exc: Exception) -> Response:
    """A CRM error (a ticket or customer that is not there): a page for a browser, the
    JSON with its fields for the rest."""
    assert isinstance(exc, CrmError)
    if not wants_page(request):
        return await crm_error_handler(request, exc)
    return error_page(request, exc.status_code, str(exc))
