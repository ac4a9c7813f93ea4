"""The supervisor's campaign pages: the list with its progress and Start / Pause / Stop, and
one campaign's form (a new one, or a draft or paused one; read-only while it runs)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from agent_ui.admin.campaign_form import (
    DEFAULT_GAPS,
    GAP_LABELS,
    MODES,
    NEW_DISPOSITION_ROWS,
    WEEKDAYS,
    invalid_input,
    refused,
    shown_of,
    typed_of,
    values_of,
)
from agent_ui.admin.forms import FieldError, PostedForm, check_csrf, redirect
from agent_ui.admin.render import templates
from agent_ui.error_pages import PageForbidden
from agent_ui.supervisor.access import SupervisorPage
from callcenter.campaigns import lists, service
from callcenter.campaigns.dispositions import FLAGS
from callcenter.campaigns.hours import describe
from callcenter.campaigns.models import Campaign
from callcenter.campaigns.schemas import GAP_KEYS, CampaignCreate, CampaignUpdate
from callcenter.deps import SessionDep, SignedInUser
from callcenter.queues.records import list_queues
from callcenter.users.service import Role, list_teams, list_users
from crm.exceptions import Conflict, CrmError, InvalidInput, NotFound
from crm.routing import PathId

router = APIRouter(prefix="/admin", include_in_schema=False)

ACTIONS = {
    "start": service.start_campaign,
    "pause": service.pause_campaign,
    "stop": service.stop_campaign,
}
DONE = {"start": "started", "pause": "paused", "stop": "stopped"}


@router.get("/campaigns", response_class=HTMLResponse)
def campaign_list(request: Request, user: SupervisorPage, session: SessionDep) -> Response:
    """Every campaign: mode, state, its list's leads by state and penetration."""
    return _render_list(request, user, session)


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_campaign(request: Request, user: SupervisorPage, session: SessionDep) -> Response:
    """The form of a new campaign, with the default dispositions."""
    return _render_form(request, user, session, None)


@router.post("/campaigns/new", response_class=HTMLResponse)
def add_campaign(
    request: Request, user: SupervisorPage, session: SessionDep, form: PostedForm
) -> Response:
    """A new draft campaign; a refused form stores nothing and marks the field."""
    check_csrf(user, str(form.get("csrf_token", "")))
    typed = typed_of(form)
    try:
        values = values_of(typed)
        _check_name(session, values["name"], None)
        campaign = service.create_campaign(session, _valid(CampaignCreate, values))
    except (FieldError, InvalidInput) as exc:
        session.rollback()
        return _render_form(request, user, session, None, typed=typed, error=_field(exc))
    return redirect(f"/admin/campaigns/{campaign.id}")


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    request: Request, campaign_id: PathId, user: SupervisorPage, session: SessionDep
) -> Response:
    """One campaign's settings (editable as a draft or paused) and its progress."""
    return _render_form(request, user, session, _find(session, campaign_id))


