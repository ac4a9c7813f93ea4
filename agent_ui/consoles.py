"""Every agent's console: a projection of the agent's presence and calls onto the pop hub.

Driven by the bus and the live presence (what the PBX reports), never by what the console
asked for: when a supervisor pauses an agent from elsewhere, the agent's console follows.
Frames for the consoles go through the pop hub, in order per agent. After a call the console
runs the agent's wrap-up (`callcenter.queues.wrap_up`): paused in the PBX until done or the
queue's limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from agent_ui.campaign_desk import CampaignDesk
from agent_ui.console_state import AgentConsole, LiveCall, PopCard
from agent_ui.console_users import ConsoleUsers, Seat
from agent_ui.hub import ConsoleHub
from agent_ui.pbx import ConsoleError, PbxControl
from agent_ui.pops import POP_EVENTS, Pops
from agent_ui.queue_waiting import QueueWaiting
from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.db import utc_now
from callcenter.events import (
    AgentDialled,
    AgentRinging,
    AgentRingNoAnswer,
    CallAnswered,
    CallHeld,
    CallRouted,
    CallUnheld,
    DomainEvent,
)
from callcenter.queues.presence import AgentPresence, Presence
from callcenter.queues.wrap_up import WrapUp
from callcenter.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PresenceChange:
    """An agent's presence moved from `before` to `after` (what a console follows)."""

    before: AgentPresence | None
    after: AgentPresence

    @property
    def interface(self) -> str:
        return self.after.interface


Delivery = DomainEvent | PresenceChange
FollowStep = Literal["done", "resume wrap-up", "begin wrap-up"]

# Deliveries that may be shown in the callback that delivered them (see `_show_now`).
_SHOWN_AT_ONCE = (AgentRinging, AgentDialled, AgentRingNoAnswer, CallAnswered, PresenceChange)


