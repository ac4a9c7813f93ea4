"""A queue's service-level threshold comes from the PBX (QueueParams' ServiceLevel) unless an
admin set one on the queue's record, and every figure says which one it used: over a real
Asterisk's bytes.

In `load_realistic`, billing has `servicelevel = 30` (support 20). One billing caller gave
up after 23 s: within Asterisk's 30 s, not within the project's old default 20 s, so only
with the PBX's threshold does the project's ServicelevelPerf2 agree with Asterisk's own
(100.0 % in the final QueueParams).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.models import QueueIntervalRollup
from callcenter.calls.service import list_calls
from callcenter.cli import main
from callcenter.cti.pipeline import Pipeline
from callcenter.db import transaction
from callcenter.events import QueueParamsReported
from callcenter.pbx_cli import replay_into_database
from callcenter.queues.models import PbxQueue
from callcenter.queues.presence import Presence
from callcenter.queues.records import QueueFields, create_queue
from callcenter.queues.service_levels import PbxServiceLevels
from callcenter.settings import Settings
from kpi.aggregator import LiveKpis
from kpi.thresholds import RecordThresholds, thresholds_from_settings
from tests.conftest import FIXTURES
from tests.cti.captures import capture_bytes, replay_capture
from tests.kpi.test_captures import final_queue_params

LOAD = "load_realistic"
# The capture's last event (its final QueueStatus), on the PBX's clock.
LOAD_ENDED = datetime(2026, 11, 23, 13, 50, 12, tzinfo=UTC)
DAY = ("--from", "2026-11-23", "--to", "2026-11-24")


def report(capsys: pytest.CaptureFixture[str], url: str) -> dict[str, Any]:
    code = main(["kpi", "report", *DAY, "--json", "--database", url])
    out, err = capsys.readouterr()
    assert code == 0, err
    queues: dict[str, Any] = json.loads(out)["queues"]
    return queues


@pytest.fixture
def replayed(database_url: str) -> str:
    """`load_realistic` replayed into the database as `callcenter ami replay` does."""
    source = next((FIXTURES / "ami" / LOAD).glob("ami.raw*"))
    replay_into_database(str(source), server="pbx", settings=Settings(database_url=database_url))
    return database_url


def test_queue_params_become_typed_events_with_each_queues_threshold() -> None:
    events = [
        e for e in replay_capture("agent_states").events if isinstance(e, QueueParamsReported)
    ]
    listed = {(e.queue, e.strategy, e.service_level_s) for e in events}
    assert listed == {
        ("billing", "leastrecent", 30.0),
        ("support", "rrmemory", 20.0),
        ("sales", "rrmemory", 30.0),
    }
    assert {e.server for e in events} == {"pbx"}


def test_the_final_queue_params_carry_asterisks_own_counters() -> None:
    events = [e for e in replay_capture(LOAD).events if isinstance(e, QueueParamsReported)]
    billing = next(e for e in events if e.queue == "billing")
    assert (billing.completed, billing.abandoned, billing.waiting) == (117, 5, 0)
    assert (billing.service_level_perf, billing.service_level_perf2) == (1.0, 1.0)


def test_a_replay_stores_each_queues_pbx_threshold_with_when_it_was_seen(
    replayed: str, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        rows = {(r.server, r.queue, r.service_level_s): r.seen_at for r in session.scalars(
            select(PbxQueue)
        )}  # fmt: skip
    assert set(rows) == {("pbx", "billing", 30.0), ("pbx", "support", 20.0), ("pbx", "sales", 30.0)}
    for seen_at in rows.values():
        assert abs((seen_at - LOAD_ENDED).total_seconds()) < 1


def test_reports_use_the_pbx_threshold_and_agree_with_asterisk(
    replayed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    queues = report(capsys, replayed)
    asterisk = final_queue_params(LOAD)
    for name in ("billing", "support"):
        ours = queues[name]
        assert (ours["service_level_s"], ours["service_level_source"]) == (
            asterisk[name].service_level_s,
            "pbx",
        ), name
        assert ours["service_level_asterisk"] == pytest.approx(asterisk[name].perf, abs=0.0006)
        assert ours["service_level_asterisk2"] == pytest.approx(asterisk[name].perf2, abs=0.0006)
    assert queues["billing"]["service_level_asterisk2"] == 1.0


def test_a_queue_records_threshold_wins_over_the_pbx(
    replayed: str, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "billing", QueueFields(service_level_s=20))
    queues = report(capsys, replayed)
    billing, support = queues["billing"], queues["support"]
    assert (billing["service_level_s"], billing["service_level_source"]) == (20, "queue")
    # 117 answered within 20 s, 4 of the 5 abandons within 20 s (one left after 23 s)
    assert billing["service_level_asterisk2"] == pytest.approx((117 + 4) / 122)
    assert (support["service_level_s"], support["service_level_source"]) == (20, "pbx")


def test_the_settings_threshold_is_a_fallback_the_pbx_wins_over(
    replayed: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_QUEUE_THRESHOLDS", '{"billing": {"service_level_s": 20}}')
    billing = report(capsys, replayed)["billing"]
    assert (billing["service_level_s"], billing["service_level_source"]) == (30, "pbx")


def test_an_override_of_another_figure_keeps_the_pbx_threshold(
    replayed: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_QUEUE_THRESHOLDS", '{"billing": {"short_abandon_s": 3}}')
    billing = report(capsys, replayed)["billing"]
    assert (billing["service_level_s"], billing["service_level_source"]) == (30, "pbx")


def test_a_queue_the_pbx_never_listed_uses_the_default(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `answered` without the QueueParams of its final QueueStatus: nothing named a threshold.
    frames = capture_bytes("answered").split(b"\r\n\r\n")
    kept = [frame for frame in frames if not frame.startswith(b"Event: QueueParams")]
    assert len(kept) < len(frames)
    source = tmp_path / "answered.raw"
    source.write_bytes(b"\r\n\r\n".join(kept))
    replay_into_database(str(source), server="pbx", settings=Settings(database_url=database_url))
    support = report(capsys, database_url)["support"]
    assert (support["service_level_s"], support["service_level_source"]) == (20, "default")


def test_rebuilt_rollups_count_with_the_pbx_threshold(
    replayed: str, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert main(["kpi", "rollup", "rebuild", "--database", replayed]) == 0
    capsys.readouterr()
    with sessions() as session:
        levels = {
            (row.queue, row.service_level_s) for row in session.scalars(select(QueueIntervalRollup))
        }
    assert levels == {("billing", 30.0), ("support", 20.0)}
    assert report(capsys, replayed)["billing"]["service_level_asterisk2"] == 1.0


def live_board(
    sessions: sessionmaker[Session] | None, bus: Bus | None, settings: Settings | None = None
) -> LiveKpis:
    """The live aggregator as `serve` builds it, its clock at the capture's end."""
    levels = PbxServiceLevels(sessions)
    levels.load()
    if bus is not None:
        levels.subscribe(bus)
    kpis = LiveKpis(
        thresholds_from_settings(settings or Settings()),
        Presence(),
        lambda: LOAD_ENDED,
        pbx_levels=levels,
    )
    if bus is not None:
        kpis.subscribe(bus)
    return kpis


