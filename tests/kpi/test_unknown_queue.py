"""A report asking for a queue nobody knows is refused, naming it and the known queues
(HTTP 422 with the form's field marked, CLI exit 2 in one sentence), never answered with
zeros. Known: in the call records, listed by a PBX, given members, or in the settings."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.service import store_calls
from callcenter.cli import main
from callcenter.queues.service import PbxServiceLevel, note_pbx_queues
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user
from kpi.queue_names import UnknownQueue, check_queues, known_queues
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS, at
from tests.kpi.test_reports import CALLS

DAY = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}
KNOWN = "the known queues are billing, support"


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)


def test_known_queues_come_from_records_pbx_members_and_settings(
    stored: None, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    with sessions() as session, session.begin():
        note_pbx_queues(session, [PbxServiceLevel("sales", "pbx", 30.0, at("08:00:00"))])
        create_user(
            session, "newbie", role=Role.AGENT, password="agent-password",
            interface="PJSIP/1801", member_name="Newbie", queues=[("vip", 0)],
        )  # fmt: skip
    settings = Settings(queue_thresholds={"night": {"service_level_s": 60}})
    with sessions() as session:
        assert known_queues(session) == ["billing", "sales", "support", "vip"]
        check_queues(session, ["support", "sales", "vip", "night"], settings)
        check_queues(session, None, settings)
        with pytest.raises(UnknownQueue) as refused:
            check_queues(session, ["suport", "night"], settings)
    assert str(refused.value) == (
        "no queue named 'suport': the known queues are billing, night, sales, support, vip"
    )


def test_no_queue_at_all_says_so(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(UnknownQueue, match="no queue has had a call"):
        check_queues(session, ["support"], Settings())


def test_api_refuses_an_unknown_queue(client: TestClient, staff: Staff, stored: None) -> None:
    headers = {"Authorization": f"Bearer {staff.tokens['supervisor1']}"}
    answer = client.get(
        "/api/kpi/report", params={**DAY, "queue": ["support", "suport"]}, headers=headers
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"no queue named 'suport': {KNOWN}"
    known = client.get("/api/kpi/report", params={**DAY, "queue": "billing"}, headers=headers)
    assert known.status_code == 200 and known.json()["queues"]["billing"]["offered"] == 1


def test_reports_page_marks_the_queue_field(client: TestClient, staff: Staff, stored: None) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "queue": "suport"})
    assert page.status_code == 422
    assert 'aria-invalid="true" aria-describedby="queue-error"' in page.text
    assert f"no queue named &#39;suport&#39;: {KNOWN}" in page.text
    assert 'data-testid="report-table"' not in page.text  # no table of zeros


def test_cli_refuses_an_unknown_queue_in_one_sentence(
    stored: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03"]
    code = main([*argv, "--queue", "suport", "--database", database_url])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"callcenter: no queue named 'suport': {KNOWN}\n"
    assert main([*argv, "--queue", "billing", "--json", "--database", database_url]) == 0
    assert json.loads(capsys.readouterr().out)["queues"]["billing"]["offered"] == 1
