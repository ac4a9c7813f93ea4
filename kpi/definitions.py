"""KPI definitions: pure functions over queue visits and totals, each stating its formula.

A queue *visit* is one stay of a caller in one queue (`QueueVisitRecord`; the simulator's
`VisitTrace` has the same fields). A call transferred from one queue to another is one visit
in each, so each queue is judged on what it was offered. Defaults follow DESIGN.md: threshold
T = 20 s, short-abandon threshold 5 s.

Choices, in one place:
- offered = every visit that entered the queue (transfers in included).
- answered = visits an agent answered, including those the agent then transferred away
  (app_queue counts a transferred call as completed too).
- abandoned = the caller hung up while waiting (also while an agent was ringing); a queue
  timeout or other exit is *not* an abandon here (app_queue counts them as abandoned in its
  own counters; see `service_level_asterisk2`).
- short abandon = abandoned with wait < the short-abandon threshold (strictly less).
- answered within T = answered with wait <= T; wait runs from queue entry to answer, ringing
  included (app_queue's holdtime).
- A rate whose denominator is zero is None ("no data"), never 0.

The outcome sets below are the one statement of these choices: the Python KPIs, the SQL
that keeps and reads the rollups, agent reports and the quality KPIs all use them.
Outbound campaign figures (dials, connects, abandon rate against the cap...) are defined
beside these, in `kpi.outbound_definitions`.
"""

from __future__ import annotations

from typing import Protocol

from callcenter.calls.records import CallOutcome, VisitOutcome

DEFAULT_SERVICE_LEVEL_S = 20.0
DEFAULT_SHORT_ABANDON_S = 5.0

# Answered means an agent answered: the visits the agent then transferred away too.
ANSWERED_OUTCOMES = (VisitOutcome.ANSWERED, VisitOutcome.TRANSFERRED)
# Left the queue unanswered without hanging up: a timeout or another exit (not an abandon).
LEFT_OTHERWISE_OUTCOMES = (VisitOutcome.TIMEOUT, VisitOutcome.EXITED)
# The same rule for whole calls (inbound calls answered, for the complaint rate).
ANSWERED_CALL_OUTCOMES = tuple(CallOutcome(outcome.value) for outcome in ANSWERED_OUTCOMES)


class Visit(Protocol):
    """What a KPI needs from one queue visit."""

    @property
    def queue(self) -> str: ...

    @property
    def outcome(self) -> VisitOutcome: ...

    @property
    def wait_s(self) -> float | None: ...

    @property
    def talk_s(self) -> float | None: ...


def is_answered(visit: Visit) -> bool:
    """An agent answered the visit (transferred visits were answered first)."""
    return visit.outcome in ANSWERED_OUTCOMES


def is_abandoned(visit: Visit) -> bool:
    """The caller hung up while waiting in the queue."""
    return visit.outcome is VisitOutcome.ABANDONED


def is_short_abandon(visit: Visit, short_abandon_s: float = DEFAULT_SHORT_ABANDON_S) -> bool:
    """Abandoned after waiting less than `short_abandon_s` (misdials, instant hang-ups)."""
    return is_abandoned(visit) and (visit.wait_s or 0.0) < short_abandon_s


def is_answered_within(visit: Visit, threshold_s: float = DEFAULT_SERVICE_LEVEL_S) -> bool:
    """Answered after waiting at most `threshold_s` (ringing included)."""
    return is_answered(visit) and (visit.wait_s or 0.0) <= threshold_s


def is_left_within(visit: Visit, threshold_s: float = DEFAULT_SERVICE_LEVEL_S) -> bool:
    """Left unanswered (abandon, timeout or other exit) after at most `threshold_s`."""
    return not is_answered(visit) and (visit.wait_s or 0.0) <= threshold_s


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else None


def service_level(answered_within: int, offered: int, short_abandoned: int) -> float | None:
    """Service level = answered within T / (offered - short abandons).

    Abandons after the short threshold and queue timeouts stay in the denominator: a caller
    who gave up counts against the queue. None when nothing but short abandons was offered.
    """
    return ratio(answered_within, offered - short_abandoned)


