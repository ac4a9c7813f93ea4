"""The SL columns say in one line what they count, with the real threshold and where it is
set; each SL header explains its formula."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.supervisor.render import service_level_caption
from callcenter.calls.service import store_calls
from callcenter.queues.service import PbxServiceLevel, note_pbx_queues
from kpi.summary import QueueSummary, ThresholdSource
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS, at
from tests.kpi.test_reports import CALLS

DAY = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z", "interval": "day"}


def summary(seconds: float, source: ThresholdSource) -> QueueSummary:
    return QueueSummary(
        "q", seconds, 0, 0, 0, 0, 0, 0, None, None, None, None, None, None, None, None, None,
        None, service_level_source=source,
    )  # fmt: skip


def test_caption_names_the_threshold_and_its_source() -> None:
    default = service_level_caption([summary(20, ThresholdSource.DEFAULT)])
    assert default == (
        "SL: share of calls offered, short abandons left out, answered within 20 s "
        "(T, set by the default, CALLCENTER_SERVICE_LEVEL_S)."
    )
    pbx = service_level_caption([summary(30, ThresholdSource.PBX)] * 2)
    assert "within 30 s (T, set by the queue's servicelevel on the PBX)" in pbx
    setting = service_level_caption([summary(15, ThresholdSource.SETTING)])
    assert "within 15 s (T, set by CALLCENTER_QUEUE_THRESHOLDS)" in setting
    record = service_level_caption([summary(45, ThresholdSource.QUEUE)])
    assert "within 45 s (T, set by the queue's settings under Admin)" in record
    mixed = service_level_caption(
        [summary(20, ThresholdSource.DEFAULT), summary(30, ThresholdSource.PBX)]
    )
    assert "within T, each queue's own (under its name)." in mixed


def test_reports_page_explains_the_sl_columns(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "queue": "support"}).text
    assert (
        'data-testid="sl-caption">SL: share of calls offered, short abandons left out, answered '
        "within 20 s (T, set by the default, CALLCENTER_SERVICE_LEVEL_S).</p>"
    ) in page
    assert 'aria-describedby="sl-caption"' in page
    assert '<abbr title="answered within T / answered' in page
    with sessions() as session, session.begin():
        note_pbx_queues(session, [PbxServiceLevel("billing", "pbx", 30.0, at("08:00:00"))])
    both = client.get("/supervisor/reports", params=DAY).text
    assert "answered within T, each queue&#39;s own (under its name).</p>" in both
