"""What the pop says about how the call was routed ("VIP", "your customer", "open ticket")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from callcenter.queues.routing.decision import Reason
from crm.lookup.schemas import LookupCard


class RoutingFacts(Protocol):
    """What a pop reads of a call's routing decision: the stored row
    (`StoredDecision`) or the routing server's event (`CallRouted`) before it is stored."""

    @property
    def dialed(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def preferred_member(self) -> str | None: ...
    @property
    def preferred_username(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def rule(self) -> str | None: ...
    @property
    def ticket_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class RouteNote:
    """One line on the pop: the routing reason as a word, and the sentence shown."""

    reason: str
    text: str


def route_note(
    decision: RoutingFacts | None, card: LookupCard | None, interface: str | None
) -> RouteNote | None:
    """The pop's line for `decision` as seen by the agent on `interface`; None for plain
    routing (a queue's number, the default queue, no decision)."""
    if decision is None:
        return None
    mine = decision.preferred_member is not None and decision.preferred_member == interface
    who = decision.preferred_username or decision.preferred_member or "another agent"
    reason = decision.reason
    if reason == Reason.VIP:
        text = "VIP caller: answered before the others"
    elif reason == Reason.PREFERRED_AGENT:
        text = "Your customer: routed to you first" if mine else f"Preferred agent: {who}"
    elif reason == Reason.OPEN_TICKET:
        ticket = _ticket_number(card, decision.ticket_id)
        text = (
            f"Open ticket {ticket}: routed to you, its assignee"
            if mine
            else f"Open ticket {ticket} (assigned to {who})"
        )
    elif reason == Reason.RULE:
        text = f"Routed by rule {decision.rule}"
    elif reason == Reason.CLOSED:
        text = f"The queue for {decision.dialed} is closed: sent to {decision.queue}"
    elif reason == Reason.FALLBACK:
        text = "Routing did not answer in time: the default queue took the call"
    else:
        return None
    return RouteNote(reason=str(reason), text=text)


def _ticket_number(card: LookupCard | None, ticket_id: int | None) -> str:
    for match in card.matches if card is not None else []:
        for ticket in match.open_tickets:
            if ticket.id == ticket_id:
                return ticket.number or f"#{ticket.id}"
    return f"#{ticket_id}" if ticket_id is not None else ""
