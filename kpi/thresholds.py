"""Per-queue KPI thresholds (T, short abandon, service-level target): which one a queue is
judged by, from the settings and what its PBX reports.

A queue's service-level threshold T is, in order: an admin's override
(`CALLCENTER_QUEUE_THRESHOLDS`), else the `servicelevel` its PBX reports (QueueParams, kept
by `callcenter.queues.service_levels`), else the default (`CALLCENTER_SERVICE_LEVEL_S`,
20 s), so the Asterisk-style service levels agree with `queue show`. Every figure carries
which one it used (`QueueThresholds.service_level_source`). Short abandon and target come
from the settings only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from callcenter.queues.service import pbx_service_levels
from callcenter.settings import Settings
from kpi.summary import QueueThresholds, ThresholdSource

KNOWN_KEYS = frozenset({"service_level_s", "short_abandon_s", "target"})


@dataclass(frozen=True, slots=True)
class ThresholdBook:
    """The default thresholds, the queues an admin overrides, and the PBX's thresholds.

    An override's T wins when it is marked `ThresholdSource.SETTING` (what
    `thresholds_from_settings` does for a queue given `service_level_s`); otherwise the PBX's
    T for that queue replaces it."""

    default: QueueThresholds = field(default_factory=QueueThresholds)
    overrides: Mapping[str, QueueThresholds] = field(default_factory=dict)
    pbx: Mapping[str, float] = field(default_factory=dict)

    def for_queue(self, queue: str) -> QueueThresholds:
        """The thresholds `queue` is judged by."""
        override = self.overrides.get(queue)
        if override is not None and override.service_level_source is ThresholdSource.SETTING:
            return override
        base = override or self.default
        reported = self.pbx.get(queue)
        if reported is None:
            return base
        return replace(base, service_level_s=reported, service_level_source=ThresholdSource.PBX)

    def queues(self) -> frozenset[str]:
        """The queues judged by something other than the default."""
        return frozenset(self.overrides) | frozenset(self.pbx)

    def with_pbx(self, pbx: Mapping[str, float]) -> ThresholdBook:
        """This book with the PBX's thresholds `pbx` (queue -> seconds)."""
        return replace(self, pbx=dict(pbx))


def thresholds_from_settings(
    settings: Settings, pbx: Mapping[str, float] | None = None
) -> ThresholdBook:
    """Defaults from `service_level_s`, `short_abandon_s`, `service_level_target`, and the
    `queue_thresholds` mapping (queue -> any of service_level_s, short_abandon_s, target);
    `pbx` the thresholds the PBX reports (queue -> seconds), for queues not overridden."""
    default = QueueThresholds(
        service_level_s=settings.service_level_s,
        short_abandon_s=settings.short_abandon_s,
        target=settings.service_level_target,
    )
    overrides: dict[str, QueueThresholds] = {}
    for queue, values in settings.queue_thresholds.items():
        unknown = set(values) - KNOWN_KEYS
        if unknown:
            raise ValueError(
                f"queue_thresholds[{queue!r}] has unknown keys {sorted(unknown)}; "
                f"use {sorted(KNOWN_KEYS)}"
            )
        overridden = "service_level_s" in values
        overrides[queue] = QueueThresholds(
            service_level_s=values.get("service_level_s", default.service_level_s),
            short_abandon_s=values.get("short_abandon_s", default.short_abandon_s),
            target=values.get("target", default.target),
            service_level_source=(
                ThresholdSource.SETTING if overridden else ThresholdSource.DEFAULT
            ),
        )
    return ThresholdBook(default, overrides, dict(pbx or {}))


def stored_thresholds(session: Session, settings: Settings) -> ThresholdBook:
    """The settings' thresholds with the PBX's as stored (`pbx_queues`): what reports, the
    rollups and a rebuild judge queues by."""
    return thresholds_from_settings(settings, stored_pbx_levels(session))


def stored_pbx_levels(session: Session) -> dict[str, float]:
    """Queue -> the service-level threshold its PBX last reported (seconds)."""
    return {
        queue: level.seconds
        for queue, level in pbx_service_levels(session).items()
        if level.seconds is not None
    }
