"""Simulated calls per second on the 50-agent M/M/n+M scenario, against ciw in the same run.

Every engine simulates the same model (Poisson 1000 calls/h, exponential talk 180 s,
exponential patience 120 s, 50 agents) and keeps one record per call, as ciw keeps its
`get_all_records()`. Times are CPU seconds of this process (so other work on the machine does
not skew the ratio); rounds alternate between the engines and the best round of each counts.
Then a 1M-call run of `sim run`'s pipeline (fast path + KPI summary) is compared with Erlang A.

Run: .venv/bin/python bench/sim_speed.py [--calls N] [--rounds R] [--million-calls M]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import ciw
import numpy as np

from kpi.erlang import ErlangA
from sim.engine import Engine
from sim.kernel import FastKernel
from sim.records import CallTrace
from sim.run import simulate
from sim.scenario import load_scenario

ARRIVALS_PER_HOUR, TALK_S, PATIENCE_S, AGENTS, T = 1000.0, 180.0, 120.0, 50, 20.0


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
    scenario = load_scenario("mmn_validation")
    kept: list[CallTrace] = []
    started = time.process_time()
    if kind == "fast path":
        FastKernel(scenario, np.random.default_rng(seed), on_call_end=kept.append).run(calls=calls)
    elif kind == "event engine":
        Engine(scenario, np.random.default_rng(seed), on_call_end=kept.append).run(calls=calls)
    else:  # sim run: fast path, every visit through the KPI summary, nothing kept
        simulate(scenario, calls=calls, seed=seed)
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

    contenders: dict[str, Callable[[int], tuple[int, float]]] = {
        "ciw": lambda seed: ciw_round(args.calls, seed),
        "fast path": lambda seed: ours_round("fast path", args.calls, seed),
        "event engine": lambda seed: ours_round("event engine", args.calls, seed),
        "sim run pipeline": lambda seed: ours_round("pipeline", args.calls, seed),
    }
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
        print(f"  {name:<18} {rate:>10,.0f} calls/s{ratio}")

    theory = ErlangA(ARRIVALS_PER_HOUR / 3600, TALK_S, AGENTS, PATIENCE_S)
    started = time.process_time()
    result = simulate(load_scenario("mmn_validation"), calls=args.million_calls)
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
