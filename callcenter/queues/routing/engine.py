"""The routing decision: built-in rules and admin rules over facts, no I/O (microseconds).

The order, as the README states it:
1. blocked: a blacklisted customer is not queued (no admin rule overrides it);
2. the queue: the dialled number's queue (`known`), else the default queue (`unknown`);
3. admin rules, first match by position: may set the queue, the priority, the overflow,
   skills or penalties (`rule`);
4. closed: a queue switched off or outside its business hours sends the call to its
   overflow queue (following overflows while they are closed too), else nowhere (`closed`);
5. vip: category vip gets priority 10 (unless a rule set the priority);
6. preferred member: the customer's preferred agent, else the assignee of their most recently
   updated open ticket, when a member of the chosen queue, signed in and not paused;
7. skills: what the caller needs (rule, customer, IVR digits) bounds the members' penalties.
The reason is the first of blocked, closed, rule, vip, preferred_agent, open_ticket, known,
unknown that applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo

from callcenter.queues.routing.decision import Reason, RouteDecision
from callcenter.queues.routing.facts import (
    CallerFacts,
    Directory,
    LiveState,
    QueueMember,
    RouteRequest,
)
from callcenter.queues.routing.rules import Actions, Rule, Situation, first_match

VIP_PRIORITY = 10


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Site settings the decision depends on."""

    default_queue: str = "support"
    vip_category: str = "vip"
    vip_priority: int = VIP_PRIORITY
    zone: tzinfo = UTC


@dataclass(frozen=True, slots=True)
class Preferred:
    """The agent offered the call first, and why."""

    member: QueueMember
    reason: Reason
    ticket_id: int | None


def decide(
    request: RouteRequest,
    caller: CallerFacts,
    directory: Directory,
    rules: Sequence[Rule],
    live: LiveState,
    config: RoutingConfig,
) -> RouteDecision:
    """Where the call of `request` goes, and why."""
    steps: list[str] = []
    if caller.blacklisted:
        steps.append(f"customer {caller.customer_id} is blacklisted: not queued")
        return RouteDecision("", Reason.BLOCKED, customer_id=caller.customer_id, steps=tuple(steps))
    record = directory.queue_for_number(request.dialed)
    queue = record.name if record else config.default_queue
    base = Reason.KNOWN if record else Reason.UNKNOWN
    steps.append(
        f"{request.dialed!r} is a number of queue {queue}"
        if record
        else f"{request.dialed!r} is no queue's number: the default queue {queue}"
    )
    rule = first_match(list(rules), Situation(request, caller, queue, live, config.zone))
    actions = rule.actions if rule else Actions()
    if rule:
        steps.append(f"rule {rule.name!r} matched")
        queue = actions.queue or queue
        if actions.overflow:
            queue = _overflow_of(queue, directory, steps)
    queue, closed = _open_queue(queue, directory, request, steps)
    priority, vip = _priority(caller, actions, config, steps)
    preferred = _preferred(caller, queue, directory, live, steps) if queue else None
    low, high = _penalties(request, caller, actions, queue, directory, steps)
    reasons = (
        (closed, Reason.CLOSED),
        (rule is not None, Reason.RULE),
        (vip, Reason.VIP),
        (preferred is not None, preferred.reason if preferred else base),
    )
    reason = next((r for applied, r in reasons if applied), base)
    member = preferred.member if preferred else None
    return RouteDecision(
        queue=queue,
        reason=reason,
        priority=priority,
        customer_id=caller.customer_id,
        preferred_member=member.interface if member else None,
        preferred_username=member.username if member else None,
        preferred_extension=member.extension if member else None,
        rule=rule.name if rule else None,
        ticket_id=preferred.ticket_id if preferred else None,
        min_penalty=low,
        max_penalty=high,
        steps=tuple(steps),
    )


def _overflow_of(queue: str, directory: Directory, steps: list[str]) -> str:
    record = directory.queues.get(queue)
    if record is None or not record.overflow:
        steps.append(f"queue {queue} has no overflow queue: it stays")
        return queue
    steps.append(f"to {queue}'s overflow queue {record.overflow}")
    return record.overflow


