"""The API's interactive docs at /docs and the site's icon, served from this site alone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from agent_ui.render import STATIC_DIR, templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, from the vendored copy in static/docs (works offline)."""
    return templates.TemplateResponse(request, "docs.html", {})


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page says."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