class Consoles:
    """Every agent's console, fed by the bus and the presence, published through the hub."""

    def __init__(
        self,
        *,
        hub: ConsoleHub,
        sessions: sessionmaker[Session],
        settings: Settings,
        presence: Presence,
        pbx: PbxControl,
        clock: Callable[[], datetime] = utc_now,
        server: str | None = None,
    ) -> None:
        self.hub = hub
        # The PBX whose agents these consoles show (None: every one on the bus); on a bus
        # shared by several PBXs' processes, another PBX's events are not ours to number.
        self.server = server
        self.settings = settings
        self.presence = presence
        self.pbx = pbx
        self.clock = clock
        self.users = ConsoleUsers(sessions)
        self.pops = Pops(hub, sessions, settings.default_region)
        # The campaign lead on each agent's screen (the dialer attaches itself to it).
        self.campaigns = CampaignDesk(hub, sessions, server=server)
        self._screens: dict[int, AgentConsole] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._inboxes: dict[str, asyncio.Queue[Delivery]] = {}
        # Deliveries per phone queued or being handled by its worker: while any are, a new
        # one waits its turn behind them (the order the PBX reported them in).
        self._pending: dict[str, int] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._published: dict[int, dict[str, Any]] = {}
        self.waiting = QueueWaiting(hub, presence, self._screens.values)

    # -- wiring ---------------------------------------------------------------------------

    def start(self, bus: Bus) -> None:
        """Follow the bus and the presence (call from inside the loop)."""
        self._loop = asyncio.get_running_loop()
        for kind in POP_EVENTS:
            self._unsubscribe.append(bus.subscribe(kind, self._received))
        self._unsubscribe.append(
            self.presence.listen(agent=self._presence_changed, queue=self._queue_changed)
        )
        self._unsubscribe.append(bus.subscribe(CallHeld, self._hold_reported))
        self._unsubscribe.append(bus.subscribe(CallUnheld, self._hold_reported))
        self._unsubscribe.append(bus.subscribe(CallRouted, self._call_routed))
        self.pops.hears_routes = bus.hears(CallRouted)
        self.users.watch_users()
        self.campaigns.start(bus)

    async def stop(self) -> None:
        """Unsubscribe, stop wrap-up timers and pending work."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.users.stop_watching()
        pending = [*self._workers]
        pending += [s.wrap_timer for s in self._screens.values() if s.wrap_timer is not None]
        for task in pending:
            task.cancel()
        self.waiting.stop()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.pops.stop()
        await self.campaigns.stop()

    def consulting(self, user_id: int, target: str | None) -> None:
        """The agent's attended transfer to `target` is under way (None: it is over)."""
        screen = self._screens.get(user_id)
        if screen is not None and screen.call is not None:
            screen.call.consulting = target
            self._call_changed(screen)

    def _hold_reported(self, event: CallHeld | CallUnheld) -> None:
        if self._ours(event):
            self._on_loop(self._show_hold, event)

    def _call_routed(self, event: CallRouted) -> None:
        if self._ours(event):
            self._on_loop(self._show_route, event)

    def _show_route(self, event: CallRouted) -> None:
        self.pops.routed(event)

    def _show_hold(self, event: CallHeld | CallUnheld) -> None:
        """The PBX held or resumed a party of a call: the consoles showing it say so (a caller
        back from hold is no longer part of a consultation either)."""
        for screen in self._screens.values():
            call = screen.call
            if call is None or call.linkedid != event.linkedid or call.server != event.server:
                continue
            call.held = isinstance(event, CallHeld)
            if not call.held:
                call.consulting = None
            self._call_changed(screen)

    def _call_changed(self, screen: AgentConsole) -> None:
        assert screen.call is not None
        self.hub.publish(screen.user_id, "call", {"call": screen.call.public()})

    def _presence_changed(self, before: AgentPresence | None, after: AgentPresence) -> None:
        if self.server is None or self.presence.server_of(after.interface) == self.server:
            self._received(PresenceChange(before, after))

    def _queue_changed(self, queue: str) -> None:
        self._on_loop(self.waiting.changed, queue)

    def _received(self, delivery: Delivery) -> None:
        if isinstance(delivery, PresenceChange) or self._ours(delivery):
            self._on_loop(self._spawn, delivery)

    def _ours(self, event: DomainEvent) -> bool:
        """Whether the event is news of the PBX whose consoles these are."""
        return self.server is None or event.server == self.server

    def _on_loop(self, handle: Callable[[Any], None], argument: Any) -> None:
        """Run `handle(argument)` on the consoles' loop: here when called on it, else soon
        (the bus may deliver from another thread)."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            handle(argument)
        else:
            loop.call_soon_threadsafe(handle, argument)

    def _spawn(self, delivery: Delivery) -> None:
        interface: str | None = getattr(delivery, "interface", None)
        if not interface:
            return
        if self._show_now(interface, delivery):
            return
        # One inbox and one worker per phone: an agent's events are shown in the order the
        # PBX reported them, whatever each one waits for (a user lookup, a PBX command).
        inbox = self._inboxes.get(interface)
        if inbox is None:
            inbox = self._inboxes[interface] = asyncio.Queue()
            task = asyncio.create_task(self._work(interface, inbox))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        self._pending[interface] = self._pending.get(interface, 0) + 1
        inbox.put_nowait(delivery)

    def _show_now(self, interface: str, delivery: Delivery) -> bool:
        """Handle a delivery right here when nothing can make it wait: True if it was.

        The pop's latency is the point: every trip through the loop (a task wake-up, an
        inbox) gives the GIL to whichever worker thread wants it, for up to a switch
        interval. So an event that needs no await (a ring, a ring-no-answer, an answer, a
        state change that starts no wrap-up) of an agent already known and with nothing of
        theirs still queued or in hand is shown in the callback that delivered it; any other
        goes through the agent's inbox.
        """
        if not isinstance(delivery, _SHOWN_AT_ONCE):
            return False
        if self._pending.get(interface) or not self.users.known(interface):
            return False
        seat = self.users.cached(interface)
        if seat is None:
            return True  # nobody's phone: nothing to show
        lock = self._locks.get(seat[0])
        if lock is not None and lock.locked():
            return False  # a wrap-up step of this agent is waiting on the PBX
        screen = self.screen(seat, interface)
        if isinstance(delivery, PresenceChange) and self._needs_pbx(screen, delivery):
            return False
        try:
            if isinstance(delivery, PresenceChange):
                self._follow_now(screen, delivery)
            else:
                self.pops.show(screen, delivery)
        except Exception:
            log.exception("console of %s could not show %s", seat[1], type(delivery).__name__)
        return True

    async def _work(self, interface: str, inbox: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await inbox.get()
            try:
                await self._handle(interface, delivery)
            finally:
                self._pending[interface] -= 1

    async def _handle(self, interface: str, delivery: Delivery) -> None:
        if self.users.known(interface):
            seat = self.users.cached(interface)
        else:
            seat = await asyncio.to_thread(self.users.seat_of, interface)
        if seat is None:
            return
        async with self._lock(seat[0]):  # frames of one agent leave in the order of events
            screen = self.screen(seat, interface)
            try:
                if isinstance(delivery, PresenceChange):
                    await self._follow(screen, delivery)
                else:
                    self.pops.show(screen, delivery)
            except Exception:
                log.exception("console of %s could not show %s", seat[1], type(delivery).__name__)

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    # -- agents ---------------------------------------------------------------------------

    def screen(self, seat: Seat, interface: str) -> AgentConsole:
        """The agent's console, created on first use."""
        user_id, username = seat
        screen = self._screens.get(user_id)
        if screen is None:
            wrap_up = WrapUp(username, self.settings.wrap_up_reason)
            screen = AgentConsole(user_id, username, interface, wrap_up)
            screen.presence = self.presence.of_interface(interface)
            self._screens[user_id] = screen
        return screen

    def find(self, user_id: int) -> AgentConsole | None:
        """The agent's console if it has seen them."""
        return self._screens.get(user_id)

    def snapshot(self, user_id: int) -> dict[str, Any]:
        """What a fresh console tab needs: state and the call's pop, if any."""
        screen = self._screens.get(user_id)
        if screen is None:
            return {
                "state": AgentState.LOGGED_OUT.value,
                "reason": None,
                "since": None,
                "queues": [],
                "wrap_up_until": None,
                "call": None,
                "pop_html": None,
                "pop_seq": None,
                "waiting": [],
                "campaign": self.campaigns.snapshot(user_id),
            }
        return {
            **screen.public(),
            "pop_html": screen.pop_html,
            "pop_seq": screen.pop_seq,
            "waiting": self.waiting.of(screen),
            "campaign": self.campaigns.snapshot(user_id),
        }

    def call_of(self, user_id: int, linkedid: str) -> LiveCall | None:
        """The agent's current or previous call with that Linkedid, else None."""
        screen = self._screens.get(user_id)
        if screen is None:
            return None
        for call in (screen.call, screen.last_call):
            if call is not None and call.linkedid == linkedid:
                return call
        return None

    def show_card(self, user_id: int, linkedid: str, found: PopCard) -> bool:
        """After an agent's change (a customer created or chosen, a ticket opened or linked):
        the fresh card on every tab's pop of that call, and on the pop a reload rebuilds.
        Runs on the event loop (the hub lives there). False when the call left the screen."""
        screen = self._screens.get(user_id)
        call = screen.call if screen is not None else None
        if screen is None or call is None or call.linkedid != linkedid:
            return False
        return self.pops.show_card(screen, call, found)

    def choose_customer(self, user_id: int, linkedid: str, customer_id: int) -> LiveCall:
        """The agent says which of several matching customers is calling."""
        call = self.call_of(user_id, linkedid)
        if call is None:
            raise ConsoleError("that call is no longer on your screen")
        call.customer_id = customer_id
        return call

    # -- state ----------------------------------------------------------------------------

    async def _follow(self, screen: AgentConsole, change: PresenceChange) -> None:
        """The PBX reported the agent's new state: follow it, wrapping up after a call."""
        step = self._follow_now(screen, change)
        if step == "resume wrap-up":
            await self._resume_wrap_up(screen, change.after)
        elif step == "begin wrap-up":
            await self._begin_wrap_up(screen)

    def _follow_now(self, screen: AgentConsole, change: PresenceChange) -> FollowStep:
        """What following the change takes without the PBX; the step left that needs it."""
        screen.presence, screen.asked = change.after, None
        after = change.after
        if screen.wrap_up.active:
            if screen.wrap_up.follow(after.state, after.reason):
                return "done"  # the PBX confirms the wrap-up pause (the tracker's wrap-up state)
            self._stop_timer(screen)
        elif self._in_wrap_up_pause(after):
            return "resume wrap-up"
        was = change.before.state if change.before is not None else AgentState.LOGGED_OUT
        if was is AgentState.ON_CALL and after.state is AgentState.AVAILABLE and screen.call:
            screen.call.ended_at = after.since
            if self.settings.wrap_up_for(screen.call.queue) > 0:
                return "begin wrap-up"
        self._show_state(screen)
        return "done"

    def _needs_pbx(self, screen: AgentConsole, change: PresenceChange) -> bool:
        """Whether following the change may take a PBX command (a wrap-up begins or resumes):
        such a change goes through the agent's inbox, in order with what follows it."""
        after = change.after
        if not screen.wrap_up.active and self._in_wrap_up_pause(after):
            return True
        was = change.before.state if change.before is not None else AgentState.LOGGED_OUT
        return (
            was is AgentState.ON_CALL
            and after.state is AgentState.AVAILABLE
            and screen.call is not None
            and self.settings.wrap_up_for(screen.call.queue) > 0
        )

    def _show_state(self, screen: AgentConsole) -> None:
        # Time in state is wall-clock time at the console (a simulated PBX may run faster).
        shown = screen.state()
        if shown != screen.shown:
            screen.shown, screen.since = shown, self.clock()
        if shown[0] is AgentState.AVAILABLE and screen.call and screen.call.ended_at:
            screen.last_call, screen.call, screen.pop_html = screen.call, None, None
            screen.pop_seq = None
        self.publish_state(screen)

    def publish_state(self, screen: AgentConsole) -> None:
        """Send the console's state to its tabs, unless they already show exactly that."""
        view = screen.public()
        if view == self._published.get(screen.user_id):
            return
        self._published[screen.user_id] = view
        self.hub.publish(screen.user_id, "state", view)

    # -- wrap-up --------------------------------------------------------------------------

    async def _begin_wrap_up(self, screen: AgentConsole) -> None:
        """After a call: paused in the PBX (so no call rings) until done or the limit."""
        limit = self.settings.wrap_up_for(screen.call.queue if screen.call else None)
        if not screen.wrap_up.begin(self.clock() + timedelta(seconds=limit)):
            return
        screen.wrap_timer = asyncio.create_task(self._wrap_up_timer(screen, limit))
        self._show_state(screen)
        try:
            await self.pbx.pause(screen.interface, screen.wrap_up.reason)
        except ConsoleError as exc:
            log.warning("wrap-up pause of %s not sent: %s", screen.username, exc)

    def _in_wrap_up_pause(self, presence: AgentPresence) -> bool:
        return (
            presence.state in (AgentState.PAUSED, AgentState.WRAP_UP)
            and presence.reason == self.settings.wrap_up_reason
        )

    async def _resume_wrap_up(self, screen: AgentConsole, presence: AgentPresence) -> None:
        """The PBX holds the agent in a wrap-up pause no timer of ours runs for (the app
        was restarted during it): the wrap-up goes on for what is left of the limit, counted
        from when the PBX paused them, and ends at once when nothing is left. Without that,
        the agent would stay paused, and calls unanswered, until someone noticed."""
        limits = [self.settings.wrap_up_for(queue) for queue in presence.queues]
        limit = max(limits, default=self.settings.wrap_up_for(None))
        now = self.clock()
        started = await self.pbx.paused_since(screen.interface, screen.wrap_up.reason)
        # Unknown start: a full limit from now; a PBX clock ahead of ours counts as now.
        until = min(started or now, now) + timedelta(seconds=limit)
        if not screen.wrap_up.begin(until):
            return
        screen.wrap_up.confirm()
        left = (until - self.clock()).total_seconds()
        log.info("wrap-up of %s resumed, %.0f s left", screen.username, max(left, 0.0))
        if left <= 0:
            await self._finish_wrap_up(screen)
            return
        screen.wrap_timer = asyncio.create_task(self._wrap_up_timer(screen, left))
        self._show_state(screen)

    async def _wrap_up_timer(self, screen: AgentConsole, limit: float) -> None:
        await asyncio.sleep(limit)
        async with self._lock(screen.user_id):
            if screen.wrap_up.active:
                screen.wrap_timer = None  # this task ends here; do not cancel it
                await self._finish_wrap_up(screen)

    async def finish_wrap_up(self, user_id: int) -> None:
        """The agent is done with after-call work: available again."""
        screen = self._screens.get(user_id)
        if screen is None or not screen.wrap_up.active:
            raise ConsoleError("you are not in wrap-up")
        async with self._lock(user_id):
            self._stop_timer(screen)
            await self._finish_wrap_up(screen)

    async def _finish_wrap_up(self, screen: AgentConsole) -> None:
        if not screen.wrap_up.finish():
            return
        screen.asked = (AgentState.AVAILABLE, None)
        self._show_state(screen)
        try:
            await self.pbx.unpause(screen.interface)
        except ConsoleError as exc:
            log.warning("end of wrap-up of %s not sent: %s", screen.username, exc)

    def _stop_timer(self, screen: AgentConsole) -> None:
        timer, screen.wrap_timer = screen.wrap_timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
