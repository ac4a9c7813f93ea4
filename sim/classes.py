"""Caller classes: VIP priority and skill needs per caller, and which member may answer whom.

Priorities follow app_queue's `QUEUE_PRIO`: a caller joins ahead of every caller of a lower
priority and behind those of the same or a higher one (FIFO within a priority). A caller who
needs a skill may be answered only by members with that skill, the highest level first (levels
as in the queue records: higher is stronger); `QUEUE_MIN_PENALTY` / `QUEUE_MAX_PENALTY` (set
by the routing server) leave out members whose penalty in the queue is outside the range.
"""

from __future__ import annotations

import numpy as np

from sim.distributions import index_stream, uniform_stream
from sim.scenario import Callers
from sim.state import SimAgent, SimCall

REGULAR, VIP = "regular", "vip"


class ClassDraws:
    """Draws each caller's class (VIP or not) and need, from streams of their own."""

    __slots__ = ("callers", "need", "pick_vip", "vip")

    def __init__(self, callers: Callers, rng: np.random.Generator) -> None:
        self.callers = callers
        self.vip = uniform_stream(rng.spawn(1)[0])
        self.need = uniform_stream(rng.spawn(1)[0])
        numbers = callers.vip_numbers
        self.pick_vip = index_stream(rng.spawn(1)[0], len(numbers)) if numbers else None

    def assign(self, call: SimCall) -> None:
        """Make the arriving caller a VIP (priority, maybe a VIP's number) and give its need."""
        callers = self.callers
        if callers.vip_share > 0 and self.vip() < callers.vip_share:
            call.caller_class = VIP
            call.priority = callers.vip_priority
            if self.pick_vip is not None:
                index = self.pick_vip()
                call.caller_number = callers.vip_numbers[index]
                call.caller_name = callers.vip_names[index] if callers.vip_names else None
        if callers.needs:
            draw = self.need()
            for skill, share in callers.needs:
                if draw < share:
                    call.need = skill
                    call.caller_class = f"{call.caller_class} {skill}"  # e.g. "vip lang:de"
                    break
                draw -= share


def restricted(call: SimCall) -> bool:
    """Whether only some members may answer this caller."""
    return call.need is not None or call.min_penalty is not None or call.max_penalty is not None


def penalty_for(call: SimCall, agent: SimAgent, queue_penalty: int) -> int | None:
    """The member's rank for this caller (lower is offered first), or None if it may not
    answer them: its queue penalty, or for a caller with a need minus its level in the skill."""
    if call.max_penalty is not None and queue_penalty > call.max_penalty:
        return None
    if call.min_penalty is not None and queue_penalty < call.min_penalty:
        return None
    need = call.need
    if need is None:
        return queue_penalty
    level = agent.skills.get(need)
    return None if level is None else -level


def join_in_order(waiting: dict[SimCall, None], call: SimCall) -> int:
    """Put `call` among the waiting callers by priority (FIFO within one); its position.

    The dict is changed in place (the engine's loops hold it).
    """
    priority = call.priority
    ahead = 0
    for other in waiting:
        if other.priority < priority:
            break
        ahead += 1
    if ahead == len(waiting):
        waiting[call] = None
        return ahead + 1
    behind = list(waiting)[ahead:]
    for other in behind:
        del waiting[other]
    waiting[call] = None
    for other in behind:
        waiting[other] = None
    return ahead + 1
