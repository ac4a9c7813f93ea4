"""The campaign panel's content: the campaigns an agent works, a lead's card and script."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_ui.render import fragment
from callcenter.campaigns.dispositions import dispositions_of
from callcenter.campaigns.enums import AttemptState, CampaignState, LeadState, Outcome
from callcenter.campaigns.hours import describe
from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.db import utc_now
from callcenter.users.models import User
from crm.customers.models import Customer

RUNNING = CampaignState.RUNNING.value
# Attempts that reached the lead and an agent (the ones a disposition is owed for).
TALKED = (AttemptState.ANSWERED.value, AttemptState.CONNECTED.value, AttemptState.ENDED.value)
# The stages of the lead on an agent's screen: idle (none), preview (read, then Call or Skip),
# dialing (the PBX accepted the call), in_call (put through to the agent), wrap (the call is
# over: its disposition), missed (not reached: back to the list), waiting (for the next call).
# A placeholder of the campaign's script: {name}, {number}, {agent} or a CSV column.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_ ]*)\}")
OUTCOME_WORDS = {
    Outcome.BUSY.value: "Busy",
    Outcome.NO_ANSWER.value: "No answer",
    Outcome.CONGESTION.value: "The network was congested",
    Outcome.FAILED.value: "The call failed",
    Outcome.MACHINE.value: "An answering machine answered",
    Outcome.ABANDONED.value: "Answered while nobody was free",
    Outcome.UNKNOWN.value: "The call was lost",
    Outcome.ANSWERED.value: "Answered",
}


@dataclass(frozen=True, slots=True)
class HeldLead:
    """A lead an agent holds in the database: a preview reserved for them, or an answered
    call of theirs still waiting for its disposition (what a reload or restart shows)."""

    campaign_id: int
    lead_id: int
    attempt_id: int | None
    mode: str
    stage: str


def zone_of(name: str) -> ZoneInfo:
    """The lead's time zone (UTC when the stored name is not a zone this machine knows)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def campaigns_of(session: Session, username: str) -> list[Campaign]:
    """The running campaigns `username` works: named among its agents or one of its teams."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return []
    team = user.team.name if user.team is not None else None
    running = session.scalars(
        select(Campaign).where(Campaign.state == RUNNING).order_by(Campaign.name)
    )
    return [
        campaign
        for campaign in running
        if username in (campaign.agents or [])
        or (team is not None and team in (campaign.teams or []))
    ]


def held_lead(session: Session, username: str) -> HeldLead | None:
    """What the database holds for the agent: a preview reserved for them, else their last
    answered call whose lead still waits for a disposition."""
    reserved = session.scalar(
        select(Lead)
        .where(Lead.state == LeadState.RESERVED.value, Lead.owner == username)
        .order_by(Lead.id)
        .limit(1)
    )
    if reserved is not None:
        campaign = session.scalar(
            select(Campaign)
            .where(Campaign.list_id == reserved.list_id, Campaign.state == RUNNING)
            .limit(1)
        )
        if campaign is not None:
            return HeldLead(campaign.id, reserved.id, None, campaign.mode, "preview")
    pending = session.execute(
        select(DialAttempt, Campaign)
        .join(Campaign, Campaign.id == DialAttempt.campaign_id)
        .join(Lead, Lead.id == DialAttempt.lead_id)
        .where(
            DialAttempt.agent == username,
            DialAttempt.disposition.is_(None),
            Lead.state == LeadState.IN_CALL.value,
            DialAttempt.state.in_(TALKED),
        )
        .order_by(DialAttempt.id.desc())
        .limit(1)
    ).first()
    if pending is None:
        return None
    attempt, campaign = pending
    stage = "wrap" if attempt.state == AttemptState.ENDED.value else "in_call"
    return HeldLead(campaign.id, attempt.lead_id, attempt.id, campaign.mode, stage)


def script_for(campaign: Campaign, lead: Lead, agent: str) -> str:
    """The campaign's script with the lead's name, number, the agent and CSV columns filled in
    ({name}, {number}, {agent}, {<column>}); an unknown placeholder stays as written."""
    values: dict[str, str] = {str(k): str(v) for k, v in (lead.fields or {}).items()}
    values.update(name=lead.name or "", number=lead.number, agent=agent)

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(fill, campaign.script or "")


def lead_panel(
    session: Session,
    *,
    agent: str,
    campaign_id: int | None,
    lead_id: int | None,
    attempt_id: int | None = None,
    stage: str = "idle",
    outcome: str | None = None,
    message: str | None = None,
    now: datetime | None = None,
) -> str:
    """The lead area of the panel as HTML: the card, the script, what the agent can do now."""
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    lead = session.get(Lead, lead_id) if lead_id is not None else None
    if campaign is None or lead is None:
        return fragment("_campaign_lead.html", lead=None, stage="idle", message=message)
    customer = session.get(Customer, lead.customer_id) if lead.customer_id is not None else None
    zone = zone_of(lead.time_zone)
    moment = now or utc_now()
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    context: dict[str, Any] = {
        "lead": lead,
        "campaign": campaign,
        "customer": customer,
        "attempt_id": attempt_id,
        "stage": stage,
        "outcome": outcome,
        "outcome_words": OUTCOME_WORDS.get(outcome or "", outcome),
        "message": message,
        "zone": zone.key,
        "local_now": moment.astimezone(zone),
        "fields": sorted((lead.fields or {}).items()),
        "script": script_for(campaign, lead, agent),
        "dispositions": dispositions_of(campaign),
        "hours": describe(campaign),
    }
    return fragment("_campaign_lead.html", **context)


def campaign_context(session: Session, username: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The console page's campaign panel: the agent's campaigns and the lead on screen, as
    the consoles show it, else as the database holds it (after a restart of the consoles)."""
    shown = snapshot.get("campaign")
    html = shown.get("html") if shown else None
    if html is None:
        held = held_lead(session, username)
        if held is not None:
            html = lead_panel(
                session,
                agent=username,
                campaign_id=held.campaign_id,
                lead_id=held.lead_id,
                attempt_id=held.attempt_id,
                stage=held.stage,
            )
    return {"campaigns": campaigns_of(session, username), "campaign_html": html}
