"""The outbound campaign simulation: progressive and preview match their closed forms,
predictive (the product's pacer) keeps agents busier within the abandon cap.

Closed form (`sim.outbound.progressive_expectation`): an agent in progressive mode repeats
independent cycles (its reserved line rings; nobody, a machine or a person answers). A connect
takes 1/p dials on average (p = share answered by a person); each unanswered dial costs the
no-answer timeout T, a machine dial its ring time R plus the AMD time, the answered dial its
ring time R (R clipped at T). By renewal-reward,
    occupancy = (talk + wrap) / (talk + wrap + R + (m (R + amd) + u T) / p),
with m the machine share and u = 1 - p - m. Preview adds the preview time before every dial:
+ preview / p per connect. Over 50 agents x 8 h (about 7,000 connects) the simulated figure is
within one point of it (its standard error is about 0.3 point).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from callcenter.campaigns.enums import CampaignMode
from sim.distributions import sampler
from sim.outbound import (
    OutboundConfig,
    mean_clipped,
    preview_expectation,
    progressive_expectation,
    simulate_outbound,
)
from sim.scenario import Distribution

PROGRESSIVE = CampaignMode.PROGRESSIVE
PREVIEW = CampaignMode.PREVIEW
PREDICTIVE = CampaignMode.PREDICTIVE

WITH_MACHINES = OutboundConfig(
    agents=50,
    hours=8,
    answer_rate=0.3,
    machine_share=0.1,
    ring=Distribution.uniform(2.0, 20.0),
    no_answer_timeout_s=25.0,
    amd_s=3.0,
    talk=Distribution.exponential(120.0),
    wrap=Distribution.deterministic(10.0),
)


@pytest.mark.parametrize(
    "config",
    [
        WITH_MACHINES,
        OutboundConfig(),  # lognormal ring clipped at the timeout, no machines
        OutboundConfig(talk=Distribution.lognormal(120.0, 0.8), wrap=Distribution.uniform(0, 30)),
    ],
    ids=["uniform ring, machines", "lognormal ring", "lognormal talk"],
)
def test_progressive_occupancy_matches_the_closed_form(config: OutboundConfig) -> None:
    result = simulate_outbound(dataclasses.replace(config, mode=PROGRESSIVE))
    assert result.occupancy == pytest.approx(progressive_expectation(config), abs=0.01)
    assert result.abandoned == 0


def test_preview_occupancy_matches_the_closed_form() -> None:
    config = dataclasses.replace(WITH_MACHINES, mode=PREVIEW, preview=Distribution.uniform(5, 25))
    result = simulate_outbound(config)
    assert result.occupancy == pytest.approx(preview_expectation(config), abs=0.01)
    assert result.abandoned == 0
    # Reading a lead costs time: fewer connects than progressive on the same day.
    progressive = simulate_outbound(dataclasses.replace(config, mode=PROGRESSIVE))
    assert result.connects < progressive.connects


def test_the_closed_form_by_hand() -> None:
    # p = 0.3, m = 0.1, u = 0.6, R = 11, amd = 3, T = 25: idle per connect
    # 11 + (0.1 * 14 + 0.6 * 25) / 0.3 = 65.67 s; busy 130 s.
    assert progressive_expectation(WITH_MACHINES) == pytest.approx(130 / (130 + 65 + 2 / 3))


def test_every_dial_ends_one_way_or_is_still_on_at_the_end_of_the_day() -> None:
    for mode in CampaignMode:
        result = simulate_outbound(dataclasses.replace(WITH_MACHINES, mode=mode, hours=1))
        ended = result.connects + result.abandoned + result.machines + result.no_answers
        assert 0 <= result.dials - ended <= 5 * result.agents
        assert result.machines == pytest.approx(0.1 * result.dials, rel=0.15)
        assert result.dials_per_hour == result.dials


def test_a_seed_fixes_the_day() -> None:
    config = dataclasses.replace(WITH_MACHINES, mode=PREDICTIVE, hours=0.5, seed=7)
    assert simulate_outbound(config) == simulate_outbound(config)
    assert simulate_outbound(config) != simulate_outbound(dataclasses.replace(config, seed=8))


@pytest.mark.parametrize("cap", [0.03, 0.01])
def test_predictive_keeps_agents_busier_within_the_abandon_cap(cap: float) -> None:
    config = dataclasses.replace(OutboundConfig(hours=4), abandon_cap=cap)
    predictive = simulate_outbound(dataclasses.replace(config, mode=PREDICTIVE))
    progressive = simulate_outbound(dataclasses.replace(config, mode=PROGRESSIVE))
    assert predictive.abandoned > 0
    assert predictive.abandon_rate <= cap
    assert predictive.max_abandon_rate <= cap
    assert predictive.occupancy > progressive.occupancy + 0.15
    assert predictive.wait_between_calls_s < progressive.wait_between_calls_s / 2
    assert predictive.final_ratio > 1.0
    # The day starts progressive: room under the cap is earned by answered calls.
    by_hour = predictive.occupancy_by_hour()
    assert len(by_hour) == 4
    assert by_hour[0] < min(by_hour[1:])
    assert sum(predictive.busy_by_hour) == pytest.approx(predictive.busy_s)


def test_a_small_team_stays_within_the_cap() -> None:
    config = OutboundConfig(mode=PREDICTIVE, agents=4, hours=8, machine_share=0.1)
    result = simulate_outbound(config)
    assert result.abandon_rate <= 0.03
    assert result.max_abandon_rate <= 0.03


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"agents": 0}, "at least one agent"),
        ({"answer_rate": 0.8, "machine_share": 0.3}, "more than 1"),
        ({"hours": 0}, "more than 0 hours"),
        ({"abandon_cap": 1.0}, "abandon cap"),
    ],
)
def test_a_day_that_cannot_be_simulated_is_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_outbound(dataclasses.replace(OutboundConfig(), **change))


@pytest.mark.parametrize(
    "distribution",
    [
        Distribution.lognormal(12.0, 0.5),
        Distribution.lognormal(20.0, 1.0),
        Distribution.exponential(15.0),
        Distribution.uniform(5.0, 40.0),
        Distribution.empirical((5.0, 10.0, 40.0), (1.0, 2.0, 1.0)),
        Distribution.deterministic(31.0),
    ],
)
def test_the_clipped_ring_mean_agrees_with_draws(distribution: Distribution) -> None:
    draw = sampler(distribution, np.random.default_rng(3))
    draws = np.minimum([draw() for _ in range(200_000)], 30.0)
    assert mean_clipped(distribution, 30.0) == pytest.approx(float(draws.mean()), rel=0.01)
