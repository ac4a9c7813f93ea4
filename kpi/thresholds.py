"""Per-queue KPI thresholds (T, short abandon, service-level target): which one a queue is
judged by, from its queue record, what its PBX reports and the settings.

A queue's service-level threshold T is, in order: the value an admin set on the queue's
record (`callcenter.queues`, Admin > Queues or /api/queues), else the `servicelevel` its PBX
reports (QueueParams, kept by `callcenter.queues.service_levels`), so the Asterisk-style
service levels agree with `queue show`, else the fallback in `CALLCENTER_QUEUE_THRESHOLDS`,
else the default (`CALLCENTER_SERVICE_LEVEL_S`, 20 s). Every figure carries which one it
used (`QueueThresholds.service_level_source`). Short abandon and target: the queue record's,
else the settings' (the fallback, then the default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.queues.models import ServiceQueue
from callcenter.queues.service import pbx_service_levels
from callcenter.settings import Settings
from kpi.summary import QueueThresholds, ThresholdSource

KNOWN_KEYS = frozenset({"service_level_s", "short_abandon_s", "target"})


@dataclass(frozen=True, slots=True)
class RecordThresholds:
    """What an admin set on a queue's record (None: not set, the next source decides)."""

    service_level_s: float | None = None
    short_abandon_s: float | None = None
    target: float | None = None


@dataclass(frozen=True, slots=True)
class ThresholdBook:
    """The default thresholds, the settings' fallbacks per queue, the PBX's thresholds and
    the queue records' values; `for_queue` applies their precedence."""

    default: QueueThresholds = field(default_factory=QueueThresholds)
    overrides: Mapping[str, QueueThresholds] = field(default_factory=dict)
    pbx: Mapping[str, float] = field(default_factory=dict)
    records: Mapping[str, RecordThresholds] = field(default_factory=dict)

    def for_queue(self, queue: str) -> QueueThresholds:
        """The thresholds `queue` is judged by."""
        base = self.overrides.get(queue) or self.default
        record = self.records.get(queue, RecordThresholds())
        reported = self.pbx.get(queue)
        if record.service_level_s is not None:
            base = replace(
                base, service_level_s=record.service_level_s,
                service_level_source=ThresholdSource.QUEUE,
            )  # fmt: skip
        elif reported is not None:
            base = replace(base, service_level_s=reported, service_level_source=ThresholdSource.PBX)
        if record.short_abandon_s is not None:
            base = replace(base, short_abandon_s=record.short_abandon_s)
        if record.target is not None:
            base = replace(base, target=record.target)
        return base

    def queues(self) -> frozenset[str]:
        """The queues judged by something other than the default."""
        return frozenset(self.overrides) | frozenset(self.pbx) | frozenset(self.records)

    def with_pbx(self, pbx: Mapping[str, float]) -> ThresholdBook:
        """This book with the PBX's thresholds `pbx` (queue -> seconds)."""
        return replace(self, pbx=dict(pbx))

    def with_records(self, records: Mapping[str, RecordThresholds]) -> ThresholdBook:
        """This book with the queue records' values `records` (queue -> what is set)."""
        return replace(self, records=dict(records))


def thresholds_from_settings(
    settings: Settings,
    pbx: Mapping[str, float] | None = None,
    records: Mapping[str, RecordThresholds] | None = None,
) -> ThresholdBook:
    """Defaults from `service_level_s`, `short_abandon_s`, `service_level_target`, and the
    `queue_thresholds` fallbacks (queue -> any of service_level_s, short_abandon_s, target);
    `pbx` the thresholds the PBX reports (queue -> seconds), `records` the queue records'."""
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
    return ThresholdBook(default, overrides, dict(pbx or {}), dict(records or {}))


def stored_thresholds(session: Session, settings: Settings) -> ThresholdBook:
    """The settings' thresholds with the PBX's as stored (`pbx_queues`) and the queue
    records': what reports, the rollups and a rebuild judge queues by."""
    return thresholds_from_settings(
        settings, stored_pbx_levels(session), stored_record_thresholds(session)
    )


def stored_pbx_levels(session: Session) -> dict[str, float]:
    """Queue -> the service-level threshold its PBX last reported (seconds)."""
    return {
        queue: level.seconds
        for queue, level in pbx_service_levels(session).items()
        if level.seconds is not None
    }


def stored_record_thresholds(session: Session) -> dict[str, RecordThresholds]:
    """Queue -> what an admin set on its record (queues with nothing set left out)."""
    rows = session.execute(
        select(
            ServiceQueue.name,
            ServiceQueue.service_level_s,
            ServiceQueue.short_abandon_s,
            ServiceQueue.service_level_target,
        )
    )
    found = {name: RecordThresholds(t, short, target) for name, t, short, target in rows}
    return {name: values for name, values in found.items() if values != RecordThresholds()}
