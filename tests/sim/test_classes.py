"""Caller classes in the discrete-event simulator: VIP priority and skills, against theory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from callcenter.calls.records import Direction
from kpi.erlang import ErlangC
from sim.classes import join_in_order
from sim.engine import Engine
from sim.inbound import Route
from sim.kernel import unsupported_reason
from sim.observer import EngineObserver
from sim.run import simulate
from sim.scenario import ScenarioError
from sim.scenario_file import parse_scenario
from sim.state import CallPhase, SimCall

# M/M/5 at 80 % load, 30 % of callers VIPs: Cobham's non-preemptive priority M/M/c.
PRIORITY = """\
[callers]
vip_share = 0.3
vip_priority = {priority}

[[queue]]
name = "support"
strategy = "leastrecent"
agents = 5
arrival_rate_per_hour = 240
short_abandon_s = 0
talk = {{ distribution = "exponential", mean_s = 60 }}
"""

SKILLS = """\
[callers]
needs = { "lang:de" = 0.5 }

[[queue]]
name = "support"
arrival_rate_per_hour = 60
talk = { distribution = "deterministic", mean_s = 30 }

[[agent]]
name = "anna"
queues = ["support"]
skills = { "lang:de" = 1 }

[[agent]]
name = "bob"
queues = ["support"]
"""


def test_vip_waits_as_cobham_says_and_the_total_is_conserved() -> None:
    calls = 200_000
    with_priority = simulate(parse_scenario(PRIORITY.format(priority=10)), calls=calls, seed=2)
    without = simulate(parse_scenario(PRIORITY.format(priority=0)), calls=calls, seed=2)
    theory = ErlangC(240 / 3600, 60, 5)
    # Cobham: W_k = W0 / ((1 - s_{k-1})(1 - s_k)), W0 = C(n, a) / (n mu), s_k the load of
    # classes 1..k (the highest first).
    w0 = theory.p_wait * 60 / 5
    vip_load, load = 0.3 * 0.8, 0.8
    vip, regular = with_priority.classes["vip"]["support"], with_priority.classes["regular"]
    assert vip.asa_s == pytest.approx(w0 / (1 - vip_load), rel=0.08)
    assert regular["support"].asa_s == pytest.approx(w0 / ((1 - vip_load) * (1 - load)), rel=0.08)
    assert vip.asa_s < regular["support"].asa_s / 3
    # Work-conserving: the queue as a whole waits as much with or without priorities.
    total, plain = with_priority.summaries["support"], without.summaries["support"]
    assert total.offered == plain.offered
    assert total.asa_s == pytest.approx(plain.asa_s, rel=0.05)
    assert plain.asa_s == pytest.approx(theory.asa_s, rel=0.08)
    assert without.classes["vip"]["support"].asa_s == pytest.approx(plain.asa_s, rel=0.1)


def test_callers_with_classes_leave_the_fast_paths() -> None:
    scenario = parse_scenario(PRIORITY.format(priority=10))
    assert unsupported_reason(scenario, exact=False) == "callers differ in priority or needs"
    assert not simulate(scenario, calls=100, seed=1).fast_path


def _call(ident: int, priority: int) -> SimCall:
    call = SimCall(ident, str(ident), 0.0, None, None, None, None)  # type: ignore[arg-type]
    call.priority = priority
    return call


def test_a_caller_joins_ahead_of_lower_priorities_fifo_within_its_own() -> None:
    waiting: dict[SimCall, None] = {}
    positions = [join_in_order(waiting, _call(i, p)) for i, p in enumerate([0, 0, 10, 5, 10])]
    assert positions == [1, 2, 1, 2, 2]
    assert [c.id for c in waiting] == [2, 4, 3, 0, 1]


def _engine(text: str) -> Engine:
    engine = Engine(parse_scenario(text), np.random.default_rng(1), EngineObserver())
    engine.arrivals.drop()
    return engine


def _caller(engine: Engine, need: str | None = None, **route: object) -> SimCall:
    """A caller of `support` with a need, routed (penalty range) as the routing server says."""
    queue = engine.queues["support"]
    call = engine.flow.new_call(queue, Direction.INBOUND)
    call.need = need
    call.phase = CallPhase.ROUTING
    engine.route(call, Route("support", **route))  # type: ignore[arg-type]
    return call


def test_a_caller_who_needs_a_skill_is_answered_only_by_a_member_who_has_it() -> None:
    engine = _engine(SKILLS.replace('needs = { "lang:de" = 0.5 }', ""))
    german = _caller(engine, "lang:de")
    assert german.agent is not None and german.agent.name == "anna"
    second = _caller(engine, "lang:de")
    assert second.phase is CallPhase.QUEUED  # bob is free, but speaks no German
    plain = _caller(engine)
    assert plain.agent is not None and plain.agent.name == "bob"
    engine.run_until(31.0)  # anna is free again: she takes the German caller who waited
    assert second.agent is not None and second.agent.name == "anna"


def test_queue_max_penalty_leaves_out_members_above_it() -> None:
    text = SKILLS.replace('needs = { "lang:de" = 0.5 }', "")
    text = text.replace('queues = ["support"]\nskills', "queues = { support = 2 }\nskills")
    engine = _engine(text)
    first = _caller(engine)
    assert first.agent is not None and first.agent.name == "bob"  # penalty 0 first
    held = _caller(engine, max_penalty=1)
    assert held.phase is CallPhase.QUEUED  # anna (penalty 2) is free but out of range
    engine.run_until(31.0)
    assert held.agent is not None and held.agent.name == "bob"


def test_skills_and_needs_are_checked_in_the_file() -> None:
    with pytest.raises(ScenarioError, match=r"agent\[0\]\.skills: must be a table"):
        parse_scenario(SKILLS.replace('{ "lang:de" = 1 }', '{ "lang:de" = 0 }'))
    with pytest.raises(ScenarioError, match=r"callers\.needs: the shares must add up"):
        parse_scenario(SKILLS.replace('"lang:de" = 0.5', '"lang:de" = 0.7, "lang:fr" = 0.5'))
    with pytest.raises(ScenarioError, match="already leads to queue 'a'"):
        parse_scenario(
            '[[queue]]\nname = "a"\nnumbers = ["5000"]\ntalk = { distribution = '
            '"deterministic", mean_s = 1 }\n[[queue]]\nname = "b"\nnumbers = ["5000"]\n'
            'talk = { distribution = "deterministic", mean_s = 1 }\n'
        )
    scenario = parse_scenario(SKILLS.replace("[callers]", "[callers]\nvip_share = 0.1"))
    assert scenario.callers.needs == (("lang:de", 0.5),)
    assert scenario.agent("anna").skills == (("lang:de", 1),)


def test_sim_run_prints_each_caller_class(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from callcenter.cli import main

    path = tmp_path / "vip.toml"
    path.write_text(PRIORITY.format(priority=10), encoding="utf-8")
    assert main(["sim", "run", str(path), "--calls", "2000"]) == 0
    text = capsys.readouterr().out
    assert "by caller class" in text and "vip" in text and "regular" in text
    assert main(["sim", "run", str(path), "--calls", "2000", "--json"]) == 0
    classes = json.loads(capsys.readouterr().out)["classes"]
    assert set(classes) == {"regular", "vip"}
    assert classes["vip"]["support"]["asa_s"] < classes["regular"]["support"]["asa_s"]


def test_relaxing_a_need_after_a_wait_shortens_the_wait_of_those_who_have_it() -> None:
    # Half the callers need German, one agent of three speaks it: they queue for her.
    busy = SKILLS.replace("arrival_rate_per_hour = 60", "arrival_rate_per_hour = 150")
    busy = busy.replace('name = "bob"', 'name = "bob"\ncount = 2')
    busy = busy.replace("mean_s = 30 }", "mean_s = 60 }")
    strict = simulate(parse_scenario(busy), calls=20_000, seed=3).classes
    relaxed_text = busy.replace("[[agent]]", "relax_needs_after_s = 20\n\n[[agent]]", 1)
    relaxed = simulate(parse_scenario(relaxed_text), calls=20_000, seed=3).classes
    german, plain = strict["regular lang:de"]["support"], strict["regular"]["support"]
    assert german.asa_s > 3 * plain.asa_s  # waiting for the one German speaker
    relaxed_german = relaxed["regular lang:de"]["support"]
    assert relaxed_german.asa_s < german.asa_s / 2
    assert relaxed_german.service_level > german.service_level


def test_the_member_strongest_in_the_skill_answers_first() -> None:
    text = SKILLS.replace('needs = { "lang:de" = 0.5 }', "") + (
        '\n[[agent]]\nname = "dora"\nqueues = ["support"]\nskills = { "lang:de" = 3 }\n'
    )
    engine = _engine(text)
    first, second = _caller(engine, "lang:de"), _caller(engine, "lang:de")
    assert first.agent is not None and first.agent.name == "dora"  # level 3 before anna's 1
    assert second.agent is not None and second.agent.name == "anna"
