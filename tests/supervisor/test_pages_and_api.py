"""KPI API and supervisor pages: reports, explain, CSV, staffing; supervisors and admins only."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import AgentState, AgentStateRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_agent_states, store_calls
from callcenter.queues.service import PbxServiceLevel, note_pbx_queues
from crm.tickets.models import Ticket, TicketCall
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS, at, call, visit
from tests.kpi.test_reports import CALLS

DAY = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)


def bearer(staff: Staff, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff.tokens[name]}"}


def test_report_api(client: TestClient, staff: Staff, stored: None) -> None:
    answer = client.get(
        "/api/kpi/report", params={**DAY, "interval": "60m"}, headers=bearer(staff, "supervisor1")
    )
    assert answer.status_code == 200
    assert answer.json()["queues"]["support"]["offered"] == 8


def test_csv_export(client: TestClient, staff: Staff, stored: None) -> None:
    answer = client.get(
        "/api/kpi/report", params={**DAY, "format": "csv"}, headers=bearer(staff, "admin")
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[0].startswith("start,end,queue,")


def test_explain_lists_numerator_and_denominator(
    client: TestClient, staff: Staff, stored: None
) -> None:
    params = {**DAY, "kpi": "service_level", "queue": "support"}
    # An admin sees every agent's calls (team scope: test_explain_scope.py).
    answer = client.get("/api/kpi/explain", params=params, headers=bearer(staff, "admin"))
    body = answer.json()
    assert answer.status_code == 200
    assert [row["linkedid"] for row in body["numerator"]] == ["c1", "c2", "c8"]
    # Everything offered but the short abandon c4.
    assert [row["linkedid"] for row in body["denominator"]] == [
        "c1",
        "c2",
        "c3",
        "c5",
        "c6",
        "c7",
        "c8",
    ]
    assert body["value"] == pytest.approx(3 / 7)


def test_explain_says_how_each_call_was_routed(
    client: TestClient, staff: Staff, stored: None, sessions: sessionmaker[Session]
) -> None:
    from callcenter.queues.routing.decision import Reason, RouteDecision
    from callcenter.queues.routing.facts import RouteRequest
    from callcenter.queues.routing.store import store_decisions

    vip = RouteDecision(queue="support", reason=Reason.VIP, priority=10)
    with sessions() as session, session.begin():
        request = RouteRequest(
            caller="+15550001", dialed="5550100", at=at("08:00:00"), uniqueid="c2"
        )
        store_decisions(session, [(request, vip, 0.8)])
    params = {**DAY, "kpi": "service_level", "queue": "support"}
    answer = client.get("/api/kpi/explain", params=params, headers=bearer(staff, "admin"))
    routed = {row["linkedid"]: row["routed"] for row in answer.json()["numerator"]}
    assert routed["c2"] == {"reason": "vip", "rule": "vip", "priority": 10}
    assert routed["c1"] is None  # not routed by the CRM
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/explain", params=params)
    assert page.status_code == 200
    assert "vip, priority 10" in page.text


def test_explain_refuses_an_unknown_kpi(client: TestClient, staff: Staff) -> None:
    params = {**DAY, "kpi": "happiness", "queue": "support"}
    answer = client.get("/api/kpi/explain", params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == 400
    assert "unknown kpi" in answer.json()["detail"]


def test_staffing_api(client: TestClient, staff: Staff) -> None:
    params = {"calls_per_hour": 1000, "aht": 180, "target": "0.8/20", "patience": 120}
    answer = client.get("/api/kpi/staff", params=params, headers=bearer(staff, "admin"))
    assert (answer.json()["agents_erlang_c"], answer.json()["agents_erlang_a"]) == (56, 50)


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"calls_per_hour": 1e9, "aht": 1e9}, "calls_per_hour"),
        ({"calls_per_hour": "nan", "aht": 180}, "calls_per_hour"),
        ({"calls_per_hour": 1000, "aht": "inf"}, "aht"),
        ({"calls_per_hour": 1e308, "aht": 180}, "calls_per_hour"),
        ({"calls_per_hour": 1000, "aht": 180, "patience": 0.001}, "patience"),
        ({"calls_per_hour": 1000, "aht": 180, "target": "nan/20"}, "target must look like"),
        ({"calls_per_hour": 1000, "aht": 180, "target": "0.8/1e9"}, "target time"),
        ({"calls_per_hour": 90_000, "aht": 3600}, "at most 2,000 erlangs"),
    ],
)
def test_staffing_refuses_what_no_call_center_means(
    client: TestClient, staff: Staff, params: dict[str, object], said: str
) -> None:
    answer = client.get("/api/kpi/staff", params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == 422
    assert said in answer.text


def test_the_largest_staffing_question_allowed_is_answered(
    client: TestClient, staff: Staff
) -> None:
    params = {"calls_per_hour": 24_000, "aht": 300, "patience": 60}  # 2,000 erlangs
    answer = client.get("/api/kpi/staff", params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == 200
    assert answer.json()["agents_erlang_c"] > 2000 > answer.json()["agents_erlang_a"]
    assert client.get("/healthz").status_code == 200


def test_agents_may_not_read_kpis(client: TestClient, staff: Staff) -> None:
    answer = client.get("/api/kpi/report", headers=bearer(staff, "agent1"))
    assert answer.status_code == 403


def test_reports_page_has_table_chart_csv_and_explain_links(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "interval": "15m"})
    assert page.status_code == 200
    assert 'data-testid="report-table"' in page.text
    assert "/supervisor/explain?kpi=service_level&amp;queue=support" in page.text
    assert "format=csv" in page.text
    assert "uPlot.iife.min.js" in page.text
    assert client.get("/static/supervisor/uPlot.iife.min.js").status_code == 200


def test_reports_page_shows_aht_with_wrap_up_beside_talk_and_hold(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "interval": "day"}).text
    assert ">AHT</th><th" in page
    # support: AHT (650 talk+hold + 45 wrap-up) / 4 = 173.75 s beside talk+hold 650 / 4 =
    # 162.5 s, as m:ss
    assert "<td>2:54</td><td>2:43</td>" in page


def test_staffing_page(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/staffing", params={"calls_per_hour": 1000, "aht": 180})
    assert page.status_code == 200
    assert "Erlang C <strong>56</strong>" in page.text


def test_staffing_page_says_what_is_wrong(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/staffing", params={"calls_per_hour": "nan", "aht": 180})
    assert page.status_code == 400
    assert "finite number" in page.text


def test_wallboard_page_for_supervisors_only(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/supervisor/wallboard").status_code == 403
    sign_in_as(client, staff, "supervisor2")
    page = client.get("/supervisor/wallboard")
    assert page.status_code == 200
    assert "/static/supervisor/wallboard.js" in page.text


def test_agent_and_team_report_in_team_scope(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    #  agent    interval        state     (agent1 and agent2 are red, agent3 blue)
    states = [
        ("agent1", "09:00:00", "10:00:00", AgentState.AVAILABLE),
        ("agent1", "10:00:00", "11:00:00", AgentState.ON_CALL),
        ("agent3", "09:00:00", "11:00:00", AgentState.PAUSED),
    ]
    calls = [
        call("a1", visit("support", "10:00:00", V.ANSWERED, 10, 3000, 600, "agent1")),
        call("a2", visit("support", "10:30:00", V.TRANSFERRED, 5, 0, 0, "agent1")),
    ]
    with sessions() as session, session.begin():
        store_calls(session, calls, after_store=ROLLUPS)
        store_agent_states(
            session,
            [
                AgentStateRecord("pbx", name, f"PJSIP/{name}", state, at(begin), at(end))
                for name, begin, end, state in states
            ],
        )
    answer = client.get("/api/kpi/agents", params=DAY, headers=bearer(staff, "supervisor1"))
    agents = answer.json()["agents"]
    assert list(agents) == ["agent1"]  # agent3 is in another team
    agent1 = agents["agent1"]
    assert (agent1["answered"], agent1["transferred"]) == (2, 1)
    assert agent1["aht_s"] == pytest.approx((3000 + 600) / 2)
    assert agent1["occupancy"] == pytest.approx(0.5)  # 1 h on call / (1 h + 1 h available)
    assert agent1["calls_per_agent_hour"] == pytest.approx(1.0)  # 2 calls in 2 logged-in hours
    teams = client.get(
        "/api/kpi/agents", params={**DAY, "by": "team"}, headers=bearer(staff, "admin")
    ).json()["teams"]
    assert set(teams) == {"red", "blue"}
    assert teams["blue"]["utilisation"] == 0.0  # paused all along: logged in, never busy


def test_quality_kpis_from_tickets_linked_to_calls(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    #  call  number        entered     ticket type  resolved
    ann, bob = "+15550000001", "+15550000002"
    calls = [
        call("q1", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number=ann),
        call("q2", visit("support", "09:30:00", V.ANSWERED, 5, 60, 0, "agent1"), number=ann),
        call("q3", visit("support", "10:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number=bob),
    ]
    with sessions() as session, session.begin():
        store_calls(session, calls, after_store=ROLLUPS)
        for linkedid, kind, resolved in [("q1", "incident", True), ("q3", "complaint", True)]:
            opened = next(c.started_at for c in calls if c.linkedid == linkedid)
            session.add(
                Ticket(
                    subject=f"from {linkedid}", type=kind, priority="normal", status="resolved",
                    created_at=opened, updated_at=opened,
                    resolved_at=opened + timedelta(hours=2) if resolved else None,
                    calls=[TicketCall(server="pbx", linkedid=linkedid)],
                )
            )  # fmt: skip
    body = client.get("/api/kpi/quality", params=DAY, headers=bearer(staff, "admin")).json()
    assert body["tickets_from_calls"] == 2
    assert body["fcr"] == pytest.approx(1 / 2)  # Ann called again (q2): only Bob's counts
    assert body["repeat_caller_rate"] == pytest.approx(1 / 3)  # q1 is followed by q2
    assert body["complaint_rate"] == pytest.approx(1 / 3)  # 1 complaint / 3 answered calls


def test_queue_charts_hold_every_interval_of_the_period(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "interval": "60m"}).text
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page)
    assert found is not None
    billing = json.loads(found.group(1))["billing"]
    # 24 hours on the axis; billing's one call (09:21) is the only interval with data: an
    # empty hour offered 0 calls and has no service level. (The app runs on the default
    # T = 20 s here, and that call waited 25 s.)
    assert len(billing["t"]) == 24
    assert billing["offered"] == [0] * 9 + [1] + [0] * 14
    assert billing["service_level"] == [None] * 9 + [0.0] + [None] * 14


def test_reports_show_which_threshold_each_service_level_uses(
    client: TestClient, staff: Staff, stored: None, sessions: sessionmaker[Session]
) -> None:
    # The PBX listed billing with `servicelevel = 30`; support it never listed.
    with sessions() as session, session.begin():
        note_pbx_queues(session, [PbxServiceLevel("billing", "pbx", 30.0, at("08:00:00"))])
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "interval": "day"}).text
    assert 'data-testid="threshold-billing">SL 30 s (PBX)<' in page
    assert 'data-testid="threshold-support">SL 20 s (default)<' in page
    answer = client.get("/api/kpi/report", params=DAY, headers=bearer(staff, "supervisor1"))
    billing = answer.json()["queues"]["billing"]
    assert (billing["service_level_s"], billing["service_level_source"]) == (30, "pbx")
    assert billing["service_level"] == 1.0  # answered after 25 s: within the PBX's 30 s
