"""The fast path gives exactly the event engine's calls on the scenarios it supports."""

from __future__ import annotations

import numpy as np
import pytest

from callcenter.calls.records import CallRecord
from sim.engine import Engine
from sim.kernel import FastKernel, unsupported_reason
from sim.records import CallTrace
from sim.run import simulate
from sim.scenario_file import load_scenario, parse_scenario

TWO_POOLS = """\
seed = 9
start = 2026-01-05T07:00:00Z

[callers]
known_share = 0.5
numbers = ["+3225550101", "+3225550102", "+3225550103"]
names = ["Ann", "Ben", "Cara"]

[[queue]]
name = "support"
strategy = "leastrecent"
agents = 4
wrap_up_s = 10
timeout_s = 90
talk = { distribution = "lognormal", mean_s = 200, cv = 1.2 }
patience = { distribution = "uniform", low_s = 5, high_s = 240 }

[queue.arrival_profile]
start = "08:00"
rates_per_hour = [40, 80, 120, 80, 60, 0, 30, 60]

[[queue]]
name = "billing"
strategy = "leastrecent"
arrival_rate_per_hour = 20
short_abandon_s = 3
talk = { distribution = "empirical", values = [30, 90, 300], weights = [1, 2, 1] }

[[agent]]
name = "Rupert"
queues = ["billing"]
[[agent]]
name = "Sybil"
queues = ["billing"]
"""

# One queue at a constant rate takes the kernel's one-queue loop: known and unknown callers,
# a queue timeout shorter than some patience, and wrap-up.
ONE_QUEUE = """\
seed = 11

[callers]
known_share = 0.4
numbers = ["+3225550101", "+3225550102"]

[[queue]]
name = "sales"
strategy = "leastrecent"
agents = 3
arrival_rate_per_hour = 70
wrap_up_s = 15
timeout_s = 100
talk = { distribution = "exponential", mean_s = 150 }
patience = { distribution = "uniform", low_s = 20, high_s = 200 }
"""


def _both(
    text_or_name: str, calls: int
) -> tuple[Engine, FastKernel, list[CallTrace], list[CallTrace]]:
    scenario = (
        load_scenario(text_or_name) if "\n" not in text_or_name else parse_scenario(text_or_name)
    )
    by_engine: list[CallTrace] = []
    by_kernel: list[CallTrace] = []
    engine = Engine(scenario, np.random.default_rng(4), on_call_end=by_engine.append)
    engine.run(calls=calls)
    kernel = FastKernel(scenario, np.random.default_rng(4), on_call_end=by_kernel.append)
    kernel.run(calls=calls)
    by_engine.sort(key=lambda trace: trace.id)
    return engine, kernel, by_engine, by_kernel


@pytest.mark.parametrize(
    ("scenario", "calls"), [("mmn_validation", 20_000), (TWO_POOLS, 3_000), (ONE_QUEUE, 3_000)]
)
def test_kernel_and_engine_give_the_same_calls(scenario: str, calls: int) -> None:
    engine, kernel, by_engine, by_kernel = _both(scenario, calls)
    assert len(by_kernel) == calls
    assert by_kernel == by_engine
    assert kernel.now == engine.now


@pytest.mark.parametrize("scenario", [TWO_POOLS, ONE_QUEUE])
def test_kernel_and_engine_count_the_same_agent_time(scenario: str) -> None:
    engine, kernel, _, _ = _both(scenario, 3_000)
    for name, pool in kernel.pools.items():
        queue = engine.queues[name]
        assert pool.busy_s == pytest.approx(queue.busy_s, rel=1e-9)
        assert pool.idle_s == pytest.approx(queue.idle_s, rel=1e-9)


def test_the_two_pool_scenario_exercises_every_outcome() -> None:
    _, _, _, traces = _both(TWO_POOLS, 3_000)
    outcomes = {visit.outcome.value for trace in traces for visit in trace.visits}
    assert outcomes == {"answered", "abandoned", "timeout"}
    assert {t.caller_name for t in traces} >= {"Ann", "Ben", "Cara", None}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ('queues = ["billing"]\n[[agent]]', "serves several queues"),
        ('name = "Sybil"', "rings before answering"),
        ('strategy = "leastrecent"\nagents', "not leastrecent"),
        ('strategy = "leastrecent"\n', "agents hanging up first"),
    ],
)
def test_scenarios_the_kernel_cannot_run_exactly_are_refused(change: str, reason: str) -> None:
    replacement = {
        'queues = ["billing"]\n[[agent]]': 'queues = ["billing", "support"]\n[[agent]]',
        'name = "Sybil"': 'name = "Sybil"\nring = { distribution = "deterministic", mean_s = 2 }',
        'strategy = "leastrecent"\nagents': 'strategy = "rrmemory"\nagents',
        'strategy = "leastrecent"\n': 'strategy = "leastrecent"\nagent_hangup_share = 0.3\n',
    }[change]
    scenario = parse_scenario(TWO_POOLS.replace(change, replacement, 1))
    found = unsupported_reason(scenario)
    assert found is not None and reason in found
    with pytest.raises(ValueError, match="cannot run"):
        FastKernel(scenario, np.random.default_rng(1))


def test_shipped_richer_scenarios_need_the_event_engine() -> None:
    assert unsupported_reason(load_scenario("demo")) is not None
    assert unsupported_reason(load_scenario("intraday_peak")) is not None
    assert unsupported_reason(load_scenario("mmn_validation")) is None


@pytest.mark.parametrize("strategy", ["ringall", "rrmemory", "random"])
def test_queue_figures_alone_take_the_fast_path_with_any_strategy(strategy: str) -> None:
    text = ONE_QUEUE.replace('"leastrecent"', f'"{strategy}"').replace(
        "wrap_up_s", "agent_hangup_share = 0.3\nwrap_up_s"
    )
    scenario = parse_scenario(text)
    assert unsupported_reason(scenario) is not None
    assert unsupported_reason(scenario, exact=False) is None
    fast = simulate(scenario, calls=3_000)
    engine = simulate(scenario, calls=3_000, fast_path=False)
    assert fast.fast_path and not engine.fast_path
    (by_kernel,), (by_engine,) = fast.summaries.values(), engine.summaries.values()
    for field in ("offered", "answered", "abandoned", "timeouts", "longest_wait_s"):
        assert getattr(by_kernel, field) == getattr(by_engine, field)
    for field in ("service_level", "abandon_rate", "asa_s", "aht_s", "occupancy"):
        assert getattr(by_kernel, field) == pytest.approx(getattr(by_engine, field), rel=1e-9)


def test_stored_records_keep_the_engine_for_other_strategies() -> None:
    scenario = parse_scenario(ONE_QUEUE.replace('"leastrecent"', '"ringall"'))
    stored: list[CallRecord] = []

    def store(batch: list[CallRecord]) -> int:
        stored.extend(batch)
        return len(batch)

    result = simulate(scenario, calls=200, store=store)
    assert not result.fast_path and len(stored) == 200
