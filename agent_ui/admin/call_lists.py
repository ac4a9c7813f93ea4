"""The supervisor's call-list page: lists with their leads by state, a new list from a CSV
file (all rows or none, each refused row reported) or from a CRM query, built again on
demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.forms import FieldError, Token, check_csrf
from agent_ui.admin.render import templates
from agent_ui.admin.uploads import upload_text
from agent_ui.supervisor.access import SupervisorPage
from callcenter.campaigns import lists
from callcenter.campaigns.enums import ListSource
from callcenter.campaigns.lists import ListBuild, ListImport
from callcenter.campaigns.models import CallList
from callcenter.deps import SessionDep, SettingsDep, SignedInUser
from crm.enums import CustomerCategory
from crm.exceptions import CrmError, InvalidInput, NotFound
from crm.routing import PathId

router = APIRouter(prefix="/admin", include_in_schema=False)

Short = Annotated[str, Form(max_length=200)]
CsvFile = Annotated[UploadFile | None, File()]
QUERY_KINDS = {
    "customers": "Customers of a category",
    "open_callbacks": "Open callbacks",
    "tickets_resolved": "Tickets resolved some days ago (a satisfaction call)",
}
PAGE_SIZE = 50


@router.get("/call-lists", response_class=HTMLResponse)
def call_list_page(request: Request, user: SupervisorPage, session: SessionDep) -> Response:
    """Every call list with its leads by state; forms for a new one."""
    return _render(request, user, session)


@router.post("/call-lists/upload", response_class=HTMLResponse)
def upload_list(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    name: Short = "",
    file: CsvFile = None,
) -> Response:
    """A new list from a CSV file: every row, or nothing and each refused row in a table."""
    check_csrf(user, csrf_token)
    typed = {"name": name}
    try:
        _free_name(session, name)
        text = upload_text(file)
        report = read_list_csv(session, text, settings.default_region, settings.time_zone)
    except FieldError as error:
        return _render(request, user, session, error=error, typed=typed)
    if report.errors:
        session.rollback()
        return _render(request, user, session, refused=report.errors, typed=typed)
    call_list = lists.create_list(session, name, ListSource.CSV, created_by=user.username)
    lists.store_leads(session, call_list, report)
    return _render(request, user, session, report=report, reported=call_list.name)


@router.post("/call-lists/query", response_class=HTMLResponse)
def query_list(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    name: Short = "",
    kind: Short = "",
    category: Short = "",
    days_ago: Short = "1",
) -> Response:
    """A new list built from a CRM query (kept on the list to build it again)."""
    check_csrf(user, csrf_token)
    typed = {"query_name": name, "kind": kind, "category": category, "days_ago": days_ago}
    query: dict[str, Any] = {"kind": kind}
    if kind == "customers":
        query["category"] = category
    elif kind == "tickets_resolved":
        days = days_ago.strip()
        query["days_ago"] = int(days) if days.isascii() and days.isdecimal() else days
    try:
        _free_name(session, name, "query_name")
        call_list = lists.create_list(
            session, name, ListSource.QUERY, query=query, created_by=user.username
        )
        build = lists.build_list(session, call_list, settings.time_zone)
    except (FieldError, InvalidInput) as exc:
        session.rollback()
        error = exc if isinstance(exc, FieldError) else FieldError(_query_field(exc), exc.message)
        return _render(request, user, session, error=error, typed=typed)
    return _render(request, user, session, done=_built(call_list, build))


@router.post("/call-lists/{list_id}/rebuild", response_class=HTMLResponse)
def rebuild_list(
    request: Request,
    list_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
) -> Response:
    """Add the query's new matches (nothing already on the list is added twice)."""
    check_csrf(user, csrf_token)
    call_list = find_list(session, list_id)
    try:
        build = lists.build_list(session, call_list, settings.time_zone)
    except CrmError as exc:
        session.rollback()
        return _render(request, user, session, notice=str(exc), code=exc.status_code)
    return _render(request, user, session, done=_built(call_list, build))


def _free_name(session: Session, name: str, field: str = "name") -> None:
    if not name.strip() or len(name.strip()) > 128:
        raise FieldError(field, "give the list a name of 1 to 128 characters")
    if lists.list_by_name(session, name.strip()) is not None:
        raise FieldError(field, f"a call list named {name.strip()!r} exists already")


def read_list_csv(
    session: Session, text: str, region: str, zone: str, call_list: CallList | None = None
) -> ListImport:
    try:
        return lists.read_csv(session, text, region, zone, call_list=call_list)
    except ValueError as exc:
        raise FieldError("file", f"not a call-list CSV: {exc}") from None


def _query_field(exc: InvalidInput) -> str:
    return {"query.kind": "kind", "query.category": "category", "query.days_ago": "days_ago"}.get(
        exc.field, "query_name"
    )


def _built(call_list: CallList, build: ListBuild) -> str:
    return (
        f"{call_list.name}: {build.added} leads added ({build.blocked} of them blocked),"
        f" {build.already} on the list already, {build.no_number} without a phone number."
    )


def describe_query(query: dict[str, Any] | None) -> str:
    """A list's CRM query in words."""
    if not query:
        return ""
    if query.get("kind") == "customers":
        return f"customers of category {query.get('category')}"
    if query.get("kind") == "tickets_resolved":
        days = query.get("days_ago", 1)
        when = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
        return f"tickets resolved {when}"
    return "open callbacks"


def find_list(session: Session, list_id: int) -> CallList:
    try:
        return lists.get_list(session, list_id)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _render(
    request: Request,
    user: SignedInUser,
    session: Session,
    *,
    error: FieldError | None = None,
    typed: dict[str, str] | None = None,
    refused: list[tuple[int, str]] | None = None,
    report: ListImport | None = None,
    reported: str = "",
    done: str = "",
    notice: str = "",
    code: int | None = None,
) -> Response:
    rows = [(c, *lists.lead_counts(session, c.id)) for c in lists.list_lists(session)]
    context: dict[str, Any] = {
        "user": user,
        "rows": rows,
        "describe_query": describe_query,
        "query_kinds": QUERY_KINDS,
        "categories": [str(c) for c in CustomerCategory],
        "error": error.as_context() if error else {},
        "typed": typed or {},
        "refused": refused or [],
        "report": report,
        "reported": reported,
        "done": done,
        "notice": notice,
    }
    if code is None:
        failed = error is not None or bool(refused)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_call_lists.html", context, status_code=code)
