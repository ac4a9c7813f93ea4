"""Per-queue KPI thresholds (T, short abandon, service-level target) from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from callcenter.settings import Settings
from kpi.summary import QueueThresholds

KNOWN_KEYS = frozenset({"service_level_s", "short_abandon_s", "target"})


@dataclass(frozen=True, slots=True)
class ThresholdBook:
    """The default thresholds and the queues that override them."""

    default: QueueThresholds = field(default_factory=QueueThresholds)
    overrides: Mapping[str, QueueThresholds] = field(default_factory=dict)

    def for_queue(self, queue: str) -> QueueThresholds:
        """The thresholds `queue` is judged by."""
        return self.overrides.get(queue, self.default)


def thresholds_from_settings(settings: Settings) -> ThresholdBook:
    """Defaults from `service_level_s`, `short_abandon_s`, `service_level_target`, and the
    `queue_thresholds` mapping (queue -> any of service_level_s, short_abandon_s, target)."""
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
        overrides[queue] = QueueThresholds(
            service_level_s=values.get("service_level_s", default.service_level_s),
            short_abandon_s=values.get("short_abandon_s", default.short_abandon_s),
            target=values.get("target", default.target),
        )
    return ThresholdBook(default, overrides)
