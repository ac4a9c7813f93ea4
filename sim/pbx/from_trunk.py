"""Calls to a DID, as docs/asterisk/extensions.conf [from-trunk] takes them: ask the routing
server over FastAGI, then queue the caller as it says.

The simulation holds the caller (`CallFlow.hold`) while the request runs on the event loop, in
wall-clock time: the simulation goes on meanwhile, and the caller joins the queue at the
simulated moment the answer arrives. The answer's variables (README, Routing): `QUEUE`
(empty: not queued, `ROUTE_REASON` blocked or closed), `QUEUE_PRIO` / `PRIORITY`,
`QUEUE_MIN_PENALTY` / `QUEUE_MAX_PENALTY`, `PREFERRED_MEMBER` (an interface, dialled for
`PREFERRED_WAIT` seconds before the queue). A server that cannot be reached, breaks off or
names no queue leaves the caller to `DEFAULT_QUEUE` at once, as the dialplan's fallback does.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable

from sim.inbound import Route
from sim.pbx.agi_client import AgiCommand, AgiExchange, AgiTarget, parse_agi_url, run_agi
from sim.pbx.calls import PbxCall
from sim.pbx.engine_link import EngineLink
from sim.pbx.options import PbxOptions
from sim.pbx.signalling import Signalling
from sim.pbx.switchboard import Switchboard
from sim.pbx.truth import RouteTruth
from sim.scenario import Scenario
from sim.state import SimCall, SimQueue

log = logging.getLogger(__name__)

AGI = "agi,all"
CONTEXT = "from-trunk"
AGI_PRIORITY = 4  # the AGI() step of [from-trunk]
ASTERISK_VERSION = "22.10.1"
CAUSE_NORMAL, CAUSE_REJECTED = 16, 21  # [closed] ends normally; [refused] is Hangup(21)


def _number(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


class TrunkRouting:
    """Holds each caller of a DID while the routing server decides, then sends them on."""

    def __init__(
        self,
        scenario: Scenario,
        board: Switchboard,
        signals: Signalling,
        link: EngineLink,
        options: PbxOptions,
        *,
        sync: Callable[[], object],
        now: Callable[[], float],
        wake: Callable[[], None],
    ) -> None:
        self.board, self.signals, self.link, self.options = board, signals, link, options
        self.sync, self.now, self.wake = sync, now, wake
        self.dids = {number: q.name for q in scenario.queues for number in q.numbers}
        self.target: AgiTarget | None = parse_agi_url(options.agi_url) if options.agi_url else None
        self._tasks: set[asyncio.Task[None]] = set()
        self._threads = itertools.count(140_000_000_000_000)
        self._command_ids = random.Random(scenario.seed)
        if self.target is not None:
            link.engine.flow.hold = self.hold

    def hold(self, call: SimCall, queue: SimQueue) -> bool:
        """The engine's hook: keep a caller of a DID to ask the server (True), else False."""
        pbx_call = self.board.calls.get(call.id)
        dialed = call.dialed_number or ""
        if self.target is None or pbx_call is None or dialed not in self.dids:
            return False
        caller = pbx_call.caller
        caller.context, caller.exten, caller.priority = CONTEXT, dialed, AGI_PRIORITY
        caller.application, caller.app_data = "AGI", f"{self.target.url},{dialed},"
        pbx_call.routing = asyncio.Event()
        asking = self._ask(pbx_call, dialed, self.link.engine.now)
        task = asyncio.get_running_loop().create_task(asking)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def close(self) -> None:
        """Stop asking (the PBX is closing)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the request ---------------------------------------------------------------------

    def request(self, call: PbxCall, dialed: str) -> list[tuple[str, str]]:
        """The `agi_*` block Asterisk sends for `AGI(${CRM_AGI},${EXTEN})` on this caller."""
        assert self.target is not None
        caller = call.caller
        kind = caller.name.split("/", 1)[0]
        return [
            ("agi_network", "yes"),
            ("agi_network_script", self.target.script),
            ("agi_request", self.target.url),
            ("agi_channel", caller.name),
            ("agi_language", "en"),
            ("agi_type", kind),
            ("agi_uniqueid", caller.uniqueid),
            ("agi_version", ASTERISK_VERSION),
            ("agi_callerid", call.truth.caller_number or "unknown"),
            ("agi_calleridname", call.truth.caller_name or "unknown"),
            ("agi_callingpres", "0"),
            ("agi_callingani2", "0"),
            ("agi_callington", "0"),
            ("agi_callingtns", "0"),
            # A SIP trunk's INVITE names the DID; a Local channel has no DNID.
            ("agi_dnid", "unknown" if self.board.local else dialed),
            ("agi_rdnis", "unknown"),
            ("agi_context", CONTEXT),
            ("agi_extension", dialed),
            ("agi_priority", str(AGI_PRIORITY)),
            ("agi_enhanced", "0.0"),
            ("agi_accountcode", ""),
            ("agi_threadid", str(next(self._threads))),
            ("agi_arg_1", dialed),
            ("agi_arg_2", ""),  # ${IVR_DIGITS}: no menu before the routing here
        ]

    async def _ask(self, call: PbxCall, dialed: str, asked_at: float) -> None:
        assert self.target is not None
        exchange = await run_agi(
            self.target,
            self.request(call, dialed),
            on_command=lambda command: self._executed(call, command),
            hung_up=call.routing,
            answer_timeout_s=self.options.agi_timeout_s,
        )
        if exchange.status == "FAILURE":
            log.warning("routing of %s falls back to the default queue: %s", dialed, exchange.why)
        self.sync()
        try:
            self._answered(call, dialed, exchange, asked_at, self.now())
        finally:
            self.wake()

    def _executed(self, call: PbxCall, command: AgiCommand) -> None:
        """AGIExecStart and AGIExecEnd for one command, at the moment it was carried out."""
        if call.ended:
            return
        self.sync()
        at = self.now()
        ident = ("CommandId", str(self._command_ids.randrange(1, 2**31)))
        self.signals.emit_channel("AGIExecStart", call.caller, at, ("Command", command.text), ident)
        self.signals.emit_channel(
            "AGIExecEnd",
            call.caller,
            at,
            ("Command", command.text),
            ident,
            ("ResultCode", str(command.code)),
            ("Result", command.result),
        )

    # -- the answer ----------------------------------------------------------------------

    def _answered(
        self, call: PbxCall, dialed: str, exchange: AgiExchange, asked_at: float, at: float
    ) -> None:
        call.routing = None
        variables = exchange.variables
        action, route = self.decide(exchange, dialed)
        if call.ended:
            action, route = "gone", Route(None)
        self.board.truth.routes.append(
            RouteTruth(
                linkedid=call.caller.linkedid,
                uniqueid=call.caller.uniqueid,
                dialed=dialed,
                caller=call.truth.caller_number or "",
                status=exchange.status,
                variables=dict(variables),
                action=action,
                queue=route.queue,
                priority=route.priority,
                preferred_member=route.preferred,
                asked_at=asked_at,
                answered_at=at,
            )
        )
        if action == "gone":
            self.link.hangup(call.key, "caller")
        elif route.queue is None:
            self.link.route(call.key, route)  # the engine lets the caller go
            self._turn_away(call, action, at)
        else:
            self.link.route(call.key, route)

    def decide(self, exchange: AgiExchange, dialed: str) -> tuple[str, Route]:
        """What the dialplan does with the server's answer: (action, route)."""
        variables = exchange.variables
        queue = variables.get("QUEUE", "").strip()
        reason = variables.get("ROUTE_REASON", "").strip()
        fallback = self._default_queue(dialed)
        if exchange.status != "SUCCESS":
            return "fallback", Route(fallback)
        if not queue and reason in ("blocked", "closed"):
            return reason, Route(None)
        if not queue:
            return "fallback", Route(fallback)
        if queue not in self.board.queues:
            log.warning("the routing server named queue %r, which the PBX lacks", queue)
            return "fallback", Route(fallback)
        # app_queue reads QUEUE_PRIO; PRIORITY (the same number) only when it is missing.
        priority = _number(variables.get("QUEUE_PRIO"))
        if priority is None:
            priority = _number(variables.get("PRIORITY"))
        preferred = self._preferred_agent(variables.get("PREFERRED_MEMBER", ""))
        wait = _number(variables.get("PREFERRED_WAIT")) or self.options.preferred_wait_s
        route = Route(
            queue,
            priority=priority or 0,
            min_penalty=_number(variables.get("QUEUE_MIN_PENALTY")),
            max_penalty=_number(variables.get("QUEUE_MAX_PENALTY")),
            preferred=preferred,
            preferred_wait_s=float(wait),
            penalty_rule=self.options.penalty_rule,
        )
        return ("preferred" if preferred else "queue"), route

    def _default_queue(self, dialed: str) -> str:
        wanted = self.options.default_queue
        return wanted if wanted in self.board.queues else self.dids[dialed]

    def _preferred_agent(self, interface: str) -> str | None:
        device = self.board.device_by_interface(interface.strip()) if interface.strip() else None
        return device.agent if device is not None else None

    def _turn_away(self, call: PbxCall, action: str, at: float) -> None:
        """[refused]: `Hangup(21)` at once; [closed]: the closed message, then hung up."""
        if call.ended:
            return
        caller = call.caller
        call.truth.turned_away = True
        caller.context, caller.priority = ("closed" if action == "closed" else "refused"), 2
        if action == "closed":
            caller.application, caller.app_data = "Playback", "custom/callcenter-closed"
            done = at + self.options.closed_message_s
            self.board.later(done, lambda t: self._hang_up(call, t, CAUSE_NORMAL))
        else:
            self._hang_up(call, at, CAUSE_REJECTED)

    def _hang_up(self, call: PbxCall, at: float, cause: int) -> None:
        if call.ended:
            return
        call.caller.application, call.caller.app_data = "Hangup", str(cause)
        self.signals.hangup(call.caller, at, cause=cause, requested=False)
        self.board.end(call, at)
