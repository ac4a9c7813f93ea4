"""A routing decision and the dialplan variables that carry it to the PBX."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from callcenter.agi.variables import ROUTE_VARIABLES


class Reason(StrEnum):
    """Which rule decided, as the dialplan and the console read it (ROUTE_REASON)."""

    BLOCKED = "blocked"  # a blacklisted customer: not queued
    CLOSED = "closed"  # the queue is closed: its overflow queue, or not queued
    RULE = "rule"  # an admin rule (ROUTE_RULE names it)
    VIP = "vip"  # category vip: a higher priority
    PREFERRED_AGENT = "preferred_agent"  # the customer's preferred agent is offered the call
    OPEN_TICKET = "open_ticket"  # the assignee of the caller's open ticket is offered it
    KNOWN = "known"  # the dialled number is a queue's: that queue
    UNKNOWN = "unknown"  # a number no queue has: the default queue
    FALLBACK = "fallback"  # something was slow or down: the default queue


# The variables the server always sets, in the order it sets them (docs/asterisk reads them).
VARIABLES = ROUTE_VARIABLES


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Where a call goes and why.

    `queue` empty: do not queue (blocked, or closed without an overflow). `preferred_member`
    is an agent's interface to offer the call to first, `preferred_username` who that is.
    `rule` names the admin rule that matched, or repeats the reason. `steps` say, in words,
    what each rule looked at (for `callcenter routing try`)."""

    queue: str
    reason: Reason
    priority: int = 0
    customer_id: int | None = None
    preferred_member: str | None = None
    preferred_username: str | None = None
    preferred_extension: str | None = None
    rule: str | None = None
    ticket_id: int | None = None
    min_penalty: int | None = None
    max_penalty: int | None = None
    steps: tuple[str, ...] = field(default=(), compare=False)

    @property
    def rule_name(self) -> str:
        """ROUTE_RULE: the admin rule's name, else the built-in reason."""
        return self.rule or str(self.reason)

    def variables(self) -> dict[str, str]:
        """Every dialplan variable, empty strings for what is not set."""
        return {
            "QUEUE": self.queue,
            "PRIORITY": str(self.priority),
            "CUSTOMER_ID": _text(self.customer_id),
            "PREFERRED_MEMBER": self.preferred_member or "",
            "ROUTE_REASON": str(self.reason),
            "QUEUE_PRIO": str(self.priority),
            "QUEUE_MAX_PENALTY": _text(self.max_penalty),
            "QUEUE_MIN_PENALTY": _text(self.min_penalty),
            "ROUTE_RULE": self.rule_name,
            "PREFERRED_EXTENSION": self.preferred_extension or "",
        }


def fallback(queue: str, why: str) -> RouteDecision:
    """The default queue, when no decision could be made in time."""
    return RouteDecision(queue=queue, reason=Reason.FALLBACK, steps=(why,))


def _text(value: int | None) -> str:
    return "" if value is None else str(value)
