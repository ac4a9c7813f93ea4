"""Who gets the next caller: app_queue's strategies, penalties and queue weights."""

from __future__ import annotations

import pytest

from tests.sim.scripted import center

THREE_AGENTS = """\
[[queue]]
name = "support"
strategy = "{strategy}"
talk = {{ distribution = "deterministic", mean_s = {talk} }}
[[agent]]
name = "Alice"
queues = ["support"]
[[agent]]
name = "Bob"
queues = ["support"]
[[agent]]
name = "Carol"
queues = ["support"]
"""


def answered_by(strategy: str, talks: float, gaps: list[float]) -> list[object]:
    """Inject one caller after each gap; return who answered each, in order."""
    engine, seen = center(THREE_AGENTS.format(strategy=strategy, talk=talks))
    t = 0.0
    for gap in gaps:
        t += gap
        engine.run_until(t)
        engine.inject_call("support")
    engine.run_until(t + 1000)
    return [row[3] for row in seen.calls("answered")]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # Callers 10 s apart, each call 5 s: everyone is free every time.
        ("rrmemory", ["Alice", "Bob", "Carol", "Alice"]),  # goes round, remembering
        ("linear", ["Alice", "Alice", "Alice", "Alice"]),  # always the first free member
        ("leastrecent", ["Alice", "Bob", "Carol", "Alice"]),  # the one idle longest
        ("fewestcalls", ["Alice", "Bob", "Carol", "Alice"]),  # fewest answered so far
    ],
)
def test_strategies_choose_among_free_members(strategy: str, expected: list[str]) -> None:
    assert answered_by(strategy, 5, [10, 10, 10, 10]) == expected


def test_a_free_agent_takes_the_caller_who_waited_longest() -> None:
    # Three long calls occupy everyone; two more callers wait; Alice frees first.
    assert answered_by("rrmemory", 100, [0, 1, 1, 1, 1]) == [
        "Alice", "Bob", "Carol", "Alice", "Bob",
    ]  # fmt: skip


SKILLS = """\
[[queue]]
name = "support"
talk = { distribution = "deterministic", mean_s = 60 }
[[queue]]
name = "vip"
weight = 10
talk = { distribution = "deterministic", mean_s = 60 }
[[agent]]
name = "Generalist"
queues = { support = 0, vip = 5 }
[[agent]]
name = "Specialist"
queues = { vip = 0, support = 5 }
"""


def test_lower_penalty_members_are_offered_the_call_first() -> None:
    engine, seen = center(SKILLS)
    engine.inject_call("vip")
    engine.inject_call("support")
    engine.run_until(1)
    assert seen.calls("answered") == [
        (0.0, "answered", 0, "Specialist"),
        (0.0, "answered", 1, "Generalist"),
    ]


def test_a_higher_penalty_member_helps_when_the_others_are_busy() -> None:
    engine, seen = center(SKILLS)
    engine.inject_call("vip")
    engine.inject_call("vip")
    engine.run_until(1)
    assert [row[3] for row in seen.calls("answered")] == ["Specialist", "Generalist"]


def test_a_free_agent_serves_the_heavier_queue_first() -> None:
    engine, seen = center(SKILLS)
    engine.pause("Generalist")
    engine.pause("Specialist")
    engine.inject_call("support")
    engine.run_until(5)
    engine.inject_call("vip")
    engine.unpause("Generalist")  # in both queues: vip weighs more though its caller came later
    assert seen.calls("answered") == [(5.0, "answered", 1, "Generalist")]
