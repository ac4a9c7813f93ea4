"""Agent-state intervals from a running engine, in the shape the CTI stores them."""

from __future__ import annotations

from callcenter.calls.records import AgentState, AgentStateRecord
from sim.observer import EngineObserver
from sim.records import RecordClock
from sim.state import SimAgent


class AgentStateRecorder(EngineObserver):
    """Closes an `AgentStateRecord` each time an agent's state (or pause reason) changes.

    Intervals of zero length (a bot that answers the instant it is rung) are left out.
    `close(now)` ends the intervals still open, e.g. when a fast run is over. Finished
    intervals collect in `records` until taken with `take()`.
    """

    def __init__(self, clock: RecordClock, server: str) -> None:
        self.clock = clock
        self.server = server
        self.records: list[AgentStateRecord] = []
        self._open: dict[str, tuple[AgentState, str | None, float, SimAgent]] = {}

    def agent_state_changed(
        self, at: float, agent: SimAgent, state: AgentState, reason: str | None
    ) -> None:
        self._close_one(agent.name, at)
        self._open[agent.name] = (state, reason, at, agent)

    def _close_one(self, name: str, at: float) -> None:
        previous = self._open.pop(name, None)
        if previous is None:
            return
        state, reason, since, agent = previous
        if at > since:
            self.records.append(
                AgentStateRecord(
                    server=self.server,
                    agent=agent.name,
                    interface=agent.interface,
                    state=state,
                    started_at=self.clock.at(since),
                    ended_at=self.clock.at(at),
                    reason=reason,
                )
            )

    def close(self, now: float) -> None:
        """End every open interval at `now`."""
        for name in list(self._open):
            self._close_one(name, now)

    def take(self) -> list[AgentStateRecord]:
        """The intervals closed so far, handed over once."""
        taken, self.records = self.records, []
        return taken