def service_level_asterisk(answered_within: int, answered: int) -> float | None:
    """app_queue's ServicelevelPerf: answered within T / answered."""
    return ratio(answered_within, answered)


def service_level_asterisk2(
    answered_within: int, answered: int, left_within: int, left: int
) -> float | None:
    """app_queue's ServicelevelPerf2: (answered within T + left within T) / (answered + left).

    `left` is what app_queue calls abandoned: caller hang-ups plus queue timeouts and
    empty-queue exits; `left_within` those that left after at most T.
    """
    return ratio(answered_within + left_within, answered + left)


def abandon_rate(abandoned: int, short_abandoned: int, offered: int) -> float | None:
    """Abandonment = (abandoned - short abandons) / (offered - short abandons)."""
    return ratio(abandoned - short_abandoned, offered - short_abandoned)


def average_speed_of_answer(total_wait_answered_s: float, answered: int) -> float | None:
    """ASA = mean wait of answered visits (zero waits included), in seconds."""
    return ratio(total_wait_answered_s, answered)


def average_time_to_abandon(total_wait_abandoned_s: float, abandoned: int) -> float | None:
    """Mean wait of abandoned visits (short abandons included), in seconds."""
    return ratio(total_wait_abandoned_s, abandoned)


def average_talk_time(total_talk_s: float, answered: int) -> float | None:
    """ATT = mean talk of answered visits, in seconds."""
    return ratio(total_talk_s, answered)


def average_handle_time(
    total_talk_s: float, total_hold_s: float, total_wrap_up_s: float, answered: int
) -> float | None:
    """AHT = (talk + hold + wrap-up) / answered visits, in seconds.

    Wrap-up is after-call work: the time an agent spends in the wrap-up state, i.e. paused in
    the PBX with the wrap-up reason (`Settings.wrap_up_reason`, what the console pauses with
    after each call). Each exact wrap-up interval is attributed to the visit the agent
    answered last; an answered visit with no wrap-up (or one cut by a data gap, whose length
    is unknown and not guessed) adds 0 s. Asterisk's own queue `wrapuptime` (no new call for
    the member for a while after one) produces no AMI event, so it cannot be counted: on a
    PBX that uses it instead of the console's pause, AHT is talk + hold. Agent reports take
    wrap-up from the agent's state intervals, queue reports from the visits."""
    return ratio(total_talk_s + total_hold_s + total_wrap_up_s, answered)


def average_talk_hold(total_talk_s: float, total_hold_s: float, answered: int) -> float | None:
    """(talk + hold) / answered visits, in seconds: handle time without wrap-up (shown
    beside AHT, so the share of after-call work reads at a glance)."""
    return ratio(total_talk_s + total_hold_s, answered)


def occupancy(busy_s: float, available_s: float) -> float | None:
    """Occupancy = busy / (busy + available): the share of staffed, unpaused agent time
    spent ringing, talking, on hold or in wrap-up."""
    return ratio(busy_s, busy_s + available_s)


def utilisation(busy_s: float, logged_in_s: float) -> float | None:
    """Utilisation = busy / logged-in time (pauses included in the denominator)."""
    return ratio(busy_s, logged_in_s)


def calls_per_agent_hour(answered: int, logged_in_s: float) -> float | None:
    """Answered calls per hour of logged-in agent time."""
    return ratio(answered * 3600.0, logged_in_s)


def transfer_rate(transferred: int, answered: int) -> float | None:
    """Share of answered visits the agent transferred away."""
    return ratio(transferred, answered)


def average_hold_time(total_hold_s: float, answered: int) -> float | None:
    """Mean hold per answered visit (visits never held count as 0 s), in seconds."""
    return ratio(total_hold_s, answered)


def average_wrap_up(total_wrap_up_s: float, answered: int) -> float | None:
    """ACW = after-call work (wrap-up state time, see `average_handle_time`) per answered
    visit, in seconds."""
    return ratio(total_wrap_up_s, answered)


def share(part: int, whole: int) -> float | None:
    """A plain share (part / whole), None when there is no whole: e.g. timeouts / offered."""
    return ratio(part, whole)
