"""An agent's console: the call on screen over the agent's presence, and the pop card."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.render import fragment
from agent_ui.route_note import RoutingFacts, route_note
from callcenter.calls.records import AgentState
from callcenter.db import utc_now
from callcenter.events import AgentRinging
from callcenter.queues.presence import AgentPresence
from callcenter.queues.routing.store import StoredDecision, decision_for_call
from callcenter.queues.wrap_up import WrapUp
from callcenter.users.models import User
from crm.access import editor_of
from crm.exceptions import CrmError
from crm.lookup.offer import TicketOffer, linked_tickets, offered_ticket
from crm.lookup.schemas import LookupCard
from crm.lookup.service import lookup
from crm.tickets.schemas import CallRef
from crm.tickets.service import link_call

log = logging.getLogger(__name__)


@dataclass
class LiveCall:
    """The call on an agent's screen: from the ring until the agent finishes wrap-up."""

    server: str
    linkedid: str
    uniqueid: str
    queue: str | None  # None: the agent's own outbound call; "": a caller rang the phone directly
    caller_number: str | None  # of an outbound call: the customer dialled
    caller_name: str | None
    waited_s: float | None
    rang_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    customer_id: int | None = None
    matches: int = 0
    held: bool = False  # the PBX reports the caller on hold (the console's Hold or the phone's)
    consulting: str | None = None  # the target of an attended transfer under way
    # The caller's open ticket the pop offers first; the call is linked to it on answer
    # unless the agent links another, opens a new one or says not to (`link_on_answer`).
    offered_ticket: int | None = None
    link_on_answer: bool = True
    interface: str | None = None  # the agent's device the call rang

    @property
    def direction(self) -> str:
        """inbound (from a queue) or outbound (the agent dialled)."""
        return "inbound" if self.queue is not None else "outbound"

    @property
    def origin(self) -> str:
        """Where the call came from, in words: `queue support`, `direct` or `outbound`."""
        if self.queue is None:
            return "outbound"
        return f"queue {self.queue}" if self.queue else "direct"

    def summary(self) -> str:
        """One line for a ticket about this call."""
        number = self.caller_number or "unknown"
        if self.queue is None:
            return f"Outbound call to {number}."
        if not self.queue:
            return f"Caller {number} rang the agent's phone directly."
        return f"Caller {number} in queue {self.queue}."

    def public(self) -> dict[str, Any]:
        """The call as the console's JSON sees it."""
        return {
            "server": self.server,
            "linkedid": self.linkedid,
            "queue": self.queue,
            "direction": self.direction,
            "caller_number": self.caller_number,
            "caller_name": self.caller_name,
            "waited_s": self.waited_s,
            "rang_at": self.rang_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "customer_id": self.customer_id,
            "held": self.held,
            "consulting": self.consulting,
        }


@dataclass
class AgentConsole:
    """One agent's console: the call on screen and the pop, over the agent's live presence.

    The agent's state is the presence's (the PBX's word), shown as wrap-up while the
    console's wrap-up runs; `since` is when the console started showing it (wall-clock time
    at the console: a simulated PBX may run faster).
    """

    user_id: int
    username: str
    interface: str
    wrap_up: WrapUp
    presence: AgentPresence | None = None
    # What the console asked the PBX for and shows until the PBX reports anything.
    asked: tuple[AgentState, str | None] | None = None
    shown: tuple[AgentState, str | None] = (AgentState.LOGGED_OUT, None)
    since: datetime = field(default_factory=utc_now)
    call: LiveCall | None = None
    # The previous call stays reachable for notes and tickets written after wrap-up.
    last_call: LiveCall | None = None
    pop_html: str | None = None
    # The sequence number of the pop frame on screen: its card frame names it, so a card
    # that arrives after the next ring (or after a missed call) is never shown on it.
    pop_seq: int | None = None
    wrap_timer: asyncio.Task[None] | None = None

    def state(self) -> tuple[AgentState, str | None]:
        """The state and reason to show: the wrap-up while it runs, else the PBX's."""
        if self.wrap_up.active:
            return AgentState.WRAP_UP, self.wrap_up.reason
        if self.asked is not None:
            return self.asked
        if self.presence is None:
            return AgentState.LOGGED_OUT, None
        return self.presence.state, self.presence.reason

    def public(self) -> dict[str, Any]:
        """State, reason, time in state and the call, as sent to consoles."""
        state, reason = self.shown
        until = self.wrap_up.until
        return {
            "state": state.value,
            "reason": reason,
            "since": self.since.isoformat(),
            "queues": sorted(self.presence.queues) if self.presence else [],
            "wrap_up_until": until.isoformat() if until else None,
            "call": self.call.public() if self.call else None,
        }


