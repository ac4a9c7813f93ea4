"""What the console asks of the PBX: queue sign-in, pauses, click-to-dial, transfers, hangup."""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from agent_ui.leg_watch import LegWatch
from agent_ui.transfer_watch import BlindTransferWatch, TransferOutcome
from callcenter.cti import actions
from callcenter.cti.agent_leg import device_of_interface
from callcenter.cti.ami_commands import AmiCommands
from callcenter.cti.protocol import ActionRefused, CommandError

log = logging.getLogger(__name__)


class ConsoleError(Exception):
    """A console action that cannot be done; the sentence is shown to the agent."""

    status_code = 409


class NoPbx(ConsoleError):
    """No PBX is connected, so nothing can be sent to it."""

    status_code = 503


class UnknownTarget(ConsoleError):
    """The PBX's dial plan has no such extension: transferring there would drop the caller."""

    status_code = 422


class TransferFailed(ConsoleError):
    """The PBX accepted the transfer but the caller did not reach the target."""

    status_code = 502


class NotConfirmed(ConsoleError):
    """The PBX accepted the command but did not report doing it in time."""

    status_code = 504


class CallChannels(Protocol):
    """Who knows the channels of the calls in flight (the CTI tracker)."""

    def agent_channel(
        self, interface: str, linkedid: str | None
    ) -> str | Awaitable[str | None] | None:
        """The agent's own leg of the call `linkedid` (else of what is on their phone); asked
        of another process, an awaitable."""
        ...


