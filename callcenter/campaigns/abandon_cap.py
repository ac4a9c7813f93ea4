"""The abandon cap: answered calls with no agent free, as a share of answered calls over a
rolling day per campaign, counted from the stored attempts (so a restart forgets nothing).

New lines are allowed only while the people who may answer the lines in flight fit the free
agents plus the headroom (how many more abandons the cap allows). How many may answer is bounded
from the day's own answer rate: its upper confidence bound, and `ANSWER_MARGIN` standard
deviations above the expected number, so the bound holds in all but about one round in a
thousand even when the answers cluster; with no dial yet ended today every line counts as
answered (the worst case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import DialAttempt

WINDOW = timedelta(days=1)
# Standard deviations of margin on the answer rate's estimate and on the number answering.
ANSWER_MARGIN = 3.0


@dataclass(frozen=True, slots=True)
class AbandonCount:
    """A campaign's answered and abandoned attempts over the rolling day."""

    answered: int  # a person answered: reached an agent or abandoned
    abandoned: int
    dialled: int = 0  # attempts sent to the PBX and ended with an outcome (not `unknown`)

    def answer_bound(self, margin: float = ANSWER_MARGIN) -> float:
        """An upper bound on the share of dials a person answers: the Wilson score bound
        of the day's rate, 1 before any dial has ended."""
        n = max(self.dialled, self.answered)
        if self.answered >= n:  # none yet, or every dial answered
            return 1.0
        rate = self.answered / n
        z2 = margin * margin
        centre = rate + z2 / (2 * n)
        spread = margin * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n))
        return min(1.0, (centre + spread) / (1 + z2 / n))

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
    rows = session.execute(
        select(DialAttempt.outcome, func.count(), func.count(DialAttempt.dialed_at))
        .where(DialAttempt.campaign_id == campaign_id)
        .where(DialAttempt.reserved_at > now - WINDOW)
        .where(DialAttempt.outcome.is_not(None))
        .group_by(DialAttempt.outcome)
    ).all()
    counts = {str(outcome): int(n) for outcome, n, _ in rows}
    abandoned = counts.get(Outcome.ABANDONED, 0)
    # Sent to the PBX (a number found blocked at dial time never was) and told apart.
    dialled = sum(int(sent) for outcome, _, sent in rows if str(outcome) != Outcome.UNKNOWN)
    return AbandonCount(
        answered=abandoned + counts.get(Outcome.ANSWERED, 0), abandoned=abandoned, dialled=dialled
    )


def lines_within_cap(
    count: AbandonCount,
    cap: float,
    *,
    wanted: int,
    free_agents: int,
    lines_in_progress: int,
    answered_waiting: int = 0,
) -> int:
    """Of `wanted` new lines, how many may be dialled so that the people already answered and
    waiting for an agent, and those who may answer the lines ringing and the new ones
    (`may_answer`), fit the free agents plus the cap's headroom."""
    room = free_agents + count.headroom(cap) - answered_waiting
    rate = count.answer_bound()
    lines = 0
    while lines < wanted and may_answer(lines_in_progress + lines + 1, rate) <= room:
        lines += 1
    return lines


def may_answer(lines: int, rate: float, margin: float = ANSWER_MARGIN) -> float:
    """How many of `lines` may be answered at most, each with probability `rate`: the
    expected number plus `margin` standard deviations (all of them when `rate` is 1)."""
    return lines * rate + margin * math.sqrt(lines * rate * (1 - rate))
