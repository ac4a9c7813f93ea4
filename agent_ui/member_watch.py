"""Queue-member commands confirmed by app_queue's events, for the console and supervisors.

`Response: Success` to QueueAdd, QueueRemove or QueuePause says the PBX took the command,
not that the agent moved. Here each command is watched until app_queue reports its effect:
`QueueMemberAdded` / `QueueMemberRemoved` for every queue joined or left, `QueueMemberPause`
with the wanted `Paused` for every queue the agent is in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from agent_ui.pbx import ConsoleError, NoPbx, NotConfirmed, PbxControl
from callcenter.cti.frames import Frame
from callcenter.cti.protocol import CommandError

log = logging.getLogger(__name__)

# How long the PBX has to report a command's effect after accepting it.
CONFIRM_S = 5.0


@dataclass(frozen=True, slots=True)
class Membership:
    """One queue the PBX lists the agent in (QueueStatus' `QueueMember`)."""

    queue: str
    penalty: int
    paused: bool
    paused_reason: str
    dynamic: bool
    calls_taken: int


class MemberEventWatch:
    """Waits for `event` of `interface` in each of `queues` (any one queue when empty)."""

    def __init__(
        self, interface: str, event: str, queues: Iterable[str], paused: bool | None = None
    ) -> None:
        self.interface = interface
        self.event = event
        self.paused = paused
        self.pending = set(queues)
        self.any_queue = not self.pending
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def __call__(self, frame: Frame) -> None:
        if self.done.done() or frame.get("Event") != self.event:
            return
        if (frame.get("Interface") or frame.get("Location")) != self.interface:
            return
        if self.paused is not None and frame.get("Paused") != ("1" if self.paused else "0"):
            return
        self.pending.discard(frame.get("Queue") or "")
        if self.any_queue or not self.pending:
            self.done.set_result(None)

    async def wait(self, seconds: float) -> bool:
        """Whether every awaited event came within `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                await asyncio.shield(self.done)
        except TimeoutError:
            return False
        return True


async def memberships(pbx: PbxControl, interface: str) -> list[Membership]:
    """The queues the PBX lists `interface` in, with penalty and pause (QueueStatus)."""
    pbx = pbx.for_interface(interface)
    if pbx.connection is None:
        raise NoPbx("no PBX is connected, so the agent's queues are unknown")
    try:
        frames = await pbx.connection.request_list({"Action": "QueueStatus", "Member": interface})
    except CommandError as exc:
        raise ConsoleError(f"the PBX did not list the agent's queues: {exc}") from exc
    rows = []
    for frame in frames:
        if frame.get("Event") != "QueueMember":
            continue
        if (frame.get("Location") or frame.get("Interface")) != interface:
            continue
        rows.append(
            Membership(
                queue=frame.get("Queue") or "",
                penalty=_number(frame.get("Penalty")),
                paused=frame.get("Paused") == "1",
                paused_reason=frame.get("PausedReason") or "",
                dynamic=frame.get("Membership") != "static",
                calls_taken=_number(frame.get("CallsTaken")),
            )
        )
    return sorted(rows, key=lambda row: row.queue)


async def confirmed(
    pbx: PbxControl,
    watch: MemberEventWatch,
    command: Callable[[], Awaitable[object]],
    what: str,
) -> None:
    """Send `command` while `watch` reads the PBX's events; wait for its effect.

    A command that raises (a static member, say) still waits for what it did do, so the
    sentence it carries is true when the agent reads it.
    """
    pbx = pbx.for_interface(watch.interface)
    if pbx.connection is None:
        raise NoPbx("no PBX is connected to this server")
    with pbx.connection.watching(watch):
        try:
            await command()
        except ConsoleError:
            if watch.pending:
                await watch.wait(CONFIRM_S)
            raise
        if (not watch.pending and not watch.any_queue) or await watch.wait(CONFIRM_S):
            return
    missing = ", ".join(sorted(watch.pending)) or "any queue"
    log.warning("%s of %s: the PBX never reported it for %s", what, watch.interface, missing)
    raise NotConfirmed(
        f"the PBX accepted {what} but did not report it done within {CONFIRM_S:g} s "
        f"(no {watch.event} for {missing})"
    )


def _number(value: str | None) -> int:
    with contextlib.suppress(ValueError, TypeError):
        return int(value or 0)
    return 0
