"""The outbound report over HTTP: JSON, CSV (spreadsheet-safe), drill-down, the page."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Campaign
from tests.console_app import Staff, sign_in_as
from tests.kpi.outbound_data import RENEWALS_DAY, store_outbound_day

DAY = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_outbound_day(session)


def bearer(staff: Staff, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff.tokens[name]}"}


def test_json_report(client: TestClient, staff: Staff, stored: None) -> None:
    answer = client.get(
        "/api/reports/outbound",
        params={**DAY, "interval": "60m"},
        headers=bearer(staff, "supervisor1"),
    )
    assert answer.status_code == 200
    renewals = answer.json()["campaigns"]["renewals"]
    assert {k: renewals[k] for k in RENEWALS_DAY} == RENEWALS_DAY
    assert [row["start"] for row in answer.json()["intervals"]] == [
        "2026-03-02T09:00:00+00:00",
        "2026-03-02T10:00:00+00:00",
    ]


def test_csv_report_is_spreadsheet_safe(
    client: TestClient, staff: Staff, stored: None, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        session.execute(
            update(Campaign).where(Campaign.name == "renewals").values(name="=HYPERLINK(1)")
        )
    answer = client.get(
        "/api/reports/outbound",
        params={**DAY, "interval": "60m", "format": "csv"},
        headers=bearer(staff, "admin"),
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    dialled = [r for r in rows if r["campaign"] == "'=HYPERLINK(1)"]
    # Two hourly rows, then the period's row with the list's figures.
    assert [r["start"] for r in dialled] == [
        "2026-03-02T09:00:00+00:00",
        "2026-03-02T10:00:00+00:00",
        "2026-03-02T00:00:00+00:00",
    ]
    period = dialled[-1]
    assert (period["dials"], period["connects"], period["contact_rate"]) == ("8", "4", "0.5")
    assert (period["abandon_rate_24h"], period["abandon_cap"]) == ("0.25", "0.03")
    assert (period["disposition:sale"], period["conversions"]) == ("2", "2")
    assert (period["leads_left"], period["list_penetration"]) == ("4", "0.777778")
    assert dialled[0]["leads_left"] == ""  # lists are described now, not per interval
    assert dialled[1]["abandon_rate"] == ""  # nothing connected: no data


@pytest.mark.parametrize(
    ("params", "code", "said"),
    [
        ({"campaign": "nope"}, 422, "unknown campaign 'nope'"),
        ({"interval": "7m"}, 400, "unknown interval"),
        ({"format": "xls"}, 400, "format must be json or csv"),
        ({"from": "2026-03-03", "to": "2026-03-02"}, 400, "must be after"),
    ],
)
def test_bad_input_is_named(
    client: TestClient, staff: Staff, stored: None, params: dict[str, str], code: int, said: str
) -> None:
    answer = client.get("/api/reports/outbound", params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == code
    assert said in answer.json()["detail"]


def test_agents_may_not_read_it(client: TestClient, staff: Staff) -> None:
    answer = client.get("/api/reports/outbound", headers=bearer(staff, "agent1"))
    assert answer.status_code == 403


def test_drill_down_lists_the_attempts_behind_a_rate(
    client: TestClient, staff: Staff, stored: None
) -> None:
    params = {**DAY, "kpi": "abandon_rate", "campaign": "renewals"}
    answer = client.get(
        "/api/reports/outbound/explain", params=params, headers=bearer(staff, "admin")
    )
    body = answer.json()
    assert answer.status_code == 200
    assert [r["linkedid"] for r in body["numerator"]] == ["L3-1"]
    assert [r["linkedid"] for r in body["denominator"]] == ["L1-1", "L3-1", "L2-2", "L3-2"]
    assert body["value"] == RENEWALS_DAY["abandon_rate"]
    contact = client.get(
        "/api/reports/outbound/explain",
        params={**params, "kpi": "contact_rate"},
        headers=bearer(staff, "admin"),
    ).json()
    assert (contact["numerator_count"], contact["denominator_count"]) == (4, 8)
    bad = client.get(
        "/api/reports/outbound/explain",
        params={**params, "kpi": "happiness"},
        headers=bearer(staff, "admin"),
    )
    assert bad.status_code == 400


def test_the_page_shows_table_charts_and_links(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports/outbound", params={**DAY, "interval": "60m"})
    assert page.status_code == 200
    assert 'data-testid="campaign-renewals"' in page.text
    assert "outbound-chart-data" in page.text and '"renewals"' in page.text
    assert "/api/reports/outbound?interval=60m" in page.text and "format=csv" in page.text
    assert "/supervisor/outbound/explain?kpi=abandon_rate&amp;campaign=renewals" in page.text
    assert 'class="sv-cap-bad" data-testid="abandon24-renewals">25.0 %' in page.text
    explained = client.get(
        "/supervisor/outbound/explain",
        params={**DAY, "kpi": "conversion_rate", "campaign": "renewals"},
    )
    assert explained.status_code == 200
    # ann and bob are in no team of supervisor1's: counted, not listed; L3-1 had no agent.
    assert "L1-1" not in explained.text and "L3-1" in explained.text
    assert "3 calls outside your team" in explained.text
    unknown = client.get("/supervisor/reports/outbound", params={"campaign": "nope"})
    assert unknown.status_code == 422
    assert "unknown campaign" in unknown.text
    assert 'href="/supervisor/reports/outbound"' in client.get("/supervisor/reports").text
