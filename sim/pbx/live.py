"""The simulated PBX: the discrete-event engine run on a scaled real-time clock, spoken as AMI.

`SimulatedPbx` owns the engine, the switchboard that turns the engine's happenings into AMI
events (it is the engine's observer), and the AMI server. An action from a client first
catches the simulation up to the present, then acts through the engine's control methods (a
console hanging up, pausing, transferring, dialling out), exactly as a console acts on a PBX.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from callcenter.calls.records import AgentState, CallRecord
from sim.observer import EngineObserver
from sim.pbx.actions import ActionHandler
from sim.pbx.clock import ScaledClock
from sim.pbx.console import ConsoleActions
from sim.pbx.engine_link import EngineLink
from sim.pbx.render import AmiEvent
from sim.pbx.server import AmiServer
from sim.pbx.signalling import QueueConfig
from sim.pbx.switchboard import Switchboard
from sim.scenario import Scenario
from sim.state import SimAgent, SimCall

log = logging.getLogger(__name__)

FIRST_EXTEN = 1001
# Simulation steps run between two yields to the event loop when the PBX is behind its clock.
SYNC_SLICE = 200


@dataclass(frozen=True, slots=True)
class PbxOptions:
    """How the simulated PBX presents itself."""

    speed: float = 1.0
    local_channels: bool = False
    timestamps: bool = True
    username: str = "crm"
    secret: str = "crmsecret"
    voicemail_s: float = 4.0
    # Callers arrive as the scenario says; False: only callers sent in by AMI Originate.
    auto_arrivals: bool = True
    # `human = true` agents start outside their queues, as a person is until they sign in at
    # a console (whose QueueAdd logs them in); False: in their queues from the start.
    humans_logged_out: bool = False
    # After a transfer out of the queues, the caller talks this long (mean, simulated s).
    external_talk_mean_s: float = 60.0
    # A transfer target or dialled customer answers after this many (simulated) seconds.
    far_answer_s: float = 2.0
    # Share of calls a simulated (not human) agent puts on hold once, as the `hold` capture
    # shows: `hold_after_s` after answering, for `hold_s` (cut short if the call ends).
    hold_share: float = 0.1
    hold_after_s: float = 4.0
    hold_s: float = 6.0


class SimulatedPbx(ConsoleActions, EngineObserver):
    """Engine + switchboard + AMI server, on one asyncio loop."""

    def __init__(
        self,
        scenario: Scenario,
        options: PbxOptions | None = None,
        *,
        clock: ScaledClock | None = None,
    ) -> None:
        self.scenario = scenario
        self.options = options or PbxOptions()
        self.clock = clock or ScaledClock(self.options.speed)
        self.board = Switchboard(
            self._publish,
            self.clock.epoch,
            local_channels=self.options.local_channels,
            server=scenario.server,
        )
        self.listeners: list[Callable[[AmiEvent], None]] = []
        self.rng = random.Random(scenario.seed)
        for spec in scenario.queues:
            self.board.add_queue(
                QueueConfig(
                    spec.name, spec.strategy.value, int(spec.service_level_s), int(spec.wrap_up_s)
                )
            )
        for index, agent in enumerate(scenario.agents):
            self.board.add_device(agent.name, agent.interface or None, str(FIRST_EXTEN + index))
        self.server = AmiServer(
            ActionHandler(self),
            username=self.options.username,
            secret=self.options.secret,
            timestamps=self.options.timestamps,
        )
        self.listeners.append(self.server.broadcast)
        self._transfer_context: dict[object, str] = {}
        # (number, name, queue, ActionID) of the caller an AMI Originate is sending in.
        self.scripted_caller: tuple[str, str | None, str, str | None] | None = None
        self.link = EngineLink(
            scenario,
            self,
            auto_arrivals=self.options.auto_arrivals,
            humans_logged_out=self.options.humans_logged_out,
        )
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

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
        """Listen for AMI clients and start running the simulation."""
        await self.server.start(host, port)
        self.sync()
        self._runner = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop the simulation and disconnect every client."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            # gather, not suppress(CancelledError): a cancel of close() itself still propagates.
            await asyncio.gather(runner, return_exceptions=True)
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

    def epoch_now(self) -> float:
        """The PBX's epoch time now."""
        return self.clock.epoch_now()

    def uptime_s(self) -> float:
        """Seconds (simulated) since the PBX started."""
        return self.clock.now()

    def _publish(self, event: AmiEvent) -> None:
        for listener in self.listeners:
            listener(event)

    # -- engine observer: the simulation's happenings become AMI -----------------------

    def call_arrived(self, at: float, call: SimCall) -> None:
        if self.link.is_outbound(call):
            return  # click-to-dial: `originate` builds its channels
        originated: tuple[str, str | None] | None = None
        if self.scripted_caller is not None:
            # inject_call names its caller only after announcing the call: use the script's.
            call.caller_number, call.caller_name, queue, action_id = self.scripted_caller
            originated = (queue, action_id)
            self.scripted_caller = None
        number = call.caller_number or "anonymous"
        name = call.caller_name or ""
        pbx_call = self.board.call_arrives(
            call.id, call.dialed_number or "s", number, name, at, originated=originated
        )
        # The engine's record then carries the PBX's own Linkedid.
        call.linkedid = pbx_call.caller.linkedid

    def queue_joined(self, at: float, call: SimCall, queue: str, position: int) -> None:
        if call.id in self.board.calls:
            self.board.caller_joins(call.id, queue, at)

    def agent_ringing(self, at: float, call: SimCall, agent: SimAgent) -> None:
        if call.id in self.board.calls and self.board.calls[call.id].queue is not None:
            self.board.ring_agent(call.id, agent.name, at)

    def ring_no_answer(self, at: float, call: SimCall, agent: SimAgent, ring_s: float) -> None:
        self.board.ring_no_answer(call.id, agent.name, at)

    def ring_cancelled(self, at: float, call: SimCall, agent: SimAgent) -> None:
        self.board.drop_ring(call.id, agent.name, at)

    def answered(self, at: float, call: SimCall, agent: SimAgent) -> None:
        if self.link.is_outbound(call):
            self.board.outbound_answered(call.id, at)
            return
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is not None and agent.name in pbx_call.rings:
            self.board.agent_answers(call.id, agent.name, at)
            if not agent.human and self.rng.random() < self.options.hold_share:
                self._plan_hold(call.id, agent.name, at)

    def _plan_hold(self, key: int, agent: str, at: float) -> None:
        def still_with(t: float) -> bool:
            pbx_call = self.board.calls.get(key)
            if pbx_call is None or pbx_call.consult is not None:
                return False
            member = pbx_call.agent_member
            return member is not None and member.name == agent

        def hold(t: float) -> None:
            if still_with(t):
                self.board.hold(key, t)

        def unhold(t: float) -> None:
            if still_with(t):
                self.board.unhold(key, t)

        start = at + self.options.hold_after_s
        self.board.later(start, hold)
        self.board.later(start + self.options.hold_s, unhold)

    def abandoned(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        self.board.caller_abandons(call.id, at)

    def queue_timeout(self, at: float, call: SimCall, queue: str, wait_s: float) -> None:
        self.board.queue_timeout(call.id, at, voicemail_s=self.options.voicemail_s)

    def transferred(
        self, at: float, call: SimCall, agent: SimAgent | None, target: str, queue: str | None
    ) -> None:
        exten, _, context = target.partition("@")
        context = context or self._transfer_context.pop(call.id, "from-internal")
        kind = self.board.blind_transfer(call.id, queue or exten, context, at)
        if kind == "external":
            talk = max(1.0, self.rng.expovariate(1 / self.options.external_talk_mean_s))
            self.board.later(at + talk, lambda t: self.board.caller_hangs_up(call.id, t))

    def call_ended(self, at: float, call: SimCall, record: CallRecord) -> None:
        pbx_call = self.board.calls.get(call.id)
        if pbx_call is None or pbx_call.ended:
            return
        if self.link.is_outbound(call):
            self.board.end_outbound(call.id, at, by_agent=call.hangup_by == "agent")
            return
        if pbx_call.far is not None or (pbx_call.entry is None and pbx_call.agent_channel is None):
            return  # the PBX finishes it (voicemail, a transfer target, a dialled customer)
        if self.board.in_consultation(call.id):
            if call.hangup_by == "agent":
                self.complete_attended(call.id, at)
                return
            self.board.cancel_consultation(call.id, at)
        if call.hangup_by == "agent":
            self.board.agent_hangs_up(call.id, at)
        else:
            self.board.caller_hangs_up(call.id, at)

    def complete_attended(self, key: object, at: float) -> None:
        """The consulting agent hangs up: the caller stays with the transfer target a while."""
        talk = max(1.0, self.rng.expovariate(1 / self.options.external_talk_mean_s))
        self.board.attended_transfer_complete(key, at, caller_talk_s=talk)

    def member_added(self, at: float, agent: SimAgent, queue: str, penalty: int) -> None:
        device = self.board.devices.get(agent.name)
        if device is None or agent.name in self.board.queues[queue].members:
            return
        # Members present when the PBX starts make no event: bots are static (queues.conf),
        # people at consoles dynamic (they log in and out with QueueAdd / QueueRemove).
        starting = at <= 0
        dynamic = agent.human or not starting
        self.board.add_member(
            queue, device, agent.name, at, penalty=penalty, dynamic=dynamic, announce=not starting
        )

    def member_removed(self, at: float, agent: SimAgent, queue: str) -> None:
        self.board.remove_member(queue, agent.name, at)

    def member_paused(
        self, at: float, agent: SimAgent, queue: str, paused: bool, reason: str | None
    ) -> None:
        self.board.set_paused(agent.name, queue, paused, reason or "", at)

    def agent_state_changed(
        self, at: float, agent: SimAgent, state: AgentState, reason: str | None
    ) -> None:
        """Wrap-up and availability have no AMI event of their own in Asterisk."""

    # -- actions needing the whole PBX ---------------------------------------------------

    def originate(
        self, channel: str, exten: str, context: str, caller_id: str, action_id: str | None
    ) -> None:
        """Start the originated call."""
        from sim.pbx.originate import originate

        originate(self, channel, exten, context, caller_id, action_id)
        self.wake()

    def attended_transfer(self, channel: str, exten: str, context: str) -> None:
        """Atxfer: consult `exten@context`; the agent hanging up completes the transfer."""
        call = self.board.call_of_channel(channel)
        if call is not None:
            self.board.attended_transfer_start(
                call.key,
                exten,
                context or "transfers",
                self.now(),
                answer_after_s=self.options.far_answer_s,
            )
            self.wake()

    def hangup(self, channel: str) -> None:
        """AMI Hangup: the party on that channel hangs up."""
        from sim.pbx.originate import hangup_channel

        hangup_channel(self, channel)
        self.wake()
