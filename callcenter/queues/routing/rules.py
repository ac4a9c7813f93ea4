"""Admin-defined routing rules: conditions on the call and the caller, actions on the route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from callcenter.queues.routing.facts import CallerFacts, LiveState, RouteRequest, dialed_digits

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Conditions:
    """When a rule applies: every condition given must hold (none given: always).

    `did`, `caller_prefix`, `digits`, `category`, `ticket_priority`: any of the listed values.
    `days` are weekdays (0 = Monday) and `time_from`-`time_to` the site's wall-clock time
    (`time_to` <= `time_from` runs over midnight). `field` is (customer field, value).
    `longest_wait_over_s`: the longest current wait of the queue the call is headed for."""

    did: tuple[str, ...] = ()
    caller_prefix: tuple[str, ...] = ()
    digits: tuple[str, ...] = ()
    days: tuple[int, ...] = ()
    time_from: time | None = None
    time_to: time | None = None
    category: tuple[str, ...] = ()
    field: tuple[str, str] | None = None
    ticket_priority: tuple[str, ...] = ()
    longest_wait_over_s: float | None = None


@dataclass(frozen=True, slots=True)
class Actions:
    """What a matching rule sets; None (or empty) leaves the built-in rules' choice.

    `overflow`: the call goes on to the (rule's or dialled) queue's overflow queue now."""

    queue: str | None = None
    priority: int | None = None
    overflow: bool = False
    skills: tuple[str, ...] = ()
    min_penalty: int | None = None
    max_penalty: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One admin rule; rules are tried by `position`, the first that matches applies."""

    name: str
    position: int
    conditions: Conditions
    actions: Actions
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything a condition may look at."""

    request: RouteRequest
    caller: CallerFacts
    queue: str
    live: LiveState
    zone: tzinfo


def first_match(rules: list[Rule], situation: Situation) -> Rule | None:
    """The first enabled rule, by position, whose conditions all hold."""
    for rule in sorted(rules, key=lambda r: (r.position, r.name)):
        if rule.enabled and matches(rule.conditions, situation):
            return rule
    return None


def matches(conditions: Conditions, situation: Situation) -> bool:
    """Whether every condition given holds in `situation` (the cheap ones first)."""
    request, caller, c = situation.request, situation.caller, conditions
    ticket = caller.open_ticket
    if c.did and not _did_matches(c.did, request.dialed):
        return False
    if c.caller_prefix and not _prefix_matches(c.caller_prefix, request.caller):
        return False
    if c.digits and request.digits not in c.digits:
        return False
    if c.category and caller.category not in c.category:
        return False
    if c.field is not None and not _field_matches(c.field, caller):
        return False
    if c.ticket_priority and (ticket is None or ticket.priority not in c.ticket_priority):
        return False
    if not _when_matches(c, request.at, situation.zone):
        return False
    if c.longest_wait_over_s is None:
        return True
    return situation.live.longest_wait_s(situation.queue, request.at) > c.longest_wait_over_s


def _did_matches(dids: tuple[str, ...], dialed: str) -> bool:
    wanted = dialed_digits(dialed)
    return bool(wanted) and any(dialed_digits(did) == wanted for did in dids)


def _prefix_matches(prefixes: tuple[str, ...], caller: str) -> bool:
    """A prefix with `+` compares with the number as presented; digits alone also compare
    with the number's digits (`+4930` matches `+49301234`, `030` matches `0301234`)."""
    shown = caller.strip()
    digits = dialed_digits(shown)
    return any(
        shown.startswith(prefix) or (prefix.isdigit() and digits.startswith(prefix))
        for prefix in prefixes
    )


def _field_matches(wanted: tuple[str, str], caller: CallerFacts) -> bool:
    name, value = wanted
    have = caller.fields.get(name)
    return have is not None and have.casefold() == value.casefold()


def _when_matches(conditions: Conditions, at: datetime, zone: tzinfo) -> bool:
    local = at.astimezone(zone)
    if conditions.days and local.weekday() not in conditions.days:
        return False
    start, end = conditions.time_from, conditions.time_to
    if start is None and end is None:
        return True
    now = local.time().replace(tzinfo=None)
    start = start or time(0)
    if end is None or end == time(0):
        return now >= start
    if end > start:
        return start <= now < end
    return now >= start or now < end  # over midnight