def _open_queue(
    queue: str, directory: Directory, request: RouteRequest, steps: list[str]
) -> tuple[str, bool]:
    """The first open queue along `queue`'s overflows ("" if none) and whether `queue`
    itself was closed. A queue without a record is open."""
    seen: set[str] = set()
    current: str | None = queue
    while current and current not in seen:
        seen.add(current)
        record = directory.queues.get(current)
        if record is None or directory.is_open(record, request.at):
            if current != queue:
                steps.append(f"queue {queue} is closed: its overflow {current}")
            return current, current != queue
        why = "switched off" if not record.open else "outside its business hours"
        steps.append(f"queue {current} is {why}")
        current = record.overflow
    steps.append(f"queue {queue} is closed and no open overflow queue: not queued")
    return "", True


def _priority(
    caller: CallerFacts, actions: Actions, config: RoutingConfig, steps: list[str]
) -> tuple[int, bool]:
    if actions.priority is not None:
        steps.append(f"priority {actions.priority} from the rule")
        return actions.priority, False
    if caller.category is not None and caller.category == config.vip_category:
        steps.append(f"category {caller.category}: priority {config.vip_priority}")
        return config.vip_priority, True
    return 0, False


def _preferred(
    caller: CallerFacts, queue: str, directory: Directory, live: LiveState, steps: list[str]
) -> Preferred | None:
    ticket = caller.open_ticket
    candidates = [
        (caller.preferred_agent, Reason.PREFERRED_AGENT, None),
        (ticket.assignee if ticket else None, Reason.OPEN_TICKET, ticket.id if ticket else None),
    ]
    for username, reason, ticket_id in candidates:
        if not username:
            continue
        member = directory.member(queue, username)
        if member is None or not member.interface:
            steps.append(f"{reason} {username} is no member of {queue} with a phone")
            continue
        state = live.agent_by_interface(member.interface)
        if state is None or not state.signed_in or (state.queues and queue not in state.queues):
            steps.append(f"{reason} {username} is not signed in to {queue}")
            continue
        if state.paused:
            steps.append(f"{reason} {username} is paused")
            continue
        steps.append(f"{reason} {username} ({member.interface}) is offered the call first")
        return Preferred(member, reason, ticket_id)
    return None


def needs_of(request: RouteRequest, caller: CallerFacts, actions: Actions) -> tuple[str, ...]:
    """The skills the caller needs: the rule's, else the customer's, else the IVR digits
    when they name skills (`lang:de`, `lang:de=2,product:billing`)."""
    if actions.skills:
        return actions.skills
    if caller.needs:
        return caller.needs
    if ":" in request.digits:
        return tuple(part.strip() for part in request.digits.split(",") if part.strip())
    return ()


def parse_need(need: str) -> tuple[str, int]:
    """`lang:de=2` -> ("lang:de", 2); without a level, 1."""
    name, _, level = need.partition("=")
    return name.strip(), int(level) if level.strip().isdigit() else 1


def _penalties(
    request: RouteRequest,
    caller: CallerFacts,
    actions: Actions,
    queue: str,
    directory: Directory,
    steps: list[str],
) -> tuple[int | None, int | None]:
    if actions.min_penalty is not None or actions.max_penalty is not None:
        steps.append(f"penalties {actions.min_penalty}..{actions.max_penalty} from the rule")
        return actions.min_penalty, actions.max_penalty
    needs = needs_of(request, caller, actions)
    if not needs or not queue:
        return None, None
    wanted = [parse_need(need) for need in needs]
    skilled = [
        member.penalty
        for member in directory.members.get(queue, ())
        if all(directory.skills.get(member.username, {}).get(s, 0) >= lvl for s, lvl in wanted)
    ]
    if not skilled:
        steps.append(f"nobody in {queue} has {', '.join(needs)}: any member")
        return None, None
    steps.append(f"needs {', '.join(needs)}: members with penalty {min(skilled)}..{max(skilled)}")
    return min(skilled), max(skilled)
