"""Helpers for simulator tests: an observer that records rows, and small scripted centers."""

from __future__ import annotations

import numpy as np

from callcenter.calls.records import AgentState, CallRecord
from sim.engine import Engine
from sim.observer import EngineObserver
from sim.scenario_file import parse_scenario
from sim.state import SimAgent, SimCall


class Recorder(EngineObserver):
    """Writes what the engine reports as small rows: (time, what, who...)."""

    def __init__(self) -> None:
        self.rows: list[tuple[object, ...]] = []
        self.records: list[CallRecord] = []

    def call_arrived(self, at: float, call: SimCall) -> None:
        self.rows.append((at, "arrived", call.id))

    def queue_joined(self, at: float, call: SimCall, queue: str, position: int) -> None:
        self.rows.append((at, "joined", call.id, queue, position))

    def agent_ringing(self, at: float, call: SimCall, agent: SimAgent) -> None:
        self.rows.append((at, "ringing", call.id, agent.name))

    def ring_no_answer(self, at: float, call: SimCall, agent: SimAgent, ring_s: float) -> None:
        self.rows.append((at, "ring-no-answer", call.id, agent.name))

    def ring_cancelled(self, at: float, call: SimCall, agent: SimAgent) -> None:
        self.rows.append((at, "ring-cancelled", call.id, agent.name))

    def answered(self, at: float, call: SimCall, agent: SimAgent) -> None:
        self.rows.append((at, "answered", call.id, agent.name))

    def abandoned(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        self.rows.append((at, "abandoned", call.id, queue))

    def queue_timeout(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        self.rows.append((at, "timeout", call.id, queue))

    def transferred(
        self, at: float, call: SimCall, agent: SimAgent | None, target: str, queue: str | None
    ) -> None:
        self.rows.append((at, "transferred", call.id, target))

    def call_ended(self, at: float, call: SimCall, record: CallRecord) -> None:
        self.rows.append((at, "ended", call.id, call.hangup_by))
        self.records.append(record)

    def agent_state_changed(
        self, at: float, agent: SimAgent, state: AgentState, reason: str | None
    ) -> None:
        self.rows.append((at, "state", agent.name, state.value, reason))

    def member_added(self, at: float, agent: SimAgent, queue: str, penalty: int) -> None:
        self.rows.append((at, "added", agent.name, queue, penalty))

    def member_removed(self, at: float, agent: SimAgent, queue: str) -> None:
        self.rows.append((at, "removed", agent.name, queue))

    def member_paused(
        self, at: float, agent: SimAgent, queue: str, paused: bool, reason: str | None
    ) -> None:
        self.rows.append((at, "paused" if paused else "unpaused", agent.name, queue, reason))

    def calls(self, *kinds: str) -> list[tuple[object, ...]]:
        """Rows about calls (and agents only when asked), without agent-state noise."""
        wanted = set(kinds) or {
            "arrived", "joined", "ringing", "ring-no-answer", "ring-cancelled", "answered",
            "abandoned", "timeout", "transferred", "ended",
        }  # fmt: skip
        return [row for row in self.rows if row[1] in wanted]


def center(text: str, *, live_humans: bool = False, seed: int = 1) -> tuple[Engine, Recorder]:
    """An engine on scenario `text` with no random arrivals (calls are injected) and a
    recorder attached."""
    recorder = Recorder()
    engine = Engine(
        parse_scenario(text, source="test.toml"),
        np.random.default_rng(seed),
        recorder,
        live_humans=live_humans,
        auto_arrivals=False,
    )
    return engine, recorder
