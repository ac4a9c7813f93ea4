"""Request dependencies: the database session per request, settings, the acting user.

The acting user comes from `Authorization: Bearer TOKEN` or the signed session cookie,
both read as header/cookie parameters so nothing below the web layer handles requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Cookie, Depends, Header, HTTPException, Request, status
from sqlalchemy.orm import Session

from callcenter.forwarded import client_address
from callcenter.queues.members import memberships_of
from callcenter.settings import Settings
from callcenter.users.auth import SESSION_COOKIE, SessionSigner, WebSession, csrf_matches
from callcenter.users.models import User
from callcenter.users.service import Role, user_for_token

if TYPE_CHECKING:
    from callcenter.services import Services


def app_state(request: Request) -> Services:
    """What the lifespan built (the part every route may use)."""
    return cast("Services", request.app.state.callcenter)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back on error."""
    with app_state(request).sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (async: no worker thread for an attribute read)."""
    return app_state(request).settings


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """Who is acting, detached from the database session: role, team, PBX identity, CSRF token.

    `csrf` is the session's CSRF token when the user came with the session cookie, None for
    a bearer token (which a browser never sends on its own, so it needs no CSRF check).
    """

    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    interface: str | None
    member_name: str | None
    queues: tuple[tuple[str, int], ...]
    csrf: str | None = None

    @classmethod
    def of(cls, session: Session, user: User, csrf: str | None = None) -> SignedInUser:
        """Copy what requests need from a `User` row and the queues they serve."""
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            team_id=user.team_id,
            interface=user.interface,
            member_name=user.member_name,
            queues=tuple((m.queue, m.penalty) for m in memberships_of(session, user.id)),
            csrf=csrf,
        )


class SignInRequired(Exception):
    """A page was asked for without a signed-in user; the web app redirects to sign-in."""

    def __init__(self, next_path: str = "/") -> None:
        super().__init__("sign in first")
        self.next_path = next_path


async def session_signer(request: Request) -> SessionSigner:
    """The signer of session cookies, keyed by the deployment's secret key."""
    return app_state(request).session_keys.signer()


def identify(
    session: Session,
    signer: SessionSigner,
    cookie: str | None,
    authorization: str | None,
    *,
    touch: bool = True,
) -> SignedInUser | None:
    """The user behind a bearer token or a session cookie (token first), else None.

    `touch=False` writes nothing (a token's last use): for re-checking an open socket.
    """
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = user_for_token(session, token.strip(), touch=touch)
        return SignedInUser.of(session, user) if user is not None else None
    web = signer.read(cookie)
    if web is None:
        return None
    user = session.get(User, web.user_id)
    if user is None or not user.active or user.session_generation != web.generation:
        return None  # gone, disabled, or signed out everywhere since this cookie was issued
    return SignedInUser.of(session, user, csrf=web.csrf)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_user(
    request: Request,
    session: Annotated[Session, Depends(get_session, scope="function")],
    signer: Annotated[SessionSigner, Depends(session_signer)],
    cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_csrf_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> SignedInUser:
    """The acting user of an API call: 401 without one, 403 for a cookie call without CSRF."""
    user = identify(session, signer, cookie, authorization)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in or send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    unsafe = request.method not in _SAFE_METHODS
    if (
        unsafe
        and user.csrf is not None
        and not csrf_matches(WebSession(user.id, user.csrf), x_csrf_token)
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong X-CSRF-Token")
    return user


def page_user(
    request: Request,
    session: Annotated[Session, Depends(get_session, scope="function")],
    signer: Annotated[SessionSigner, Depends(session_signer)],
    cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)] = None,
) -> SignedInUser:
    """The signed-in user of a page; without one, a redirect to the sign-in page."""
    user = identify(session, signer, cookie, None)
    if user is None:
        raise SignInRequired(request.url.path)
    return user


def current_actor(user: Annotated[SignedInUser, Depends(api_user)]) -> str:
    """Who performs the request, for timelines: the signed-in user or the token's user."""
    return user.username


def require_role(*roles: Role) -> Callable[[SignedInUser], SignedInUser]:
    """A dependency that lets only users with one of `roles` through, else 403 naming them."""
    allowed = frozenset(Role(r).value for r in roles)
    needed = " or ".join(sorted(allowed))

    def check(user: Annotated[SignedInUser, Depends(api_user)]) -> SignedInUser:
        if user.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the {needed} role; you are {user.role}"
            )
        return user

    return check


# "function" scope: the commit happens before the response is sent, so a client that
# gets 201 can read its row back at once.
def client_ip(
    request: Request,
    settings: Annotated[Settings, Depends(get_app_settings)],
    x_forwarded_for: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    """The client's address (X-Forwarded-For only from CALLCENTER_TRUSTED_PROXIES)."""
    peer = request.client.host if request.client else None
    return client_address(peer, x_forwarded_for, settings.trusted_proxies)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ClientAddressDep = Annotated[str, Depends(client_ip)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ActorDep = Annotated[str, Depends(current_actor)]
CurrentUser = Annotated[SignedInUser, Depends(api_user)]
PageUser = Annotated[SignedInUser, Depends(page_user)]
# Deleting shared records is for supervisors and admins; SLA targets and business hours
# change every ticket's due times, so only admins set them.
SUPERVISOR_OR_ADMIN = Depends(require_role(Role.SUPERVISOR, Role.ADMIN))
ADMIN_ONLY = Depends(require_role(Role.ADMIN))
