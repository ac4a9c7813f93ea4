"""Scenario files: the shipped ones load, the smallest file works, bad input names key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import SCENARIO_DIR, DistributionKind, ScenarioError, Strategy
from sim.scenario_file import load_scenario, parse_scenario

SMALLEST = """\
seed = 1
[[queue]]
name = "support"
agents = 50
arrival_rate_per_hour = 1000
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
talk = { distribution = "exponential", mean_s = 180 }
patience = { distribution = "exponential", mean_s = 120 }
"""

TWO_QUEUES = """\
seed = 3

[[queue]]
name = "support"
arrival_rate_per_hour = 30
talk = { distribution = "lognormal", mean_s = 60, cv = 0.5 }
transfer = { probability = 0.2, queue = "billing" }

[[queue]]
name = "billing"
strategy = "leastrecent"
talk = { distribution = "deterministic", mean_s = 30 }

[[agent]]
name = "agent1"
interface = "PJSIP/1001"
human = true
queues = { support = 0, billing = 2 }
pauses = [
    { reason = "Lunch", at = "12:00", duration_s = 1800 },
    { reason = "Break", at = "15:00", duration_s = 600 },
]
"""


@pytest.mark.parametrize("name", ["demo", "mmn_validation", "intraday_peak"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(SCENARIO_DIR / f"{name}.toml")
    assert scenario.queues and scenario.agents
    assert scenario.source == f"{name}.toml"


def test_a_bare_name_finds_a_shipped_scenario() -> None:
    assert load_scenario("demo").source == "demo.toml"


def test_smallest_file_is_one_queue_of_anonymous_agents() -> None:
    scenario = parse_scenario(SMALLEST)
    (queue,) = scenario.queues
    assert (queue.name, queue.arrival_rate_per_hour, queue.service_level_s) == ("support", 1000, 20)
    assert queue.talk.kind is DistributionKind.EXPONENTIAL and queue.talk.mean_s == 180
    assert queue.patience is not None and queue.patience.mean_s == 120
    assert len(scenario.agents) == 50
    assert (scenario.agents[0].name, scenario.agents[0].interface) == ("support-01", "PJSIP/2001")
    assert {a.queues for a in scenario.agents} == {("support",)}


def test_patience_left_out_means_nobody_abandons() -> None:
    scenario = parse_scenario(SMALLEST.replace('patience = { distribution = "exponential"', "#"))
    assert scenario.queues[0].patience is None


def test_richer_file_has_skills_penalties_pauses_and_transfers() -> None:
    scenario = parse_scenario(TWO_QUEUES)
    agent = scenario.agent("agent1")
    assert agent.human and agent.interface == "PJSIP/1001"
    assert [(m.queue, m.penalty) for m in agent.memberships] == [("support", 0), ("billing", 2)]
    assert [(p.reason, p.at_s, p.duration_s) for p in agent.pauses] == [
        ("Lunch", 12 * 3600, 1800),
        ("Break", 15 * 3600, 600),
    ]
    assert agent.ring.mean_s == 2.0  # a human's headset auto-answers after a short ring
    support = scenario.queue("support")
    assert support.transfer is not None and support.transfer.queue == "billing"
    assert scenario.queue("billing").strategy is Strategy.LEASTRECENT


def test_agents_with_a_count_get_numbered_names_and_their_own_interfaces() -> None:
    text = TWO_QUEUES + '[[agent]]\nname = "bot"\ncount = 3\nqueues = ["billing"]\n'
    names = [(a.name, a.interface) for a in parse_scenario(text).agents]
    assert names[1:] == [("bot1", "PJSIP/2001"), ("bot2", "PJSIP/2002"), ("bot3", "PJSIP/2003")]


def test_known_callers_can_be_replaced_by_crm_numbers() -> None:
    scenario = parse_scenario(SMALLEST).with_known_callers(("+3225550101",), ("Ann",))
    assert scenario.callers.numbers == ("+3225550101",)
    assert scenario.callers.names == ("Ann",)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# (what is changed in TWO_QUEUES, the key the message must name, text on the reported line)
BAD_INPUT = [
    ('strategy = "leastrecent"', 'colour = "red"', "queue[1].colour", "colour"),
    ("arrival_rate_per_hour = 30", "arrival_rate_per_hour = -30", "queue[0].arrival_rate_per_hour",
     "arrival_rate_per_hour"),
    ("queues = { support = 0, billing = 2 }", "queues = []", "agent[0].queues", "queues = []"),
    ('queue = "billing" }', 'queue = "sales" }', "queue[0].transfer.queue", "transfer ="),
    ("cv = 0.5", "cv = -1", "queue[0].talk.cv", "talk ="),
    ('distribution = "deterministic"', 'distribution = "gamma"',
     "queue[1].talk.distribution", "mean_s = 30"),
    ('at = "15:00"', 'at = "25:00"', "agent[0].pauses[1].at", "Break"),
    ("duration_s = 600", "duration_s = 0", "agent[0].pauses[1].duration_s", "Break"),
    ("{ support = 0, billing = 2 }", "{ support = 0, sales = 2 }", "agent[0].queues", "queues ="),
    ("probability = 0.2", "probability = 1.5", "queue[0].transfer.probability", "transfer ="),
    ('human = true', 'human = "yes"', "agent[0].human", "human ="),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "key", "on_line"), BAD_INPUT)
def test_bad_input_names_the_key_and_its_line(old: str, new: str, key: str, on_line: str) -> None:
    assert old in TWO_QUEUES
    text = TWO_QUEUES.replace(old, new, 1)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="center.toml")
    error = caught.value
    assert error.key == key
    assert error.line == _line_of(text, on_line)
    assert str(error).startswith(f"center.toml line {error.line}: {key}: ")


def test_missing_talk_is_reported_on_the_queue_header() -> None:
    text = TWO_QUEUES.replace('talk = { distribution = "deterministic", mean_s = 30 }\n', "")
    with pytest.raises(ScenarioError, match="missing key 'talk'") as caught:
        parse_scenario(text)
    assert caught.value.line == 9  # the second [[queue]] header


def test_not_toml_at_all_gives_the_parser_line() -> None:
    with pytest.raises(ScenarioError, match="not valid TOML") as caught:
        parse_scenario("seed = 1\n[[queue]\n", source="x.toml")
    assert caught.value.line == 2


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.toml")


def test_a_scenario_needs_a_queue() -> None:
    with pytest.raises(ScenarioError, match=r"at least one \[\[queue\]\]"):
        parse_scenario("seed = 1\n")
