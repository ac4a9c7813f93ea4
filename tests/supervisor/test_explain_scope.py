"""KPI explanations in team scope: a supervisor lists only their team's agents' calls."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from tests.console_app import Staff
from tests.kpi.calls import ROLLUPS, call, visit
from tests.supervisor.test_pages_and_api import DAY, bearer

#  call  agent (agent1 red, agent3 blue, PJSIP/1001 is agent1's interface)   outcome
CALLS = [
    call("red", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number="+1555001"),
    call("iface", visit("support", "09:10:00", V.ANSWERED, 5, 60, 0, "PJSIP/1001")),
    call("blue", visit("support", "09:20:00", V.ANSWERED, 5, 60, 0, "agent3"), number="+1555003"),
    call("gone", visit("support", "09:30:00", V.ABANDONED, 40)),
]


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)


def listed(client: TestClient, staff: Staff, viewer: str) -> dict[str, object]:
    params = {**DAY, "kpi": "service_level", "queue": "support"}
    answer = client.get("/api/kpi/explain", params=params, headers=bearer(staff, viewer))
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


@pytest.mark.parametrize(
    ("viewer", "shown", "hidden"),
    [
        ("supervisor1", ["red", "iface", "gone"], 1),  # red team: agent1 under both names
        ("supervisor2", ["blue", "gone"], 2),
        ("admin", ["red", "iface", "blue", "gone"], 0),
    ],
)
def test_explain_lists_the_viewers_team_only(
    client: TestClient, staff: Staff, stored: None, viewer: str, shown: list[str], hidden: int
) -> None:
    body = listed(client, staff, viewer)
    rows = body["denominator"]
    assert isinstance(rows, list)
    assert [row["linkedid"] for row in rows] == shown
    assert body["hidden"] == {"numerator": hidden, "denominator": hidden}


def test_the_value_still_covers_the_whole_queue(
    client: TestClient, staff: Staff, stored: None
) -> None:
    body = listed(client, staff, "supervisor2")
    assert (body["numerator_count"], body["denominator_count"]) == (3, 4)
    assert body["value"] == pytest.approx(3 / 4)
