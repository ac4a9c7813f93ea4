"""The simulated PBX's handle on the discrete-event engine: stepping it and its control calls."""

from __future__ import annotations

import logging

import numpy as np

from callcenter.calls.records import AgentState, VisitOutcome
from sim.engine import Engine
from sim.inbound import Route
from sim.observer import EngineObserver
from sim.scenario import Scenario
from sim.state import CallPhase, SimCall

WAITING = (CallPhase.QUEUED, CallPhase.RINGING, CallPhase.RETRY)

log = logging.getLogger(__name__)


class EngineLink:
    """Wraps `sim.engine.Engine` for live use; every call here acts at the engine's `now`.

    Control calls that the engine refuses (a call that ended in the meantime, an agent who is
    busy) are logged and ignored: the AMI reply was already sent, as on a real PBX where the
    state can change between an action and its effect.
    """

    def __init__(
        self,
        scenario: Scenario,
        observer: EngineObserver,
        *,
        auto_arrivals: bool = True,
        humans_logged_out: bool = False,
    ) -> None:
        self.engine = Engine(
            scenario,
            np.random.default_rng(scenario.seed),
            observer,
            live_humans=True,
            auto_arrivals=auto_arrivals,
        )
        if humans_logged_out:
            self.log_out_humans()

    def log_out_humans(self) -> None:
        """Take every `human = true` agent out of their queues (a person not yet signed in).

        Called before any AMI client is connected, so nobody sees the members come and go;
        the console's QueueAdd then logs the person in, as on a real PBX.
        """
        for agent in self.engine.agents.values():
            if agent.human:
                for queue in list(agent.memberships):
                    self.engine.logout(agent, queue)

    # -- stepping ------------------------------------------------------------------------

    def next_event_time(self) -> float | None:
        """When the engine's next event is due (simulated seconds)."""
        return self.engine.next_event_time()

    def run_until(self, t: float) -> None:
        """Handle every engine event due up to `t`."""
        if t >= self.engine.now:
            self.engine.run_until(t)

    # -- questions -----------------------------------------------------------------------

    def agent_busy(self, agent: str) -> bool:
        """Whether the agent is ringing, talking or wrapping up."""
        try:
            return self.engine.agent(agent).activity is not AgentState.AVAILABLE
        except KeyError:
            return False

    def is_human(self, agent: str) -> bool:
        """Whether a person plays this agent (their calls last until someone hangs up)."""
        try:
            return self.engine.agent(agent).human
        except KeyError:
            return False

    def knows_agent(self, agent: str) -> bool:
        """Whether the scenario has this agent (others are PBX-only members)."""
        try:
            self.engine.agent(agent)
        except KeyError:
            return False
        return True

    # -- control -------------------------------------------------------------------------

    def login(self, agent: str, queue: str, penalty: int, paused: bool, reason: str) -> None:
        """QueueAdd (optionally paused)."""
        if not self.knows_agent(agent):
            return
        self.engine.login(agent, queue, penalty)
        if paused:
            self.engine.pause(agent, reason or None, queue)

    def logout(self, agent: str, queue: str) -> None:
        """QueueRemove."""
        if self.knows_agent(agent):
            self.engine.logout(agent, queue)

    def pause(self, agent: str, queue: str | None, paused: bool, reason: str) -> None:
        """QueuePause / unpause, in one queue or all."""
        if not self.knows_agent(agent):
            return
        if paused:
            self.engine.pause(agent, reason or None, queue)
        else:
            self.engine.unpause(agent, queue)

    def inject_caller(
        self, queue: str, number: str, name: str, dialed: str | None = None
    ) -> SimCall:
        """A scripted caller dials `queue` now (or `dialed`, a DID of it: routed first)."""
        return self.engine.inject_call(queue, number, name or None, dialed=dialed)

    def route(self, key: object, route: Route) -> None:
        """The routing server answered for a held caller: send it on (or away)."""
        try:
            self.engine.route(_call_id(key), route)
        except KeyError:
            log.info("route: call %s already ended", key)

    def originate(self, agent: str, number: str, answer_after_s: float) -> SimCall | None:
        """The agent's outbound call; None if the engine refuses it (agent busy)."""
        try:
            return self.engine.originate(agent, number, answer_after_s)
        except (KeyError, ValueError) as exc:
            log.info("originate from %s refused: %s", agent, exc)
            return None

    def ring_s(self, agent: str) -> float:
        """How long the agent's phone rings before they pick up (their ring draw)."""
        member = self.engine.agent(agent)
        return 0.0 if member.answers_at_once else float(member.ring_draw())

    def queue_timeout(self, key: object) -> None:
        """The caller's own Queue() timeout ran out while waiting (`Queue(q,,,,1)`)."""
        try:
            call = self.engine.call(_call_id(key))
        except KeyError:
            return
        if call.phase in WAITING:
            self.engine.flow.leave_queue(call, VisitOutcome.TIMEOUT)

    def hangup(self, key: object, by: str) -> None:
        """A party of the call hangs up (`by` is "agent" or "caller")."""
        try:
            self.engine.hangup(_call_id(key), by=by)
        except KeyError:
            log.info("hangup: call %s already ended", key)

    def blind_transfer(self, key: object, target: str) -> None:
        """The connected call is transferred to a queue (by name) or a number."""
        try:
            self.engine.blind_transfer(_call_id(key), target)
        except (KeyError, ValueError) as exc:
            log.info("transfer of call %s refused: %s", key, exc)


def _call_id(key: object) -> int:
    """The engine's id of a call (the switchboard keys engine calls by it)."""
    if not isinstance(key, int):
        raise KeyError(key)
    return key
