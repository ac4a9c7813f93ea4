"""The simulated PBX: the discrete-event engine run on a scaled real-time clock, spoken as AMI.

`SimulatedPbx` composes the parts: the switchboard (the PBX's state), its outbox of AMI
events (`Signalling`), the call choreographies that work it (queue calls, connected calls,
transfers, click-to-dial, queue members), the engine's observer that drives them, the
console actions that AMI clients ask for, and the AMI server. An action from a client first
catches the simulation up to the present, then acts through the engine's control methods (a
console hanging up, pausing, transferring, dialling out), exactly as a console acts on a PBX.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

import numpy as np

from callcenter.calls.records import CallRecord
from sim.callees import FarEnd
from sim.pbx.actions import ActionHandler
from sim.pbx.campaign_calls import CampaignCalls
from sim.pbx.click_to_dial import ClickToDial
from sim.pbx.clock import ScaledClock
from sim.pbx.connected import ConnectedCalls
from sim.pbx.console import ConsoleActions
from sim.pbx.engine_link import EngineLink
from sim.pbx.engine_observer import PbxObserver
from sim.pbx.from_trunk import TrunkRouting
from sim.pbx.members import QueueMembers
from sim.pbx.options import PbxOptions
from sim.pbx.queue_calls import QueueCalls
from sim.pbx.render import AmiEvent
from sim.pbx.server import AmiServer
from sim.pbx.signalling import Signalling
from sim.pbx.switchboard import QueueConfig, Switchboard
from sim.pbx.transfers import Transfers
from sim.pbx.truth import CampaignCallTruth
from sim.scenario import Scenario

__all__ = ["PbxOptions", "SimulatedPbx"]

log = logging.getLogger(__name__)

FIRST_EXTEN = 1001
# Simulation steps run between two yields to the event loop when the PBX is behind its clock.
SYNC_SLICE = 200


class SimulatedPbx:
    """Engine + switchboard + AMI server, on one asyncio loop."""

    def __init__(
        self,
        scenario: Scenario,
        options: PbxOptions | None = None,
        *,
        clock: ScaledClock | None = None,
    ) -> None:
        self.scenario = scenario
        self.options = options = options or PbxOptions()
        self.clock = clock or ScaledClock(options.speed)
        self.listeners: list[Callable[[AmiEvent], None]] = []
        self.board = board = Switchboard(
            self.clock.epoch, local_channels=options.local_channels, server=scenario.server
        )
        self.signals = signals = Signalling(board, self._publish)
        queue_calls = QueueCalls(board, signals)
        connected = ConnectedCalls(board, signals, queue_calls)
        transfers = Transfers(board, signals, connected)
        click_to_dial = ClickToDial(board, signals)
        members = QueueMembers(board, signals)
        # The far ends of campaign calls draw from their own stream of the scenario's seed.
        far_end = FarEnd(scenario.outbound, np.random.default_rng([scenario.seed, 0x0B]))
        self.campaigns = campaigns = CampaignCalls(
            board,
            signals,
            queue_calls,
            far_end,
            queue_wait_s=options.campaign_queue_wait_s,
            agent_ring_s=options.campaign_agent_ring_s,
            message_s=scenario.outbound.message_s,
            dialplan_events=options.dialplan_events,
        )
        # One stream for what the PBX decides itself (holds, far parties' talk), in time order.
        rng = random.Random(scenario.seed)
        for spec in scenario.queues:
            board.add_queue(
                QueueConfig(
                    spec.name, spec.strategy.value, int(spec.service_level_s), int(spec.wrap_up_s)
                )
            )
        for index, agent in enumerate(scenario.agents):
            board.add_device(agent.name, agent.interface or None, str(FIRST_EXTEN + index))
        observer = PbxObserver(
            board,
            (queue_calls, connected, transfers, click_to_dial, members),
            options,
            rng,
            campaigns,
        )
        self.link = EngineLink(
            scenario,
            observer,
            auto_arrivals=options.auto_arrivals,
            humans_logged_out=options.humans_logged_out,
        )
        campaigns.link = self.link
        board.dids = {number: q.name for q in scenario.queues for number in q.numbers}
        self.routing = TrunkRouting(
            scenario,
            board,
            signals,
            self.link,
            options,
            sync=self.sync,
            now=self.now,
            wake=self.wake,
        )
        self.console = ConsoleActions(
            board,
            signals,
            self.link,
            (members, click_to_dial, connected, transfers),
            options,
            campaigns,
            rng,
            now=self.now,
            wake=self.wake,
        )
        self.server = AmiServer(
            ActionHandler(board, self.console, sync=self.sync, now=self.now),
            self.clock,
            signals.emit,
            username=options.username,
            secret=options.secret,
            timestamps=options.timestamps,
        )
        self.listeners.append(self.server.broadcast)
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._booting: asyncio.TimerHandle | None = None

    # -- life cycle ----------------------------------------------------------------------

    @property
    def records(self) -> list[CallRecord]:
        """Ground truth: one record per finished call, in the CTI's CallRecord shape."""
        return self.board.truth.records

    @property
    def port(self) -> int:
        """The bound AMI port."""
        return self.server.port

    async def start(self, host: str = "127.0.0.1", port: int = 5038) -> None:
        """Listen for AMI clients and start running the simulation (booting first, if the
        options say so: FullyBooted after `boot_s`)."""
        if self.options.boot_s > 0:
            self.server.booted = False
            delay = self.clock.wall_delay(self.clock.now() + self.options.boot_s)
            self._booting = asyncio.get_running_loop().call_later(delay, self.server.fully_booted)
        await self.server.start(host, port)
        self.sync()
        self._runner = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop the simulation and disconnect every client."""
        if self._booting is not None:
            self._booting.cancel()
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            # gather, not suppress(CancelledError): a cancel of close() itself still propagates.
            await asyncio.gather(runner, return_exceptions=True)
        await self.routing.close()
        await self.server.close()

    async def _run(self) -> None:
        while True:
            if not self.sync(budget=SYNC_SLICE):
                # Behind the clock: let clients read and act between slices of simulation.
                await asyncio.sleep(0)
                continue
            due = self._next_due()
            delay = None if due is None else self.clock.wall_delay(due)
            self._wakeup.clear()
            if delay is None or delay > 0:
                # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancel (close())
                # that arrives while the wake-up is being delivered, and the loop runs on.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wakeup.wait()
            else:
                # Let clients' actions and writes interleave with a busy simulation.
                await asyncio.sleep(0)

    def _next_due(self) -> float | None:
        times = [t for t in (self.link.next_event_time(), self.board.next_timer()) if t is not None]
        return min(times) if times else None

    def wake(self) -> None:
        """Something changed the schedule (an action): re-plan the next wake-up."""
        self._wakeup.set()

    def sync(self, budget: int | None = None) -> bool:
        """Run the engine and the PBX's own timers, in time order, up to the present.

        With a `budget`, stop after that many steps and return False if still behind.
        """
        now = self.clock.now()
        steps = 0
        while True:
            engine_t, timer_t = self.link.next_event_time(), self.board.next_timer()
            if timer_t is not None and timer_t <= now and (engine_t is None or timer_t <= engine_t):
                self.link.run_until(timer_t)
                self.board.run_timers(timer_t)
            elif engine_t is not None and engine_t <= now:
                self.link.run_until(engine_t)
            else:
                break
            steps += 1
            if budget is not None and steps >= budget:
                return False
        self.link.run_until(now)
        return True

    def now(self) -> float:
        """Simulation seconds now."""
        return self.clock.now()

    def _publish(self, event: AmiEvent) -> None:
        for listener in self.listeners:
            listener(event)

    # -- actions from outside AMI (tests, benches) -------------------------------------

    def originate(
        self,
        channel: str,
        exten: str,
        context: str,
        caller_id: str,
        action_id: str | None,
        *,
        variables: dict[str, str] | None = None,
        timeout_ms: int | None = None,
        channel_id: str = "",
    ) -> None:
        """As AMI Originate: click-to-dial, a caller sent into a queue, or a campaign call
        (`Context: campaign-dial`, the CC_* `variables`)."""
        self.sync()
        self.console.originate(
            channel,
            exten,
            context,
            caller_id,
            action_id,
            variables=variables,
            timeout_ms=timeout_ms,
            channel_ids=(channel_id, ""),
        )

    @property
    def campaign_calls(self) -> list[CampaignCallTruth]:
        """Ground truth of campaign calls: what the PBX did with each (outcome, causes...)."""
        return self.board.truth.campaign_calls

    def hangup(self, channel: str) -> None:
        """As AMI Hangup: the party on that channel hangs up."""
        self.console.hangup(channel)
