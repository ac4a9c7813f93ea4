"""An outbound rate explained: the dial attempts in its numerator and its denominator, each
with its lead and its call record, by the predicates of `kpi.outbound_definitions`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.models import Campaign, DialAttempt
from kpi import outbound_definitions as rule
from kpi.definitions import ratio
from kpi.outbound import CampaignInfo, UnknownCampaign
from kpi.team_roster import is_visible

Rule = Callable[[DialAttempt, CampaignInfo], bool]


def _dial(a: DialAttempt, c: CampaignInfo) -> bool:
    return rule.is_dial(a.outcome, a.dialed_at is not None)


def _connect(a: DialAttempt, c: CampaignInfo) -> bool:
    return rule.is_connect(a.outcome)


# kpi -> (formula, numerator rule, denominator rule).
EXPLAINED: dict[str, tuple[str, Rule, Rule]] = {
    "contact_rate": ("connects / dials", _connect, _dial),
    "abandon_rate": (
        "abandons / connects (answered by a person)",
        lambda a, c: rule.is_abandon(a.outcome),
        _connect,
    ),
    "conversion_rate": (
        "conversions (dispositions marked success) / connects",
        lambda a, c: rule.is_conversion(a.disposition, c.success),
        _connect,
    ),
}


def attempt_json(attempt: DialAttempt) -> dict[str, Any]:
    """One attempt as an explanation lists it; `linkedid` and `server` name its call."""
    return {
        "attempt_id": attempt.id,
        "lead_id": attempt.lead_id,
        "number": attempt.number,
        "dialed_number": attempt.dialed_number,
        "reserved_at": attempt.reserved_at.isoformat(),
        "outcome": attempt.outcome,
        "talk_s": attempt.talk_s,
        "disposition": attempt.disposition,
        "agent": attempt.agent,
        "server": attempt.server,
        "linkedid": attempt.linkedid,
    }


def explain_outbound(
    session: Session,
    name: str,
    campaign: str,
    start: datetime,
    end: datetime,
    *,
    visible: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The attempts of `campaign` reserved in [start, end) in the numerator and denominator
    of rate `name`. ValueError for a rate that cannot be explained, UnknownCampaign for a
    campaign nobody knows. Counts cover every attempt; the lists leave out attempts taken by
    agents not in `visible` (None: everyone), counted in `hidden`."""
    if name not in EXPLAINED:
        raise ValueError(f"unknown kpi {name!r}: choose one of {', '.join(sorted(EXPLAINED))}")
    found = session.scalars(select(Campaign).where(Campaign.name == campaign)).one_or_none()
    if found is None:
        raise UnknownCampaign(f"unknown campaign {campaign!r}")
    info = CampaignInfo.of(found)
    formula, in_numerator, in_denominator = EXPLAINED[name]
    statement = (
        select(DialAttempt)
        .where(
            DialAttempt.campaign_id == info.id,
            DialAttempt.reserved_at >= start,
            DialAttempt.reserved_at < end,
        )
        .order_by(DialAttempt.reserved_at, DialAttempt.id)
    )
    numerator: list[dict[str, Any]] = []
    denominator: list[dict[str, Any]] = []
    counts, hidden = [0, 0], [0, 0]
    for attempt in session.scalars(statement):
        if not in_denominator(attempt, info):
            continue
        shown = is_visible(attempt.agent, visible)
        sides = [(0, numerator)] if in_numerator(attempt, info) else []
        for index, listed in [*sides, (1, denominator)]:
            counts[index] += 1
            if shown:
                listed.append(attempt_json(attempt))
            else:
                hidden[index] += 1
    return {
        "kpi": name,
        "campaign": campaign,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "formula": formula,
        "abandon_cap": info.abandon_cap,
        "value": ratio(counts[0], counts[1]),
        "numerator_count": counts[0],
        "denominator_count": counts[1],
        "hidden": {"numerator": hidden[0], "denominator": hidden[1]},
        "numerator": numerator,
        "denominator": denominator,
    }