def test_the_live_board_counts_today_again_when_the_pbx_reports_its_threshold() -> None:
    bus = Bus()
    kpis = live_board(None, bus)
    pipeline = Pipeline(server="pbx", bus=bus)
    # Every call of the capture ends before its final QueueStatus names the thresholds.
    pipeline.feed_bytes(capture_bytes(LOAD))
    pipeline.close(end_open_calls=True)
    snapshot = kpis.snapshot()
    asterisk = final_queue_params(LOAD)
    for name in ("billing", "support"):
        tile = snapshot["queues"][name]
        assert (tile["service_level_s"], tile["service_level_source"]) == (
            asterisk[name].service_level_s,
            "pbx",
        )
        today = tile["today"]
        assert today["service_level_source"] == "pbx"
        assert today["service_level_asterisk2"] == pytest.approx(asterisk[name].perf2, abs=0.0006)
        assert today["service_level_asterisk"] == pytest.approx(asterisk[name].perf, abs=0.0006)
        # The whole capture lies within the last hour: its minutes were counted again too.
        last_hour = tile["last_60m"]
        assert last_hour["service_level_s"] == asterisk[name].service_level_s
        assert last_hour["service_level_asterisk2"] == today["service_level_asterisk2"]
        assert last_hour["offered"] == today["offered"]


def test_on_the_board_too_a_queue_records_threshold_wins_over_the_pbx() -> None:
    bus = Bus()
    kpis = live_board(None, bus)
    kpis.set_records({"billing": RecordThresholds(service_level_s=20)})
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(capture_bytes(LOAD))
    pipeline.close(end_open_calls=True)
    queues = kpis.snapshot()["queues"]
    billing, support = queues["billing"], queues["support"]
    assert (billing["service_level_s"], billing["service_level_source"]) == (20, "queue")
    assert billing["today"]["service_level_asterisk2"] == pytest.approx((117 + 4) / 122)
    assert (support["service_level_s"], support["service_level_source"]) == (20, "pbx")


def test_after_a_restart_the_board_judges_by_the_stored_pbx_threshold(
    replayed: str, sessions: sessionmaker[Session]
) -> None:
    kpis = live_board(sessions, None)  # no PBX link yet
    with sessions() as session:
        kpis.rebuild(list_calls(session, since=datetime(2026, 11, 23, tzinfo=UTC)))
    billing = kpis.snapshot()["queues"]["billing"]
    assert (billing["service_level_s"], billing["service_level_source"]) == (30, "pbx")
    assert billing["today"]["service_level_asterisk2"] == 1.0


def test_the_settings_default_is_shown_as_such() -> None:
    kpis = LiveKpis(thresholds_from_settings(Settings()), Presence(), lambda: LOAD_ENDED)
    kpis.queue("support")
    tile = kpis.snapshot()["queues"]["support"]
    assert (tile["service_level_s"], tile["service_level_source"]) == (20, "default")
