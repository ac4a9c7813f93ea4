"""The admin's user pages: the list, a new user, and one user's profile, role, queues and
skills."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from callcenter.deps import SessionDep, SignedInUser
from callcenter.queues.exceptions import QueueError
from callcenter.queues.members import (
    format_skills,
    memberships_by_user,
    memberships_of,
    parse_skills,
    skills_of,
)
from callcenter.users.exceptions import UserError, UserNotFound, WeakPassword
from callcenter.users.models import Team, User
from callcenter.users.service import (
    Role,
    create_user,
    get_team,
    get_user_by_id,
    list_teams,
    list_tokens,
    list_users,
    set_queues,
    set_role,
    set_skills,
    update_profile,
)

router = APIRouter(prefix="/admin", include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]
Secret = Annotated[str, Form(max_length=1024)]
# Blank rows the queue form offers for new memberships.
NEW_QUEUE_ROWS = 2


@router.get("", response_class=HTMLResponse)
def admin_home(user: AdminPage) -> Response:
    """The admin pages start with the users."""
    return redirect("/admin/users")


@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request, user: AdminPage, session: SessionDep) -> Response:
    """Every user: name, role, team, phone, queues with penalties, active or not."""
    return _render_list(request, user, session)


@router.post("/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    username: Text = "",
    display_name: Text = "",
    role: Text = "",
    team_id: Text = "",
    interface: Text = "",
    member_name: Text = "",
    queues: Annotated[str, Form(max_length=2000)] = "",
    password: Secret = "",
    password_again: Secret = "",
) -> Response:
    """A new user, with the password policy of their role (no password is ever made up)."""
    check_csrf(user, csrf_token)
    typed = {
        "username": username, "display_name": display_name, "role": role, "team_id": team_id,
        "interface": interface, "member_name": member_name, "queues": queues,
    }  # fmt: skip
    try:
        chosen_role = _role(role)
        team = _team(session, team_id)
        memberships = parse_queues(queues)
        if not password:
            raise FieldError("password", "type the user's first password")
        if password != password_again:
            raise FieldError("password_again", "the two passwords differ")
        created = create_user(
            session,
            username,
            role=chosen_role,
            password=password,
            display_name=display_name.strip() or None,
            team=team.name if team else None,
            interface=interface.strip() or None,
            member_name=member_name.strip() or None,
            queues=memberships,
        )
    except (UserError, FieldError) as exc:
        session.rollback()
        return _render_list(request, user, session, refusal(exc), typed)
    return redirect(f"/admin/users/{created.id}")


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, user_id: int, user: AdminPage, session: SessionDep) -> Response:
    """One user: profile and role, queues and penalties, password, tokens."""
    return render_user(request, user, session, user_id)


@router.post("/users/{user_id}", response_class=HTMLResponse)
def edit_profile(
    request: Request,
    user_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    display_name: Text = "",
    role: Text = "",
    team_id: Text = "",
    interface: Text = "",
    member_name: Text = "",
    admin_password: Secret = "",
) -> Response:
    """Change display name, role, team, phone and member name; a change of rights (role,
    team, phone, member name) ends the user's sessions. Making someone an admin takes a new
    password under the admin rule."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    try:
        chosen_role = _role(role)
        update_profile(
            session,
            target,
            display_name=display_name,
            team=_team(session, team_id),
            interface=interface.strip() or None,
            member_name=member_name.strip() or None,
        )
        if chosen_role != target.role:
            try:
                set_role(session, target, chosen_role, admin_password or None)
            except WeakPassword as exc:
                raise FieldError("admin_password", str(exc)) from None
    except (UserError, FieldError) as exc:
        session.rollback()
        return render_user(request, user, session, user_id, refusal(exc))
    return redirect(f"/admin/users/{user_id}")


