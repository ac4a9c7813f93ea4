"""A call's record that replaces its earlier data_gap record counts once on the live board
(an adapter's stop record, then the next start's finished one; issue 12, item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from callcenter.bus import Bus
from callcenter.calls.records import VisitOutcome as V
from callcenter.events import CallEnded
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import at, call, visit

BOOK = ThresholdBook(QueueThresholds(20, 5, 0.8))


def board(now: datetime) -> tuple[LiveKpis, Bus]:
    bus = Bus()
    kpis = LiveKpis(BOOK, Presence(), lambda: now)
    kpis.subscribe(bus)
    return kpis, bus


def test_a_stop_record_then_the_finished_record_count_one_call() -> None:
    kpis, bus = board(at("10:00:00"))
    # At the stop Dan had waited 30 s and Cara talked 60 s so far with Alice.
    dan_stop = replace(call("dan", visit("support", "09:58:00", V.EXITED, 30)), data_gap=True)
    cara_stop = replace(
        call("cara", visit("support", "09:50:00", V.ANSWERED, 10, talk=60, agent="alice")),
        data_gap=True,
    )
    kpis.rebuild([dan_stop, cara_stop])  # what `serve` reads back at its next start
    # The next start finishes Cara from her events: her record replaces the stop's.
    cara = replace(
        call("cara", visit("support", "09:50:00", V.ANSWERED, 10, talk=300, agent="alice")),
        data_gap=True,
    )
    bus.publish(CallEnded(at=cara.ended_at, server="pbx", record=cara))

    today = kpis.snapshot()["queues"]["support"]["today"]
    assert (today["offered"], today["answered"]) == (2, 1)
    alice = next(a for a in kpis.snapshot()["agents"] if a["agent"] == "alice")
    assert (alice["calls_today"], alice["talk_hold_s"]) == (1, 300)
