"""Which agent gets a caller, and which caller a free agent gets (app_queue's strategies)."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from sim.classes import penalty_for, restricted
from sim.scenario import Strategy
from sim.state import CallPhase, SimAgent, SimCall, SimQueue
from sim.timeline import Event

_last_call_end = attrgetter("last_call_end")
QUEUED = CallPhase.QUEUED
LEASTRECENT, RINGALL = Strategy.LEASTRECENT, Strategy.RINGALL


def pick_agents(
    queue: SimQueue, pick_index: Callable[[int], int], call: SimCall | None = None
) -> list[SimAgent]:
    """The member(s) to ring for `call` (the next caller of `queue`), or [] if nobody is free.

    Only free members with the lowest penalty among the free ones are considered, as app_queue
    does; for a caller with a need or a penalty range, only the members who may answer them,
    by their penalty for that caller (`sim.classes`). ringall returns all of them; rrmemory
    continues after the member rung last; linear always starts from the first member;
    leastrecent takes the one whose last call ended longest ago; fewestcalls the one with the
    fewest calls answered in this queue; random any.
    """
    available = queue.available
    if not available:
        return []
    members = queue.members
    candidates: list[SimAgent] | dict[SimAgent, None] = available
    if call is not None and queue.ranked and restricted(call):
        candidates = _allowed(call, available, members)
        if not candidates:
            return []
    elif queue.penalties_differ and len(available) > 1:
        lowest = min(members[a] for a in available)
        if any(members[a] != lowest for a in available):
            candidates = [a for a in available if members[a] == lowest]
    strategy = queue.spec.strategy
    if strategy is LEASTRECENT:
        return [min(candidates, key=_last_call_end)]
    if strategy is RINGALL:
        return list(candidates)
    if strategy is Strategy.RRMEMORY or strategy is Strategy.LINEAR:
        order = queue.member_order
        count = len(order)
        start = queue.rr_next if strategy is Strategy.RRMEMORY else 0
        for step in range(count):
            index = (start + step) % count
            agent = order[index]
            if agent in candidates:
                queue.rr_next = index + 1
                return [agent]
        return []  # unreachable while `available` only holds members
    if strategy is Strategy.FEWESTCALLS:
        name = queue.name
        return [min(candidates, key=lambda a: a.calls_by_queue.get(name, 0))]
    pool = list(candidates)  # random
    return [pool[pick_index(len(pool))]]


def _allowed(
    call: SimCall, available: dict[SimAgent, None], members: dict[SimAgent, int]
) -> list[SimAgent]:
    """The free members who may answer `call`, those with its lowest penalty only."""
    scored = [(penalty_for(call, a, members[a]), a) for a in available]
    allowed = [(p, a) for p, a in scored if p is not None]
    if not allowed:
        return []
    lowest = min(p for p, _ in allowed)
    return [a for p, a in allowed if p == lowest]


def first_answers_alone(
    queue: SimQueue, agents: list[SimAgent], heap: list[Event], now: float
) -> bool:
    """Whether ringing `agents` (ringall) comes to the first one answering at once, alone.

    So it is when they all answer at once (no ring delay, never ring out) and nothing else is
    due now (it would come before the answer), and they are all of the queue's free agents
    and serve it alone: freed again at once, they go back to its free list in the same order.
    """
    if heap and heap[0][0] <= now:
        return False
    if len(agents) != len(queue.available):
        return False
    return all(agent.answers_at_once and len(agent.memberships) == 1 for agent in agents)


def pick_call(agent: SimAgent, queues: dict[str, SimQueue]) -> SimCall | None:
    """The waiting caller a newly free agent takes, or None.

    Across the agent's queues (those it is logged in to and not paused in), the head caller
    that can be offered now is compared by queue weight (higher first), the agent's penalty in
    that queue (lower first), then by the time it entered the queue (earlier first).
    """
    memberships = agent.memberships
    if len(memberships) == 1 and not agent.paused:  # the common case, without comparing
        for name in memberships:
            queue = queues[name]
            return _first_offerable(queue, agent) if queue.waiting else None
    best: SimCall | None = None
    best_key: tuple[int, int, float] | None = None
    paused = agent.paused
    for name, penalty in memberships.items():
        if name in paused:
            continue
        queue = queues[name]
        if not queue.waiting:
            continue
        head = _first_offerable(queue, agent)
        if head is None:
            continue
        key = (-queue.spec.weight, penalty, head.entered_at)
        if best_key is None or key < best_key:
            best, best_key = head, key
    return best


def _first_offerable(queue: SimQueue, agent: SimAgent) -> SimCall | None:
    if not queue.ranked:
        for call in queue.waiting:
            if call.phase is QUEUED:
                return call
        return None
    penalty = queue.members.get(agent, 0)
    for call in queue.waiting:
        if call.phase is QUEUED and (
            not restricted(call) or penalty_for(call, agent, penalty) is not None
        ):
            return call
    return None


def position_in(queue: SimQueue, call: SimCall) -> int:
    """1-based place of `call` among the callers in `queue` (for exit positions)."""
    for place, waiting in enumerate(queue.waiting, start=1):
        if waiting is call:
            return place
    return len(queue.waiting) + 1
