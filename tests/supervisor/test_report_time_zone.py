"""The reports page and the KPI API in the site's time zone: a DST day's hours, local
labels with the offset, dates as local midnights."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.settings import Settings
from tests.console_app import SECRET, Staff, sign_in_as
from tests.kpi.dst_calls import FALL, SPRING, store_dst_days


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,
        sla_check_interval_s=3600,
        time_zone="Europe/Berlin",
    )


@pytest.fixture
def dst_days(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        store_dst_days(session)


def chart_axis(page: str) -> list[float]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page)
    assert found is not None
    return list(json.loads(found.group(1))["support"]["t"])


@pytest.mark.parametrize(
    ("day", "following", "hours"), [(SPRING, "2026-03-30", 23), (FALL, "2026-10-26", 25)]
)
def test_reports_page_cuts_a_dst_day_in_local_hours(
    client: TestClient, staff: Staff, dst_days: None, day: str, following: str, hours: int
) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get(
        "/supervisor/reports", params={"from": day, "to": following, "interval": "60m"}
    ).text
    assert len(chart_axis(page)) == hours
    assert 'data-zone="Europe/Berlin"' in page
    table = page[page.index('data-testid="interval-table"') :]
    assert table.count("<tr><td>") == hours
    if day == FALL:
        assert "<td>2026-10-25 02:00+02:00</td>" in table
        assert "<td>2026-10-25 02:00+01:00</td>" in table
    else:
        assert "<td>2026-03-29 01:00+01:00</td><" in table
        assert "<td>2026-03-29 03:00+02:00</td><" in table
    agents = client.get(
        "/supervisor/reports",
        params={"from": day, "to": following, "interval": "60m", "by": "agent"},
    ).text
    assert agents.count("<tr><td>20") == hours


def test_api_reads_dates_as_local_midnights(
    client: TestClient, staff: Staff, dst_days: None
) -> None:
    headers = {"Authorization": f"Bearer {staff.tokens['supervisor1']}"}
    period = {"from": FALL, "to": "2026-10-26", "interval": "day"}
    report = client.get("/api/kpi/report", params=period, headers=headers).json()
    (day,) = report["intervals"]
    assert (day["start"], day["end"]) == ("2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00")
    assert day["offered"] == 25
    hourly = client.get(
        "/api/kpi/report", params={**period, "interval": "60m"}, headers=headers
    ).json()
    assert len(hourly["intervals"]) == 25
    csv = client.get("/api/kpi/report", params={**period, "format": "csv"}, headers=headers)
    assert "2026-10-25T00:00:00+02:00,2026-10-26T00:00:00+01:00,support," in csv.text
