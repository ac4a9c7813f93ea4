"""A user's access, from the admin's user page: a new password, deactivation, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.users import find_user, refusal, render_user
from callcenter.deps import SessionDep
from callcenter.users.exceptions import UserError
from callcenter.users.service import issue_token, revoke_tokens, set_active, set_password

router = APIRouter(prefix="/admin", include_in_schema=False)

Secret = Annotated[str, Form(max_length=1024)]


@router.post("/users/{user_id}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    user_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    password: Secret = "",
    password_again: Secret = "",
) -> Response:
    """A new password under the role's policy; every session of the user ends."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    try:
        if password != password_again:
            raise FieldError("password_again", "the two passwords differ")
        set_password(session, target, password)
    except (UserError, FieldError) as exc:
        session.rollback()
        return render_user(request, user, session, user_id, refusal(exc))
    return redirect(f"/admin/users/{user_id}")


@router.post("/users/{user_id}/active", response_class=HTMLResponse)
def activate(
    request: Request,
    user_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    active: Annotated[str, Form(pattern="^(yes|no)$")] = "no",
) -> Response:
    """Deactivate a user (their sessions end, their tokens stop working) or let them back."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    try:
        set_active(session, target, active == "yes")
    except UserError as exc:
        session.rollback()
        return render_user(request, user, session, user_id, refusal(exc))
    return redirect(f"/admin/users/{user_id}")


@router.post("/users/{user_id}/tokens", response_class=HTMLResponse)
def new_token(
    request: Request,
    user_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    label: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A new API token acting as the user; the page shows it this once (only its hash is
    kept)."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    if not label.strip():
        error = FieldError("label", "say what the token is for (a script, a wallboard)")
        return render_user(request, user, session, user_id, error)
    token = issue_token(session, target, label.strip())
    return render_user(request, user, session, user_id, new_token=token)


@router.post("/users/{user_id}/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    user_id: int,
    token_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
) -> Response:
    """Revoke one token: scripts using it get 401 from now on, open sockets close."""
    check_csrf(user, csrf_token)
    target = find_user(session, user_id)
    try:
        revoke_tokens(session, target, token_id)
    except UserError as exc:
        session.rollback()
        return render_user(request, user, session, user_id, FieldError("tokens", str(exc)))
    return redirect(f"/admin/users/{user_id}")
