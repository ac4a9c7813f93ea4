"""Simulated calls per second on the 50-agent M/M/n+M scenario, against ciw in the same run.

Every engine simulates the same model (Poisson 1000 calls/h, exponential talk 180 s,
exponential patience 120 s, 50 agents) and keeps one record per call, as ciw keeps its
`get_all_records()`. Times are CPU seconds of this process (so other work on the machine does
not skew the ratio); rounds alternate between the engines and the best round of each counts.
The event engine runs the model as the bundled scenario writes it (`leastrecent`) and with
Asterisk's default strategy (`ringall`); `sim run` is also timed on the scenario a user would
write without a `strategy` line (which takes the fast path: queue figures do not depend on
the strategy). Then a 1M-call run of `sim run`'s pipeline (fast path + KPI summary) is
compared with Erlang A.

Run: .venv/bin/python bench/sim_speed.py [--calls N] [--rounds R] [--million-calls M]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import ciw
import numpy as np

from kpi.erlang import ErlangA
from sim.engine import Engine
from sim.kernel import FastKernel
from sim.records import CallTrace
from sim.run import simulate
from sim.scenario import SCENARIO_DIR, Scenario, Strategy
from sim.scenario_file import load_scenario, parse_scenario

ARRIVALS_PER_HOUR, TALK_S, PATIENCE_S, AGENTS, T = 1000.0, 180.0, 120.0, 50, 20.0
EVENT_ENGINE_TARGET = 5.0  # the event engine should simulate at least this many times ciw's calls


def model(strategy: Strategy | None = None) -> Scenario:
    """The bundled M/M/50+M scenario, with another ring strategy if given."""
    scenario = load_scenario("mmn_validation")
    if strategy is None:
        return scenario
    queues = tuple(replace(q, strategy=strategy) for q in scenario.queues)
    return replace(scenario, queues=queues)


def without_strategy_line() -> Scenario:
    """The same model as a user writes it, leaving the strategy to the default."""
    text = (SCENARIO_DIR / "mmn_validation.toml").read_text(encoding="utf-8")
    return parse_scenario(text.replace('strategy = "leastrecent"\n', ""), "user.toml")


def ciw_round(calls: int, seed: int) -> tuple[int, float]:
    """ciw on the same model, run for the time `calls` arrivals take on average."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVALS_PER_HOUR / 3600)],
        service_distributions=[ciw.dists.Exponential(rate=1 / TALK_S)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1 / PATIENCE_S)],
    )
    ciw.seed(seed)
    started = time.process_time()
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(calls / ARRIVALS_PER_HOUR * 3600)
    records = simulation.get_all_records()
    return len(records), time.process_time() - started


def ours_round(kind: str, calls: int, seed: int) -> tuple[int, float]:
    kept: list[CallTrace] = []
    started = time.process_time()
    if kind == "fast path":
        FastKernel(model(), np.random.default_rng(seed), on_call_end=kept.append).run(calls=calls)
    elif kind == "event engine":
        Engine(model(), np.random.default_rng(seed), on_call_end=kept.append).run(calls=calls)
    elif kind == "event engine, ringall":
        scenario = model(Strategy.RINGALL)
        Engine(scenario, np.random.default_rng(seed), on_call_end=kept.append).run(calls=calls)
    elif kind == "sim run, no strategy":  # the default strategy, through `sim run`'s choice
        result = simulate(without_strategy_line(), calls=calls, seed=seed)
        assert result.fast_path
        return calls, time.process_time() - started
    else:  # sim run: fast path, every visit through the KPI summary, nothing kept
        simulate(model(), calls=calls, seed=seed)
        return calls, time.process_time() - started
    return len(kept), time.process_time() - started


def best_rate(runs: list[tuple[int, float]]) -> float:
    return max(done / seconds for done, seconds in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60_000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--million-calls", type=int, default=1_000_000, help="agreement run size")
    args = parser.parse_args()

    names = [
        "fast path",
        "event engine",
        "event engine, ringall",
        "sim run pipeline",
        "sim run, no strategy",
    ]
    contenders: dict[str, Callable[[int], tuple[int, float]]] = {
        "ciw": lambda seed: ciw_round(args.calls, seed)
    }
    for name in names:
        contenders[name] = partial(ours_round, name, args.calls)
    runs: dict[str, list[tuple[int, float]]] = {name: [] for name in contenders}
    for round_number in range(args.rounds):
        for name, run in contenders.items():
            runs[name].append(run(round_number + 1))
    ciw_rate = best_rate(runs["ciw"])
    print(
        f"M/M/{AGENTS}+M, {args.calls:,} calls per round, best of {args.rounds} rounds "
        "(calls per CPU second)"
    )
    for name in contenders:
        rate = best_rate(runs[name])
        ratio = "" if name == "ciw" else f"  {rate / ciw_rate:5.1f}x ciw"
        print(f"  {name:<22} {rate:>10,.0f} calls/s{ratio}")
    for name in ("event engine", "event engine, ringall"):
        engine_ratio = best_rate(runs[name]) / ciw_rate
        verdict = "reached" if engine_ratio >= EVENT_ENGINE_TARGET else "NOT reached"
        print(
            f"  {name} vs ciw: {engine_ratio:.1f}x (target {EVENT_ENGINE_TARGET:.0f}x, {verdict})"
        )

    theory = ErlangA(ARRIVALS_PER_HOUR / 3600, TALK_S, AGENTS, PATIENCE_S)
    started = time.process_time()
    result = simulate(model(), calls=args.million_calls)
    seconds = time.process_time() - started
    queue = result.summaries["support"]
    assert queue.service_level is not None and queue.abandon_rate is not None
    assert queue.asa_s is not None
    print(f"{result.calls:,} calls through `sim run` in {seconds:.1f} CPU s, against Erlang A:")
    rows = [
        ("service level (20 s)", queue.service_level, theory.service_level(T), 100, "%"),
        ("abandonment", queue.abandon_rate, theory.p_abandon, 100, "%"),
        ("ASA", queue.asa_s, theory.asa_s, 1, "s"),
    ]
    for label, simulated, expected, scale, unit in rows:
        gap = (simulated - expected) * scale
        print(
            f"  {label:<21} simulated {simulated * scale:7.3f} {unit}  Erlang A "
            f"{expected * scale:7.3f} {unit}  difference {gap:+.3f} {unit}"
        )


if __name__ == "__main__":
    main()
