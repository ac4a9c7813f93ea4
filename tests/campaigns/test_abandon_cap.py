"""The abandon cap's bound on new lines: worst case until the day has an answer rate, then
that rate's upper bound with a margin on how many answer at once."""

from __future__ import annotations

import random

from callcenter.campaigns.abandon_cap import AbandonCount, lines_within_cap, may_answer


def test_with_no_dial_ended_today_every_line_counts_as_answered() -> None:
    count = AbandonCount(answered=0, abandoned=0)
    assert count.answer_bound() == 1.0
    # No headroom yet: no more lines than free agents, whatever the pacer wants.
    assert lines_within_cap(count, 0.03, wanted=30, free_agents=4, lines_in_progress=1) == 3


def test_a_day_where_every_dial_was_answered_keeps_the_worst_case() -> None:
    count = AbandonCount(answered=100, abandoned=0, dialled=100)
    assert count.answer_bound() == 1.0
    room = count.headroom(0.03)  # 3 more abandons allowed
    assert lines_within_cap(count, 0.03, wanted=50, free_agents=2, lines_in_progress=0) == 2 + room


def test_a_measured_answer_rate_allows_more_lines_than_free_agents_within_a_margin() -> None:
    count = AbandonCount(answered=3000, abandoned=20, dialled=10_000)  # 30 % answer
    bound = count.answer_bound()
    assert 0.30 < bound < 0.32
    lines = lines_within_cap(count, 0.03, wanted=200, free_agents=5, lines_in_progress=10)
    room = 5 + count.headroom(0.03)
    assert lines > room - 10  # more than the worst case would allow
    assert may_answer(10 + lines, bound) <= room < may_answer(10 + lines + 1, bound)


def test_answered_callers_waiting_for_an_agent_take_room_first() -> None:
    count = AbandonCount(answered=3000, abandoned=20, dialled=10_000)
    free = lines_within_cap(count, 0.03, wanted=200, free_agents=5, lines_in_progress=0)
    waiting = lines_within_cap(
        count, 0.03, wanted=200, free_agents=5, lines_in_progress=0, answered_waiting=5
    )
    assert waiting < free


def test_the_bound_holds_for_answers_drawn_at_the_measured_rate() -> None:
    """Lines allowed by the bound, each answered with the day's true rate: the answers exceed
    the room in well under one round in a hundred."""
    rng = random.Random(7)
    count = AbandonCount(answered=3000, abandoned=30, dialled=10_000)
    lines = lines_within_cap(count, 0.03, wanted=500, free_agents=10, lines_in_progress=0)
    room = 10 + count.headroom(0.03)
    over = sum(sum(rng.random() < 0.3 for _ in range(lines)) > room for _ in range(2000))
    assert over < 20
