"""What happens to a lead after an attempt: tried again after a gap (within calling hours),
exhausted after the campaign's maximum, or with the agent until the disposition."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from callcenter.campaigns.dispositions import disposition_of
from callcenter.campaigns.enums import RETRY_OUTCOMES, LeadState, Outcome
from callcenter.campaigns.hours import next_window
from callcenter.campaigns.models import Campaign, DialAttempt, Lead

# Minutes before the next attempt when the campaign names no gap for an outcome. A busy
# line frees soon; nobody answering is tried again in the afternoon; a machine, later; a
# caller who got the abandoned-call message is not rung again within the hour.
DEFAULT_GAPS_MIN: dict[str, int] = {
    Outcome.BUSY: 10,
    Outcome.NO_ANSWER: 120,
    Outcome.MACHINE: 240,
    Outcome.CONGESTION: 10,
    Outcome.FAILED: 60,
    Outcome.ABANDONED: 60,
    Outcome.UNKNOWN: 10,
}

# Leads a person or a disposition has settled: an attempt ending late never reopens them.
SETTLED = frozenset({LeadState.DONE, LeadState.BLOCKED, LeadState.CANCELLED})


def gap_minutes(campaign: Campaign, outcome: str) -> int:
    """The campaign's gap after `outcome`, else the default one."""
    gaps = campaign.retry_gaps_min or {}
    if outcome in gaps:
        return int(gaps[outcome])
    return DEFAULT_GAPS_MIN.get(outcome, DEFAULT_GAPS_MIN[Outcome.FAILED])


def after_attempt(
    session: Session, campaign: Campaign, lead: Lead, attempt: DialAttempt, now: datetime
) -> None:
    """Move the lead on from an attempt whose outcome is known (flushes, never commits).

    Answered: the lead stays `in_call` until the agent's disposition. Otherwise, with
    attempts left, it is `open` again from `now + gap[outcome]`, moved into the next
    calling window in the lead's zone; with none left it is `exhausted`. A lead already
    settled (blocked, done, cancelled) stays as it is. A preview's hold on the lead ends; an
    agent's own call back keeps its owner.
    """
    outcome = attempt.outcome or Outcome.UNKNOWN
    lead.last_outcome = outcome
    lead.last_attempt_at = attempt.ended_at or now
    if lead.state in SETTLED:
        session.flush()
        return
    if outcome == Outcome.ANSWERED:
        lead.state = LeadState.IN_CALL
        session.flush()
        return
    if outcome not in RETRY_OUTCOMES:
        raise ValueError(f"{outcome!r} is not an attempt outcome")
    if not _kept_callback(campaign, lead):
        lead.owner = None
    if lead.attempts >= campaign.max_attempts:
        lead.state = LeadState.EXHAUSTED
        lead.next_at = None
        lead.closed_at = now
        session.flush()
        return
    lead.state = LeadState.OPEN
    lead.next_at = next_window(
        campaign, lead.time_zone, now + timedelta(minutes=gap_minutes(campaign, outcome))
    )
    session.flush()


def _kept_callback(campaign: Campaign, lead: Lead) -> bool:
    """Whether the lead's owner is an agent who kept a call back for themselves."""
    if lead.owner is None or lead.disposition is None:
        return False
    found = disposition_of(campaign, lead.disposition)
    return bool(found and found.get("callback"))
