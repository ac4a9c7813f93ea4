"""What the console asks of the PBX: queue sign-in, pauses, click-to-dial, transfers, hangup."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from callcenter.cti import actions
from callcenter.cti.connection import AmiConnection
from callcenter.cti.protocol import CommandError

log = logging.getLogger(__name__)


class ConsoleError(Exception):
    """A console action that cannot be done; the sentence is shown to the agent."""

    status_code = 409


class NoPbx(ConsoleError):
    """No PBX is connected, so nothing can be sent to it."""

    status_code = 503


class CallChannels(Protocol):
    """Who knows the channels of the calls in flight (the CTI tracker)."""

    def agent_channel(self, interface: str, linkedid: str | None) -> str | None:
        """The agent's own leg of the call `linkedid` (else of what is on their phone)."""
        ...


class PbxControl:
    """The agent-facing PBX commands, on one AMI connection (the CTI adapter's own).

    Every method raises ConsoleError with a sentence the agent can act on; the PBX then
    reports the change back as events, which is what the console shows.
    """

    def __init__(
        self,
        connection: AmiConnection | None,
        dial_context: str,
        calls: CallChannels | None = None,
    ) -> None:
        self.connection = connection
        self.dial_context = dial_context
        self.calls = calls

    def _pbx(self) -> AmiConnection:
        if self.connection is None:
            raise NoPbx("no PBX is connected to this console server")
        return self.connection

    async def sign_in(
        self, interface: str, member_name: str | None, queues: Sequence[tuple[str, int]]
    ) -> list[str]:
        """QueueAdd the agent's interface to each of their queues; the queues joined."""
        if not queues:
            raise ConsoleError("you are not a member of any queue; ask a supervisor")
        joined = []
        for queue, penalty in queues:
            await self._run(
                actions.add_queue_member(
                    self._pbx(),
                    queue=queue,
                    interface=interface,
                    member_name=member_name,
                    penalty=penalty,
                ),
                f"sign in to {queue}",
                tolerate="already there",
            )
            joined.append(queue)
        return joined

    async def sign_out(self, interface: str, queues: Sequence[str]) -> None:
        """QueueRemove the agent's interface from each queue."""
        for queue in queues:
            await self._run(
                actions.remove_queue_member(self._pbx(), queue=queue, interface=interface),
                f"sign out of {queue}",
                tolerate="not there",
            )

    async def pause(self, interface: str, reason: str) -> None:
        """Pause the agent in all their queues with `reason`."""
        await self._run(
            actions.pause_member(self._pbx(), interface=interface, reason=reason), "pause"
        )

    async def unpause(self, interface: str) -> None:
        """Make the agent available in all their queues."""
        await self._run(actions.unpause_member(self._pbx(), interface=interface), "unpause")

    async def paused_since(self, interface: str, reason: str) -> datetime | None:
        """When the PBX paused `interface` with `reason` (QueueStatus' `LastPause`), or None
        when it is not paused so or cannot say (no PBX, no answer, no time)."""
        if "\r" in interface or "\n" in interface:
            return None
        try:
            frames = await self._pbx().request_list({"Action": "QueueStatus", "Member": interface})
        except (ConsoleError, CommandError) as exc:
            log.info("could not ask the PBX since when %s is paused: %s", interface, exc)
            return None
        stamps: list[int] = []
        for frame in frames:
            location = frame.get("Location") or frame.get("Interface")
            if frame.get("Event") != "QueueMember" or location != interface:
                continue
            if frame.get("Paused") != "1" or frame.get("PausedReason") != reason:
                continue
            with contextlib.suppress(ValueError):
                stamps.append(int(frame.get("LastPause") or 0))
        latest = max(stamps, default=0)
        return datetime.fromtimestamp(latest, UTC) if latest > 0 else None

    async def dial(self, interface: str, number: str, caller_id: str | None = None) -> None:
        """Click-to-dial: ring the agent's phone, then call `number`."""
        await self._run(
            actions.originate(
                self._pbx(),
                interface=interface,
                number=number,
                context=self.dial_context,
                caller_id=caller_id,
            ),
            f"dial {number}",
        )

    def agent_channel(self, interface: str, linkedid: str | None = None) -> str:
        """The agent's own leg of the call on screen (`linkedid`), as the tracker knows it."""
        self._pbx()
        channel = self.calls.agent_channel(interface, linkedid) if self.calls else None
        if channel is None:
            raise ConsoleError("you have no call on your phone right now")
        return channel

    async def hangup(self, interface: str, linkedid: str | None = None) -> None:
        """Hang up the agent's leg of the call (during a consultation: completes the transfer)."""
        channel = self.agent_channel(interface, linkedid)
        await self._run(actions.hangup(self._pbx(), channel=channel, cause=16), "hang up")

    async def blind_transfer(self, interface: str, exten: str, linkedid: str | None = None) -> None:
        """Send the caller to `exten` and leave the call."""
        channel = self.agent_channel(interface, linkedid)
        await self._run(
            actions.blind_transfer(
                self._pbx(), channel=channel, exten=exten, context=self.dial_context
            ),
            f"transfer to {exten}",
        )

    async def attended_transfer(
        self, interface: str, exten: str, linkedid: str | None = None
    ) -> None:
        """Consult `exten` first; hanging up completes the transfer."""
        channel = self.agent_channel(interface, linkedid)
        await self._run(
            actions.attended_transfer(
                self._pbx(), channel=channel, exten=exten, context=self.dial_context
            ),
            f"consult {exten}",
        )

    async def _run(
        self, command: Awaitable[object], what: str, tolerate: str | None = None
    ) -> None:
        try:
            await command
        except CommandError as exc:
            # QueueAdd of a member already in the queue (or QueueRemove of one not in it)
            # leaves the agent where they wanted to be.
            if tolerate and _is_harmless(str(exc)):
                log.info("%s: %s (nothing to do)", what, exc)
                return
            raise ConsoleError(f"could not {what}: {exc}") from exc


def _is_harmless(message: str) -> bool:
    text = message.lower()
    return "already there" in text or "not there" in text or "not in queue" in text
