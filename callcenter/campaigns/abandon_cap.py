"""The abandon cap: answered calls with no agent free, as a share of answered calls over a
rolling day per campaign, counted from the stored attempts (so a restart forgets nothing)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import DialAttempt

WINDOW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class AbandonCount:
    """A campaign's answered and abandoned attempts over the rolling day."""

    answered: int  # a person answered: reached an agent or abandoned
    abandoned: int

    @property
    def rate(self) -> float:
        """Abandoned share of answered calls (0 before any answer)."""
        return self.abandoned / self.answered if self.answered else 0.0

    def headroom(self, cap: float) -> int:
        """How many more calls may be abandoned, if every one of them were answered and
        abandoned, without the rate going over `cap`: (abandoned + x) / (answered + x) <= cap."""
        if cap <= 0:
            return 0
        if cap >= 1:
            return 1 << 30
        room = (cap * self.answered - self.abandoned) / (1 - cap)
        return max(0, math.floor(room + 1e-9))


def abandon_count(session: Session, campaign_id: int, now: datetime) -> AbandonCount:
    """The campaign's answered and abandoned attempts that started in the day before `now`."""
    people = (Outcome.ANSWERED, Outcome.ABANDONED)
    rows = session.execute(
        select(DialAttempt.outcome, func.count())
        .where(DialAttempt.campaign_id == campaign_id)
        .where(DialAttempt.reserved_at > now - WINDOW)
        .where(DialAttempt.outcome.in_(people))
        .group_by(DialAttempt.outcome)
    ).all()
    counts = {str(outcome): int(n) for outcome, n in rows}
    abandoned = counts.get(Outcome.ABANDONED, 0)
    return AbandonCount(answered=abandoned + counts.get(Outcome.ANSWERED, 0), abandoned=abandoned)


def lines_within_cap(
    count: AbandonCount, cap: float, *, wanted: int, free_agents: int, lines_in_progress: int
) -> int:
    """Of `wanted` new lines, how many may be dialled so that even if every line in progress
    and every new one were answered at once, the abandons beyond the free agents stay within
    the cap's headroom."""
    room = free_agents + count.headroom(cap) - lines_in_progress
    return max(0, min(wanted, room))
