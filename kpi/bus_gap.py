"""The board's view of this process's link to the shared bus: a data gap while it is down,
after events were lost on it until today's figures are counted again from the records, and
while the floor's state (agents, waiting callers) is awaited from the PBX's process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcenter.events import BusLinkChanged

DOWN, LOST = "bus_down", "bus_gap"


@dataclass(slots=True)
class BusGap:
    """Whether the link is `down`, and whether events were lost on it (`lossy`, `lost` of
    them, None when how many is unknown) since today's figures were last counted."""

    down: bool = False
    lossy: bool = False
    since: datetime | None = None
    lost: int | None = 0
    # A FloorSnapshot is awaited (this process started late or lost events).
    floor_due: bool = False

    @property
    def state(self) -> str:
        """DOWN, LOST, or "" while nothing is missing."""
        return DOWN if self.down else LOST if self.lossy or self.floor_due else ""

    @property
    def recount_due(self) -> bool:
        """Events were lost and the link is up again: count today from the stored records."""
        return self.lossy and not self.down

    def on_link(self, event: BusLinkChanged) -> bool:
        """Take a link change; True when the board's view changed."""
        if event.up and event.lost == 0 and not self.down:
            return False
        if not self.state:
            self.since, self.lost = event.at, 0  # a gap lasts from its first sign to the recount
        self.down = not event.up
        if event.up and event.lost != 0:  # back with events known or feared lost
            self.lossy = True
            self.lost = None if event.lost is None or self.lost is None else self.lost + event.lost
        return True

    def recounted(self) -> None:
        """Today's figures were counted again from the records: only a link down (or a
        floor still awaited) remains."""
        self.lossy, self.lost = False, 0
        if not self.state:
            self.since = None

    def await_floor(self, at: datetime) -> None:
        """The floor's state is asked for: a gap until it arrives."""
        if not self.state:
            self.since = at
        self.floor_due = True

    def floor_arrived(self) -> None:
        self.floor_due = False
        if not self.state:
            self.since = None

    def link(self) -> dict[str, Any]:
        """As `LiveKpis.pbx_link()` shows the PBX link (a gap in the figures either way)."""
        if self.state == DOWN:
            detail = "bus link to the other processes down"
        elif not self.lossy:
            detail = "waiting for the agents' states from the PBX's process"
        elif self.lost is None:
            detail = "events lost on the bus (how many unknown): counting today again"
        else:
            detail = f"{self.lost} events lost on the bus: counting today again"
        return {
            "state": self.state,
            "since": self.since.isoformat() if self.since else None,
            "detail": detail,
            "data_gap": True,
        }
