"""Sign-in and sign-out pages: argon2 passwords, a signed HttpOnly cookie, CSRF, rate limits."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent_ui.nav import landing
from agent_ui.render import templates
from agent_ui.runtime import ConsoleDep
from callcenter.deps import SessionDep, identify, session_signer
from callcenter.users.auth import SESSION_COOKIE, SessionSigner, csrf_matches
from callcenter.users.models import User
from callcenter.users.service import authenticate, end_sessions

router = APIRouter(include_in_schema=False)

# Before sign-in there is no session to hold a CSRF token: the sign-in form carries one
# that must equal this cookie's (double submit), so another site cannot post sign-ins.
SIGNIN_CSRF_COOKIE = "callcenter_signin"

SignerDep = Annotated[SessionSigner, Depends(session_signer)]
SessionCookie = Annotated[str | None, Cookie(alias=SESSION_COOKIE)]


def _safe_next(path: str | None) -> str:
    """Only a path on this site (no `//host` or scheme): no open redirect after sign-in.
    Empty (or the site's root) means the user's landing page, known once they sign in."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return ""
    return "" if path == "/" else path


def _signin_page(
    request: Request, *, next_path: str, error: str = "", username: str = "", code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "signin.html",
        {"csrf_token": token, "next_path": next_path, "error": error, "username": username},
        status_code=code,
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/signin",
    )
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_page(
    request: Request,
    session: SessionDep,
    signer: SignerDep,
    cookie: SessionCookie = None,
    next: str | None = None,
) -> Response:
    """The sign-in form (or straight on, when already signed in)."""
    user = identify(session, signer, cookie, None)
    if user is not None:
        where = _safe_next(next) or landing(user.role)
        return RedirectResponse(where, status_code=status.HTTP_303_SEE_OTHER)
    return _signin_page(request, next_path=_safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
def sign_in(
    request: Request,
    session: SessionDep,
    signer: SignerDep,
    console: ConsoleDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=1024)] = "",
    signin_csrf: Annotated[str | None, Cookie(alias=SIGNIN_CSRF_COOKIE)] = None,
) -> Response:
    """Check the password; on success set the session cookie and go on."""
    next_path = _safe_next(next)
    if not signin_csrf or not hmac.compare_digest(signin_csrf, csrf_token):
        return _signin_page(
            request, next_path=next_path, error="The form expired; please try again.", code=403
        )
    address = request.client.host if request.client else "unknown"
    limiter = console.limiter
    wait = limiter.retry_after(username, address)
    if wait > 0:
        return _signin_page(
            request,
            next_path=next_path,
            username=username,
            error=f"Too many failed attempts; try again in {int(wait) + 1} s.",
            code=429,
        )
    user = authenticate(session, username, password)
    if user is None:
        limiter.failed(username, address)
        return _signin_page(
            request,
            next_path=next_path,
            username=username,
            error="Wrong user name or password.",
            code=401,
        )
    limiter.succeeded(username, address)
    value, _ = signer.issue(user.id, user.session_generation)
    where = next_path or landing(user.role)
    response = RedirectResponse(where, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=signer.max_age_s,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/signin")
    return response


@router.post("/signout")
def sign_out(
    session: SessionDep,
    signer: SignerDep,
    cookie: SessionCookie = None,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """End the user's sessions (only with this session's CSRF token): a copy of the cookie
    is worthless from now on, on every device."""
    web = signer.read(cookie)
    if web is not None and not csrf_matches(web, csrf_token):
        return Response("missing or wrong CSRF token", status_code=403)
    if web is not None:
        user = session.get(User, web.user_id)
        if user is not None and user.session_generation == web.generation:
            end_sessions(session, user)
    response = RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response
