"""Wallboard alerts: rules over a live snapshot, and a tracker that publishes their changes.

Rules: a queue's service level today below its target; its longest current wait past a
threshold; an agent paused for longer than a limit; the PBX connection down, or several
processes' shared bus down or losing events (a data gap: figures stop moving while it lasts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.events import KpiAlertCleared, KpiAlertRaised
from kpi.bus_gap import DOWN as BUS_DOWN
from kpi.bus_gap import LOST as BUS_LOST
from kpi.definitions import service_level

if TYPE_CHECKING:
    from kpi.aggregator import LiveKpis


@dataclass(frozen=True, slots=True)
class AlertLimits:
    """When a rule fires: longest wait (s) and pause length (s)."""

    longest_wait_s: float = 60.0
    pause_s: float = 900.0


@dataclass(frozen=True, slots=True)
class Alert:
    """One active alert; (kind, subject) identifies it."""

    kind: str
    subject: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def evaluate(snapshot: Mapping[str, Any], limits: AlertLimits) -> list[Alert]:
    """The alerts a snapshot (`LiveKpis.snapshot()`) calls for, in board order."""
    alerts: list[Alert] = []
    link = snapshot.get("pbx_link") or {}
    if snapshot.get("pbx_connected") is False or link.get("data_gap"):
        alerts.append(_pbx_alert(link))
    for name, tile in snapshot["queues"].items():
        level, wait = tile["today"]["service_level"], tile["longest_wait_s"]
        alerts.extend(_queue_alerts(name, level, tile["target"], wait, limits))
    for agent in snapshot["agents"]:
        if agent["state"] == AgentState.PAUSED.value:
            alerts.extend(
                _pause_alert(agent["agent"], agent["reason"], agent["in_state_s"], limits)
            )
    return alerts


def evaluate_live(kpis: LiveKpis, limits: AlertLimits) -> list[Alert]:
    """The same alerts as `evaluate(kpis.snapshot(), limits)`, read from the aggregator's own
    per-queue and per-agent state: the board evaluates every second (a wait or a pause
    crosses its limit with no event), and building the whole floor's snapshot for that
    would stall the event loop that delivers screen pops."""
    now = kpis.now()
    alerts: list[Alert] = []
    if kpis.pbx_connected is False or kpis.bus_gap.state:
        alerts.append(_pbx_alert(kpis.pbx_link()))
    for name in sorted(kpis.queues):
        live = kpis.queues[name]
        totals = live.today
        level = service_level(totals.answered_within, totals.offered, totals.short_abandoned)
        oldest = kpis.presence.oldest_waiting(name)
        wait = (now - oldest).total_seconds() if oldest else None
        alerts.extend(_queue_alerts(name, level, totals.thresholds.target, wait, limits))
    paused = [
        agent
        for agent in kpis.presence.agents.values()
        if agent.state is AgentState.PAUSED and agent.since is not None
    ]
    for agent in sorted(paused, key=lambda agent: agent.name):
        assert agent.since is not None
        held = (now - agent.since).total_seconds()
        alerts.extend(_pause_alert(agent.name, agent.reason, held, limits))
    return alerts


PBX_DOWN = Alert("pbx_down", "pbx", "PBX connection down: figures have a data gap")


def _pbx_alert(link: Mapping[str, Any] | None) -> Alert:
    """The link's alert, saying since when and why (a resync pending) when known."""
    if not link or not link.get("since"):
        return PBX_DOWN
    since = datetime.fromisoformat(link["since"]).strftime("%H:%M UTC")
    if link.get("state") == BUS_DOWN:
        return Alert("pbx_down", "pbx", f"Bus link down since {since}: figures have a data gap")
    if link.get("state") == BUS_LOST:
        return Alert("pbx_down", "pbx", f"Since {since}: {link['detail']}")
    if link.get("state") == "resync_pending":
        return Alert(
            "pbx_down",
            "pbx",
            f"PBX link: resync pending since {since}: figures have a data gap",
        )
    return Alert("pbx_down", "pbx", f"PBX connection down since {since}: figures have a data gap")


def _queue_alerts(
    name: str, level: float | None, target: float, wait: float | None, limits: AlertLimits
) -> list[Alert]:
    alerts: list[Alert] = []
    if level is not None and level < target:
        alerts.append(
            Alert(
                "service_level",
                name,
                f"{name}: service level {_percent(level)} below target {_percent(target)}",
            )
        )
    if wait is not None and wait > limits.longest_wait_s:
        alerts.append(Alert("longest_wait", name, f"{name}: a caller has waited {wait:.0f} s"))
    return alerts


def _pause_alert(
    name: str, reason: str | None, held: float | None, limits: AlertLimits
) -> list[Alert]:
    if held is None or held <= limits.pause_s:
        return []
    because = f" ({reason})" if reason else ""
    return [Alert("long_pause", name, f"{name} paused{because} for {held / 60:.0f} min")]


class AlertTracker:
    """Remembers which alerts are active and publishes KpiAlertRaised / KpiAlertCleared."""

    def __init__(self, bus: Bus | None, server: str) -> None:
        self.bus = bus
        self.server = server
        self.active: dict[tuple[str, str], Alert] = {}

    def update(self, alerts: list[Alert], at: datetime) -> bool:
        """Take the current alerts; publish what started and what ended. True if any did."""
        current = {(a.kind, a.subject): a for a in alerts}
        changed = False
        for key, alert in current.items():
            if key not in self.active:
                changed = True
                if self.bus is not None:
                    self.bus.publish(
                        KpiAlertRaised(
                            at=at,
                            server=self.server,
                            kind=alert.kind,
                            subject=alert.subject,
                            message=alert.message,
                        )
                    )
        for key in self.active.keys() - current.keys():
            changed = True
            if self.bus is not None:
                self.bus.publish(
                    KpiAlertCleared(at=at, server=self.server, kind=key[0], subject=key[1])
                )
        self.active = current
        return changed
