"""The demo scenario rings the person who signs in soon enough to try it in two minutes."""

from __future__ import annotations

import numpy as np

from sim.engine import Engine
from sim.observer import EngineObserver
from sim.scenario_file import load_scenario
from sim.state import SimAgent, SimCall

PERSON = "agent1"
SIGN_INS = 40


class FirstRing(EngineObserver):
    """When the person's phone first rings after signing in."""

    def __init__(self) -> None:
        self.at: float | None = None

    def agent_ringing(self, at: float, call: SimCall, agent: SimAgent) -> None:
        if agent.name == PERSON and self.at is None:
            self.at = at


def wait_for_first_call(seed: int, signed_in_at: float) -> float:
    """Simulated seconds from the person's sign-in (QueueAdd) to their phone ringing."""
    watch = FirstRing()
    engine = Engine(load_scenario("demo"), np.random.default_rng(seed), watch, live_humans=True)
    person = engine.agent(PERSON)
    queues = list(person.memberships)
    for queue in queues:
        engine.logout(person, queue)  # as the demo's PBX starts: nobody at the console yet
    engine.run_until(signed_in_at)
    for queue in queues:
        engine.login(person, queue)
    while watch.at is None:
        next_at = engine.next_event_time()
        assert next_at is not None
        engine.run_until(next_at)
    return watch.at - signed_in_at


def test_a_caller_rings_the_person_within_two_minutes_of_signing_in() -> None:
    waits = sorted(
        wait_for_first_call(seed, signed_in_at=60.0 + 37.0 * seed) for seed in range(SIGN_INS)
    )
    median = waits[len(waits) // 2]
    within_two_minutes = sum(wait <= 120.0 for wait in waits) / len(waits)
    assert median <= 60.0, waits
    assert within_two_minutes >= 0.8, waits
