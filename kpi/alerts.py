"""Wallboard alerts: rules over a live snapshot, and a tracker that publishes their changes.

Rules: a queue's service level today below its target; its longest current wait past a
threshold; an agent paused for longer than a limit; the PBX connection down (a data gap:
figures stop moving while it lasts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcenter.bus import Bus
from callcenter.events import KpiAlertCleared, KpiAlertRaised


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
    if snapshot.get("pbx_connected") is False:
        alerts.append(Alert("pbx_down", "pbx", "PBX connection down: figures have a data gap"))
    for name, tile in snapshot["queues"].items():
        level = tile["today"]["service_level"]
        if level is not None and level < tile["target"]:
            alerts.append(
                Alert(
                    "service_level",
                    name,
                    f"{name}: service level {_percent(level)} below target "
                    f"{_percent(tile['target'])}",
                )
            )
        wait = tile["longest_wait_s"]
        if wait is not None and wait > limits.longest_wait_s:
            alerts.append(Alert("longest_wait", name, f"{name}: a caller has waited {wait:.0f} s"))
    for agent in snapshot["agents"]:
        held = agent["in_state_s"]
        if agent["state"] == "paused" and held is not None and held > limits.pause_s:
            reason = f" ({agent['reason']})" if agent["reason"] else ""
            alerts.append(
                Alert(
                    "long_pause",
                    agent["agent"],
                    f"{agent['agent']} paused{reason} for {held / 60:.0f} min",
                )
            )
    return alerts


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
