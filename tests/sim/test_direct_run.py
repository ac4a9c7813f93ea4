"""The engine's direct run gives exactly the calls and agent time of its general event loop."""

from __future__ import annotations

import numpy as np
import pytest

from sim.direct_run import fits_direct_run
from sim.engine import Engine
from sim.records import CallTrace
from sim.scenario import SCENARIO_DIR
from sim.scenario_file import load_scenario, parse_scenario
from tests.sim.test_kernel import ONE_QUEUE, TWO_POOLS

# Callers every 60 s exactly (the arrival stream is replaced below), each talking 60 s: a call
# ends when the next caller arrives, after it in the heap, so ringall sometimes rings several
# free agents while something else is due at once.
TIES = """\
seed = 3

[[queue]]
name = "sales"
strategy = "ringall"
agents = 3
arrival_rate_per_hour = 60
talk = { distribution = "deterministic", mean_s = 60 }
"""

Run = tuple[Engine, list[CallTrace]]


def _run(
    text_or_name: str,
    *,
    direct: bool,
    steady: bool = False,
    calls: int | None = None,
    hours: float | None = None,
) -> Run:
    scenario = parse_scenario(_text(text_or_name))
    done: list[CallTrace] = []
    engine = Engine(scenario, np.random.default_rng(5), on_call_end=done.append)
    if steady:
        for queue in engine.queues.values():
            queue.draws.arrival = lambda: 1.0
            engine.arrivals.drop()
            engine.arrivals.schedule(queue)
    assert fits_direct_run(engine.flow)
    # Reporting progress takes the general loop, one handler per event.
    engine.run(calls=calls, hours=hours, progress=None if direct else (lambda _: None))
    return engine, done


def _state(engine: Engine) -> tuple[object, ...]:
    queues = [
        (q.arrivals, q.busy_s, q.idle_s, [a.name for a in q.available])
        for q in engine.queues.values()
    ]
    agents = [
        (a.last_call_end, a.calls_by_queue, a.idle_since, a.activity, a.wrap)
        for a in engine.agents.values()
    ]
    return engine.now, engine.finished, queues, agents, engine.arrivals.pending


@pytest.mark.parametrize(
    ("text", "change", "until"),
    [
        ("mmn_validation", None, (5_000, None)),
        ("mmn_validation", ('"leastrecent"', '"ringall"'), (5_000, None)),
        (ONE_QUEUE, None, (2_000, None)),
        (ONE_QUEUE, ('"leastrecent"', '"ringall"'), (None, 20)),
        (ONE_QUEUE, ("wrap_up_s = 15", "agent_hangup_share = 0.4"), (2_000, None)),
        (TWO_POOLS, ('"leastrecent"', '"ringall"'), (2_000, None)),
    ],
)
def test_direct_run_gives_the_general_loops_calls(
    text: str, change: tuple[str, str] | None, until: tuple[int | None, float | None]
) -> None:
    calls, hours = until
    if change is not None:
        text = _text(text).replace(*change)
    direct, by_direct = _run(text, direct=True, calls=calls, hours=hours)
    general, by_general = _run(text, direct=False, calls=calls, hours=hours)
    assert len(by_direct) > 100
    assert by_direct == by_general
    assert _state(direct) == _state(general)


def test_ringall_with_an_event_due_at_once_rings_every_free_agent_alike() -> None:
    direct, by_direct = _run(TIES, direct=True, steady=True, calls=300)
    general, by_general = _run(TIES, direct=False, steady=True, calls=300)
    assert by_direct == by_general
    assert _state(direct) == _state(general)
    assert len({trace.agent for trace in by_direct}) > 1


def test_a_watched_or_richer_center_takes_the_general_loop() -> None:
    assert not fits_direct_run(Engine(load_scenario("demo"), np.random.default_rng(1)).flow)
    transfer = 'timeout_s = 90\ntransfer = { probability = 0.1, queue = "billing" }\n'
    transfers = TWO_POOLS.replace("timeout_s = 90\n", transfer)
    engine = Engine(parse_scenario(transfers), np.random.default_rng(1))
    assert not fits_direct_run(engine.flow)


def _text(text_or_name: str) -> str:
    """The scenario's text, by bundled name or as given."""
    if "\n" in text_or_name:
        return text_or_name
    return (SCENARIO_DIR / f"{text_or_name}.toml").read_text(encoding="utf-8")
