"""The calling rules the dialer applies at dial time, in their minimal form: calling hours,
do-not-call, retry gaps and a pacer (the campaign package's full versions take their place:
`hours.may_call`, `dnc.blocked_reason`/`ensure_dialable`, `retry.after_attempt`,
`pacing.Pacer`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callcenter.campaigns.enums import CampaignMode, LeadState, Outcome
from callcenter.campaigns.models import Campaign, DialAttempt, DncEntry, Lead
from crm.customers.models import Customer


class DialBlocked(Exception):
    """The number may not be dialled (a do-not-call list or the customer's own wish)."""


def may_call(campaign: Campaign, time_zone: str, now: datetime) -> bool:
    """Whether `now` is inside the campaign's calling hours in the lead's local time."""
    local = now.astimezone(ZoneInfo(time_zone))
    minute = local.hour * 60 + local.minute
    weekdays = campaign.weekdays or []
    return (
        local.isoweekday() in weekdays
        and campaign.hours_start_min <= minute < campaign.hours_end_min
    )


def blocked_reason(
    session: Session, number: str, campaign_id: int | None, customer_id: int | None
) -> str | None:
    """Why `number` may not be dialled for the campaign, or None."""
    entry = session.scalar(
        select(DncEntry.id)
        .where(DncEntry.number == number)
        .where(or_(DncEntry.campaign_id.is_(None), DncEntry.campaign_id == campaign_id))
        .limit(1)
    )
    if entry is not None:
        return "the number is on a do-not-call list"
    if customer_id is not None:
        flag = session.scalar(select(Customer.do_not_call).where(Customer.id == customer_id))
        if flag:
            return "the customer asked not to be called"
    return None


def ensure_dialable(
    session: Session, number: str, campaign_id: int | None, customer_id: int | None
) -> None:
    """Raise DialBlocked when `number` may not be dialled."""
    reason = blocked_reason(session, number, campaign_id, customer_id)
    if reason is not None:
        raise DialBlocked(reason)


def after_attempt(
    session: Session, campaign: Campaign, lead: Lead, attempt: DialAttempt, now: datetime
) -> None:
    """Where the lead goes after an attempt's outcome: with an agent, retried after the
    campaign's gap, or exhausted."""
    outcome = attempt.outcome
    lead.last_outcome = outcome
    lead.last_attempt_at = now
    if outcome == Outcome.ANSWERED:
        if lead.state == LeadState.DIALING:
            lead.state = LeadState.IN_CALL
        return
    if lead.attempts >= campaign.max_attempts:
        lead.state = LeadState.EXHAUSTED
        lead.closed_at = now
        return
    gap = (campaign.retry_gaps_min or {}).get(str(outcome), 0)
    lead.state = LeadState.OPEN
    lead.next_at = now + timedelta(minutes=gap)


class Pacer:
    """Pacing at a fixed ratio of lines per free agent (ratio 1.0: progressive)."""

    def __init__(
        self,
        *,
        abandon_cap: float = 0.03,
        ratio: float = 1.0,
        mode: CampaignMode = CampaignMode.PREDICTIVE,
    ) -> None:
        self.abandon_cap = abandon_cap
        self.mode = mode
        self._ratio = max(ratio, 1.0)

    @property
    def ratio(self) -> float:
        """Lines per free agent."""
        return self._ratio

    def lines_to_dial(
        self,
        *,
        free_agents: int,
        lines_in_progress: int,
        now: float,
        busy_elapsed_s: Sequence[float] = (),
        ringing_elapsed_s: Sequence[float] | None = None,
    ) -> int:
        """New Originates to send now."""
        if self.mode is CampaignMode.PREVIEW:
            return 0
        ratio = 1.0 if self.mode is CampaignMode.PROGRESSIVE else self._ratio
        return max(0, int(free_agents * ratio) - lines_in_progress)

    def record_dial(self, now: float) -> None:
        """A line was dialled."""

    def record_outcome(self, outcome: Outcome, now: float, *, ring_s: float | None = None) -> None:
        """An attempt ended (answered: when it reached an agent)."""

    def record_talk(self, talk_s: float, now: float, *, wrap_s: float = 0.0) -> None:
        """A connected call ended after `talk_s` seconds."""
