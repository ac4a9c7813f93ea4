"""A call's disposition: the attempt's word on it and what becomes of the lead."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from callcenter.campaigns.enums import LeadState
from callcenter.campaigns.models import Campaign, DialAttempt, DncEntry, Lead


def dispose(
    session: Session,
    *,
    attempt_id: int,
    code: str,
    agent: str,
    callback_at: datetime | None,
    keep_owner: bool,
    note: str | None,
    now: datetime,
) -> Lead:
    """Store the agent's disposition `code` on the attempt and move the lead on as the
    campaign's disposition list says: final -> done, callback -> open at `callback_at`
    (held for the agent with `keep_owner`), dnc -> on the campaign's list and blocked."""
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None:
        raise ValueError(f"no dial attempt {attempt_id}")
    lead = session.get(Lead, attempt.lead_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    assert lead is not None and campaign is not None
    choice = next((c for c in campaign.dispositions or [] if c.get("code") == code), None)
    if choice is None:
        raise ValueError(f"{code!r} is not a disposition of {campaign.name}")
    attempt.disposition, attempt.disposed_at, attempt.disposed_by = code, now, agent
    attempt.note = note
    lead.disposition = code
    if choice.get("dnc"):
        campaign_id = None if choice.get("dnc") == "global" else campaign.id
        session.add(DncEntry(number=lead.number, campaign_id=campaign_id, added_by=agent))
        lead.state, lead.owner = LeadState.BLOCKED.value, None
    elif choice.get("callback"):
        if callback_at is None:
            raise ValueError("a call back needs its time")
        lead.state, lead.next_at = LeadState.OPEN.value, callback_at
        lead.owner = agent if keep_owner else None
    elif choice.get("final"):
        lead.state, lead.owner = LeadState.DONE.value, None
        lead.closed_at, lead.closed_by = now, agent
    else:
        lead.state, lead.owner = LeadState.OPEN.value, None
    session.flush()
    return lead
