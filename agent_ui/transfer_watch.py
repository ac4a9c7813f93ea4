"""Whether a blind transfer reached its target: the transferred caller's next steps on the PBX.

Asterisk answers `BlindTransfer` with `Transfer succeeded` and emits `BlindTransfer` with
`Result: Success` even when the target extension is missing from the dial context; it then
hangs the caller up ("sent to invalid extension but no invalid handler"). Its first
`Newexten` at the target (priority 1) is emitted in both cases, still naming the old
application. Only what the caller does next tells: a later dial-plan step, a queue, a dial or
a bridge confirms the transfer; a hang-up first means the caller was dropped.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from callcenter.cti.frames import Frame

# Events of the caller's own channel that show it running the target's dial plan.
_PROGRESS = frozenset({"QueueCallerJoin", "DialBegin", "BridgeEnter"})
# The caller's thread may run ahead of the BlindTransfer event: frames kept until it names them.
_EARLY_FRAMES = 500


class TransferOutcome(StrEnum):
    """What became of a blind transfer, as the PBX reported it."""

    CONFIRMED = "confirmed"
    DROPPED = "dropped"  # the caller hung up at the target without running it
    REFUSED = "refused"  # the BlindTransfer event had a Result other than Success


class BlindTransferWatch:
    """Reads the PBX's events after a BlindTransfer of `transferer` to `exten@context`."""

    def __init__(self, transferer: str, context: str, exten: str) -> None:
        self.transferer = transferer
        self.arrival = (context, exten, "1")
        self.caller: str | None = None
        self.result: str | None = None
        self._early: list[Frame] = []
        self.outcome: asyncio.Future[TransferOutcome] = asyncio.get_running_loop().create_future()

    def __call__(self, frame: Frame) -> None:
        if self.outcome.done():
            return
        event = frame.get("Event")
        if event == "BlindTransfer" and frame.get("TransfererChannel") == self.transferer:
            self.result = frame.get("Result")
            if self.result != "Success":
                self.outcome.set_result(TransferOutcome.REFUSED)
            self.caller = frame.get("TransfereeUniqueid")
            early, self._early = self._early, []
            for seen in early:
                self._caller_event(seen)
            return
        if self.caller is None:
            if len(self._early) < _EARLY_FRAMES:
                self._early.append(frame)
            return
        self._caller_event(frame)

    def _caller_event(self, frame: Frame) -> None:
        if self.outcome.done() or frame.get("Uniqueid") != self.caller:
            return
        event = frame.get("Event")
        if event == "Hangup":
            self.outcome.set_result(TransferOutcome.DROPPED)
        elif event in _PROGRESS:
            self.outcome.set_result(TransferOutcome.CONFIRMED)
        elif event == "Newexten":
            place = (frame.get("Context"), frame.get("Exten"), frame.get("Priority"))
            if place != self.arrival:
                self.outcome.set_result(TransferOutcome.CONFIRMED)

    async def wait(self, seconds: float) -> TransferOutcome | None:
        """The outcome, or None when the PBX told nothing decisive within `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.shield(self.outcome)
        except TimeoutError:
            return None
