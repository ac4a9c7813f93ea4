"""Whether the PBX did an in-call control: the event it reports on the agent's leg afterwards.

Asterisk accepts `PlayDTMF` and `CancelAtxfer` at once whatever follows (`CancelAtxfer` even
when no consultation is under way), so the console waits for the leg's own event: `Hold`
when the console's hold code held the caller, `Unhold` when the caller is back (after a hold
or a cancelled consultation), `BridgeEnter` when a consultation reached its target's bridge,
and `AttendedTransfer` naming the leg when hanging up completed the transfer.
"""

from __future__ import annotations

import asyncio

from callcenter.cti.frames import Frame


class LegWatch:
    """Reads the PBX's events for `confirms` on `channel`; the leg hanging up first fails."""

    def __init__(self, channel: str, confirms: str) -> None:
        self.channel = channel
        self.confirms = confirms
        self.refusal: str | None = None
        self.outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def __call__(self, frame: Frame) -> None:
        if self.outcome.done():
            return
        event = frame.get("Event")
        if event == "AttendedTransfer" and frame.get("OrigTransfererChannel") == self.channel:
            if self.confirms == event:
                result = frame.get("Result")
                if result != "Success":
                    self.refusal = result or "no result given"
                self.outcome.set_result(result == "Success")
            return
        if frame.get("Channel") != self.channel:
            return
        if event == self.confirms:
            self.outcome.set_result(True)
        elif event == "Hangup" and self.confirms != "AttendedTransfer":
            self.outcome.set_result(False)

    async def wait(self, seconds: float) -> bool | None:
        """True: confirmed; False: the leg ended (or the transfer failed) first; None: the PBX
        told nothing decisive within `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.shield(self.outcome)
        except TimeoutError:
            return None