class PbxControl:
    """The agent-facing PBX commands, on one AMI link: the CTI adapter's own connection, or
    `RemoteAmi` reaching it from another process (with `RemoteCalls` for the call legs).

    Every method raises ConsoleError with a sentence the agent can act on; the PBX then
    reports the change back as events, which is what the console shows.
    """

    def __init__(
        self,
        connection: AmiCommands | None,
        dial_context: str,
        calls: CallChannels | None = None,
        *,
        transfer_confirm_s: float = 5.0,
        hold_keys: str = "",
    ) -> None:
        self.connection = connection
        self.dial_context = dial_context
        self.calls = calls
        self.transfer_confirm_s = transfer_confirm_s
        self.hold_keys = hold_keys

    def for_interface(self, interface: str) -> PbxControl:
        """The control of the PBX the agent at `interface` is on: this one (one PBX link);
        `agent_ui.pbx_routes.RoutedPbx` picks among several."""
        return self

    def _pbx(self) -> AmiCommands:
        if self.connection is None:
            raise NoPbx("no PBX is connected to this console server")
        return self.connection

    async def sign_in(
        self, interface: str, member_name: str | None, queues: Sequence[tuple[str, int]]
    ) -> list[str]:
        """QueueAdd the agent's interface to each of their queues; the queues joined.

        `StateInterface` names the device whose state app_queue follows (and whose channels
        are the agent's): for a Local interface that is the interface without its dial
        options (`Local/101@agents/n` -> `Local/101@agents`). A static member (queues.conf)
        cannot be signed in or out from here: that raises, naming the queues.
        """
        if not queues:
            raise ConsoleError("you are not a member of any queue; ask a supervisor")
        joined, static = [], []
        for queue, penalty in queues:
            try:
                await actions.add_queue_member(
                    self._pbx(),
                    queue=queue,
                    interface=interface,
                    member_name=member_name,
                    penalty=penalty,
                    state_interface=device_of_interface(interface),
                )
            except CommandError as exc:
                if not _is_harmless(str(exc)):
                    raise ConsoleError(f"could not sign in to {queue}: {exc}") from exc
                if await self._static_member(interface, queue):
                    static.append(queue)
                    continue
                log.info("sign in to %s: %s (nothing to do)", queue, exc)
            joined.append(queue)
        if static:
            raise ConsoleError(_static_sentence(static, joined, signing_in=True))
        return joined

    async def sign_out(self, interface: str, queues: Sequence[str]) -> None:
        """QueueRemove the agent's interface from each queue (static members: see sign_in)."""
        left, static = [], []
        for queue in queues:
            try:
                await actions.remove_queue_member(self._pbx(), queue=queue, interface=interface)
            except CommandError as exc:
                if "not dynamic" in str(exc).lower():
                    static.append(queue)
                    continue
                if not _is_harmless(str(exc)):
                    raise ConsoleError(f"could not sign out of {queue}: {exc}") from exc
                log.info("sign out of %s: %s (nothing to do)", queue, exc)
            left.append(queue)
        if static:
            raise ConsoleError(_static_sentence(static, left, signing_in=False))

    async def _static_member(self, interface: str, queue: str) -> bool:
        """Whether the PBX lists `interface` in `queue` as a static member (queues.conf)."""
        try:
            frames = await self._pbx().request_list(
                {"Action": "QueueStatus", "Queue": queue, "Member": interface}
            )
        except CommandError as exc:
            log.info("could not ask the PBX how %s is a member of %s: %s", interface, queue, exc)
            return False
        return any(
            frame.get("Event") == "QueueMember"
            and (frame.get("Location") or frame.get("Interface")) == interface
            and frame.get("Membership") == "static"
            for frame in frames
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

    async def agent_channel(self, interface: str, linkedid: str | None = None) -> str:
        """The agent's own leg of the call on screen (`linkedid`), as the tracker knows it."""
        self._pbx()
        try:
            found = self.calls.agent_channel(interface, linkedid) if self.calls else None
            channel = await found if inspect.isawaitable(found) else found
        except CommandError as exc:
            raise ConsoleError(f"could not find your call on the PBX: {exc}") from exc
        if channel is None:
            raise ConsoleError("you have no call on your phone right now")
        return channel

    async def hangup(self, interface: str, linkedid: str | None = None) -> None:
        """Hang up the agent's leg of the call (during a consultation: completes the transfer)."""
        channel = await self.agent_channel(interface, linkedid)
        await self._run(actions.hangup(self._pbx(), channel=channel, cause=16), "hang up")

    async def blind_transfer(self, interface: str, exten: str, linkedid: str | None = None) -> bool:
        """Send the caller to `exten` and leave the call, once the dial plan is known to have
        it; True when the PBX confirms the caller got there, False when it told nothing
        decisive in time. A caller the PBX dropped raises `TransferFailed`."""
        channel = await self.agent_channel(interface, linkedid)
        await self.check_target(exten)
        pbx = self._pbx()
        watch = BlindTransferWatch(channel, self.dial_context, exten)
        with pbx.watching(watch):
            await self._run(
                actions.blind_transfer(
                    pbx, channel=channel, exten=exten, context=self.dial_context
                ),
                f"transfer to {exten}",
            )
            outcome = await watch.wait(self.transfer_confirm_s)
        if outcome is TransferOutcome.DROPPED:
            raise TransferFailed(
                f"the transfer to {exten} failed: the PBX hung up the caller at "
                f"{exten}@{self.dial_context} (the call is lost)"
            )
        if outcome is TransferOutcome.REFUSED:
            raise TransferFailed(f"the PBX refused the transfer to {exten}: {watch.result}")
        return outcome is TransferOutcome.CONFIRMED

    async def attended_transfer(
        self, interface: str, exten: str, linkedid: str | None = None
    ) -> None:
        """Consult `exten` first (a known extension only), once the agent's leg is in the
        consultation's bridge; completing or cancelling it is another control."""
        channel = await self.agent_channel(interface, linkedid)
        await self.check_target(exten)
        pbx = self._pbx()
        await self._confirmed(
            channel,
            "BridgeEnter",
            lambda: actions.attended_transfer(
                pbx, channel=channel, exten=exten, context=self.dial_context
            ),
            f"consult {exten}",
        )

    async def complete_transfer(self, interface: str, linkedid: str | None = None) -> None:
        """Leave the consultation so the caller and the consulted party talk (the agent's leg
        hangs up); done when the PBX reports the attended transfer."""
        channel = await self.agent_channel(interface, linkedid)
        pbx = self._pbx()
        await self._confirmed(
            channel,
            "AttendedTransfer",
            lambda: actions.hangup(pbx, channel=channel, cause=16),
            "complete the transfer",
        )

    async def cancel_transfer(self, interface: str, linkedid: str | None = None) -> None:
        """End the consultation and take the held caller back (CancelAtxfer)."""
        channel = await self.agent_channel(interface, linkedid)
        pbx = self._pbx()
        await self._confirmed(
            channel,
            "Unhold",
            lambda: actions.cancel_attended_transfer(pbx, channel=channel),
            "cancel the transfer",
        )

    async def hold(self, interface: str, linkedid: str | None = None) -> None:
        """Put the caller on hold (music) by keying the console's hold code into the agent's
        leg; done when the PBX reports the leg holding."""
        if not self.hold_keys:
            raise ConsoleError("hold is not set up: CALLCENTER_CONSOLE_HOLD_KEYS is empty")
        channel = await self.agent_channel(interface, linkedid)
        pbx = self._pbx()
        await self._confirmed(
            channel,
            "Hold",
            lambda: actions.press_keys(pbx, channel=channel, keys=self.hold_keys),
            "put the caller on hold",
            hint=(
                f"; check that the PBX's features.conf has the console's hold code "
                f"{self.hold_keys} and the call's DYNAMIC_FEATURES names it (docs/asterisk)"
            ),
        )

    async def resume(self, interface: str, linkedid: str | None = None) -> None:
        """Take the caller back from hold (any key ends the hold code's wait)."""
        channel = await self.agent_channel(interface, linkedid)
        pbx = self._pbx()
        await self._confirmed(
            channel,
            "Unhold",
            lambda: actions.press_keys(pbx, channel=channel, keys="#"),
            "take the caller back",
        )

    async def _confirmed(
        self,
        channel: str,
        confirms: str,
        command: Callable[[], Awaitable[object]],
        what: str,
        *,
        hint: str = "",
    ) -> None:
        """Send `command` and wait for the PBX to report `confirms` on the agent's leg."""
        pbx = self._pbx()
        watch = LegWatch(channel, confirms)
        with pbx.watching(watch):
            await self._run(command(), what)
            outcome = await watch.wait(self.transfer_confirm_s)
        if outcome is None:
            raise NotConfirmed(
                f"the PBX accepted the request to {what} but did not report doing it within "
                f"{self.transfer_confirm_s:g} s{hint}"
            )
        if not outcome:
            if watch.refusal is not None:
                raise TransferFailed(f"the PBX could not {what}: {watch.refusal}")
            raise ConsoleError(f"could not {what}: the call ended first")

    async def check_target(self, exten: str) -> None:
        """Refuse an extension the dial context lacks (ShowDialPlan), before any caller moves.

        A PBX that cannot answer (an AMI user without the `reporting` or `config` write
        class) leaves the check to the transfer's confirmation.
        """
        try:
            await self._pbx().request_list(
                {"Action": "ShowDialPlan", "Context": self.dial_context, "Extension": exten}
            )
        except ActionRefused as exc:
            if "did not find" in exc.reason.lower():
                raise UnknownTarget(
                    f"{exten} is not reachable: the PBX has no extension {exten} in the dial "
                    f"context {self.dial_context}; the caller stays with you"
                ) from exc
            log.warning("could not check %s@%s: %s", exten, self.dial_context, exc)
        except CommandError as exc:
            log.warning("could not check %s@%s: %s", exten, self.dial_context, exc)

    async def _run(self, command: Awaitable[object], what: str) -> None:
        try:
            await command
        except CommandError as exc:
            raise ConsoleError(f"could not {what}: {exc}") from exc


def _is_harmless(message: str) -> bool:
    """QueueAdd of a member already in the queue (or QueueRemove of one not in it) leaves
    the agent where they wanted to be."""
    text = message.lower()
    return "already there" in text or "not there" in text or "not in queue" in text


def _static_sentence(static: list[str], done: list[str], *, signing_in: bool) -> str:
    """Why the console cannot sign a static member in or out, in the agent's words."""
    queues = ", ".join(static)
    sentence = (
        f"you are a permanent member of {queues} (set in the PBX's queues.conf), so the "
        f"console cannot sign you {'in to' if signing_in else 'out of'} it: calls reach you "
        "there whenever your phone is free; ask an admin to make you a dynamic member"
    )
    if done:
        sentence += f". Signed {'in to' if signing_in else 'out of'} {', '.join(done)}."
    return sentence
