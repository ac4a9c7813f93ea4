"""Screen pops: a ring shown at once from the PBX's event, the customer card as a second frame.

A ring is shown in two frames: the pop (caller, queue, wait: all in the PBX's event) leaves
at once; the customer card is looked up (in a child process, `card_process`; in place for an
in-memory database) and follows as a `card` frame naming the pop's sequence number.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.card_process import CardLookups, lookups_in_a_process
from agent_ui.console_state import (
    AgentConsole,
    LiveCall,
    PopCard,
    build_card,
    link_offered_ticket,
    pop_header,
    stored_decision,
)
from agent_ui.hub import ConsoleHub
from agent_ui.recent_routes import CardsWithoutRoute, RecentRoutes
from agent_ui.route_note import RoutingFacts
from callcenter.events import (
    AgentDialled,
    AgentRinging,
    AgentRingNoAnswer,
    CallAnswered,
    CallRouted,
    DomainEvent,
)

log = logging.getLogger(__name__)

# Card lookups at once: each holds the GIL for most of its few milliseconds, so more threads
# only take turns with the event loop (which sends every pop) without finishing sooner.
CARD_LOOKUP_THREADS = 2


def lookups_on_loop(sessions: sessionmaker[Session]) -> bool:
    """Where cards are looked up in this process (`lookups_in_a_process` says no): whether on
    the event loop rather than in worker threads: on SQLite, whose reads (WAL) wait for no
    server and no writer.

    SQLite lets go of the GIL at every statement and row, and a worker thread then waits for
    the busy loop to give it back, up to a switch interval each time: under a floor's load the
    lookups fall behind, and the backlog of threads wanting the GIL in turn delays the loop
    and every pop (bench/scale.py, 200 calls/s: cards' p50 often 0.5-1.5 s late and pops'
    200-300 ms in threads, 26-40 ms and 22-35 ms on the loop). A server database's round
    trips would stop the loop: there the threads stay.
    """
    bind = sessions.kw.get("bind")
    return isinstance(bind, Engine) and bind.dialect.name == "sqlite"


# How long after a card found without a routing decision it is looked for again (where the
# routing server's announcements do not reach the consoles' process).
ROUTE_RECHECK_S = 1.0
# A card lookup's generation once a fresher card was shown over its pop.
SHOWN = -1

# The events a console shows without waiting for anything (no lookup, no PBX command).
POP_EVENTS = (AgentRinging, AgentDialled, AgentRingNoAnswer, CallAnswered)


class Pops:
    """Shows rings, missed rings and answers on an agent's console."""

    def __init__(self, hub: ConsoleHub, sessions: sessionmaker[Session], region: str) -> None:
        self.hub = hub
        self.sessions = sessions
        self.region = region
        self._tasks: set[asyncio.Task[None]] = set()
        self._lookups = ThreadPoolExecutor(
            max_workers=CARD_LOOKUP_THREADS, thread_name_prefix="pop-card"
        )
        # The routing decisions announced lately: a card need not wait for them to be stored.
        self.routes = RecentRoutes()
        # Whether the routing server's announcements reach this process (its own router, or a
        # bus that brings them from other processes). Where they do, a decision heard just
        # after its call's card was looked up is shown on it; where they do not, a card found
        # with no decision looks again once `route_recheck_s` later: the routing server stores
        # its decision a moment after the caller has it.
        self.hears_routes = True
        self.route_recheck_s = ROUTE_RECHECK_S
        self.unrouted: CardsWithoutRoute[tuple[AgentConsole, LiveCall, int]] = CardsWithoutRoute()
        # The latest card lookup begun for each agent's pop (SHOWN: a fresher card was shown
        # meanwhile): an earlier lookup still in flight is not shown over it.
        self._latest_card: dict[tuple[int, int], int] = {}
        self._cards_begun = 0
        self._lookup_process: CardLookups | None = None

    async def stop(self) -> None:
        """Stop card lookups in flight."""
        pending = [*self._tasks]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._lookups.shutdown(wait=False, cancel_futures=True)
        if self._lookup_process is not None:
            await self._lookup_process.stop()

    def lookup_process(self) -> CardLookups | None:
        """The child process that looks cards up, where the database allows one."""
        if not lookups_in_a_process(self.sessions):
            return None
        if self._lookup_process is None:
            self._lookup_process = CardLookups(self.sessions)
        return self._lookup_process

    def show(self, screen: AgentConsole, event: DomainEvent) -> None:
        """Show one of POP_EVENTS."""
        if isinstance(event, AgentRinging):
            self.ringing(screen, event)
        elif isinstance(event, AgentDialled):
            self.dialling(screen, event)
        elif isinstance(event, AgentRingNoAnswer):
            self.ring_over(screen, event.linkedid)
        elif isinstance(event, CallAnswered):
            self.answered(screen, event)

    def routed(self, event: CallRouted) -> None:
        """The routing server's decision for a call, announced in this process (in one process
        before the PBX queues the caller): remembered for the call's pops, and shown on the
        cards that were looked up without it."""
        self.routes.add(event.uniqueid, event)
        for screen, call, pop in self.unrouted.take(event.uniqueid):
            self._route_found(screen, call, pop, event)

    def ringing(self, screen: AgentConsole, event: AgentRinging) -> None:
        call = LiveCall(
            server=event.server,
            linkedid=event.linkedid,
            uniqueid=event.uniqueid,
            queue=event.queue,
            caller_number=event.caller_number,
            caller_name=event.caller_name,
            waited_s=event.waited_s,
            rang_at=event.at,
            interface=event.interface,
        )
        self._pop(screen, call, event)

    def dialling(self, screen: AgentConsole, event: AgentDialled) -> None:
        """The agent's click-to-dial reaches the customer's number: pop them like a caller."""
        call = LiveCall(
            server=event.server,
            linkedid=event.linkedid,
            uniqueid=event.uniqueid,
            queue=None,
            caller_number=event.number,
            caller_name=None,
            waited_s=None,
            rang_at=event.at,
        )
        self._pop(screen, call, call)

    def _pop(self, screen: AgentConsole, call: LiveCall, event: AgentRinging | LiveCall) -> None:
        pending = bool(event.caller_number)
        screen.call = call
        screen.pop_html = pop_header(event, card_pending=pending)
        payload = {"call": call.public(), "html": screen.pop_html, "card_pending": pending}
        screen.pop_seq = self.hub.publish(screen.user_id, "pop", payload).seq
        if pending:
            self._spawn(self._card(screen, call, event, screen.pop_seq))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _card(
        self, screen: AgentConsole, call: LiveCall, event: AgentRinging | LiveCall, pop: int
    ) -> None:
        """Look the caller up, then send the card as the pop's second frame.

        In a child process (`lookup_process`), because the lookup is most of a pop's work
        and the loop must keep reading the PBX and sending pops meanwhile; in place for an
        in-memory database (`lookups_on_loop`). A failed lookup still sends a card frame
        (saying so), so the console never waits for one that will not come.
        """
        loop = asyncio.get_running_loop()
        self._cards_begun += 1
        key = (screen.user_id, pop)
        mine = self._latest_card[key] = self._cards_begun
        route = self.routes.get(call.linkedid)
        process = self.lookup_process()
        try:
            if process is not None:
                found: PopCard | None = await process.card(self.region, event, route)
            elif lookups_on_loop(self.sessions):
                found = build_card(self.sessions, self.region, event, route)
            else:
                found = await loop.run_in_executor(
                    self._lookups, build_card, self.sessions, self.region, event, route
                )
        except asyncio.CancelledError:
            self._card_done(key, mine)
            raise
        except Exception:
            log.exception("customer card for %s (call %s) failed", screen.username, call.linkedid)
            found = None
        if not self._card_done(key, mine):
            return  # a fresher card of this pop is on screen already
        if found is None:
            html = '<p class="error">The customer card could not be loaded.</p>'
        else:
            html = found.html
            call.matches = len(found.card.matches)
            if call.customer_id is None:  # the agent may have chosen or created one already
                call.customer_id = found.customer_id
            if call.offered_ticket is None:
                call.offered_ticket = found.offered_ticket
            if screen.call is call and screen.pop_seq == pop:
                screen.pop_html = found.pop_html
        payload = {"pop": pop, "linkedid": call.linkedid, "call": call.public(), "html": html}
        self.hub.publish(screen.user_id, "card", payload)
        if call.answered_at is not None:  # answered before the card came: link now
            self._link_offered(screen, call)
        if found is not None and route is None and call.queue is not None:
            heard = self.routes.get(call.linkedid)
            if heard is not None:  # announced while the card was looked up
                self._route_found(screen, call, pop, heard)
            elif self.hears_routes:
                self.unrouted.add(call.linkedid, (screen, call, pop))
            else:
                self._spawn(self._route_recheck(screen, call, pop))

    def _card_done(self, key: tuple[int, int], mine: int) -> bool:
        """Whether the lookup `mine` of pop `key` is the one to show (and forget it)."""
        latest = self._latest_card.get(key)
        if latest in (mine, SHOWN):
            del self._latest_card[key]
        return latest == mine

    async def _route_recheck(self, screen: AgentConsole, call: LiveCall, pop: int) -> None:
        """A moment after an inbound call's card was shown with no routing decision: when the
        routing server has stored one since, the card again (`_route_found`)."""
        await asyncio.sleep(self.route_recheck_s)
        if screen.call is not call or screen.pop_seq != pop:
            return
        process = self.lookup_process()
        try:
            if process is not None:
                decision = await process.decision(call.linkedid)
            elif lookups_on_loop(self.sessions):
                decision = stored_decision(self.sessions, call.linkedid)
            else:
                loop = asyncio.get_running_loop()
                decision = await loop.run_in_executor(
                    self._lookups, stored_decision, self.sessions, call.linkedid
                )
        except Exception:
            log.exception("routing decision of call %s could not be read", call.linkedid)
            return
        if decision is not None:
            self.routes.add(call.linkedid, decision)
            self._route_found(screen, call, pop, decision)

    def _route_found(
        self, screen: AgentConsole, call: LiveCall, pop: int, decision: RoutingFacts
    ) -> None:
        """A decision for a call whose card was shown without one: the card again, saying how
        the call came. The ticket the decision names is then the one offered, unless the agent
        chose already."""
        if screen.call is not call or screen.pop_seq != pop:
            return
        if call.answered_at is None and call.link_on_answer and decision.ticket_id is not None:
            call.offered_ticket = None  # offered again: the routed ticket comes first
        self._spawn(self._card(screen, call, call, pop))

    def ring_over(self, screen: AgentConsole, linkedid: str) -> None:
        call = screen.call
        if call is None or call.linkedid != linkedid or call.answered_at is not None:
            return
        screen.call, screen.pop_html, screen.pop_seq = None, None, None
        self.hub.publish(screen.user_id, "missed", {"linkedid": linkedid})

    def answered(self, screen: AgentConsole, event: CallAnswered) -> None:
        if screen.call is None or screen.call.linkedid != event.linkedid:
            return
        screen.call.answered_at = event.at
        self.hub.publish(screen.user_id, "answered", {"call": screen.call.public()})
        self._link_offered(screen, screen.call)

    def _link_offered(self, screen: AgentConsole, call: LiveCall) -> None:
        """Link the answered call to the ticket its pop offered, unless the agent said not to
        or linked it already."""
        if call.offered_ticket is None or not call.link_on_answer:
            return
        call.link_on_answer = False  # once: a later card or answer does not link again
        self._spawn(self._link(screen, call, call.offered_ticket))

    async def _link(self, screen: AgentConsole, call: LiveCall, ticket_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(
                self._lookups,
                link_offered_ticket,
                self.sessions,
                self.region,
                screen,
                call,
                self.routes.get(call.linkedid),
            )
        except Exception:
            log.exception("linking call %s to ticket %s failed", call.linkedid, ticket_id)
            return
        if found is not None:
            self.show_card(screen, call, found)

    def show_card(self, screen: AgentConsole, call: LiveCall, found: PopCard) -> bool:
        """The fresh card on every tab's pop of `call`, and on the pop a reload rebuilds.
        False when the call left the screen."""
        if screen.call is not call or screen.pop_seq is None:
            return False
        key = (screen.user_id, screen.pop_seq)
        if key in self._latest_card:  # a lookup begun before this change: not shown over it
            self._latest_card[key] = SHOWN
        call.matches = len(found.card.matches)
        if call.offered_ticket is None:  # the agent chose the caller among several
            call.offered_ticket = found.offered_ticket
        screen.pop_html = found.pop_html
        payload = {"pop": screen.pop_seq, "linkedid": call.linkedid, "call": call.public()}
        self.hub.publish(screen.user_id, "card", {**payload, "html": found.html})
        return True
