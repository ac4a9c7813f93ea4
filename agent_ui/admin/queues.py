"""The admin's queue pages: the list with a new queue, and one queue's settings and numbers."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from agent_ui.admin.users import refusal
from callcenter.deps import SessionDep, SignedInUser
from callcenter.queues.directory import queue_members
from callcenter.queues.exceptions import QueueError, QueueNotFound
from callcenter.queues.models import ServiceQueue
from callcenter.queues.records import (
    QueueFields,
    create_queue,
    delete_queue,
    get_queue,
    list_queues,
    update_queue,
)
from crm.sla.service import list_business_hours

router = APIRouter(prefix="/admin", include_in_schema=False)

Short = Annotated[str, Form(max_length=200)]
FIELDS = ("display_name", "service_level_s", "service_level_target", "short_abandon_s",
          "business_hours_id", "overflow", "numbers")  # fmt: skip


@router.get("/queues", response_class=HTMLResponse)
def queue_list(request: Request, user: AdminPage, session: SessionDep) -> Response:
    """Every queue record: name, numbers, thresholds, hours, open or closed."""
    return _render_list(request, user, session)


@router.post("/queues", response_class=HTMLResponse)
def add_queue(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    name: Short = "",
    display_name: Short = "",
) -> Response:
    """A new queue record, named as the PBX names the queue; its settings come next."""
    check_csrf(user, csrf_token)
    try:
        queue = create_queue(session, name, QueueFields(display_name=display_name))
    except QueueError as exc:
        session.rollback()
        typed = {"name": name, "display_name": display_name}
        return _render_list(request, user, session, refusal(exc), typed)
    return redirect(f"/admin/queues/{queue.name}")


@router.get("/queues/{name}", response_class=HTMLResponse)
def queue_page(request: Request, name: str, user: AdminPage, session: SessionDep) -> Response:
    """One queue: display name, thresholds, target, hours, numbers, overflow, open."""
    return _render_queue(request, user, session, _find(session, name))


@router.post("/queues/{name}", response_class=HTMLResponse)
def save_queue(
    request: Request,
    name: str,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    display_name: Short = "",
    service_level_s: Short = "",
    service_level_target: Short = "",
    short_abandon_s: Short = "",
    business_hours_id: Short = "",
    overflow: Short = "",
    numbers: Annotated[str, Form(max_length=5000)] = "",
    open: Short = "",
) -> Response:
    """Replace the queue's settings and numbers; the board and reports use them at once."""
    check_csrf(user, csrf_token)
    queue = _find(session, name)
    typed = {"display_name": display_name, "service_level_s": service_level_s,
             "service_level_target": service_level_target, "short_abandon_s": short_abandon_s,
             "business_hours_id": business_hours_id, "overflow": overflow, "numbers": numbers,
             "open": bool(open)}  # fmt: skip
    try:
        update_queue(session, queue, read_fields(typed))
    except (QueueError, FieldError) as exc:
        session.rollback()
        return _render_queue(request, user, session, _find(session, name), refusal(exc), typed)
    return redirect(f"/admin/queues/{name}")


@router.post("/queues/{name}/delete", response_class=HTMLResponse)
def remove_queue(
    request: Request, name: str, user: AdminPage, session: SessionDep, csrf_token: Token = ""
) -> Response:
    """Delete the queue record and its numbers (agents keep their memberships)."""
    check_csrf(user, csrf_token)
    try:
        delete_queue(session, _find(session, name))
    except QueueError as exc:
        session.rollback()
        error = FieldError("delete", str(exc))
        return _render_queue(request, user, session, _find(session, name), error)
    return redirect("/admin/queues")


def read_fields(typed: dict[str, Any]) -> QueueFields:
    """The form's text as queue settings; a value that is no number marks its field."""
    target = _number(typed["service_level_target"], "service_level_target", "a percentage")
    hours = typed["business_hours_id"]
    if hours and not (hours.isascii() and hours.isdecimal()):
        raise FieldError("business_hours_id", "choose business hours from the list")
    return QueueFields(
        display_name=typed["display_name"],
        service_level_s=_number(typed["service_level_s"], "service_level_s", "seconds"),
        service_level_target=None if target is None else target / 100,
        short_abandon_s=_number(typed["short_abandon_s"], "short_abandon_s", "seconds"),
        business_hours_id=int(hours) if hours else None,
        overflow=typed["overflow"].strip() or None,
        open=typed["open"],
        numbers=tuple(n for n in typed["numbers"].replace(",", "\n").splitlines() if n.strip()),
    )


def _number(text: str, field: str, what: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FieldError(field, f"type {what} as a number, or leave it empty") from None
    if not math.isfinite(value):
        raise FieldError(field, f"type {what} as a number, or leave it empty")
    return value


def _find(session: Session, name: str) -> ServiceQueue:
    try:
        return get_queue(session, name)
    except QueueNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _render_list(
    request: Request,
    user: SignedInUser,
    session: Session,
    error: FieldError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "queues": list_queues(session),
        "calendars": {c.id: c.name for c in list_business_hours(session)},
        "error": error.as_context() if error else {},
        "typed": typed or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_queues.html", context, status_code=code)


def _render_queue(
    request: Request,
    user: SignedInUser,
    session: Session,
    queue: ServiceQueue,
    error: FieldError | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "queue": queue,
        "shown": typed or _shown(queue),
        "calendars": list_business_hours(session),
        "others": [q.name for q in list_queues(session) if q.name != queue.name],
        "members": queue_members(session, queue.name),
        "error": error.as_context() if error else {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_queue.html", context, status_code=code)


def _shown(queue: ServiceQueue) -> dict[str, Any]:
    """The stored settings as the form shows them (the target as a percentage)."""
    target = queue.service_level_target
    return {
        "display_name": queue.display_name,
        "service_level_s": _plain(queue.service_level_s),
        "service_level_target": "" if target is None else _plain(round(target * 100, 4)),
        "short_abandon_s": _plain(queue.short_abandon_s),
        "business_hours_id": str(queue.business_hours_id or ""),
        "overflow": queue.overflow or "",
        "numbers": "\n".join(n.number for n in queue.numbers),
        "open": queue.open,
    }


def _plain(value: float | None) -> str:
    """20.0 as `20`, 7.5 as `7.5`, None as empty."""
    return "" if value is None else f"{value:g}"
