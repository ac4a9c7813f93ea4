"""Erlang C and Erlang A: published values, independent numerics, monotonicity and limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from kpi.erlang import ErlangA, ErlangC, agents_for_service_level, erlang_b

PER_HOUR = 1 / 3600


def birth_death(arrival: float, talk_s: float, agents: int, patience_s: float, size: int = 3000):
    """Stationary distribution of the M/M/n+M queue length, solved directly (truncated)."""
    weights = np.zeros(size)
    weights[0] = 1.0
    for k in range(1, size):
        departures = min(k, agents) / talk_s + max(k - agents, 0) / patience_s
        weights[k] = weights[k - 1] * arrival / departures
    return weights / weights.sum()


# Values found in queueing tables (Erlang B and C tables; e.g. Cooper, Introduction to
# Queueing Theory, and the usual call-center staffing tables).
@pytest.mark.parametrize(
    ("agents", "load", "blocking"),
    [(1, 1.0, 0.5), (2, 1.0, 0.2), (10, 10.0, 0.21458), (5, 2.0, 0.03670)],
)
def test_erlang_b_matches_tables(agents: int, load: float, blocking: float) -> None:
    assert erlang_b(agents, load) == pytest.approx(blocking, abs=5e-5)


@pytest.mark.parametrize(
    ("agents", "load", "p_wait"),
    [(11, 10.0, 0.6821), (2, 1.0, 1 / 3), (1, 0.5, 0.5)],
)
def test_erlang_c_probability_of_waiting_matches_tables(
    agents: int, load: float, p_wait: float
) -> None:
    assert ErlangC(load / 60, 60, agents).p_wait == pytest.approx(p_wait, abs=5e-5)


def test_erlang_c_single_agent_is_m_m_1() -> None:
    # M/M/1 with rho = 0.5: P(wait) = rho, mean wait = rho / (mu - lambda) = 60 s.
    queue = ErlangC(arrival_rate=1 / 120, mean_talk_s=60, agents=1)
    assert queue.asa_s == pytest.approx(60.0)
    assert queue.service_level(30) == pytest.approx(1 - 0.5 * math.exp(-30 / 120))


def test_erlang_c_overloaded_queue_never_meets_service_level() -> None:
    queue = ErlangC(arrival_rate=1.0, mean_talk_s=60, agents=50)
    assert (queue.p_wait, queue.service_level(20), queue.asa_s) == (1.0, 0.0, math.inf)


@pytest.mark.parametrize(
    ("calls_per_hour", "talk_s", "agents", "patience_s"),
    [
        (1000, 180, 50, 120),  # the validation scenario
        (1000, 180, 45, 120),  # overloaded: abandonment keeps it stable
        (60, 300, 3, 60),
        (200, 120, 5, 600),
        (1368, 30, 1, 203),  # eleven times overloaded: almost nobody is answered
    ],
)
def test_erlang_a_matches_the_birth_death_chain_and_integration(
    calls_per_hour: float, talk_s: float, agents: int, patience_s: float
) -> None:
    arrival = calls_per_hour * PER_HOUR
    model = ErlangA(arrival, talk_s, agents, patience_s)
    p = birth_death(arrival, talk_s, agents, patience_s)
    waiting = np.arange(p.size) - agents
    p_wait = p[agents:].sum()
    p_abandon = (p[agents:] * waiting[agents:]).sum() / patience_s / arrival
    assert model.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert model.p_abandon == pytest.approx(p_abandon, rel=1e-9)
    # The served callers' waits: density of V at x is proportional to g(x), served if V <= tau.
    theta, mu = 1 / patience_s, 1 / talk_s

    def g(x: float) -> float:
        return math.exp(arrival / theta * (1 - math.exp(-theta * x)) - agents * mu * x)

    norm = integrate.quad(g, 0, np.inf)[0]
    within = integrate.quad(lambda x: math.exp(-theta * x) * g(x), 0, 20)[0]
    mean = integrate.quad(lambda x: x * math.exp(-theta * x) * g(x), 0, np.inf)[0]
    expected_level = (1 - p_wait) + p_wait * within / norm
    assert model.service_level(20) == pytest.approx(expected_level, rel=1e-6, abs=1e-15)
    assert model.asa_s == pytest.approx(p_wait * mean / norm / (1 - p_abandon))


def test_erlang_a_mean_wait_obeys_littles_law() -> None:
    # Abandonment rate = theta x mean queue length, so P(abandon) = theta x E[time in queue].
    model = ErlangA(1000 * PER_HOUR, 180, 50, 120)
    p = birth_death(1000 * PER_HOUR, 180, 50, 120)
    queue_length = (p[50:] * np.arange(p.size - 50)).sum()
    assert model.mean_wait_s == pytest.approx(queue_length / (1000 * PER_HOUR), rel=1e-9)


def test_erlang_a_is_stable_for_two_thousand_agents() -> None:
    # 40,000 calls per hour, 3-minute talk: 2,000 erlangs on 2,000 agents.
    model = ErlangA(40_000 * PER_HOUR, 180, 2000, 120)
    values = [model.p_wait, model.p_abandon, model.service_level(20), model.asa_s]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert 0 < model.p_abandon < model.p_wait < 1
    big_c = ErlangC(38_000 * PER_HOUR, 180, 2000)
    assert 0 < big_c.p_wait < 1
    assert big_c.service_level(20) == pytest.approx(
        ErlangA(38_000 * PER_HOUR, 180, 2000, 1e9).service_level(20), abs=1e-6
    )


def test_erlang_a_with_no_agents_loses_everyone() -> None:
    model = ErlangA(0.1, 180, 0, 60)
    assert (model.p_wait, model.p_abandon, model.service_level(20)) == (1.0, 1.0, 0.0)


def test_agents_needed_is_the_smallest_count_meeting_the_target() -> None:
    rate = 1000 * PER_HOUR
    for patience in (None, 120.0):
        n = agents_for_service_level(rate, 180, 0.8, 20, patience)

        def level(agents: int, patience: float | None = patience) -> float:
            if patience is None:
                return ErlangC(rate, 180, agents).service_level(20)
            return ErlangA(rate, 180, agents, patience).service_level(20)

        assert level(n) >= 0.8 > level(n - 1)


rates = st.floats(min_value=10, max_value=3000)
talks = st.floats(min_value=30, max_value=600)
patiences = st.floats(min_value=10, max_value=1200)


@settings(max_examples=40, deadline=None)
@given(calls_per_hour=rates, talk_s=talks, patience_s=patiences, agents=st.integers(1, 120))
def test_more_agents_give_a_better_service_level(
    calls_per_hour: float, talk_s: float, patience_s: float, agents: int
) -> None:
    rate = calls_per_hour * PER_HOUR
    fewer = ErlangA(rate, talk_s, agents, patience_s)
    more = ErlangA(rate, talk_s, agents + 1, patience_s)
    assert more.service_level(20) >= fewer.service_level(20) - 1e-12
    assert more.p_abandon <= fewer.p_abandon + 1e-12
    assert more.asa_s <= fewer.asa_s + 1e-9
    c_fewer, c_more = ErlangC(rate, talk_s, agents), ErlangC(rate, talk_s, agents + 1)
    assert c_more.service_level(20) >= c_fewer.service_level(20) - 1e-12


@settings(max_examples=40, deadline=None)
@given(calls_per_hour=rates, talk_s=talks, agents=st.integers(1, 120))
def test_endless_patience_gives_erlang_c(calls_per_hour: float, talk_s: float, agents: int) -> None:
    rate = calls_per_hour * PER_HOUR
    c = ErlangC(rate, talk_s, agents)
    if c.load > agents * 0.98:
        return  # Erlang C has no steady state (or a barely stable one) there
    a = ErlangA(rate, talk_s, agents, mean_patience_s=1e7 * talk_s)
    assert a.p_wait == pytest.approx(c.p_wait, abs=1e-4)
    assert a.service_level(20) == pytest.approx(c.service_level(20), abs=1e-4)
    assert a.p_abandon == pytest.approx(0.0, abs=1e-4)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-3, abs=1e-3)


@settings(max_examples=30, deadline=None)
@given(calls_per_hour=rates, talk_s=talks, patience_s=patiences, agents=st.integers(1, 120))
def test_erlang_a_probabilities_are_consistent(
    calls_per_hour: float, talk_s: float, patience_s: float, agents: int
) -> None:
    model = ErlangA(calls_per_hour * PER_HOUR, talk_s, agents, patience_s)
    assert 0 <= model.p_abandon <= model.p_wait <= 1
    assert 0 <= model.service_level(20) <= model.service_level(60) <= model.p_answered + 1e-12
    assert model.service_level(0) == pytest.approx(1 - model.p_wait, abs=1e-9)
