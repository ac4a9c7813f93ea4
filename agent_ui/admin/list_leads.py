"""One call list's page: its leads (of one state, or matching a number or name), more leads
from a CSV file or one at a time, and a lead dropped from the work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.call_lists import describe_query, find_list, read_list_csv
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from agent_ui.admin.uploads import upload_text
from agent_ui.supervisor.access import SupervisorPage
from callcenter.campaigns import leads, lists
from callcenter.campaigns.enums import LeadOrigin, LeadState
from callcenter.campaigns.lists import ListImport
from callcenter.campaigns.models import CallList
from callcenter.deps import SessionDep, SettingsDep, SignedInUser
from crm.exceptions import Conflict, InvalidInput, NotFound
from crm.routing import PathId

router = APIRouter(prefix="/admin", include_in_schema=False)

Short = Annotated[str, Form(max_length=300)]
PAGE_SIZE = 50


@router.get("/call-lists/{list_id}", response_class=HTMLResponse)
def leads_page(
    request: Request,
    list_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    state: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """One list's leads (of one state, or matching a number or name), fifty a page."""
    return _render(request, user, session, find_list(session, list_id), state, q, offset)


@router.post("/call-lists/{list_id}/import", response_class=HTMLResponse)
def import_into_list(
    request: Request,
    list_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """More leads from a CSV file onto the list (numbers on it already are skipped)."""
    check_csrf(user, csrf_token)
    call_list = find_list(session, list_id)
    try:
        text = upload_text(file)
        report = read_list_csv(
            session, text, settings.default_region, settings.time_zone, call_list
        )
    except FieldError as error:
        return _render(request, user, session, call_list, error=error)
    if report.errors:
        session.rollback()
        return _render(request, user, session, find_list(session, list_id), refused=report.errors)
    lists.store_leads(session, call_list, report)
    return _render(request, user, session, call_list, report=report)


@router.post("/call-lists/{list_id}/leads", response_class=HTMLResponse)
def add_lead(
    request: Request,
    list_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    number: Short = "",
    name: Short = "",
    time_zone: Short = "",
) -> Response:
    """One more lead on the list (blocked when nobody may call the number)."""
    check_csrf(user, csrf_token)
    call_list = find_list(session, list_id)
    try:
        lead = leads.create_lead(
            session,
            call_list,
            number,
            region=settings.default_region,
            site_zone=settings.time_zone,
            origin=LeadOrigin.API,
            name=name.strip()[:255] or None,
            time_zone=time_zone.strip() or None,
        )
    except InvalidInput as exc:
        session.rollback()
        error = FieldError(exc.field, exc.message)
        typed = {"number": number, "name": name, "time_zone": time_zone}
        return _render(
            request, user, session, find_list(session, list_id), error=error, typed=typed
        )
    return redirect(f"/admin/call-lists/{list_id}?q={lead.number.lstrip('+')}")


@router.post("/call-lists/{list_id}/leads/{lead_id}/cancel", response_class=HTMLResponse)
def cancel_lead(
    request: Request,
    list_id: PathId,
    lead_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    csrf_token: Token = "",
) -> Response:
    """Drop a lead from the work; refused (the page's notice) while it is being called."""
    check_csrf(user, csrf_token)
    call_list = find_list(session, list_id)
    try:
        lead = leads.get_lead(session, lead_id)
        if lead.list_id != list_id:
            raise NotFound("lead", f"{lead_id} on call list {call_list.name}")
        leads.cancel_lead(session, lead_id, user.username)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except Conflict as exc:
        session.rollback()
        found = find_list(session, list_id)
        return _render(request, user, session, found, notice=str(exc), code=exc.status_code)
    return redirect(f"/admin/call-lists/{list_id}")


def _render(
    request: Request,
    user: SignedInUser,
    session: Session,
    call_list: CallList,
    state: str = "",
    q: str = "",
    offset: int = 0,
    *,
    error: FieldError | None = None,
    typed: dict[str, str] | None = None,
    refused: list[tuple[int, str]] | None = None,
    report: ListImport | None = None,
    notice: str = "",
    code: int | None = None,
) -> Response:
    known = [str(s) for s in LeadState]
    chosen = state if state in known else None
    rows, total = leads.list_leads(
        session, call_list.id, state=chosen, search=q.strip() or None, limit=PAGE_SIZE,
        offset=offset,
    )  # fmt: skip
    by_state, tried = lists.lead_counts(session, call_list.id)
    context: dict[str, Any] = {
        "user": user,
        "call_list": call_list,
        "query_text": describe_query(call_list.query),
        "leads": rows,
        "total": total,
        "by_state": by_state,
        "tried": tried,
        "states": known,
        "droppable": (LeadState.OPEN, LeadState.EXHAUSTED, LeadState.BLOCKED),
        "asked": {"state": chosen or "", "q": q, "offset": offset},
        "page_size": PAGE_SIZE,
        "error": error.as_context() if error else {},
        "typed": typed or {},
        "refused": refused or [],
        "report": report,
        "notice": notice,
    }
    if code is None:
        failed = error is not None or bool(refused)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_call_list.html", context, status_code=code)
