"""Simulated KPIs agree with queueing theory: Erlang C on M/M/n, Erlang A on M/M/n+M.

Service level is answered within T / offered on both sides (no short abandons here), so a
caller who abandons before T counts against it in the simulation and in Erlang A alike.
Tolerances are about three standard deviations of the estimate at the number of calls used
(measured over several seeds); the 1M-call check holds the issue's 1 % bound.
"""

from __future__ import annotations

import pytest

from kpi.erlang import ErlangA, ErlangC
from sim.run import simulate
from sim.scenario_file import load_scenario, parse_scenario

PER_HOUR = 1 / 3600
M_M_60 = """\
[[queue]]
name = "support"
strategy = "leastrecent"
agents = 60
arrival_rate_per_hour = 1000
short_abandon_s = 0
talk = { distribution = "exponential", mean_s = 180 }
"""


def test_m_m_n_matches_erlang_c() -> None:
    theory = ErlangC(1000 * PER_HOUR, 180, 60)
    result = simulate(parse_scenario(M_M_60), calls=300_000, seed=1).summaries["support"]
    assert result.abandoned == 0
    assert result.service_level == pytest.approx(theory.service_level(20), abs=0.015)
    assert result.asa_s == pytest.approx(theory.asa_s, abs=0.6)


def test_m_m_n_plus_m_matches_erlang_a() -> None:
    theory = ErlangA(1000 * PER_HOUR, 180, 50, 120)
    result = simulate(load_scenario("mmn_validation"), calls=300_000, seed=1).summaries["support"]
    assert result.service_level == pytest.approx(theory.service_level(20), abs=0.02)
    assert result.abandon_rate == pytest.approx(theory.p_abandon, abs=0.006)
    assert result.asa_s == pytest.approx(theory.asa_s, abs=0.6)


def test_the_event_engine_matches_erlang_a_too() -> None:
    theory = ErlangA(1000 * PER_HOUR, 180, 50, 120)
    scenario = load_scenario("mmn_validation")
    result = simulate(scenario, calls=100_000, seed=2, fast_path=False).summaries["support"]
    assert result.service_level == pytest.approx(theory.service_level(20), abs=0.03)
    assert result.abandon_rate == pytest.approx(theory.p_abandon, abs=0.01)
    assert result.asa_s == pytest.approx(theory.asa_s, abs=1.0)


@pytest.mark.slow
def test_a_million_calls_agree_with_erlang_a_within_one_percent() -> None:
    theory = ErlangA(1000 * PER_HOUR, 180, 50, 120)
    result = simulate(load_scenario("mmn_validation"), calls=1_000_000).summaries["support"]
    assert result.offered == 1_000_000
    assert result.service_level == pytest.approx(theory.service_level(20), abs=0.01)
    assert result.abandon_rate == pytest.approx(theory.p_abandon, abs=0.01)
    assert result.asa_s == pytest.approx(theory.asa_s, rel=0.02)
