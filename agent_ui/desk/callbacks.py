"""The desk's callback lists: mine (my queues), my team's, all; dial, done or failed."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from agent_ui.desk.forms import check_csrf
from agent_ui.desk.render import templates
from callcenter.db import utc_now
from callcenter.deps import PageUser, SessionDep
from crm.callbacks.listing import is_overdue, owed_callbacks, queues_served, team_usernames
from crm.callbacks.schemas import CallbackAttempt
from crm.callbacks.service import record_attempt
from crm.customers.models import Customer
from crm.enums import CallbackStatus

router = APIRouter(prefix="/desk", include_in_schema=False)

Token = Annotated[str, Form(max_length=128)]


class CallbackView(StrEnum):
    """Whose callbacks a list shows: promised by me (or my team), or owed in our queues."""

    MINE = "mine"
    TEAM = "team"
    ALL = "all"


@router.get("/callbacks", response_class=HTMLResponse)
def callback_list(
    request: Request,
    user: PageUser,
    session: SessionDep,
    view: CallbackView = CallbackView.MINE,
    status_: Annotated[CallbackStatus, Query(alias="status")] = CallbackStatus.OPEN,
) -> Response:
    """Callbacks owed in my queues, my team's, or all; overdue ones first, then by due time."""
    queues: set[str] | None = None
    owners = {user.username}
    if view == CallbackView.MINE:
        queues = queues_served(session, user.id)
    elif view == CallbackView.TEAM:
        if user.team_id is None:
            queues = queues_served(session, user.id)
        else:
            queues = queues_served(session, user.id, team_id=user.team_id)
            owners = team_usernames(session, user.team_id)
    rows = owed_callbacks(session, queues=queues, owners=owners, status=status_)
    now = utc_now()
    customer_ids = {c.customer_id for c in rows if c.customer_id is not None}
    names = {i: c.name for i in customer_ids if (c := session.get(Customer, i)) is not None}
    context: dict[str, Any] = {
        "user": user,
        "view": view,
        "views": list(CallbackView),
        "status": str(status_),
        "statuses": [str(s) for s in CallbackStatus],
        "rows": [(c, is_overdue(c, now)) for c in rows],
        "overdue": sum(1 for c in rows if is_overdue(c, now)),
        "queues": sorted(queues) if queues is not None else None,
        "names": names,
        "now": now,
        "may_dial": user.interface is not None,
    }
    return templates.TemplateResponse(request, "desk_callbacks.html", context)


@router.post("/callbacks/{callback_id}/attempts", response_class=HTMLResponse)
def attempt(
    callback_id: int,
    user: PageUser,
    session: SessionDep,
    csrf_token: Token = "",
    outcome: Annotated[str, Form(pattern="^(done|failed)$")] = "",
    note: Annotated[str, Form(max_length=20_000)] = "",
    back: Annotated[str, Form(max_length=200)] = "/desk/callbacks",
) -> Response:
    """Record a try: reached (done) closes the callback; failed counts an attempt."""
    check_csrf(user, csrf_token)
    try:
        data = CallbackAttempt(reached=outcome == "done", note=note.strip() or None)
    except ValidationError:  # pragma: no cover - the form's fields are bounded above
        return Response(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    record_attempt(session, callback_id, data, user.username)
    # Only back to a desk list: never a redirect to somewhere the form made up.
    target = back if back.startswith("/desk/callbacks") else "/desk/callbacks"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
