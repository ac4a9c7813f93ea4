"""The far ends of campaign calls: the scenario's [outbound], drawn deterministically."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from sim.callees import FarEnd
from sim.scenario import CalleeOverride, Callees, Distribution, FarOutcome, ScenarioError
from sim.scenario_file import parse_scenario

BASE = """
[[queue]]
name = "renewals"
talk = { distribution = "deterministic", mean_s = 60 }
"""


def far_end(callees: Callees, seed: int = 5) -> FarEnd:
    return FarEnd(callees, np.random.default_rng(seed))


def test_the_same_seed_and_dials_give_the_same_outcomes() -> None:
    numbers = [f"+1555{n:07d}" for n in range(200)]
    first = [far_end(Callees()).dial(n, 30.0) for n in numbers]
    again = [far_end(Callees()).dial(n, 30.0) for n in numbers]
    other = [far_end(Callees(), seed=6).dial(n, 30.0) for n in numbers]
    assert first == again
    assert first != other


def test_the_shares_come_out_as_the_scenario_says() -> None:
    callees = Callees(
        answer_probability=0.3,
        busy_share=0.1,
        congestion_share=0.05,
        failed_share=0.05,
        machine_share=0.25,
        ring=Distribution.uniform(2.0, 10.0),
    )
    ends = far_end(callees)
    counts = Counter(ends.dial(f"+1555{n:07d}", 60.0).outcome for n in range(20_000))
    share = {outcome: count / 20_000 for outcome, count in counts.items()}
    answered = share[FarOutcome.PERSON] + share[FarOutcome.MACHINE]
    assert answered == pytest.approx(0.3, abs=0.015)
    assert share[FarOutcome.MACHINE] / answered == pytest.approx(0.25, abs=0.03)
    assert share[FarOutcome.BUSY] == pytest.approx(0.1, abs=0.01)
    assert share[FarOutcome.CONGESTION] == pytest.approx(0.05, abs=0.01)
    assert share[FarOutcome.FAILED] == pytest.approx(0.05, abs=0.01)
    assert share[FarOutcome.NO_ANSWER] == pytest.approx(callees.no_answer_share, abs=0.015)


def test_a_ring_longer_than_the_timeout_is_no_answer() -> None:
    callees = Callees(
        answer_probability=1.0,
        busy_share=0.0,
        congestion_share=0.0,
        failed_share=0.0,
        machine_share=0.0,
        ring=Distribution.deterministic(20.0),
    )
    dialled = far_end(callees).dial("+15550001", 15.0)
    assert (dialled.outcome, dialled.after_s, dialled.cause) == (FarOutcome.NO_ANSWER, 15.0, 19)
    answered = far_end(callees).dial("+15550001", 25.0)
    assert (answered.outcome, answered.after_s, answered.amd_status) == (
        FarOutcome.PERSON,
        20.0,
        "HUMAN",
    )
    assert answered.amd_cause.startswith("HUMAN-")


def test_a_numbers_override_leaves_the_other_dials_alone() -> None:
    numbers = [f"+1555{n:07d}" for n in range(50)]
    plain = [far_end(Callees()).dial(n, 30.0) for n in numbers]
    fixed = Callees(numbers=(CalleeOverride(numbers[3], FarOutcome.BUSY),))
    overridden = [far_end(fixed).dial(n, 30.0) for n in numbers]
    assert overridden[3].outcome is FarOutcome.BUSY
    assert overridden[:3] + overridden[4:] == plain[:3] + plain[4:]


def test_the_outbound_section_is_read_from_the_scenario() -> None:
    scenario = parse_scenario(
        BASE
        + """
[outbound]
answer_probability = 0.4
machine_share = 0.1
ring = { distribution = "deterministic", mean_s = 4 }
talk = { distribution = "lognormal", mean_s = 90, cv = 0.5 }
message_s = 4

[[outbound.number]]
number = "+15550001"
outcome = "machine"
ring_s = 3
"""
    )
    outbound = scenario.outbound
    assert (outbound.answer_probability, outbound.machine_share, outbound.message_s) == (
        0.4,
        0.1,
        4.0,
    )
    assert outbound.ring == Distribution.deterministic(4.0)
    assert outbound.talk == Distribution.lognormal(90.0, 0.5)
    assert outbound.amd_person == Callees().amd_person  # not given: the default
    assert outbound.override("+15550001") == CalleeOverride("+15550001", FarOutcome.MACHINE, 3.0)
    assert parse_scenario(BASE).outbound == Callees()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "[outbound]\nanswer_probability = 0.8\nbusy_share = 0.3",
            "line 6: outbound: answer_probability, busy_share, congestion_share and failed_share "
            "must add up to at most 1",
        ),
        ("[outbound]\nmachine_share = 1.5", "outbound.machine_share: must be a probability"),
        (
            '[[outbound.number]]\nnumber = "+15550001"\noutcome = "maybe"',
            "outbound.number[0].outcome: must be one of person, machine, busy, no_answer, "
            "congestion, failed, rejected (got 'maybe')",
        ),
        (
            '[[outbound.number]]\nnumber = "+15550001"\n[[outbound.number]]\nnumber = "+15550001"',
            "outbound.number[1].number: number '+15550001' is given twice",
        ),
        ('[[outbound.number]]\nnumber = "call me"', "outbound.number[0].number: must be digits"),
        ("[outbound]\nrings = 3", "outbound.rings: unknown key"),
    ],
)
def test_a_bad_outbound_section_is_named_with_its_line(section: str, message: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(BASE + "\n" + section + "\n", source="bad.toml")
    assert message in str(raised.value)
