"""The agent's disposition of an outbound call, and what it does to the lead: closed, called
back at the agent's local time in the lead's zone, or put on the do-not-call list.
Flushes, never commits: the caller commits before telling the agent "saved"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.dispositions import record_disposition
from callcenter.campaigns.dnc import block_number
from callcenter.campaigns.enums import LeadState
from callcenter.campaigns.hours import describe, may_call, next_window
from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.db import utc_now
from callcenter.users.models import User
from crm.exceptions import Conflict, InvalidInput, NotFound

# The list a campaign offers when it names none. Labels match the console's inbound
# dispositions where both exist ("Wrong number"), so a call's disposition reads the same.
DEFAULT_DISPOSITIONS: tuple[dict[str, Any], ...] = (
    {"code": "sale", "label": "Sale", "final": True, "success": True},
    {"code": "not_interested", "label": "Not interested", "final": True},
    {"code": "wrong_number", "label": "Wrong number", "final": True},
    {"code": "callback", "label": "Call back at...", "callback": True},
    {"code": "do_not_call", "label": "Do not call", "final": True, "dnc": True},
)
FLAGS = ("final", "success", "callback", "dnc", "dnc_global")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Minutes before a lead is tried again after a disposition that neither closes it nor
# books a call back (the campaign's `retry_gaps_min["answered"]` when it has one).
ANSWERED_GAP_MIN = 24 * 60

# A call back is promised within a year, as every callback: a later date is a typo that
# would park the lead for good.
CALLBACK_HORIZON = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Disposed:
    """What a disposition did: the lead's new state, its next call, and list changes."""

    attempt_id: int
    lead_id: int
    code: str
    label: str
    success: bool
    lead_state: str
    next_at: datetime | None
    owner: str | None
    dnc_added: bool


def dispositions_of(campaign: Campaign) -> list[dict[str, Any]]:
    """The dispositions agents choose from on this campaign."""
    return list(campaign.dispositions or DEFAULT_DISPOSITIONS)


def disposition_of(campaign: Campaign, code: str) -> dict[str, Any] | None:
    """One disposition of the campaign by its code, or None."""
    return next((d for d in dispositions_of(campaign) if d.get("code") == code), None)


