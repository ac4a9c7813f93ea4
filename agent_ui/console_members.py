"""The console's own queue controls (sign in, sign out, pause, available), each reported done
only when app_queue's events say the agent moved."""

from __future__ import annotations

from collections.abc import Sequence

from agent_ui.member_watch import MemberEventWatch, confirmed, memberships
from agent_ui.pbx import ConsoleError, PbxControl


async def sign_in(
    pbx: PbxControl, interface: str, member_name: str | None, queues: Sequence[tuple[str, int]]
) -> list[str]:
    """QueueAdd the agent to each of `queues`; the queues they are in afterwards.

    A queue the PBX already lists them in (a dynamic member signed in before, or a static
    one: `PbxControl.sign_in` says why) needs no `QueueMemberAdded`; every other must see one.
    """
    if not queues:
        raise ConsoleError("you are not a member of any queue; ask a supervisor")
    listed = {m.queue: m for m in await memberships(pbx, interface)}
    expected = [queue for queue, _ in queues if queue not in listed]
    if not expected and all(m.dynamic for m in listed.values()):
        return [queue for queue, _ in queues]
    watch = MemberEventWatch(interface, "QueueMemberAdded", expected)
    joined: list[str] = []

    async def command() -> None:
        joined.extend(await pbx.sign_in(interface, member_name, queues))

    await confirmed(pbx, watch, command, "the sign-in")
    return joined


async def sign_out(pbx: PbxControl, interface: str, queues: Sequence[str]) -> None:
    """QueueRemove the agent from each of `queues` the PBX lists them in, confirmed by a
    `QueueMemberRemoved` for each dynamic one (static ones: `PbxControl.sign_out` says why)."""
    listed = {m.queue: m for m in await memberships(pbx, interface)}
    expected = [q for q in queues if q in listed and listed[q].dynamic]
    if not [q for q in queues if q in listed]:
        return  # in none of them: already where the agent wants to be
    watch = MemberEventWatch(interface, "QueueMemberRemoved", expected)
    await confirmed(
        pbx,
        watch,
        lambda: pbx.sign_out(interface, [q for q in queues if q in listed]),
        "the sign-out",
    )


async def pause(pbx: PbxControl, interface: str, reason: str) -> None:
    """Pause the agent with `reason` in every queue they are in, confirmed per queue."""
    queues = await memberships(pbx, interface)
    if not queues:
        raise ConsoleError("you are in no queue, so there is nothing to pause: sign in first")
    if all(q.paused and q.paused_reason == reason for q in queues):
        return  # already paused so: nothing to change
    watch = MemberEventWatch(interface, "QueueMemberPause", [q.queue for q in queues], paused=True)
    await confirmed(pbx, watch, lambda: pbx.pause(interface, reason), "the pause")


async def available(pbx: PbxControl, interface: str) -> None:
    """Unpause the agent in every queue they are paused in, confirmed per queue."""
    paused = [q.queue for q in await memberships(pbx, interface) if q.paused]
    if not paused:
        return  # the PBX already offers them calls
    watch = MemberEventWatch(interface, "QueueMemberPause", paused, paused=False)
    await confirmed(pbx, watch, lambda: pbx.unpause(interface), "the unpause")