@router.post("/users/{user_id}/queues", response_class=HTMLResponse)
def edit_queues(
    request: Request,
    user_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    queue: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 - FastAPI copies it
    penalty: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
) -> Response:
    """Replace the user's queues and penalties (a row with no queue name is dropped)."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    try:
        if len(queue) != len(penalty):
            raise FieldError("queues", "each queue needs its penalty")
        rows = [(q.strip(), p.strip()) for q, p in zip(queue, penalty, strict=True)]
        set_queues(session, target, [(q, _penalty(q, p)) for q, p in rows if q])
    except (UserError, FieldError) as exc:
        session.rollback()
        return render_user(request, user, session, user_id, refusal(exc))
    return redirect(f"/admin/users/{user_id}")


@router.post("/users/{user_id}/skills", response_class=HTMLResponse)
def edit_skills(
    request: Request,
    user_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    skills: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Replace the user's skills: `lang:de=2, product:billing=1` (empty: none)."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    try:
        set_skills(session, target, parse_skills(skills))
    except (UserError, QueueError) as exc:
        session.rollback()
        return render_user(request, user, session, user_id, refusal(exc), typed_skills=skills)
    return redirect(f"/admin/users/{user_id}")


def parse_queues(text: str) -> list[tuple[str, int]]:
    """`support:0, billing:2` (or one a line) as the CLI's --queue reads QUEUE[:PENALTY]."""
    queues = []
    for item in text.replace("\n", ",").split(","):
        name, _, penalty = item.strip().partition(":")
        if name.strip():
            queues.append((name.strip(), _penalty(name.strip(), penalty.strip() or "0")))
    return queues


def _penalty(queue: str, text: str) -> int:
    if not (text.isascii() and text.isdecimal()):
        raise FieldError("queues", f"the penalty in {queue} is a whole number (0 rings first)")
    return int(text)


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise FieldError("role", f"role: one of {', '.join(r.value for r in Role)}") from None


def _team(session: Session, text: str) -> Team | None:
    if not text:
        return None
    if not (text.isascii() and text.isdecimal()):
        raise FieldError("team_id", "choose a team from the list")
    try:
        return get_team(session, int(text))
    except UserNotFound:
        raise FieldError("team_id", "that team no longer exists; reload the page") from None


def refusal(exc: UserError | QueueError | FieldError) -> FieldError:
    """A refused form as the field to mark and the sentence for it."""
    if isinstance(exc, FieldError):
        return exc
    return FieldError(exc.field or "username", str(exc))


def find_user(session: Session, user_id: int) -> User:
    """The user of a page, or 404."""
    try:
        return get_user_by_id(session, user_id)
    except UserNotFound as exc:
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
        "users": list_users(session),
        "memberships": memberships_by_user(session),
        "teams": list_teams(session),
        "roles": [r.value for r in Role],
        "error": error.as_context() if error else {},
        "typed": typed or {"role": Role.AGENT.value},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_users.html", context, status_code=code)


def render_user(
    request: Request,
    user: SignedInUser,
    session: Session,
    user_id: int,
    error: FieldError | None = None,
    new_token: str | None = None,
    typed_skills: str | None = None,
) -> Response:
    """One user's page; with `new_token`, the token just issued, shown this once;
    `typed_skills` what was typed in a refused skills form."""
    target = find_user(session, user_id)
    context: dict[str, Any] = {
        "user": user,
        "target": target,
        "memberships": memberships_of(session, target.id),
        "skills_typed": (
            typed_skills
            if typed_skills is not None
            else format_skills(skills_of(session, target.id))
        ),
        "teams": list_teams(session),
        "roles": [r.value for r in Role],
        "tokens": list_tokens(session, target),
        "blank_rows": range(NEW_QUEUE_ROWS),
        "error": error.as_context() if error else {},
        "new_token": new_token,
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    response = templates.TemplateResponse(request, "admin_user.html", context, status_code=code)
    if new_token is not None:
        response.headers["Cache-Control"] = "no-store"  # the token is shown once
    return response
