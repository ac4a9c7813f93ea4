"""How many lines a campaign dials now: progressive one per free agent, predictive paced under
the abandon cap.

The `Pacer` is pure (no I/O, no clock of its own: every method takes `now`, seconds on any
monotonic scale the caller keeps). The dialer feeds it what happens (dials, outcomes, talk
times) and asks it, whenever an agent frees up or a line ends, how many new lines to dial.

Predictive pacing, at each decision:

- the answer rate `q` (answered by a person / dials that ended) over the last `window_dials`
  dials, blended with `prior_answer_rate` until there are `min_dials` of them; a line that
  has rung for a while counts for less (`answers_later`: unanswered lines ring to the timeout);
- the agents available when the next answers arrive: the free ones plus, for each busy agent
  (talking or in wrap-up, `busy_elapsed_s` seconds into it), the chance it is free within the
  expected ring time until an answer plus the ~1 s an answered call may wait (from the handle
  times seen, given how long it has already lasted);
- the most lines `M` in flight (ringing + new) such that the expected abandoned calls
  `E[(answers - agents)+]` stay below `allowance * E[answers]` (normal approximation);
  `allowance` is `target_share * cap` while the rolling-day abandon rate is low, and shrinks
  linearly to 0 as that rate climbs from `target_share * cap` to the cap (then M = free agents:
  ratio 1, progressive);
- the hard cap: even if every line in flight were answered by a person and every one beyond the
  free agents abandoned, the abandon rate over the rolling day (answered by a person; the
  calls answered within `window_s - guard_s` ago, so none drop out of the window while these
  lines ring) stays <= cap. So no burst of answers can take the day's rate above the cap;
- never fewer lines than free agents (each of those has an agent waiting), never more than
  `max_lines_per_agent` per agent counted.

`ratio` is the dial level last used (lines in flight per available agent, 1.0 = progressive).
The dialer persists it; a pacer created with that ratio may dial up to it per available agent
before it has measured `min_dials` dials of its own (otherwise it starts progressive). To resume
the day's abandon figures after a restart, replay the day's outcomes with `record_outcome`.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence

from callcenter.campaigns.enums import CampaignMode, Outcome

DAY_S = 24 * 3600.0

# Outcomes where a person answered (whether an agent took the call or not).
PERSON_ANSWERED = frozenset({Outcome.ANSWERED, Outcome.ABANDONED})
# Outcomes that say nothing about the answer rate (the dialer lost track of the call).
UNKNOWN_OUTCOMES = frozenset({Outcome.UNKNOWN})


def _normal_excess(mean: float, sd: float) -> float:
    """E[max(D, 0)] for D normal with this mean and standard deviation."""
    if sd <= 0:
        return max(mean, 0.0)
    z = mean / sd
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * math.erfc(-z / math.sqrt(2))
    return sd * pdf + mean * cdf


def _keep(recent: deque[float], ordered: list[float], value: float) -> None:
    """Add `value` to a bounded window kept both in arrival order and sorted."""
    if len(recent) == recent.maxlen:
        del ordered[bisect.bisect_left(ordered, recent[0])]
    recent.append(value)
    bisect.insort(ordered, value)


class Pacer:
    """One campaign's pacing: lines to dial now, from measured answers, talk and abandons."""

    def __init__(
        self,
        *,
        abandon_cap: float = 0.03,
        ratio: float = 1.0,
        mode: CampaignMode = CampaignMode.PREDICTIVE,
        max_lines_per_agent: float = 5.0,
        target_share: float = 0.6,
        prior_answer_rate: float = 0.25,
        prior_ring_s: float = 12.0,
        prior_handle_s: float = 130.0,
        min_dials: int = 100,
        window_dials: int = 500,
        window_handles: int = 400,
        answer_grace_s: float = 1.0,
        window_s: float = DAY_S,
        guard_s: float = 120.0,
    ) -> None:
        if not 0.0 <= abandon_cap < 1.0:
            raise ValueError("the abandon cap is a share of answered calls, from 0 up to 1")
        if max_lines_per_agent < 1.0:
            raise ValueError("at least one line per agent")
        if not 0.0 < target_share <= 1.0:
            raise ValueError("the target share of the cap is above 0 and at most 1")
        if not 0.0 < prior_answer_rate <= 1.0:
            raise ValueError("the prior answer rate is above 0 and at most 1")
        self.abandon_cap = abandon_cap
        self.mode = mode
        self.max_lines_per_agent = max_lines_per_agent
        self.target_share = target_share
        self.prior_answer_rate = prior_answer_rate
        self.prior_ring_s = prior_ring_s
        self.prior_handle_s = prior_handle_s
        self.min_dials = min_dials
        self.answer_grace_s = answer_grace_s
        self.window_s = window_s
        self.guard_s = guard_s
        self._ratio = min(max(ratio, 1.0), max_lines_per_agent)
        self._warm_up_ratio = self._ratio  # the bound until `min_dials` dials are measured
        self.dials = 0
        # The last dials that ended: True when a person answered.
        self._answers: deque[bool] = deque(maxlen=window_dials)
        self._answered_in_window = 0
        self._rings: deque[float] = deque(maxlen=200)  # seconds until a person answered
        self._rings_sorted: list[float] = []
        self._handles: deque[float] = deque(maxlen=window_handles)  # talk + wrap-up
        self._handles_sorted: list[float] = []
        # Person-answered calls over the rolling day: times, and abandons so far (prefix).
        self._times: list[float] = []
        self._abandons_before: list[int] = [0]
        self._head = 0

    # -- what happened ----------------------------------------------------------------------

    def record_dial(self, now: float) -> None:
        """A line was dialled."""
        self.dials += 1

    def record_outcome(self, outcome: Outcome, now: float, *, ring_s: float | None = None) -> None:
        """A line ended (or reached a person): its outcome, and how long it rang if answered."""
        if outcome in UNKNOWN_OUTCOMES:
            return
        person = outcome in PERSON_ANSWERED
        answers = self._answers
        if len(answers) == answers.maxlen and answers[0]:
            self._answered_in_window -= 1
        answers.append(person)
        if not person:
            return
        self._answered_in_window += 1
        if ring_s is not None and ring_s >= 0:
            _keep(self._rings, self._rings_sorted, ring_s)
        self._times.append(now)
        abandoned = 1 if outcome is Outcome.ABANDONED else 0
        self._abandons_before.append(self._abandons_before[-1] + abandoned)

    def record_abandon(self, now: float) -> None:
        """A person answered and no agent was free: the message was played."""
        self.record_outcome(Outcome.ABANDONED, now)

    def record_talk(self, talk_s: float, now: float, *, wrap_s: float = 0.0) -> None:
        """A connected call ended after `talk_s` (and its wrap-up took `wrap_s`)."""
        _keep(self._handles, self._handles_sorted, max(talk_s, 0.0) + max(wrap_s, 0.0))

    # -- estimates --------------------------------------------------------------------------

    @property
    def ratio(self) -> float:
        """Lines in flight per available agent at the last decision (1.0 = progressive)."""
        return self._ratio

    @property
    def answer_rate(self) -> float:
        """Share of dials answered by a person: measured, blended with the prior at first."""
        measured = len(self._answers)
        weight = max(self.min_dials - measured, 0)
        rate = (self._answered_in_window + weight * self.prior_answer_rate) / (measured + weight)
        return min(max(rate, 1e-3), 1.0)

    @property
    def ring_s(self) -> float:
        """Mean seconds from dial to a person's answer."""
        rings = self._rings
        if len(rings) < 10:
            return self.prior_ring_s
        return sum(rings) / len(rings)

    @property
    def handle_s(self) -> float:
        """Mean seconds an agent is busy with a connected call (talk + wrap-up)."""
        handles = self._handles
        if len(handles) < 20:
            return self.prior_handle_s
        return sum(handles) / len(handles)

    def free_within(self, elapsed_s: float, horizon_s: float) -> float:
        """Chance an agent `elapsed_s` into a call (talk + wrap-up) is free `horizon_s` later."""
        return self._free_chances((elapsed_s,), horizon_s)[0]

    def _free_chances(self, elapsed: Sequence[float], horizon_s: float) -> list[float]:
        """`free_within` for each busy agent: from the handle times seen, given the time
        already spent (or an exponential with their mean while there are few)."""
        ordered = self._handles_sorted
        size = len(ordered)
        fallback = 1.0 - math.exp(-horizon_s / max(self.handle_s, 1.0))
        if size < 20:
            return [fallback] * len(elapsed)
        right = bisect.bisect_right
        chances = []
        for spent in elapsed:
            spent = spent if spent > 0 else 0.0
            shorter = right(ordered, spent)
            longer = size - shorter
            if longer < 5:
                chances.append(fallback)
            else:
                chances.append((right(ordered, spent + horizon_s) - shorter) / longer)
        return chances

    def answers_later(self, ringing_s: float) -> float:
        """Chance a line ringing for `ringing_s` seconds is still answered by a person.

        Lines nobody answers ring until the timeout, so a line that has rung long is less
        likely to be answered: q S(t) / (q S(t) + 1 - q), S the survival of ring times seen.
        """
        return self._answer_chances((ringing_s,), self.answer_rate)[0]

    def _answer_chances(self, ringing: Sequence[float], q: float) -> list[float]:
        """`answers_later` for each ringing line, with answer rate `q`."""
        ordered = self._rings_sorted
        size = len(ordered)
        chances = []
        if size < 10:
            scale = max(self.prior_ring_s, 1.0)
            for spent in ringing:
                still = math.exp(-max(spent, 0.0) / scale)
                chances.append(q * still / (q * still + 1.0 - q))
            return chances
        right = bisect.bisect_right
        for spent in ringing:
            still = (size - right(ordered, spent)) / size
            chances.append(q * still / (q * still + 1.0 - q))
        return chances

    def _window(self, now: float) -> tuple[int, int, int]:
        """(answered, abandoned) over the rolling day, and answered still in it after guard."""
        times = self._times
        start = bisect.bisect_right(times, now - self.window_s, lo=self._head)
        if start - self._head > 4096:  # drop what left the window for good
            del times[:start]
            del self._abandons_before[:start]
            start = 0
        self._head = start
        kept = bisect.bisect_right(times, now - self.window_s + self.guard_s, lo=start)
        answered = len(times) - start
        abandoned = self._abandons_before[-1] - self._abandons_before[start]
        return answered, abandoned, len(times) - kept

    def abandon_rate(self, now: float) -> float:
        """Abandoned / answered by a person over the rolling day (0 before any answer)."""
        answered, abandoned, _ = self._window(now)
        return abandoned / answered if answered else 0.0

    # -- the decision -----------------------------------------------------------------------

    def lines_to_dial(
        self,
        *,
        free_agents: int,
        lines_in_progress: int,
        now: float,
        busy_elapsed_s: Sequence[float] = (),
        ringing_elapsed_s: Sequence[float] | None = None,
    ) -> int:
        """New lines to dial now.

        `free_agents`: agents idle and ready for a call; `lines_in_progress`: lines dialled and
        not yet ended or given to an agent (ringing, or answered and waiting for an agent);
        `busy_elapsed_s`: for each agent on a call or in wrap-up, seconds since it connected
        (predictive mode counts those about to be free; without them it counts free agents only);
        `ringing_elapsed_s`: for each line still ringing, seconds since it was dialled (the
        other lines in progress are taken as answered and waiting; without it every line in
        progress counts as a fresh dial).
        """
        free = max(free_agents, 0)
        flying = max(lines_in_progress, 0)
        if self.mode is CampaignMode.PREVIEW:
            return 0
        if self.mode is CampaignMode.PROGRESSIVE:
            return max(free - flying, 0)
        lines = self._predictive_lines(free, flying, now, busy_elapsed_s, ringing_elapsed_s)
        return max(lines - flying, 0)

    def _predictive_lines(
        self,
        free: int,
        flying: int,
        now: float,
        busy_elapsed_s: Sequence[float],
        ringing_elapsed_s: Sequence[float] | None,
    ) -> int:
        """Lines that should be in flight (ringing + new), at least `free`."""
        answered, abandoned, staying = self._window(now)
        cap = self.abandon_cap
        rate = abandoned / answered if answered else 0.0
        # Hard cap: every line in flight answered, those beyond the free agents abandoned.
        budget = cap * staying - abandoned
        hard = math.floor((budget + free) / (1.0 - cap) + 1e-9)
        if hard <= free or rate >= cap:
            self._ratio = 1.0
            return free
        q = self.answer_rate
        # The people the lines in flight will still reach: mean and variance.
        if ringing_elapsed_s is None:
            in_flight, in_flight_var = q * flying, q * (1 - q) * flying
        else:
            chances = self._answer_chances(ringing_elapsed_s, q)
            in_flight = max(flying - len(chances), 0) + sum(chances)
            in_flight_var = sum(p * (1 - p) for p in chances)
        # The agents free when those answers come: free now, or soon with some chance.
        frees = self._free_chances(busy_elapsed_s, self.ring_s + self.answer_grace_s)
        soon = sum(frees)
        soon_var = sum(p * (1 - p) for p in frees)
        available = free + soon
        counted = free + len(busy_elapsed_s)
        most = math.floor(self.max_lines_per_agent * counted + 1e-9)
        if len(self._answers) < self.min_dials:
            if self._warm_up_ratio <= 1.0:
                self._ratio = 1.0
                return free  # progressive until the answer rate is measured
            most = min(most, math.floor(self._warm_up_ratio * available + 1e-9))
        low_rate = self.target_share * cap
        headroom = 1.0 if rate <= low_rate else (cap - rate) / (cap - low_rate)
        allowance = low_rate * max(headroom, 0.0)
        lines = free
        upper = min(most, hard)
        if allowance > 0:
            # Largest M with E[(answers - agents)+] <= allowance * E[answers]; it grows with M.

            def fits(m: int) -> bool:
                new = max(m - flying, 0)
                answers = in_flight + q * new
                sd = math.sqrt(max(0.0, in_flight_var + new * q * (1.0 - q) + soon_var))
                return _normal_excess(answers - available, sd) <= allowance * answers

            low, high = max(free, flying), upper
            while low < high:
                middle = (low + high + 1) // 2
                if fits(middle):
                    low = middle
                else:
                    high = middle - 1
            lines = max(low, free)
        self._ratio = (
            max(1.0, min(lines / available, self.max_lines_per_agent)) if available else 1.0
        )
        return lines