def pop_header(event: AgentRinging | LiveCall, *, card_pending: bool) -> str:
    """The pop as the PBX describes the call (caller, queue, wait), before any lookup.

    Built on the event loop the moment the phone rings; the customer card follows in its
    own frame (`card_pending`) when the caller's number has to be looked up.
    """
    return fragment("_pop.html", event=event, card=None, card_pending=card_pending)


@dataclass(frozen=True, slots=True)
class PopCard:
    """The customer card of a ringing call: the lookup, its HTML, and the whole pop's HTML;
    the open ticket it offers first and the tickets the call is linked to already."""

    card: LookupCard
    html: str
    pop_html: str
    offered_ticket: int | None = None
    linked: frozenset[int] = frozenset()

    @property
    def customer_id(self) -> int | None:
        """The customer when exactly one has the number (several: the agent chooses)."""
        matches = self.card.matches
        return matches[0].customer.id if len(matches) == 1 else None


def _routed_ticket(card: LookupCard, decision: RoutingFacts | None) -> int | None:
    """The open ticket routing chose the agent by, when the card lists it."""
    if decision is None or decision.ticket_id is None:
        return None
    listed = {t.id for match in card.matches for t in match.open_tickets}
    return decision.ticket_id if decision.ticket_id in listed else None


def build_card(
    sessions: sessionmaker[Session],
    region: str,
    event: AgentRinging | LiveCall,
    route: RoutingFacts | None = None,
) -> PopCard:
    """Look up the caller's number (blocking database work: run it off the event loop)."""
    with sessions() as session:
        return card_of(session, region, event, route)


def stored_decision(sessions: sessionmaker[Session], linkedid: str) -> StoredDecision | None:
    """The call's routing decision as stored (blocking database work)."""
    with sessions() as session:
        return decision_for_call(session, linkedid)


def card_of(
    session: Session,
    region: str,
    event: AgentRinging | LiveCall,
    route: RoutingFacts | None = None,
) -> PopCard:
    """The card as `session` sees the customers now (after an agent's change, uncommitted).

    `route`: the call's routing decision as the routing server announced it, when this
    process heard it (it is stored a moment after the caller has it: the phone may ring
    first); else the stored one is read.
    """
    number = event.caller_number
    if not number:
        raise ValueError("a call without a caller number has no card to look up")
    card = lookup(session, number, region)
    decision = route if route is not None else decision_for_call(session, event.linkedid)
    note = route_note(decision, card, event.interface)
    chosen = getattr(event, "customer_id", None)
    routed = _routed_ticket(card, decision)
    offered = getattr(event, "offered_ticket", None) or routed or offered_ticket(card, chosen)
    # A ringing call has no links yet; once on screen, the agent's changes may add some.
    ringing = isinstance(event, AgentRinging)
    linked = frozenset() if ringing else linked_tickets(session, event.server, event.linkedid)
    offer = TicketOffer(
        ticket_id=offered,
        linked=linked,
        on_answer=getattr(event, "link_on_answer", True) and offered not in linked,
        answered=getattr(event, "answered_at", None) is not None,
    )
    html = fragment("_pop_card.html", event=event, card=card, offer=offer, route=note)
    # The card's markup is the template's own output, escaped there.
    pop_html = fragment("_pop.html", event=event, card_html=Markup(html))
    return PopCard(card=card, html=html, pop_html=pop_html, offered_ticket=offered, linked=linked)


def link_offered_ticket(
    sessions: sessionmaker[Session],
    region: str,
    screen: AgentConsole,
    call: LiveCall,
    route: RoutingFacts | None = None,
) -> PopCard | None:
    """Link the answered `call` to the ticket its pop offered, as the agent (blocking database
    work: run it off the event loop); the fresh card, or None when the agent may not change
    that ticket (the card keeps offering its Link button, which says why)."""
    if call.offered_ticket is None:
        return None
    with sessions() as session, session.begin():
        user = session.get(User, screen.user_id)
        if user is None:
            return None
        try:
            link_call(
                session,
                call.offered_ticket,
                CallRef(server=call.server, linkedid=call.linkedid),
                screen.username,
                editor=editor_of(session, user),
            )
        except CrmError as exc:
            log.info("call %s not linked to ticket %s: %s", call.linkedid, call.offered_ticket, exc)
            return None
        return card_of(session, region, call, route) if call.caller_number else None
