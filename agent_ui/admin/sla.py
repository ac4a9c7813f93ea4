"""The admin's SLA pages: each priority's targets, and the business-hours calendars they
count in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.hours_form import (
    WEEKDAYS,
    read_holidays,
    read_slots,
    shown_days,
    shown_holidays,
)
from agent_ui.admin.render import templates
from callcenter.deps import SessionDep, SignedInUser
from crm.enums import TicketPriority
from crm.exceptions import Conflict, CrmError, InvalidInput, NotFound
from crm.sla.models import BusinessHours
from crm.sla.schemas import BusinessHoursIn, SLAPolicyIn
from crm.sla.service import get_business_hours, list_business_hours, list_policies, put_policy
from crm.sla.service import save_business_hours as save_hours

router = APIRouter(prefix="/admin", include_in_schema=False)

Short = Annotated[str, Form(max_length=200)]


@router.get("/sla", response_class=HTMLResponse)
def sla_page(request: Request, user: AdminPage, session: SessionDep) -> Response:
    """Each priority's first-response and resolution targets; the business hours."""
    return _render_sla(request, user, session)


@router.post("/sla/policies/{priority}", response_class=HTMLResponse)
def save_policy(
    request: Request,
    priority: TicketPriority,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    first_response_minutes: Short = "",
    resolution_minutes: Short = "",
    business_hours_id: Short = "",
) -> Response:
    """Set one priority's targets; new tickets follow them, open ones keep their due times."""
    check_csrf(user, csrf_token)
    typed = {
        "first_response_minutes": first_response_minutes,
        "resolution_minutes": resolution_minutes,
        "business_hours_id": business_hours_id,
    }
    try:
        data = SLAPolicyIn(
            first_response_minutes=_whole(first_response_minutes, "first_response_minutes"),
            resolution_minutes=_whole(resolution_minutes, "resolution_minutes"),
            business_hours_id=_whole(business_hours_id, "business_hours_id")
            if business_hours_id
            else None,
        )
        put_policy(session, priority, data)
    except ValidationError as exc:
        error = _first_error(exc, "first_response_minutes")
        return _render_sla(request, user, session, error, priority, typed)
    except (CrmError, FieldError) as exc:
        session.rollback()
        return _render_sla(request, user, session, _refusal(exc), priority, typed)
    return redirect(f"/admin/sla#policy-{priority}")


@router.get("/sla/hours/new", response_class=HTMLResponse)
def new_hours_page(request: Request, user: AdminPage, session: SessionDep) -> Response:
    """An empty calendar to fill in."""
    return _render_hours(request, user, None, None)


@router.get("/sla/hours/{hours_id}", response_class=HTMLResponse)
def hours_page(request: Request, hours_id: int, user: AdminPage, session: SessionDep) -> Response:
    """One calendar: weekly opening times in a time zone, holidays."""
    return _render_hours(request, user, _find_hours(session, hours_id), None)


@router.post("/sla/hours", response_class=HTMLResponse)
def create_hours(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    name: Short = "",
    timezone: Short = "",
    is_default: Short = "",
    day: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 - FastAPI copies it
    holidays: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    """A new calendar."""
    check_csrf(user, csrf_token)
    typed = {"name": name, "timezone": timezone, "is_default": bool(is_default), "days": day,
             "holidays": holidays}  # fmt: skip
    return _save_hours(request, user, session, None, typed)


@router.post("/sla/hours/{hours_id}", response_class=HTMLResponse)
def replace_hours(
    request: Request,
    hours_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    name: Short = "",
    timezone: Short = "",
    is_default: Short = "",
    day: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 - FastAPI copies it
    holidays: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    """Replace a calendar (tickets already open keep their due times)."""
    check_csrf(user, csrf_token)
    _find_hours(session, hours_id)
    typed = {"name": name, "timezone": timezone, "is_default": bool(is_default), "days": day,
             "holidays": holidays}  # fmt: skip
    return _save_hours(request, user, session, hours_id, typed)


def _save_hours(
    request: Request,
    user: SignedInUser,
    session: Session,
    hours_id: int | None,
    typed: dict[str, Any],
) -> Response:
    try:
        data = BusinessHoursIn.model_validate(
            {
                "name": typed["name"],
                "timezone": typed["timezone"],
                "is_default": typed["is_default"],
                "slots": read_slots(typed["days"]),
                "holidays": read_holidays(typed["holidays"]),
            }
        )
        saved = save_hours(session, data, hours_id)
    except ValidationError as exc:
        hours = _find_hours(session, hours_id) if hours_id else None
        return _render_hours(request, user, hours, _first_error(exc, "name"), typed)
    except (CrmError, FieldError) as exc:
        session.rollback()
        hours = _find_hours(session, hours_id) if hours_id else None
        return _render_hours(request, user, hours, _refusal(exc), typed)
    return redirect(f"/admin/sla/hours/{saved.id}")


def _whole(text: str, field: str) -> int:
    if not (text.strip().isascii() and text.strip().isdecimal()):
        raise FieldError(field, "a whole number of minutes")
    return int(text)


def _first_error(exc: ValidationError, fallback: str) -> FieldError:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else fallback
    message = str(first["msg"]).removeprefix("Value error, ")
    return FieldError(field, f"{field.replace('_', ' ')}: {message}")


def _refusal(exc: CrmError | FieldError) -> FieldError:
    if isinstance(exc, FieldError):
        return exc
    if isinstance(exc, InvalidInput):
        return FieldError(exc.field, str(exc))
    if isinstance(exc, Conflict):
        return FieldError("name", str(exc))
    raise exc


def _find_hours(session: Session, hours_id: int) -> BusinessHours:
    try:
        return get_business_hours(session, hours_id)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _render_sla(
    request: Request,
    user: SignedInUser,
    session: Session,
    error: FieldError | None = None,
    priority: TicketPriority | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    policies = {p.priority: p for p in list_policies(session)}
    context: dict[str, Any] = {
        "user": user,
        "priorities": [str(p) for p in TicketPriority],
        "policies": policies,
        "calendars": list_business_hours(session),
        "error": error.as_context() if error else {},
        "refused": str(priority) if priority else None,
        "typed": typed or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_sla.html", context, status_code=code)


def _render_hours(
    request: Request,
    user: SignedInUser,
    hours: BusinessHours | None,
    error: FieldError | None,
    typed: dict[str, Any] | None = None,
) -> Response:
    shown = typed or {
        "name": hours.name if hours else "",
        "timezone": hours.timezone if hours else "UTC",
        "is_default": hours.is_default if hours else False,
        "days": shown_days(hours),
        "holidays": shown_holidays(hours),
    }
    context: dict[str, Any] = {
        "user": user,
        "hours": hours,
        "shown": shown,
        "weekdays": WEEKDAYS,
        "error": error.as_context() if error else {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_hours.html", context, status_code=code)
