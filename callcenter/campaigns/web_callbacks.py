"""'Call me back' from the company's web site: `POST /api/callback-requests` puts a lead on
the callback campaign, behind the site's token, per-number and per-address limits, and the
do-not-call lists."""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from callcenter.campaigns.dnc import blocked_reason
from callcenter.campaigns.enums import LeadOrigin
from callcenter.campaigns.models import Lead
from callcenter.campaigns.rate_limit import (
    Allowance,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Window,
)
from callcenter.db import utc_now
from callcenter.deps import ClientAddressDep, SessionDep, SettingsDep
from callcenter.errors import ErrorOut
from callcenter.settings import Settings
from crm.callbacks.campaign import CallbackRules, callback_campaign_id
from crm.callbacks.service import add_callback, waiting_callback
from crm.exceptions import InvalidInput
from crm.lookup.service import owners
from crm.phones import normalize
from crm.sla.service import default_calendar, planned

PATH = "/api/callback-requests"
# The header the site's page sends its token in.
TOKEN_HEADER = "X-Callback-Token"
# What the route answers besides 202, each with the app's error body.
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a body that is not readable JSON"},
    401: {"model": ErrorOut, "description": f"no or a wrong site token in {TOKEN_HEADER}"},
    422: {"model": ErrorOut, "description": "invalid input, or a number that may not be called"},
    429: {"model": ErrorOut, "description": "too many requests for the number or the address"},
    503: {"model": ErrorOut, "description": "web callback requests are not enabled"},
}
# A preferred time this little in the past is a clock a bit behind: call as soon as may be.
_CLOCK_SLACK = timedelta(minutes=5)


class CallbackRequestIn(BaseModel):
    """What the web page sends: the number, and optionally when and who."""

    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, Field(min_length=1, max_length=64)]
    # ISO 8601 with its offset ("2026-12-03T15:00:00+01:00"), or a local time
    # ("2026-12-03T15:00") with `time_zone`.
    preferred_time: Annotated[str | None, Field(max_length=40)] = None
    time_zone: Annotated[str | None, Field(max_length=64)] = None
    name: Annotated[str | None, Field(max_length=120)] = None
    note: Annotated[str | None, Field(max_length=1000)] = None


class CallbackRequestOut(BaseModel):
    """The request was taken: the lead it made and when the call is owed."""

    lead_id: int
    number: str
    due_at: datetime
    not_before: datetime | None
    # The number was already owed a callback: this is that one (moved sooner if asked).
    already_owed: bool


@dataclass(frozen=True)
class WebCallbackPolicy:
    """The limits a web callback request meets."""

    per_number: Window
    per_address: Window
    max_ahead: timedelta

    @classmethod
    def of(cls, settings: Settings) -> WebCallbackPolicy:
        """The policy of a deployment."""
        window = settings.web_callback_window_s
        return cls(
            per_number=Window(settings.web_callback_limit_per_number, window),
            per_address=Window(settings.web_callback_limit_per_ip, window),
            max_ahead=timedelta(days=settings.web_callback_max_days),
        )


def preferred_time(
    text: str | None, zone: str | None, now: datetime, max_ahead: timedelta
) -> datetime | None:
    """The time the caller asked for, in UTC (None: as soon as may be); InvalidInput with a
    sentence for one that cannot be read, lies in the past or too far ahead."""
    if zone is not None and text is None:
        raise InvalidInput("time_zone", "give preferred_time with the time zone")
    if text is None or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "preferred_time", f"{text!r} is not a date and time such as 2026-12-03T15:00+01:00"
        ) from None
    if when.tzinfo is None:
        if zone is None:
            raise InvalidInput(
                "preferred_time", "give the time with its UTC offset, or a time_zone with it"
            )
        try:
            when = when.replace(tzinfo=ZoneInfo(zone.strip()))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise InvalidInput(
                "time_zone", f"{zone!r} is not a time zone such as Europe/Berlin"
            ) from None
    try:
        when = when.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("preferred_time", "the time is out of range") from None
    if when < now - _CLOCK_SLACK:
        raise InvalidInput("preferred_time", "the time has already passed")
    if when > now + max_ahead:
        days = max_ahead.days
        raise InvalidInput("preferred_time", f"choose a time within the next {days} days")
    return max(when, now)


def refusal(session: Session, number: str) -> str | None:
    """Why the center may not call `number` back (the rules the dialer applies), None when
    it may; the sentence names no customer (the asker is anonymous)."""
    if blocked_reason(session, number, callback_campaign_id(session), None) is None:
        return None
    return "this number may not be called (it is on a do-not-call list): please call us"


