"""The admin's team pages: the list, a new team, renaming one, and who is in it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from agent_ui.admin.users import find_user, refusal
from callcenter.deps import SessionDep, SignedInUser
from callcenter.users.exceptions import UserError, UserNotFound
from callcenter.users.models import Team
from callcenter.users.service import (
    create_team,
    get_team,
    list_teams,
    list_users,
    rename_team,
    set_team,
    team_members,
)
from crm.tickets.service import rename_team as carry_tickets

router = APIRouter(prefix="/admin", include_in_schema=False)

Name = Annotated[str, Form(max_length=200)]


@router.get("/teams", response_class=HTMLResponse)
def team_list(request: Request, user: AdminPage, session: SessionDep) -> Response:
    """Every team and its members."""
    return _render_list(request, user, session)


@router.post("/teams", response_class=HTMLResponse)
def add_team(
    request: Request, user: AdminPage, session: SessionDep, csrf_token: Token = "", name: Name = ""
) -> Response:
    """A new, empty team."""
    check_csrf(user, csrf_token)
    try:
        team = create_team(session, name)
    except UserError as exc:
        session.rollback()
        return _render_list(request, user, session, refusal(exc), name)
    return redirect(f"/admin/teams/{team.id}")


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(request: Request, team_id: int, user: AdminPage, session: SessionDep) -> Response:
    """One team: its name and members; add or remove members."""
    return _render_team(request, user, session, team_id)


@router.post("/teams/{team_id}", response_class=HTMLResponse)
def rename(
    request: Request,
    team_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    name: Name = "",
) -> Response:
    """Rename the team; its tickets follow the new name."""
    check_csrf(user, csrf_token)
    team = _find_team(session, team_id)
    old = team.name
    try:
        rename_team(session, team, name)
    except UserError as exc:
        session.rollback()
        return _render_team(request, user, session, team_id, refusal(exc))
    carry_tickets(session, old, team.name)
    return redirect(f"/admin/teams/{team_id}")


@router.post("/teams/{team_id}/members", response_class=HTMLResponse)
def add_member(
    request: Request,
    team_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    user_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Move a user into the team (from whichever they were in); their sessions end."""
    check_csrf(user, csrf_token)
    team = _find_team(session, team_id)
    if not (user_id.isascii() and user_id.isdecimal()):
        error = FieldError("user_id", "choose someone from the list")
        return _render_team(request, user, session, team_id, error)
    set_team(session, find_user(session, int(user_id)), team)
    return redirect(f"/admin/teams/{team_id}")


@router.post("/teams/{team_id}/members/{user_id}/remove", response_class=HTMLResponse)
def remove_member(
    team_id: int, user_id: int, user: AdminPage, session: SessionDep, csrf_token: Token = ""
) -> Response:
    """Take a user out of the team (into none); their sessions end."""
    check_csrf(user, csrf_token)
    team = _find_team(session, team_id)
    member = find_user(session, user_id)
    if member.team_id == team.id:
        set_team(session, member, None)
    return redirect(f"/admin/teams/{team_id}")


def _find_team(session: Session, team_id: int) -> Team:
    try:
        return get_team(session, team_id)
    except UserNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _render_list(
    request: Request,
    user: SignedInUser,
    session: Session,
    error: FieldError | None = None,
    typed: str = "",
) -> Response:
    members: dict[int, list[str]] = {}
    for person in list_users(session):
        if person.team_id is not None:
            members.setdefault(person.team_id, []).append(person.display_name)
    context: dict[str, Any] = {
        "user": user,
        "teams": list_teams(session),
        "members": members,
        "error": error.as_context() if error else {},
        "typed": typed,
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_teams.html", context, status_code=code)


def _render_team(
    request: Request,
    user: SignedInUser,
    session: Session,
    team_id: int,
    error: FieldError | None = None,
) -> Response:
    team = _find_team(session, team_id)
    context: dict[str, Any] = {
        "user": user,
        "team": team,
        "members": team_members(session, team),
        "others": [u for u in list_users(session) if u.team_id != team.id],
        "error": error.as_context() if error else {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_team.html", context, status_code=code)
