"""A supervisor's PBX commands on an agent, each done only when the PBX confirms it.

The console's own controls (`agent_ui.pbx.PbxControl`) send the commands; here each one is
watched until app_queue reports its effect: `QueueMemberPause` with the wanted `Paused`
for every queue the agent is in, `QueueMemberRemoved` for every queue left. A `Response:
Success` alone is not enough: it says the PBX took the command, not that the agent moved.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent_ui.member_watch import MemberEventWatch, confirmed, memberships
from agent_ui.pbx import ConsoleError, PbxControl


async def pause(pbx: PbxControl, interface: str, reason: str) -> list[str]:
    """Pause the agent in all their queues with `reason`; the queues the PBX paused."""
    queues = await memberships(pbx, interface)
    if not queues:
        raise ConsoleError("the agent is in no queue, so there is nothing to pause")
    if all(q.paused and q.paused_reason == reason for q in queues):
        raise ConsoleError(f"the agent is already paused ({reason}) in every queue")
    names = [q.queue for q in queues]
    watch = MemberEventWatch(interface, "QueueMemberPause", names, paused=True)
    await confirmed(pbx, watch, lambda: pbx.pause(interface, reason), "the pause")
    return names


async def unpause(pbx: PbxControl, interface: str) -> list[str]:
    """Make the agent available in every queue they are paused in; those queues."""
    queues = await memberships(pbx, interface)
    paused = [q.queue for q in queues if q.paused]
    if not paused:
        raise ConsoleError("the agent is not paused in any queue")
    watch = MemberEventWatch(interface, "QueueMemberPause", paused, paused=False)
    await confirmed(pbx, watch, lambda: pbx.unpause(interface), "the unpause")
    return paused


async def sign_out(pbx: PbxControl, interface: str, chosen: Iterable[str]) -> list[str]:
    """QueueRemove the agent from the `chosen` queues they are in; the queues left."""
    listed = {q.queue: q for q in await memberships(pbx, interface)}
    wanted = sorted(set(chosen) & listed.keys())
    if not wanted:
        raise ConsoleError("the agent is in none of those queues")
    static = [q for q in wanted if not listed[q].dynamic]
    if static:
        raise ConsoleError(
            f"the agent is a permanent member of {', '.join(static)} (set in the PBX's "
            "queues.conf): only the PBX's configuration can take them out"
        )
    watch = MemberEventWatch(interface, "QueueMemberRemoved", wanted)
    await confirmed(pbx, watch, lambda: pbx.sign_out(interface, wanted), "the sign-out")
    return wanted
