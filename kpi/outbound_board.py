"""The wallboard's outbound tiles: today's figures of each running or paused campaign, read
from the database by the outbound report itself (so a tile always agrees with the report of
today so far), and the agents signed in to the campaign's queue now, from the live presence.

The board reads them again every OUTBOUND_EVERY_S, and at its next tick after a dial attempt
ends or a lead is offered to an agent (the dialer's `DialAttemptEnded` and
`CampaignLeadOffered` on the bus, subscribed when `callcenter.events` has them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from callcenter import events
from callcenter.bus import Bus
from callcenter.db import utc_now
from callcenter.queues.presence import Presence
from kpi.aggregator import STATE_NAMES, day_start
from kpi.outbound import LIVE_STATES, outbound_report
from kpi.outbound_definitions import cap_level
from kpi.reports import ReportQuery

# How often the tiles are read again with no dialer event (seconds).
OUTBOUND_EVERY_S = 5.0
# The dialer's events after which the tiles are read again at once.
DIALER_EVENTS = ("DialAttemptEnded", "CampaignLeadOffered")
# What a tile shows of the day's figures.
TILE_FIELDS = (
    "dials",
    "connects",
    "contact_rate",
    "answered",
    "abandons",
    "abandon_rate",
    "abandon_rate_24h",
    "abandon_cap",
    "abandon_level",
    "conversions",
    "conversion_rate",
    "avg_talk_s",
    "leads",
    "leads_left",
    "list_penetration",
)


def dialer_events() -> tuple[type[Any], ...]:
    """The dialer's event types this build of `callcenter.events` has."""
    found = (getattr(events, name, None) for name in DIALER_EVENTS)
    return tuple(kind for kind in found if isinstance(kind, type))


class OutboundTiles:
    """Today's outbound figures by campaign name, read by `read` (off the event loop) and
    kept by `update`; `version` moves when they change."""

    def __init__(self, zone: tzinfo = UTC, clock: Callable[[], datetime] = utc_now) -> None:
        self.zone = zone
        self.clock = clock
        self.figures: dict[str, dict[str, Any]] = {}
        self.version = 0
        # A dialer event arrived since the last read.
        self.due = False

    def read(self, session: Session) -> dict[str, dict[str, Any]]:
        """Today's figures (the site's day so far) of every running or paused campaign."""
        now = self.clock()
        start = day_start(now, self.zone)
        if now <= start:
            return {}
        report = outbound_report(session, ReportQuery(start, now, None, None, self.zone))
        return {
            info.name: {
                "id": info.id,
                "mode": info.mode,
                "state": info.state,
                "queue": info.queue,
                **{name: report.totals[cid][name] for name in TILE_FIELDS},
                # Today's rate against the cap (abandon_level is the rolling day's).
                "abandon_level_today": cap_level(
                    report.totals[cid]["abandon_rate"], info.abandon_cap
                ),
            }
            for cid, info in report.campaigns.items()
            if info.state in LIVE_STATES
        }

    def update(self, figures: dict[str, dict[str, Any]]) -> bool:
        """Keep figures read by `read`; True when they changed."""
        self.due = False
        if figures == self.figures:
            return False
        self.figures = figures
        self.version += 1
        return True

    def subscribe(self, bus: Bus, kinds: Iterable[type[Any]] | None = None) -> Callable[[], None]:
        """Read again at the next tick after any of `kinds` (default: the dialer's events)."""
        handlers = [bus.subscribe(kind, self._on_event) for kind in (kinds or dialer_events())]

        def unsubscribe() -> None:
            for handler in handlers:
                handler()

        return unsubscribe

    def _on_event(self, _event: Any) -> None:
        self.due = True

    def tiles(self, presence: Presence) -> dict[str, dict[str, Any]]:
        """The tiles: each campaign's figures, and its queue's agents by state now."""
        tiles = {}
        for name, figures in sorted(self.figures.items()):
            by_state = dict.fromkeys(STATE_NAMES, 0)
            for agent in presence.agents.values():
                if figures["queue"] in agent.queues:
                    by_state[agent.state.value] += 1
            signed_in = sum(n for state, n in by_state.items() if state != "logged_out")
            tiles[name] = {**figures, "agents": by_state, "agents_signed_in": signed_in}
        return tiles
