"""Each agent's live screen: state and time in state, the call on screen, wrap-up and its timer.

Driven by the bus (what the PBX reports), never by what the console asked for: when a
supervisor pauses an agent from elsewhere, the agent's console follows. Frames for the
consoles go through the pop hub, in order per agent.

A ring is shown in two frames: the pop (caller, queue, wait: all in the PBX's event) leaves
at once, in the same loop callback that read the AgentCalled frame whenever nothing of that
agent is still being handled; the customer card is looked up in a worker thread and follows
as a `card` frame naming the pop's sequence number.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.config import ConsoleSettings
from agent_ui.console_state import AgentConsole, LiveCall, PopCard, build_card, pop_header
from agent_ui.hub import PopHub
from agent_ui.pbx import ConsoleError, PbxControl
from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.db import utc_now
from callcenter.events import (
    AgentRinging,
    AgentRingNoAnswer,
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    DomainEvent,
)
from callcenter.users.models import User

log = logging.getLogger(__name__)

WRAP_UP = "wrap_up"

# Card lookups at once: each holds the GIL for most of its few milliseconds, so more threads
# only take turns with the event loop (which sends every pop) without finishing sooner.
CARD_LOOKUP_THREADS = 2


class Consoles:
    """Every agent's screen, fed by the bus, published through the hub."""

    def __init__(
        self,
        *,
        hub: PopHub,
        sessions: sessionmaker[Session],
        region: str,
        config: ConsoleSettings,
        pbx: PbxControl,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.hub = hub
        self.sessions = sessions
        self.region = region
        self.config = config
        self.pbx = pbx
        self.clock = clock
        self._screens: dict[int, AgentConsole] = {}
        self._by_interface: dict[str, tuple[int, str] | None] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._inboxes: dict[str, asyncio.Queue[DomainEvent]] = {}
        # Events per phone queued or being handled by its worker: while any are, a new one
        # waits its turn behind them (the order the PBX reported them in).
        self._pending: dict[str, int] = {}
        self._lookups = ThreadPoolExecutor(
            max_workers=CARD_LOOKUP_THREADS, thread_name_prefix="pop-card"
        )
        self._unsubscribe: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shown: dict[int, dict[str, Any]] = {}

    # -- wiring ---------------------------------------------------------------------------

    def start(self, bus: Bus) -> None:
        """Subscribe to the events an agent's console shows (call from inside the loop)."""
        self._loop = asyncio.get_running_loop()
        for kind in (
            AgentRinging,
            AgentRingNoAnswer,
            CallAnswered,
            CallEnded,
            AgentStateChanged,
        ):
            self._unsubscribe.append(bus.subscribe(kind, self._received))

    async def stop(self) -> None:
        """Unsubscribe, stop wrap-up timers and pending work."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        pending = [*self._tasks]
        pending += [d.wrap_timer for d in self._screens.values() if d.wrap_timer is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._lookups.shutdown(wait=False, cancel_futures=True)

    def _received(self, event: DomainEvent) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._spawn(event)
        else:
            loop.call_soon_threadsafe(self._spawn, event)

    def _spawn(self, event: DomainEvent) -> None:
        interface = getattr(event, "interface", None)
        if isinstance(event, CallEnded):
            return  # wrap-up starts from the agent's state change; nothing else to show
        if not interface:
            return
        if self._show_now(interface, event):
            return
        # One inbox and one worker per phone: an agent's events are shown in the order the
        # PBX reported them, whatever each one waits for (a user lookup, a PBX command).
        inbox = self._inboxes.get(interface)
        if inbox is None:
            inbox = self._inboxes[interface] = asyncio.Queue()
            task = asyncio.create_task(self._work(interface, inbox))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._pending[interface] = self._pending.get(interface, 0) + 1
        inbox.put_nowait(event)

    def _show_now(self, interface: str, event: DomainEvent) -> bool:
        """Handle an event right here when nothing can make it wait: True if it was.

        The pop's latency is the point: every trip through the loop (a task wake-up, an
        inbox) gives the GIL to whichever worker thread wants it, for up to a switch
        interval. So an event that needs no await (a ring, a ring-no-answer, an answer) of
        an agent already known and with nothing of theirs still queued or in hand is shown
        in the callback that delivered it; any other goes through the agent's inbox.
        """
        if self._pending.get(interface) or interface not in self._by_interface:
            return False
        if not isinstance(event, (AgentRinging, AgentRingNoAnswer, CallAnswered)):
            return False
        agent = self._by_interface[interface]
        if agent is None:
            return True  # nobody's phone: nothing to show
        lock = self._locks.get(agent[0])
        if lock is not None and lock.locked():
            return False  # a wrap-up step of this agent is waiting on the PBX
        screen = self.screen(agent[0], agent[1], interface)
        try:
            self._show(screen, event)
        except Exception:
            log.exception("console of %s could not show %s", agent[1], type(event).__name__)
        return True

    async def _work(self, interface: str, inbox: asyncio.Queue[DomainEvent]) -> None:
        while True:
            event = await inbox.get()
            try:
                await self._handle(interface, event)
            finally:
                self._pending[interface] -= 1

    # -- agents ---------------------------------------------------------------------------

    def agent_of(self, interface: str) -> tuple[int, str] | None:
        """(user id, username) of the agent using `interface`, cached."""
        if interface not in self._by_interface:
            with self.sessions() as session:
                row = session.execute(
                    select(User.id, User.username).where(User.interface == interface)
                ).first()
            self._by_interface[interface] = (row[0], row[1]) if row else None
        return self._by_interface[interface]

    def forget_interfaces(self) -> None:
        """Drop the interface cache (after users change)."""
        self._by_interface.clear()

    def screen(self, user_id: int, username: str, interface: str) -> AgentConsole:
        """The agent's screen, created on first use."""
        screen = self._screens.get(user_id)
        if screen is None:
            screen = AgentConsole(user_id=user_id, username=username, interface=interface)
            self._screens[user_id] = screen
        return screen

    def find(self, user_id: int) -> AgentConsole | None:
        """The agent's screen if the console has seen them."""
        return self._screens.get(user_id)

    def snapshot(self, user_id: int) -> dict[str, Any]:
        """What a fresh console tab needs: state and the call's pop, if any."""
        screen = self._screens.get(user_id)
        if screen is None:
            return {"state": AgentState.LOGGED_OUT.value, "reason": None, "call": None}
        return {**screen.public(), "pop_html": screen.pop_html, "pop_seq": screen.pop_seq}

    # -- events ---------------------------------------------------------------------------

    async def _handle(self, interface: str, event: DomainEvent) -> None:
        if interface in self._by_interface:
            agent = self._by_interface[interface]
        else:
            agent = await asyncio.to_thread(self.agent_of, interface)
        if agent is None:
            return
        user_id, username = agent
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:  # frames of one agent leave in the order their events happened
            screen = self.screen(user_id, username, interface)
            try:
                if isinstance(event, AgentStateChanged):
                    await self._state_changed(screen, event)
                else:
                    self._show(screen, event)
            except Exception:
                log.exception("console of %s could not show %s", username, type(event).__name__)

    def _show(self, screen: AgentConsole, event: DomainEvent) -> None:
        """The events shown without waiting for anything."""
        if isinstance(event, AgentRinging):
            self._ringing(screen, event)
        elif isinstance(event, AgentRingNoAnswer):
            self._ring_over(screen, event)
        elif isinstance(event, CallAnswered):
            self._answered(screen, event)

    def _ringing(self, screen: AgentConsole, event: AgentRinging) -> None:
        call = LiveCall(
            server=event.server,
            linkedid=event.linkedid,
            uniqueid=event.uniqueid,
            queue=event.queue,
            caller_number=event.caller_number,
            caller_name=event.caller_name,
            waited_s=event.waited_s,
            rang_at=event.at,
        )
        pending = bool(event.caller_number)
        screen.call = call
        screen.pop_html = pop_header(event, card_pending=pending)
        payload = {"call": call.public(), "html": screen.pop_html, "card_pending": pending}
        screen.pop_seq = self.hub.publish(screen.user_id, "pop", payload).seq
        if pending:
            task = asyncio.create_task(self._card(screen, call, event, screen.pop_seq))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _card(
        self, screen: AgentConsole, call: LiveCall, event: AgentRinging, pop: int
    ) -> None:
        """Look the caller up off the event loop, then send the card as the pop's second frame.

        Off the loop because under load the queries wait on the database and the loop must
        keep reading the PBX and sending pops meanwhile. A failed lookup still sends a card
        frame (saying so), so the console never waits for one that will not come.
        """
        loop = asyncio.get_running_loop()
        try:
            found: PopCard | None = await loop.run_in_executor(
                self._lookups, build_card, self.sessions, self.region, event
            )
        except Exception:
            log.exception("customer card for %s (call %s) failed", screen.username, call.linkedid)
            found = None
        if found is None:
            html = '<p class="error">The customer card could not be loaded.</p>'
        else:
            html = found.html
            call.matches = len(found.card.matches)
            if call.customer_id is None:  # the agent may have chosen or created one already
                call.customer_id = found.customer_id
            if screen.call is call and screen.pop_seq == pop:
                screen.pop_html = found.pop_html
        payload = {"pop": pop, "linkedid": call.linkedid, "call": call.public(), "html": html}
        self.hub.publish(screen.user_id, "card", payload)

    def _ring_over(self, screen: AgentConsole, event: DomainEvent) -> None:
        call = screen.call
        linkedid = getattr(event, "linkedid", None)
        if call is None or call.linkedid != linkedid or call.answered_at is not None:
            return
        screen.call, screen.pop_html, screen.pop_seq = None, None, None
        self.hub.publish(screen.user_id, "missed", {"linkedid": linkedid})

    def _answered(self, screen: AgentConsole, event: CallAnswered) -> None:
        if screen.call is None or screen.call.linkedid != event.linkedid:
            return
        screen.call.answered_at = event.at
        self.hub.publish(screen.user_id, "answered", {"call": screen.call.public()})

    async def _state_changed(self, screen: AgentConsole, event: AgentStateChanged) -> None:
        new = event.state.value
        was = screen.state
        in_wrap_up = screen.wrap_timer is not None
        if in_wrap_up and new in (AgentState.PAUSED.value, AgentState.WRAP_UP.value):
            if event.reason == self.config.wrap_up_reason:
                return  # the PBX confirms the wrap-up pause (the tracker's wrap-up state)
            self._end_wrap_up(screen)  # someone paused the agent for another reason
        elif in_wrap_up and new in (AgentState.RINGING.value, AgentState.ON_CALL.value):
            self._end_wrap_up(screen)
        elif in_wrap_up and new == AgentState.AVAILABLE.value:
            self._end_wrap_up(screen)  # unpaused elsewhere (or by the timer): follow the PBX
        elif in_wrap_up and new == AgentState.LOGGED_OUT.value:
            self._end_wrap_up(screen)
        # The event lists every membership after the change (none once logged out).
        screen.queues = set(event.queues)
        if was == AgentState.ON_CALL.value and new == AgentState.AVAILABLE.value and screen.call:
            screen.call.ended_at = event.at
            if self.config.wrap_up_for(screen.call.queue) > 0:
                await self._start_wrap_up(screen)
                return
        self._set_state(screen, new, event.reason)

    def _set_state(self, screen: AgentConsole, state: str, reason: str | None) -> None:
        # Time in state is wall-clock time at the console (a simulated PBX may run faster).
        if state != screen.state or reason != screen.reason:
            screen.state, screen.reason, screen.since = state, reason, self.clock()
        if state == AgentState.AVAILABLE.value and screen.call and screen.call.ended_at:
            screen.last_call, screen.call, screen.pop_html = screen.call, None, None
            screen.pop_seq = None
        self.publish_state(screen)

    def publish_state(self, screen: AgentConsole) -> None:
        """Send the screen's state to its consoles, unless they already show exactly that."""
        view = screen.public()
        if view == self._shown.get(screen.user_id):
            return
        self._shown[screen.user_id] = view
        self.hub.publish(screen.user_id, "state", view)

    def set_queues(self, user_id: int, username: str, interface: str, queues: list[str]) -> None:
        """The queues the agent signed in to or out of through the console (QueueAdd/Remove)."""
        screen = self.screen(user_id, username, interface)
        screen.queues = set(queues)
        self.publish_state(screen)

    # -- wrap-up --------------------------------------------------------------------------

    async def _start_wrap_up(self, screen: AgentConsole) -> None:
        """After a call: paused in the PBX (so no call rings) until done or the limit."""
        queue = screen.call.queue if screen.call else None
        limit = self.config.wrap_up_for(queue)
        screen.wrap_up_until = self.clock() + timedelta(seconds=limit)
        screen.wrap_timer = asyncio.create_task(self._wrap_up_timer(screen, limit))
        self._set_state(screen, WRAP_UP, self.config.wrap_up_reason)
        try:
            await self.pbx.pause(screen.interface, self.config.wrap_up_reason)
        except ConsoleError as exc:
            log.warning("wrap-up pause of %s not sent: %s", screen.username, exc)

    async def _wrap_up_timer(self, screen: AgentConsole, limit: float) -> None:
        await asyncio.sleep(limit)
        lock = self._locks.setdefault(screen.user_id, asyncio.Lock())
        async with lock:
            if screen.state == WRAP_UP:
                screen.wrap_timer = None  # this task ends here; do not cancel it
                await self._finish_wrap_up(screen)

    async def finish_wrap_up(self, user_id: int) -> None:
        """The agent is done with after-call work: available again."""
        screen = self._screens.get(user_id)
        if screen is None or screen.state != WRAP_UP:
            raise ConsoleError("you are not in wrap-up")
        async with self._locks.setdefault(user_id, asyncio.Lock()):
            self._end_wrap_up(screen)
            await self._finish_wrap_up(screen)

    async def _finish_wrap_up(self, screen: AgentConsole) -> None:
        screen.wrap_up_until = None
        self._set_state(screen, AgentState.AVAILABLE.value, None)
        try:
            await self.pbx.unpause(screen.interface)
        except ConsoleError as exc:
            log.warning("end of wrap-up of %s not sent: %s", screen.username, exc)

    def _end_wrap_up(self, screen: AgentConsole) -> None:
        timer, screen.wrap_timer = screen.wrap_timer, None
        screen.wrap_up_until = None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def call_of(self, user_id: int, linkedid: str) -> LiveCall | None:
        """The agent's current or previous call with that Linkedid, else None."""
        screen = self._screens.get(user_id)
        if screen is None:
            return None
        for call in (screen.call, screen.last_call):
            if call is not None and call.linkedid == linkedid:
                return call
        return None

    def choose_customer(self, user_id: int, linkedid: str, customer_id: int) -> LiveCall:
        """The agent says which of several matching customers is calling."""
        call = self.call_of(user_id, linkedid)
        if call is None:
            raise ConsoleError("that call is no longer on your screen")
        call.customer_id = customer_id
        return call
