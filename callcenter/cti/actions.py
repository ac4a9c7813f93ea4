"""PBX commands over AMI: click-to-dial, queue membership, pause, transfers, hangup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.cti.ami_commands import AmiCommands
from callcenter.cti.frames import Frame
from callcenter.cti.protocol import (
    ActionRefused,
    AmiAction,
    AmiMessage,
    CommandError,
    Headers,
    OutcomeUnknown,
)

__all__ = [
    "CommandError",
    "CommandResult",
    "OriginateResult",
    "add_queue_member",
    "attended_transfer",
    "blind_transfer",
    "cancel_attended_transfer",
    "hangup",
    "originate",
    "pause_member",
    "press_keys",
    "remove_queue_member",
    "set_member_penalty",
    "unpause_member",
]

log = logging.getLogger(__name__)

# OriginateResponse `Reason` codes (Asterisk's AST_CONTROL_* values) in words.
ORIGINATE_REASONS = {
    "0": "the call could not be placed",
    "1": "the far end hung up",
    "3": "nobody answered",
    "4": "answered",
    "5": "the line was busy",
    "8": "the network was congested",
}


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Asterisk's answer to a command it accepted."""

    action: str
    action_id: str
    message: str


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """A click-to-dial that Asterisk queued; `outcome` is its OriginateResponse, if awaited."""

    action_id: str
    message: str
    outcome: Frame | None = None

    @property
    def answered(self) -> bool | None:
        """Whether the agent's phone answered (None when the outcome was not awaited)."""
        if self.outcome is None:
            return None
        return self.outcome.get("Response") == "Success"

    @property
    def channel(self) -> str | None:
        """The agent-side channel Asterisk created."""
        return self.outcome.get("Channel") if self.outcome else None

    @property
    def uniqueid(self) -> str | None:
        """That channel's Uniqueid (the call's Linkedid)."""
        return self.outcome.get("Uniqueid") if self.outcome else None


class OriginateFailed(CommandError):
    """Asterisk queued the click-to-dial but the call did not come up."""


async def originate(
    pbx: AmiCommands,
    *,
    interface: str,
    number: str,
    context: str,
    priority: int = 1,
    caller_id: str | None = None,
    ring_timeout_s: float = 30.0,
    variables: Mapping[str, str] | None = None,
    application: tuple[str, str] | None = None,
    wait_for_outcome: bool = False,
) -> OriginateResult:
    """Click-to-dial: ring the agent's `interface`, then dial `number` in `context`.

    With `application=(name, data)` the answered agent runs that application instead of
    the dialplan. Returns once Asterisk has queued the call; with `wait_for_outcome` it also
    waits for the OriginateResponse and raises `OriginateFailed` if the call did not come up.
    Never re-sent: a lost answer raises `OutcomeUnknown` (the phone may be ringing).
    """
    headers: dict[str, str | list[str]] = {
        "Action": "Originate",
        "Channel": _value("interface", interface),
        "Async": "true",
        "Timeout": str(int(ring_timeout_s * 1000)),
    }
    if application is not None:
        headers["Application"] = _value("application", application[0])
        headers["Data"] = _value("application data", application[1], empty_ok=True)
    else:
        headers["Context"] = _value("context", context)
        headers["Exten"] = _value("number", number)
        headers["Priority"] = str(priority)
    if caller_id:
        headers["CallerID"] = _value("caller id", caller_id)
    if variables:
        headers["Variable"] = [
            f"{_value('variable name', key)}={_value('variable value', value, empty_ok=True)}"
            for key, value in variables.items()
        ]
    action = AmiAction(headers)
    if not wait_for_outcome:
        answer = await _accepted(pbx, action)
        return OriginateResult(action.id, answer.get("Message", ""))
    message, outcome = await pbx.call_followed(action)
    answer = _success(action, message)
    try:
        async with asyncio.timeout(ring_timeout_s + pbx.action_timeout):
            frame = await outcome
    except TimeoutError:
        raise OutcomeUnknown(
            f"Asterisk queued the call from {interface} to {number} but never reported "
            "how it ended; it was not re-sent"
        ) from None
    result = OriginateResult(action.id, answer.get("Message", ""), frame)
    if not result.answered:
        reason = ORIGINATE_REASONS.get(frame.get("Reason", ""), f"reason {frame.get('Reason')}")
        raise OriginateFailed(f"the call from {interface} to {number} failed: {reason}")
    return result


async def add_queue_member(
    pbx: AmiCommands,
    *,
    queue: str,
    interface: str,
    member_name: str | None = None,
    penalty: int = 0,
    paused: bool = False,
    reason: str | None = None,
    state_interface: str | None = None,
) -> CommandResult:
    """Log an agent's interface into a queue (QueueAdd)."""
    headers: dict[str, str] = {
        "Action": "QueueAdd",
        "Queue": _value("queue", queue),
        "Interface": _value("interface", interface),
        "Penalty": str(penalty),
        "Paused": _flag(paused),
    }
    if member_name:
        headers["MemberName"] = _value("member name", member_name)
    if state_interface:
        headers["StateInterface"] = _value("state interface", state_interface)
    if reason:
        headers["Reason"] = _value("reason", reason)
    return await _command(pbx, headers)


