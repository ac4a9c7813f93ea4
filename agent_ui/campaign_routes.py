"""The console's campaign mode: the next preview, call or skip it, and the disposition."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Depends, Form, HTTPException, status
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_ui.campaign_view import zone_of
from agent_ui.pbx import ConsoleError
from agent_ui.routes_console import notice
from agent_ui.runtime import ConsoleDep
from callcenter.campaigns import dispositions
from callcenter.campaigns.enums import LeadState
from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.deps import SessionDep, SignedInUser, require_role
from callcenter.users.service import Role

# The console page's htmx form posts: HTML fragments for that page, not an API to call.
router = APIRouter(tags=["console"], include_in_schema=False)

# Campaign work is an agent's own: supervisors watch it, they do not do it.
Agent = Annotated[SignedInUser, Depends(require_role(Role.AGENT))]
LeadId = Annotated[int, Form(ge=1)]


def _with_phone(user: SignedInUser) -> SignedInUser:
    if not user.interface:
        raise ConsoleError("you have no phone (PBX interface); ask an admin to set one")
    return user


@router.post("/console/campaigns/next", response_class=HTMLResponse)
async def next_lead(user: Agent, console: ConsoleDep) -> HTMLResponse:
    """The agent's next preview: the lead's card and script, before anything is dialled."""
    shown = await console.ops.campaign_next(_with_phone(user).id, user.username)
    if shown.get("lead_id") is None:
        return notice("No lead to call now.", kind="warn")
    return notice("Next lead on screen.")


@router.post("/console/campaigns/call", response_class=HTMLResponse)
async def call_lead(user: Agent, console: ConsoleDep, lead_id: LeadId) -> HTMLResponse:
    """Dial the previewed lead; answered once the PBX accepted the call."""
    await console.ops.campaign_call(_with_phone(user).id, user.username, lead_id)
    return notice("Calling the lead…")


@router.post("/console/campaigns/skip", response_class=HTMLResponse)
async def skip_lead(user: Agent, console: ConsoleDep, lead_id: LeadId) -> HTMLResponse:
    """Put the previewed lead back without calling; the next one follows."""
    shown = await console.ops.campaign_skip(_with_phone(user).id, user.username, lead_id)
    if shown.get("lead_id") is None:
        return notice("Skipped. No other lead to call now.", kind="warn")
    return notice("Skipped.")


def _attempt_to_dispose(
    session: Session, user: SignedInUser, lead: Lead, attempt_id: str
) -> DialAttempt:
    """The agent's attempt at the lead that the disposition is for (the last one unless
    named); 403 when it is not theirs, 409 when it has one already."""
    text = attempt_id.strip()
    if text:
        if not (text.isascii() and text.isdecimal()):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "attempt_id is a number")
        attempt = session.get(DialAttempt, int(text))
    else:
        attempt = session.scalar(
            select(DialAttempt)
            .where(DialAttempt.lead_id == lead.id)
            .order_by(DialAttempt.number.desc())
            .limit(1)
        )
    if attempt is None or attempt.lead_id != lead.id or attempt.agent != user.username:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "that lead's call is not yours")
    if attempt.disposition is not None:
        saved = attempt.disposition
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"this call's disposition is saved already: {saved}"
        )
    return attempt


def _wall_time(text: str) -> datetime | None:
    """The call-back time as typed: a datetime-local value on the lead's clock ('' = none)."""
    if not text.strip():
        return None
    try:
        wall = datetime.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "callback_at is not a date and time"
        ) from None
    if wall.tzinfo is not None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "callback_at is the time on the lead's clock, without an offset",
        )
    return wall


@router.post("/console/campaigns/dispose", response_class=HTMLResponse)
def dispose_lead(
    user: Agent,
    session: SessionDep,
    console: ConsoleDep,
    lead_id: LeadId,
    code: Annotated[str, Form(min_length=1, max_length=32)],
    attempt_id: Annotated[str, Form(max_length=12)] = "",
    # A datetime-local value on the lead's own clock (their time zone), for a call back.
    callback_at: Annotated[str, Form(max_length=40)] = "",
    keep_mine: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse:
    """The call's disposition, stored before the console is told; then the next lead.
    A call back is given on the lead's own clock (their time zone) and must fall in the
    campaign's calling hours there."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"lead {lead_id} not found")
    attempt = _attempt_to_dispose(session, user, lead, attempt_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    assert campaign is not None, "an attempt belongs to its campaign"
    keep = bool(keep_mine)
    done = dispositions.dispose(
        session,
        attempt.id,
        code,
        user.username,
        callback_local=_wall_time(callback_at),
        keep_as_owner=keep,
        note=note,
    )
    # Stored before the console moves on: a restart never loses a disposition it showed saved.
    session.commit()
    mode = campaign.mode
    from_thread.run(console.ops.campaign_disposed, user.id, user.username, lead.id, mode)
    if done.lead_state != LeadState.OPEN or done.next_at is None:
        return notice(f"Saved: {done.label}.")
    zone = zone_of(lead.time_zone)
    there = done.next_at.astimezone(zone)
    mine = " (your callback)" if done.owner == user.username else ""
    return notice(
        f"Saved: {done.label}. Next call {there:%a %Y-%m-%d %H:%M} {zone.key} time, "
        f"{done.next_at.astimezone(UTC):%H:%M} UTC{mine}."
    )