def check_dispositions(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A campaign's disposition list, cleaned; InvalidInput naming the first problem."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"dispositions.{i}"
        code = str(item.get("code", "")).strip()
        if not CODE_PATTERN.match(code):
            raise InvalidInput(
                f"{where}.code", "a code of lower-case letters, digits, _ or - is required"
            )
        if code in seen:
            raise InvalidInput(f"{where}.code", f"{code!r} is listed twice")
        seen.add(code)
        unknown = set(item) - {"code", "label", *FLAGS}
        if unknown:
            raise InvalidInput(where, f"unknown key(s) {', '.join(sorted(unknown))}")
        flags = {name: bool(item.get(name, False)) for name in FLAGS}
        if flags["callback"] and (flags["final"] or flags["dnc"]):
            raise InvalidInput(where, "a call-back disposition cannot also close the lead")
        if flags["dnc_global"] and not flags["dnc"]:
            raise InvalidInput(where, "dnc_global needs dnc")
        label = str(item.get("label") or code.replace("_", " ").capitalize()).strip()[:64]
        cleaned.append({"code": code, "label": label, **{k: v for k, v in flags.items() if v}})
    if not cleaned:
        raise InvalidInput("dispositions", "a campaign needs at least one disposition")
    return cleaned


def callback_instant(campaign: Campaign, lead: Lead, local: datetime, now: datetime) -> datetime:
    """The UTC instant of a call back the agent typed as wall time in the lead's zone.

    A time the clocks skip is refused; a time the clocks pass twice is the first of the two.
    Refused too: a time in the past, outside the campaign's calling hours, or more than a
    year ahead.
    """
    zone = ZoneInfo(lead.time_zone)
    try:
        if local.tzinfo is not None:
            at = local.astimezone(UTC)
            wall = back = at.astimezone(zone).replace(tzinfo=None)
        else:
            wall = local.replace(second=0, microsecond=0)
            at = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
            back = at.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # years 1 and 9999 at the calendar's ends
        raise InvalidInput(
            "callback_at", f"{local:%Y-%m-%d %H:%M} is not a date to call back on; choose one soon"
        ) from None
    if back != wall:
        raise InvalidInput(
            "callback_at",
            f"{wall:%Y-%m-%d %H:%M} does not exist in {lead.time_zone}"
            " (the clocks go forward then); choose another time",
        )
    shown = f"{wall:%Y-%m-%d %H:%M} in {lead.time_zone}"
    if at <= now:
        local_now = now.astimezone(zone)
        raise InvalidInput(
            "callback_at", f"{shown} is in the past (it is {local_now:%Y-%m-%d %H:%M} there)"
        )
    if not may_call(campaign, lead.time_zone, at):
        raise InvalidInput(
            "callback_at",
            f"{shown} is outside the campaign's calling hours ({describe(campaign)},"
            " the lead's local time)",
        )
    if at > now + CALLBACK_HORIZON:
        raise InvalidInput(
            "callback_at", f"{shown} is more than a year ahead; choose a date within a year"
        )
    return at


def dispose(
    session: Session,
    attempt_id: int,
    code: str,
    agent: str,
    *,
    callback_local: datetime | None = None,
    keep_as_owner: bool = False,
    note: str | None = None,
    now: datetime | None = None,
) -> Disposed:
    """Store the agent's disposition of an attempt and move its lead on.

    `final` closes the lead (done); `callback` reopens it at `callback_local`, the wall time
    the agent typed in the lead's zone (held for the agent with `keep_as_owner`); `dnc` puts
    the number on the campaign's do-not-call list (the global one with `dnc_global`) and
    blocks the lead. Anything else tries the lead again later, while attempts are left.
    The call's own disposition row (`call_wrapups`) is written too when the attempt has a
    call, so inbound and outbound dispositions are read in one place.
    """
    now = now or utc_now()
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None:
        raise NotFound("dial attempt", attempt_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    lead = session.get(Lead, attempt.lead_id)
    if campaign is None or lead is None:
        raise NotFound("dial attempt", attempt_id)
    chosen = disposition_of(campaign, code)
    if chosen is None:
        known = ", ".join(d["code"] for d in dispositions_of(campaign))
        raise InvalidInput("code", f"{code!r} is not a disposition of this campaign ({known})")
    if lead.attempts > attempt.number:
        raise Conflict(
            f"lead {lead.id} has been dialled again since attempt {attempt.number}:"
            " that attempt's disposition can no longer change"
        )
    callback_at: datetime | None = None
    if chosen.get("callback"):
        if callback_local is None:
            raise InvalidInput("callback_at", "a call back needs the time to call")
        callback_at = callback_instant(campaign, lead, callback_local, now)
    note = (note or "").strip() or None
    attempt.disposition = code
    attempt.disposed_at = now
    attempt.disposed_by = agent
    attempt.note = note
    lead.disposition = code
    if note:
        lead.note = note
    dnc_added = False
    if chosen.get("dnc"):
        scope = None if chosen.get("dnc_global") else campaign.id
        dnc_added = block_number(
            session, lead.number, campaign_id=scope, reason=f"disposition {code}", added_by=agent
        )
        _close(lead, LeadState.BLOCKED, agent, now)
    elif lead.state == LeadState.BLOCKED:
        pass  # put on a list meanwhile: it stays blocked whatever the call's result
    elif callback_at is not None:
        lead.state = LeadState.OPEN
        lead.next_at = callback_at
        lead.due_at = callback_at
        lead.owner = agent if keep_as_owner else None
        lead.closed_at = None
    elif chosen.get("final"):
        _close(lead, LeadState.DONE, agent, now)
    elif lead.attempts >= campaign.max_attempts:
        _close(lead, LeadState.EXHAUSTED, agent, now)
    else:
        gap = (campaign.retry_gaps_min or {}).get("answered", ANSWERED_GAP_MIN)
        lead.state = LeadState.OPEN
        lead.owner = None
        lead.next_at = next_window(campaign, lead.time_zone, now + timedelta(minutes=gap))
    if attempt.server and attempt.linkedid:
        record_disposition(
            session,
            server=attempt.server,
            linkedid=attempt.linkedid,
            agent=_member_name(session, agent),
            disposition=str(chosen.get("label") or code),
            notes=note,
        )
    session.flush()
    return Disposed(
        attempt_id=attempt.id,
        lead_id=lead.id,
        code=code,
        label=str(chosen.get("label") or code),
        success=bool(chosen.get("success")),
        lead_state=lead.state,
        next_at=lead.next_at,
        owner=lead.owner,
        dnc_added=dnc_added,
    )


def _close(lead: Lead, state: LeadState, agent: str, now: datetime) -> None:
    lead.state = state
    lead.next_at = None
    lead.owner = None
    lead.closed_at = now
    lead.closed_by = agent


def _member_name(session: Session, agent: str) -> str:
    """Call records name agents by their queue MemberName: the same key for dispositions."""
    member = session.scalar(select(User.member_name).where(User.username == agent))
    return member or agent
