"""The pacer: one line per free agent when progressive; predictive dials ahead and backs off
to ratio 1 as the rolling-day abandon rate nears the cap; no burst of answers can take the
day's rate above the cap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.campaigns.enums import CampaignMode, Outcome
from callcenter.campaigns.pacing import DAY_S, Pacer

HOUR = 3600.0


def measured(
    pacer: Pacer,
    *,
    dials: int = 1000,
    answer_rate: float = 0.3,
    abandons: int = 0,
    now: float = HOUR,
    talk_s: float = 120.0,
) -> Pacer:
    """Feed `pacer` a history: `dials` ended dials (every 1/answer_rate-th answered by a person,
    the first `abandons` of those abandoned), each ringing 10 s, and the talk times."""
    every = round(1 / answer_rate)
    answered = 0
    for i in range(dials):
        at = now - (dials - i) * 0.5
        pacer.record_dial(at)
        if i % every == 0:
            outcome = Outcome.ABANDONED if answered < abandons else Outcome.ANSWERED
            answered += 1
            pacer.record_outcome(outcome, at, ring_s=10.0)
            if outcome is Outcome.ANSWERED:
                pacer.record_talk(talk_s * (0.5 + (i % 7) / 6), at, wrap_s=10.0)
        else:
            pacer.record_outcome(Outcome.NO_ANSWER, at)
    return pacer


BUSY = [float(s) for s in range(0, 135, 3)]  # 45 agents, 0..132 s into their calls


def test_progressive_dials_one_line_per_free_agent_not_yet_served() -> None:
    pacer = Pacer(mode=CampaignMode.PROGRESSIVE)
    assert pacer.lines_to_dial(free_agents=5, lines_in_progress=0, now=0.0) == 5
    assert pacer.lines_to_dial(free_agents=5, lines_in_progress=3, now=0.0) == 2
    assert pacer.lines_to_dial(free_agents=2, lines_in_progress=3, now=0.0) == 0
    assert pacer.ratio == 1.0


def test_preview_never_dials_by_itself() -> None:
    pacer = Pacer(mode=CampaignMode.PREVIEW)
    assert pacer.lines_to_dial(free_agents=5, lines_in_progress=0, now=0.0) == 0


def test_a_new_predictive_campaign_starts_progressive() -> None:
    # No answered call yet: no abandon can be afforded, so one line per free agent.
    pacer = Pacer()
    assert (
        pacer.lines_to_dial(free_agents=10, lines_in_progress=0, now=0.0, busy_elapsed_s=BUSY) == 10
    )
    assert pacer.ratio == 1.0


def test_the_answer_rate_starts_from_the_prior_and_becomes_the_measured_one() -> None:
    pacer = Pacer(prior_answer_rate=0.5, min_dials=100)
    assert pacer.answer_rate == pytest.approx(0.5)
    measured(pacer, dials=50, answer_rate=0.25)
    assert 0.25 < pacer.answer_rate < 0.5  # blended
    measured(pacer, dials=400, answer_rate=0.25)
    assert pacer.answer_rate == pytest.approx(0.25, abs=0.01)


def test_with_measured_answers_predictive_dials_more_lines_than_free_agents() -> None:
    pacer = measured(Pacer(), answer_rate=0.3)
    lines = pacer.lines_to_dial(free_agents=5, lines_in_progress=0, now=HOUR, busy_elapsed_s=BUSY)
    # About free / answer rate, plus some for agents finishing their calls soon.
    assert 10 <= lines <= 5 * 5 + 45
    assert pacer.ratio > 1.0


def test_agents_about_to_be_free_count_for_more_lines() -> None:
    pacer = measured(Pacer())
    fresh = [1.0] * 45  # everyone just connected
    nearly_done = [200.0] * 45  # longer than most calls seen
    few = pacer.lines_to_dial(free_agents=2, lines_in_progress=0, now=HOUR, busy_elapsed_s=fresh)
    more = pacer.lines_to_dial(
        free_agents=2, lines_in_progress=0, now=HOUR, busy_elapsed_s=nearly_done
    )
    assert more > few


def test_lines_that_rang_long_are_less_likely_to_be_answered() -> None:
    pacer = measured(Pacer())
    assert pacer.answers_later(0.0) == pytest.approx(pacer.answer_rate, abs=0.02)
    assert pacer.answers_later(11.0) < 0.01  # every answer seen came after 10 s
    ringing_fresh = pacer.lines_to_dial(
        free_agents=5, lines_in_progress=10, now=HOUR, busy_elapsed_s=BUSY,
        ringing_elapsed_s=[0.0] * 10,
    )  # fmt: skip
    ringing_long = pacer.lines_to_dial(
        free_agents=5, lines_in_progress=10, now=HOUR, busy_elapsed_s=BUSY,
        ringing_elapsed_s=[20.0] * 10,
    )  # fmt: skip
    assert ringing_long > ringing_fresh


def test_predictive_backs_off_as_the_day_rate_nears_the_cap() -> None:
    # 334 answered by a person each time; more and more of them abandoned.
    lines = []
    for abandons in (0, 3, 6, 7, 8, 9, 10):
        pacer = measured(Pacer(abandon_cap=0.03), abandons=abandons)
        assert pacer.abandon_rate(HOUR) == pytest.approx(abandons / 334, abs=1e-9)
        lines.append(
            pacer.lines_to_dial(free_agents=5, lines_in_progress=0, now=HOUR, busy_elapsed_s=BUSY)
        )
    assert lines == sorted(lines, reverse=True)
    assert lines[0] > 5
    assert lines[-2] == 6  # 9/334: one line beyond the free agents, 10/340 <= 3 % at worst
    assert lines[-1] == 5  # 10/334 = 2.99 %: no room for one more abandon


def test_at_the_cap_predictive_dials_no_more_than_free_agents() -> None:
    pacer = measured(Pacer(abandon_cap=0.03), abandons=11)  # 11/334 = 3.3 %
    assert (
        pacer.lines_to_dial(free_agents=5, lines_in_progress=0, now=HOUR, busy_elapsed_s=BUSY) == 5
    )
    assert pacer.ratio == 1.0
    assert (
        pacer.lines_to_dial(free_agents=5, lines_in_progress=4, now=HOUR, busy_elapsed_s=BUSY) == 1
    )
    assert (
        pacer.lines_to_dial(free_agents=5, lines_in_progress=9, now=HOUR, busy_elapsed_s=BUSY) == 0
    )


def test_a_lower_cap_dials_fewer_lines() -> None:
    lines = {}
    for cap in (0.03, 0.01):
        pacer = measured(Pacer(abandon_cap=cap), dials=3000, abandons=0)
        lines[cap] = pacer.lines_to_dial(
            free_agents=5, lines_in_progress=0, now=HOUR, busy_elapsed_s=BUSY
        )
    assert 5 < lines[0.01] < lines[0.03]


def test_the_abandon_rate_is_over_a_rolling_day() -> None:
    pacer = Pacer()
    pacer.record_outcome(Outcome.ABANDONED, 0.0)
    pacer.record_outcome(Outcome.ANSWERED, 10.0)
    pacer.record_outcome(Outcome.NO_ANSWER, 20.0)  # not answered by a person: not counted
    assert pacer.abandon_rate(100.0) == pytest.approx(0.5)
    assert pacer.abandon_rate(DAY_S + 5.0) == 0.0  # the abandon left the window
    assert pacer.abandon_rate(DAY_S + 15.0) == 0.0  # nothing left: no rate
    pacer.record_abandon(DAY_S + 20.0)
    assert pacer.abandon_rate(DAY_S + 20.0) == 1.0


def test_a_restored_ratio_paces_before_the_pacer_has_measured_enough() -> None:
    history = measured(Pacer(min_dials=10_000), dials=1000, abandons=0)  # still warming up
    lines = history.lines_to_dial(free_agents=5, lines_in_progress=0, now=HOUR, busy_elapsed_s=BUSY)
    restored = measured(Pacer(min_dials=10_000, ratio=3.0), dials=1000, abandons=0)
    more = restored.lines_to_dial(free_agents=5, lines_in_progress=0, now=HOUR, busy_elapsed_s=BUSY)
    assert lines <= 6 < more


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="abandon cap"):
        Pacer(abandon_cap=1.5)
    with pytest.raises(ValueError, match="one line per agent"):
        Pacer(max_lines_per_agent=0.5)


# -- properties -------------------------------------------------------------------------------

decisions = st.fixed_dictionaries({
    "free": st.integers(0, 60),
    "flying": st.integers(0, 150),
    "busy": st.lists(st.floats(0, 2000, allow_nan=False), max_size=60),
    "ringing_share": st.floats(0, 1),
})  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    decision=decisions,
    answer_rate=st.sampled_from([0.05, 0.2, 0.3, 0.5, 0.9]),
    abandons=st.integers(0, 40),
    max_lines=st.floats(1.0, 6.0),
    cap=st.sampled_from([0.0, 0.01, 0.03, 0.05]),
)
def test_lines_are_never_negative_nor_beyond_the_lines_per_agent(
    decision: dict, answer_rate: float, abandons: int, max_lines: float, cap: float
) -> None:
    pacer = measured(
        Pacer(abandon_cap=cap, max_lines_per_agent=max_lines),
        answer_rate=answer_rate,
        abandons=abandons,
    )
    free, flying, busy = decision["free"], decision["flying"], decision["busy"]
    ringing = [5.0] * round(flying * decision["ringing_share"])
    lines = pacer.lines_to_dial(
        free_agents=free,
        lines_in_progress=flying,
        now=HOUR,
        busy_elapsed_s=busy,
        ringing_elapsed_s=ringing,
    )
    assert lines >= 0
    assert lines == 0 or flying + lines <= max_lines * (free + len(busy)) + 1e-9
    assert 1.0 <= pacer.ratio <= max_lines
    if pacer.abandon_rate(HOUR) >= cap:
        assert pacer.ratio == 1.0
        assert flying + lines <= max(free, flying)


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 50), st.booleans()), min_size=1, max_size=40
    ),
    cap=st.sampled_from([0.01, 0.03]),
)
def test_a_burst_of_answers_never_takes_the_day_above_the_cap(
    steps: list[tuple[int, int, bool]], cap: float
) -> None:
    """Each step the pacer decides; then either every line in flight is answered at once
    (those beyond the free agents abandoned: the worst burst), or the lines end unanswered.
    The rolling-day abandon rate never exceeds the cap."""
    pacer = measured(Pacer(abandon_cap=cap), dials=600, answer_rate=0.3)
    now = HOUR
    flying = 0
    for free, busy, burst in steps:
        now += 1.0
        flying += pacer.lines_to_dial(
            free_agents=free, lines_in_progress=flying, now=now, busy_elapsed_s=[100.0] * busy
        )
        if burst:
            for i in range(flying):
                pacer.record_outcome(Outcome.ANSWERED if i < free else Outcome.ABANDONED, now)
        else:
            for _ in range(flying):
                pacer.record_outcome(Outcome.NO_ANSWER, now)
        flying = 0
        assert pacer.abandon_rate(now) <= cap + 1e-12


@pytest.mark.parametrize("measured_rate", [0.3, 0.05])
def test_bursts_that_abandon_every_extra_line_never_pass_the_cap(measured_rate: float) -> None:
    """The worst case, again and again: every line in flight answered at once, those beyond the
    free agents abandoned. The pacer dials ahead while there is room, backs off as the day's
    rate climbs, and the rate never passes the cap, even when the answers measured so far
    (5 %) made it dial far ahead."""
    pacer = measured(Pacer(abandon_cap=0.03), dials=3000, answer_rate=measured_rate)
    now = HOUR
    extra = []
    for _ in range(300):
        now += 1.0
        free = 5
        lines = pacer.lines_to_dial(
            free_agents=free, lines_in_progress=0, now=now, busy_elapsed_s=BUSY
        )
        extra.append(lines - free)
        for i in range(lines):
            pacer.record_outcome(Outcome.ANSWERED if i < free else Outcome.ABANDONED, now)
        assert pacer.abandon_rate(now) <= 0.03
    assert extra[0] > 0
    assert pacer.abandon_rate(now) > 0.6 * 0.03  # into the back-off band
    assert sum(extra[-100:]) < sum(extra[:100])


def test_every_dial_answered_still_paces() -> None:
    """An answer rate of exactly 1 leaves no variance: the pacer still answers a number."""
    pacer = Pacer(abandon_cap=0.03)
    for i in range(200):
        pacer.record_dial(float(i))
        pacer.record_outcome(Outcome.ANSWERED, float(i) + 5.0, ring_s=5.0)
        pacer.record_talk(100.0, float(i) + 105.0)
    lines = pacer.lines_to_dial(free_agents=3, lines_in_progress=0, now=400.0)
    assert 3 <= lines <= 15
