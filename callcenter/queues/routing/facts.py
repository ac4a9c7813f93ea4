"""What routing decides on: the call asked about, the caller as the CRM knows them, the queues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from callcenter.queues.directory import QueueInfo, QueueMember
from callcenter.queues.numbers import number_variants


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """One FastAGI `route` request: who calls, which number they dialled, the IVR's digits.

    `at` is when the request arrived (UTC); `uniqueid`/`channel` name the caller's channel.
    """

    caller: str
    dialed: str
    at: datetime
    digits: str = ""
    caller_name: str = ""
    uniqueid: str = ""
    channel: str = ""


@dataclass(frozen=True, slots=True)
class TicketFact:
    """The caller's most recently updated open ticket."""

    id: int
    number: str | None
    priority: str
    assignee: str | None


@dataclass(frozen=True, slots=True)
class CallerFacts:
    """What the CRM knows about a calling number.

    `customer_id` is None when nobody or more than one customer has the number
    (`ambiguous` then says which). `fields` are the customer's plain fields (industry,
    country, city, credit_rating, kind, code) by name, for admin rules; `needs` skills the
    customer needs (e.g. `lang:de`)."""

    customer_id: int | None = None
    ambiguous: bool = False
    blacklisted: bool = False
    category: str | None = None
    preferred_agent: str | None = None
    open_ticket: TicketFact | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()


UNKNOWN_CALLER = CallerFacts()


class OpeningHours(Protocol):
    """A business-hours calendar: is it open at an instant (UTC)?"""

    def is_open(self, at: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class Directory:
    """Every queue with its numbers, members and the agents' skills, read at once.

    Queue records change when an admin edits them, so the server keeps one of these for a few
    seconds instead of reading them for every call. `hours` are the business-hours calendars
    by id."""

    queues: Mapping[str, QueueInfo] = field(default_factory=dict)
    members: Mapping[str, Sequence[QueueMember]] = field(default_factory=dict)
    skills: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    hours: Mapping[int, OpeningHours] = field(default_factory=dict)

    def queue_for_number(self, dialed: str) -> QueueInfo | None:
        """The queue `dialed` leads to, in any form a PBX presents it (`+4930123`,
        `4930123`, `004930123`), as callcenter.queues.directory.queue_for_number reads it."""
        by_number = {number: queue for queue in self.queues.values() for number in queue.numbers}
        return next((by_number[v] for v in number_variants(dialed) if v in by_number), None)

    def member(self, queue: str, username: str) -> QueueMember | None:
        """`username`'s membership of `queue`, if they have one."""
        return next((m for m in self.members.get(queue, ()) if m.username == username), None)

    def is_open(self, queue: QueueInfo, at: datetime) -> bool:
        """Whether `queue` takes calls at `at`: switched on and within its business hours
        (a calendar id that is not known counts as always open)."""
        if not queue.open:
            return False
        if queue.business_hours_id is None:
            return True
        hours = self.hours.get(queue.business_hours_id)
        return hours is None or hours.is_open(at)


def dialed_digits(number: str) -> str:
    """`number` as digits only: `+49 30 123` and `4930123` are the same DID."""
    return "".join(ch for ch in number if ch.isdigit())


class CrmFacts(Protocol):
    """The CRM side of routing (implemented in crm.lookup.caller_facts)."""

    def caller(self, number: str) -> CallerFacts:
        """What the CRM knows about `number` as the PBX presents it."""
        ...

    def directory(self) -> Directory:
        """The queues, their members, the agents' skills and the calendars, now."""
        ...


@dataclass(frozen=True, slots=True)
class AgentLive:
    """An agent's live state as routing needs it."""

    signed_in: bool
    paused: bool
    queues: frozenset[str] = frozenset()


class LiveState(Protocol):
    """What is true on the PBX right now (callcenter.queues.presence.Presence gives it)."""

    def agent_by_interface(self, interface: str) -> AgentLive | None:
        """The live state of the agent on `interface`, None when the PBX never reported it."""
        ...

    def longest_wait_s(self, queue: str, at: datetime) -> float:
        """Seconds the longest-waiting caller of `queue` has waited at `at` (0: nobody)."""
        ...