async def remove_queue_member(pbx: AmiCommands, *, queue: str, interface: str) -> CommandResult:
    """Log an agent's interface out of a queue (QueueRemove)."""
    headers = {
        "Action": "QueueRemove",
        "Queue": _value("queue", queue),
        "Interface": _value("interface", interface),
    }
    return await _command(pbx, headers)


async def pause_member(
    pbx: AmiCommands, *, interface: str, reason: str | None = None, queue: str | None = None
) -> CommandResult:
    """Pause an agent, in one queue or (no `queue`) in all of them, with a reason."""
    return await _pause(pbx, interface=interface, paused=True, reason=reason, queue=queue)


async def unpause_member(
    pbx: AmiCommands, *, interface: str, queue: str | None = None, reason: str | None = None
) -> CommandResult:
    """Make a paused agent available again, in one queue or all of them."""
    return await _pause(pbx, interface=interface, paused=False, reason=reason, queue=queue)


async def set_member_penalty(
    pbx: AmiCommands, *, interface: str, penalty: int, queue: str | None = None
) -> CommandResult:
    """Change an agent's penalty, in one queue or all of them (QueuePenalty)."""
    headers = {"Action": "QueuePenalty", "Interface": _value("interface", interface)}
    headers["Penalty"] = str(penalty)
    if queue:
        headers["Queue"] = _value("queue", queue)
    return await _command(pbx, headers)


async def blind_transfer(
    pbx: AmiCommands, *, channel: str, exten: str, context: str
) -> CommandResult:
    """Send the party bridged with `channel` to `exten@context` (BlindTransfer)."""
    headers = {
        "Action": "BlindTransfer",
        "Channel": _value("channel", channel),
        "Context": _value("context", context),
        "Exten": _value("extension", exten),
    }
    return await _command(pbx, headers)


async def attended_transfer(
    pbx: AmiCommands, *, channel: str, exten: str, context: str
) -> CommandResult:
    """Start a consultation from `channel` to `exten@context` (Atxfer); hanging up completes it.

    Asterisk plays the extension into the channel as DTMF and, while a longer extension could
    still match, waits `transferdigittimeout` (3 s) for more digits: a trailing `#` ends the
    digits at once (measured on Asterisk 22.10.1: the consultation starts 0.75 s after the
    action instead of 3.7 s).
    """
    headers = {
        "Action": "Atxfer",
        "Channel": _value("channel", channel),
        "Context": _value("context", context),
        "Exten": _value("extension", exten) + "#",
    }
    return await _command(pbx, headers)


async def cancel_attended_transfer(pbx: AmiCommands, *, channel: str) -> CommandResult:
    """End `channel`'s consultation and take the held caller back (CancelAtxfer).

    Asterisk answers `CancelAtxfer successfully queued` even when no consultation is under
    way: only the channel's `Unhold` tells that it is back with the caller.
    """
    headers = {"Action": "CancelAtxfer", "Channel": _value("channel", channel)}
    return await _command(pbx, headers)


async def press_keys(pbx: AmiCommands, *, channel: str, keys: str) -> None:
    """Key `keys` as if the phone on `channel` had sent them (PlayDTMF with Receive), one
    action per key: an in-call feature code (features.conf) reacts to them as to the phone's.
    """
    for key in keys:
        headers = {
            "Action": "PlayDTMF",
            "Channel": _value("channel", channel),
            "Digit": _value("key", key),
            "Duration": "100",
            "Receive": "yes",
        }
        await _command(pbx, headers)


async def hangup(pbx: AmiCommands, *, channel: str, cause: int | None = None) -> CommandResult:
    """Hang up one channel, with a Q.850 cause code when given (16 = normal clearing)."""
    headers = {"Action": "Hangup", "Channel": _value("channel", channel)}
    if cause is not None:
        headers["Cause"] = str(cause)
    return await _command(pbx, headers)


async def _pause(
    pbx: AmiCommands, *, interface: str, paused: bool, reason: str | None, queue: str | None
) -> CommandResult:
    headers = {
        "Action": "QueuePause",
        "Interface": _value("interface", interface),
        "Paused": _flag(paused),
    }
    if queue:
        headers["Queue"] = _value("queue", queue)
    if reason:
        headers["Reason"] = _value("reason", reason)
    return await _command(pbx, headers)


async def _command(pbx: AmiCommands, headers: Headers) -> CommandResult:
    action = AmiAction(headers)
    answer = await _accepted(pbx, action)
    return CommandResult(action.name, action.id, answer.get("Message", ""))


async def _accepted(pbx: AmiCommands, action: AmiAction) -> Frame:
    answer = await pbx.call(action)
    assert isinstance(answer, AmiMessage)
    return _success(action, answer)


def _success(action: AmiAction, answer: AmiMessage) -> Frame:
    frame = answer.frame
    if frame.get("Response") != "Success":
        raise ActionRefused(action.name, frame.get("Message") or "no reason given")
    log.info("%s accepted: %s", action.name, frame.get("Message", ""))
    return frame


def _value(what: str, value: str, *, empty_ok: bool = False) -> str:
    """A header value, refused if it could break the frame (a line break injects headers)."""
    if "\r" in value or "\n" in value:
        raise CommandError(f"the {what} {value!r} contains a line break")
    if not value and not empty_ok:
        raise CommandError(f"the {what} is empty")
    return value


def _flag(value: bool) -> str:
    return "true" if value else "false"
