"""The do-not-call pages: the global list and each campaign's own; numbers added, imported
(all or none) and removed (off the global list by admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from agent_ui.admin.uploads import upload_text
from agent_ui.error_pages import PageForbidden
from agent_ui.supervisor.access import SupervisorPage
from callcenter.campaigns import dnc, service
from callcenter.campaigns.models import Campaign
from callcenter.deps import SessionDep, SettingsDep, SignedInUser
from callcenter.users.service import Role
from crm.exceptions import CrmError, NotFound

router = APIRouter(prefix="/admin", include_in_schema=False)

Short = Annotated[str, Form(max_length=300)]
PAGE_SIZE = 50


@router.get("/dnc", response_class=HTMLResponse)
def dnc_page(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    campaign: Annotated[str, Query(max_length=12)] = "",
    number: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """One do-not-call list (global, or a campaign's), newest first, fifty a page."""
    scope = _scope(session, campaign)
    return _render(request, user, session, scope, number=number, offset=offset)


@router.post("/dnc/add", response_class=HTMLResponse)
def add_number(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    campaign: Short = "",
    number: Short = "",
    reason: Short = "",
) -> Response:
    """Put a number on the list (kept as it is when it was there already)."""
    check_csrf(user, csrf_token)
    scope = _scope(session, campaign)
    try:
        _, added = dnc.add_number(
            session,
            number,
            settings.default_region,
            campaign_id=scope.id if scope else None,
            reason=reason.strip()[:255] or None,
            added_by=user.username,
        )
    except CrmError as exc:
        session.rollback()
        error = FieldError("number", getattr(exc, "message", str(exc)))
        typed = {"number": number, "reason": reason}
        return _render(request, user, session, scope, error=error, typed=typed)
    done = "added" if added else "already"
    return redirect(f"/admin/dnc?{_query(scope)}&done={done}")


@router.post("/dnc/remove", response_class=HTMLResponse)
def remove_number(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    campaign: Short = "",
    number: Short = "",
) -> Response:
    """Take a number off the list; off the global list only an admin may."""
    check_csrf(user, csrf_token)
    scope = _scope(session, campaign)
    if scope is None and user.role != Role.ADMIN:
        raise PageForbidden(user, "admins")
    try:
        dnc.remove_number(
            session, number, settings.default_region, campaign_id=scope.id if scope else None
        )
    except CrmError as exc:
        session.rollback()
        return _render(request, user, session, scope, notice=str(exc), code=exc.status_code)
    return redirect(f"/admin/dnc?{_query(scope)}&done=removed")


@router.post("/dnc/import", response_class=HTMLResponse)
def import_numbers(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    campaign: Short = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Numbers from a file (one a line, or CSV with `number` and `reason`): all of them, or
    none and each refused line in a table."""
    check_csrf(user, csrf_token)
    scope = _scope(session, campaign)
    try:
        text = upload_text(file)
        report = dnc.import_numbers(
            session,
            text,
            settings.default_region,
            campaign_id=scope.id if scope else None,
            added_by=user.username,
        )
    except FieldError as refusal:
        return _render(request, user, session, scope, error=refusal)
    except CrmError as exc:  # not CSV at all
        session.rollback()
        unread = FieldError("file", getattr(exc, "message", str(exc)))
        return _render(request, user, session, scope, error=unread)
    if report.errors:
        session.rollback()  # all or nothing
        return _render(request, user, session, scope, refused=report.errors)
    done = f"{report.added} numbers added, {report.already} on the list already."
    return _render(request, user, session, scope, done=done)


def _scope(session: Session, campaign: str) -> Campaign | None:
    """The campaign whose list is meant, or None for the global list; 404 for a stranger."""
    campaign = campaign.strip()
    if not campaign:
        return None
    if not (campaign.isascii() and campaign.isdecimal() and len(campaign) < 12):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign!r} not found")
    try:
        return service.get_campaign(session, int(campaign))
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _query(scope: Campaign | None) -> str:
    return f"campaign={scope.id}" if scope else "campaign="


DONE = {
    "added": "Number added.",
    "already": "The number was on the list already.",
    "removed": "Number removed.",
}


def _render(
    request: Request,
    user: SignedInUser,
    session: Session,
    scope: Campaign | None,
    *,
    number: str = "",
    offset: int = 0,
    error: FieldError | None = None,
    typed: dict[str, str] | None = None,
    refused: list[tuple[int, str]] | None = None,
    notice: str = "",
    done: str = "",
    code: int | None = None,
) -> Response:
    entries, total = dnc.list_numbers(
        session,
        campaign_id=scope.id if scope else None,
        number=number.strip() or None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    context: dict[str, Any] = {
        "user": user,
        "scope": scope,
        "campaigns": service.list_campaigns(session),
        "entries": entries,
        "total": total,
        "asked": {"number": number, "offset": offset},
        "page_size": PAGE_SIZE,
        "may_remove": scope is not None or user.role == Role.ADMIN,
        "error": error.as_context() if error else {},
        "typed": typed or {},
        "refused": refused or [],
        "notice": notice,
        "done": done or DONE.get(request.query_params.get("done", ""), ""),
    }
    if code is None:
        failed = error is not None or bool(refused)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_dnc.html", context, status_code=code)
