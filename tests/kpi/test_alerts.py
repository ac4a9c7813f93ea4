"""Wallboard alerts: the four rules, and raised/cleared events on the bus."""

from __future__ import annotations

from typing import Any

from callcenter.bus import Bus
from callcenter.events import KpiAlertCleared, KpiAlertRaised
from kpi.alerts import AlertLimits, AlertTracker, evaluate
from tests.kpi.calls import at


def snapshot(
    level: float | None, wait: float | None, paused_s: float | None, pbx: bool | None
) -> dict[str, Any]:
    agents = [] if paused_s is None else [
        {"agent": "bob", "state": "paused", "reason": "Lunch", "in_state_s": paused_s}
    ]  # fmt: skip
    return {
        "pbx_connected": pbx,
        "queues": {
            "support": {"target": 0.8, "longest_wait_s": wait, "today": {"service_level": level}}
        },
        "agents": agents,
    }


LIMITS = AlertLimits(longest_wait_s=60, pause_s=900)


def kinds(snap: dict[str, Any]) -> list[str]:
    return [alert.kind for alert in evaluate(snap, LIMITS)]


def test_quiet_floor_has_no_alerts() -> None:
    assert kinds(snapshot(0.8, 60, 900, True)) == []  # at target and at the limits: fine


def test_no_data_raises_nothing() -> None:
    assert kinds(snapshot(None, None, None, None)) == []


def test_each_rule() -> None:
    assert kinds(snapshot(0.79, None, None, True)) == ["service_level"]
    assert kinds(snapshot(None, 61, None, True)) == ["longest_wait"]
    assert kinds(snapshot(None, None, 901, True)) == ["long_pause"]
    assert kinds(snapshot(None, None, None, False)) == ["pbx_down"]


def test_tracker_publishes_raised_then_cleared() -> None:
    bus = Bus()
    seen: list[object] = []
    bus.subscribe(KpiAlertRaised, seen.append)
    bus.subscribe(KpiAlertCleared, seen.append)
    tracker = AlertTracker(bus, "pbx")
    assert tracker.update(evaluate(snapshot(None, None, None, False), LIMITS), at("10:00:00"))
    assert not tracker.update(evaluate(snapshot(None, None, None, False), LIMITS), at("10:00:01"))
    assert tracker.update(evaluate(snapshot(None, None, None, True), LIMITS), at("10:00:02"))
    assert [(type(e).__name__, e.kind) for e in seen] == [  # type: ignore[attr-defined]
        ("KpiAlertRaised", "pbx_down"),
        ("KpiAlertCleared", "pbx_down"),
    ]