@router.post("/campaigns/{campaign_id}", response_class=HTMLResponse)
def save_campaign(
    request: Request,
    campaign_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    """Replace a draft or paused campaign's settings; refused while it runs (pause first)."""
    check_csrf(user, str(form.get("csrf_token", "")))
    _find(session, campaign_id)
    typed = typed_of(form)
    try:
        service.update_campaign(session, campaign_id, CampaignUpdate())  # running: Conflict
        values = values_of(typed)
        _check_name(session, values["name"], campaign_id)
        service.update_campaign(session, campaign_id, _valid(CampaignUpdate, values))
    except (FieldError, InvalidInput) as exc:
        session.rollback()
        found = _find(session, campaign_id)
        return _render_form(request, user, session, found, typed=typed, error=_field(exc))
    except Conflict as exc:
        session.rollback()
        found = _find(session, campaign_id)
        return _render_form(
            request, user, session, found, notice=str(exc), code=status.HTTP_409_CONFLICT
        )
    return redirect(f"/admin/campaigns/{campaign_id}?saved=1")


@router.post("/campaigns/{campaign_id}/delete", response_class=HTMLResponse)
def delete_campaign(
    request: Request,
    campaign_id: PathId,
    user: SupervisorPage,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    """Remove a draft (admins only); a campaign that ran is stopped instead."""
    check_csrf(user, str(form.get("csrf_token", "")))
    if user.role != Role.ADMIN:
        raise PageForbidden(user, "admins")
    try:
        service.delete_campaign(session, campaign_id)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except Conflict as exc:
        session.rollback()
        return _render_list(request, user, session, notice=str(exc), code=exc.status_code)
    return redirect("/admin/campaigns")


@router.post("/campaigns/{campaign_id}/{action}", response_class=HTMLResponse)
def change_state(
    request: Request,
    campaign_id: PathId,
    action: Literal["start", "pause", "stop"],
    user: SupervisorPage,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    """Start, pause or stop; a refusal (a running campaign started again, nobody to work
    it) is the page's notice and changes nothing."""
    check_csrf(user, str(form.get("csrf_token", "")))
    back_to_page = form.get("back") == "campaign"
    try:
        campaign = ACTIONS[action](session, campaign_id)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except CrmError as exc:
        session.rollback()
        text = exc.message if isinstance(exc, InvalidInput) else str(exc)
        if back_to_page:
            found = _find(session, campaign_id)
            return _render_form(request, user, session, found, notice=text, code=exc.status_code)
        return _render_list(request, user, session, notice=text, code=exc.status_code)
    if back_to_page:
        return redirect(f"/admin/campaigns/{campaign_id}?done={action}")
    return redirect(f"/admin/campaigns?done={action}&campaign={campaign.id}")


def _valid(schema: type[CampaignCreate] | type[CampaignUpdate], values: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise refused(exc) from None


def _field(exc: FieldError | InvalidInput) -> FieldError:
    return exc if isinstance(exc, FieldError) else invalid_input(exc.field, exc.message)


def _check_name(session: Session, name: str, own_id: int | None) -> None:
    found = service.campaign_by_name(session, name.strip())
    if found is not None and found.id != own_id:
        raise FieldError("name", f"a campaign named {name.strip()!r} exists already")


def _find(session: Session, campaign_id: int) -> Campaign:
    try:
        return service.get_campaign(session, campaign_id)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _done(request: Request, session: Session) -> str:
    """The notice after a change that worked (named by the redirect that followed it)."""
    action = request.query_params.get("done", "")
    if request.query_params.get("saved"):
        return "Saved."
    if action not in DONE:
        return ""
    which = request.query_params.get("campaign", "")
    campaign = session.get(Campaign, int(which)) if which.isdecimal() and len(which) < 12 else None
    return f"Campaign {campaign.name} {DONE[action]}." if campaign else f"Campaign {DONE[action]}."


def _render_list(
    request: Request,
    user: SignedInUser,
    session: Session,
    *,
    notice: str = "",
    code: int = status.HTTP_200_OK,
) -> Response:
    names = {c.id: c.name for c in lists.list_lists(session)}
    rows = [
        (c, service.progress(session, c), names.get(c.list_id, ""))
        for c in service.list_campaigns(session)
    ]
    context: dict[str, Any] = {
        "user": user,
        "rows": rows,
        "notice": notice,
        "done": "" if notice else _done(request, session),
        "describe": describe,
    }
    return templates.TemplateResponse(request, "admin_campaigns.html", context, status_code=code)


def _render_form(
    request: Request,
    user: SignedInUser,
    session: Session,
    campaign: Campaign | None,
    *,
    typed: dict[str, Any] | None = None,
    error: FieldError | None = None,
    notice: str = "",
    code: int | None = None,
) -> Response:
    shown = typed or shown_of(campaign)
    people = [u for u in list_users(session) if u.interface or u.username in shown["agents"]]
    known = {u.username for u in people}
    context: dict[str, Any] = {
        "user": user,
        "campaign": campaign,
        "editable": campaign is None or campaign.state in service.EDITABLE,
        "progress": service.progress(session, campaign) if campaign else None,
        "shown": shown,
        "blank_rows": NEW_DISPOSITION_ROWS,
        "lists": lists.list_lists(session),
        "queues": [q.name for q in list_queues(session)],
        "people": people,
        "unknown_agents": [a for a in shown["agents"] if a not in known],
        "teams": sorted({t.name for t in list_teams(session)} | set(shown["teams"])),
        "modes": MODES,
        "weekdays": WEEKDAYS,
        "gap_keys": GAP_KEYS,
        "gap_labels": GAP_LABELS,
        "default_gaps": DEFAULT_GAPS,
        "flags": FLAGS,
        "error": error.as_context() if error else {},
        "notice": notice,
        "done": "" if notice or error else _done(request, session),
    }
    if code is None:
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_campaign.html", context, status_code=code)