def accept(
    session: Session,
    limiter: RateLimiter,
    body: CallbackRequestIn,
    address: str,
    rules: CallbackRules,
    policy: WebCallbackPolicy,
    now: datetime | None = None,
) -> CallbackRequestOut:
    """Check a request and put it on the callback campaign. Bad input or a number that may
    not be called is InvalidInput (422), too many requests an HTTPException 429 with
    Retry-After; then nothing is stored."""
    now = now or utc_now()
    number = normalize(body.number, rules.region)
    wanted = preferred_time(body.preferred_time, body.time_zone, now, policy.max_ahead)
    wait = limiter.hit(
        [
            Allowance(f"web-callback:number:{number}", policy.per_number),
            Allowance(f"web-callback:address:{address}", policy.per_address),
        ]
    )
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many callback requests: try again later",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    matched = owners(session, [number])
    owner = matched[0] if len(matched) == 1 else None
    customer_id = owner.customer_id if owner else None
    reason = refusal(session, number)
    if reason is not None:
        raise InvalidInput("number", reason)
    calendar = default_calendar(session)
    due = planned(calendar, wanted or now, rules.due_minutes, "a web callback")
    waiting = waiting_callback(session, number)
    if waiting is not None:
        return _join(waiting, due, wanted, body)
    lead = add_callback(
        session,
        rules,
        number=number,
        due_at=due,
        origin=LeadOrigin.WEB,
        at=now,
        not_before=wanted,
        customer_id=customer_id,
        contact_id=owner.contact_ids[0] if owner and owner.contact_ids else None,
        name=_text(body.name),
        note=_text(body.note),
    )
    return CallbackRequestOut(
        lead_id=lead.id, number=number, due_at=due, not_before=wanted, already_owed=False
    )


def _join(
    lead: Lead, due: datetime, wanted: datetime | None, body: CallbackRequestIn
) -> CallbackRequestOut:
    """A number already owed a callback keeps that one; asked for sooner, it comes sooner."""
    assert lead.due_at is not None  # every callback has its promise
    if due < lead.due_at:
        lead.due_at, lead.next_at = due, wanted
    note = _text(body.note)
    if note and note not in (lead.note or ""):
        lead.note = f"{lead.note}\n{note}" if lead.note else note
    lead.name = lead.name or _text(body.name)
    return CallbackRequestOut(
        lead_id=lead.id,
        number=lead.number,
        due_at=lead.due_at,
        not_before=lead.next_at,
        already_owed=True,
    )


def site_token(
    settings: SettingsDep,
    token: Annotated[str | None, Header(alias=TOKEN_HEADER)] = None,
) -> None:
    """503 while no token is configured, 401 for a missing or wrong one (constant time)."""
    tokens = settings.web_callback_token_list
    if not tokens:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "callback requests from web pages are not enabled on this server",
        )
    given = (token or "").encode()
    # Every configured token is compared, so the time taken does not say which one is close.
    matches = [hmac.compare_digest(given, t.encode()) for t in tokens]
    if not token or not any(matches):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"send the site's callback token in {TOKEN_HEADER}"
        )


def web_callback_router(limiter: RateLimiter) -> APIRouter:
    """The route, counting requests with `limiter`."""
    router = APIRouter(responses=_ERRORS)

    @router.post(
        PATH,
        tags=["callbacks"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=CallbackRequestOut,
        dependencies=[Depends(site_token)],
    )
    def request_web_callback(
        session: SessionDep,
        settings: SettingsDep,
        address: ClientAddressDep,
        body: CallbackRequestIn,
    ) -> CallbackRequestOut:
        """Someone asked on the web site to be called back: a lead of the callback campaign,
        due at the time asked for or within the callback SLA."""
        return accept(
            session,
            limiter,
            body,
            address,
            CallbackRules.of(settings),
            WebCallbackPolicy.of(settings),
        )

    return router


def limiter_for(settings: Settings) -> RateLimiter:
    """Shared through Redis when several processes serve the web app, else this process's."""
    if settings.bus_url is not None:
        return RedisRateLimiter.connect(settings.bus_url)
    return MemoryRateLimiter()


class WebCallbackCors:
    """CORS for the callback-request route alone: pages of the named origins may post to it
    from a browser; nothing else of the app is opened to them."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Content-Type", TOKEN_HEADER],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_web_callbacks(app: FastAPI, settings: Settings) -> None:
    """Add the route (and CORS for the origins named in CALLCENTER_WEB_CALLBACK_ORIGINS)."""
    app.include_router(web_callback_router(limiter_for(settings)))
    if settings.web_callback_origins:
        app.add_middleware(WebCallbackCors, origins=settings.web_callback_origins)


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
