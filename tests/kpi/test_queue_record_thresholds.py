"""Which threshold a queue is judged by: its record (an admin's value) > the PBX's
servicelevel > CALLCENTER_QUEUE_THRESHOLDS (a fallback) > the default; the live board reads
a record changed while it runs."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import VisitOutcome as V
from callcenter.db import transaction
from callcenter.events import CallEnded
from callcenter.queues.presence import Presence
from callcenter.queues.records import QueueFields, create_queue, get_queue, update_queue
from callcenter.settings import Settings
from kpi.aggregator import LiveKpis
from kpi.alerts import AlertLimits
from kpi.board import LiveBoard
from kpi.summary import QueueThresholds, ThresholdSource
from kpi.thresholds import RecordThresholds, stored_thresholds, thresholds_from_settings
from tests.kpi.calls import at, call, visit

SETTINGS = Settings(
    service_level_s=20,
    short_abandon_s=5,
    service_level_target=0.8,
    queue_thresholds={"billing": {"service_level_s": 25, "short_abandon_s": 3, "target": 0.7}},
)
Q, P, S, D = (ThresholdSource.QUEUE, ThresholdSource.PBX, ThresholdSource.SETTING,
              ThresholdSource.DEFAULT)  # fmt: skip


@pytest.mark.parametrize(
    ("record", "pbx", "expected"),
    [
        (RecordThresholds(40, 8, 0.9), 30.0, QueueThresholds(40, 8, 0.9, Q)),
        (RecordThresholds(40), 30.0, QueueThresholds(40, 3, 0.7, Q)),
        (RecordThresholds(None, 8), 30.0, QueueThresholds(30, 8, 0.7, P)),
        (RecordThresholds(target=0.95), None, QueueThresholds(25, 3, 0.95, S)),
        (None, 30.0, QueueThresholds(30, 3, 0.7, P)),
        (None, None, QueueThresholds(25, 3, 0.7, S)),
    ],
)
def test_record_then_pbx_then_settings_for_a_queue_with_a_fallback(
    record: RecordThresholds | None, pbx: float | None, expected: QueueThresholds
) -> None:
    book = thresholds_from_settings(
        SETTINGS,
        pbx={"billing": pbx} if pbx is not None else {},
        records={"billing": record} if record is not None else {},
    )
    assert book.for_queue("billing") == expected


def test_a_queue_with_nothing_set_anywhere_uses_the_default() -> None:
    book = thresholds_from_settings(SETTINGS, records={"billing": RecordThresholds(40)})
    assert book.for_queue("support") == QueueThresholds(20, 5, 0.8, D)
    assert book.queues() == {"billing"}


def test_reports_read_the_records_as_stored(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields(service_level_s=45, short_abandon_s=2))
        create_queue(session, "sales", QueueFields())  # nothing set: not an override
    with sessions() as session:
        book = stored_thresholds(session, Settings())
    assert book.for_queue("support") == QueueThresholds(45, 2, 0.8, Q)
    assert book.for_queue("sales") == QueueThresholds(20, 5, 0.8, D)
    assert set(book.records) == {"support"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_the_board_reads_a_record_changed_while_it_runs(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields(service_level_s=30))
    bus = Bus()
    kpis = LiveKpis(thresholds_from_settings(Settings()), Presence(), Clock(at("10:00:00")))
    board = LiveBoard(kpis, AlertLimits(60, 900), bus, "pbx", period_s=3600)
    board.start(sessions)
    try:
        answered = call("c1", visit("support", "09:50:00", V.ANSWERED, 25, 60, agent="ann"))
        bus.publish(CallEnded(at=at("09:52:00"), server="pbx", record=answered))
        tile = kpis.snapshot()["queues"]["support"]
        assert (tile["service_level_s"], tile["service_level_source"]) == (30, "queue")
        assert tile["today"]["service_level"] == 1.0
        with transaction(sessions) as session:
            update_queue(session, get_queue(session, "support"), QueueFields(service_level_s=20))
        await board.refresh_records()
        tile = kpis.snapshot()["queues"]["support"]
        assert (tile["service_level_s"], tile["service_level_source"]) == (20, "queue")
        assert tile["today"]["service_level"] == 0.0  # 25 s is not within the new 20 s
        with transaction(sessions) as session:
            update_queue(session, get_queue(session, "support"), QueueFields())
        await board.refresh_records()
        tile = kpis.snapshot()["queues"]["support"]
        assert (tile["service_level_s"], tile["service_level_source"]) == (20, "default")
    finally:
        await board.stop()
