"""Report days and intervals cut in the site's time zone (CALLCENTER_TIME_ZONE): the hours
of a DST change, 23- and 25-hour days, local midnights for dates, labels with the offset."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from callcenter.settings import Settings
from kpi.agent_reports import agent_report
from kpi.intervals import bucket_of, buckets, constant_offsets, parse_instant
from kpi.periods import report_query
from kpi.reports import ReportQuery, queue_report
from kpi.thresholds import ThresholdBook
from tests.kpi.dst_calls import BERLIN, FALL, SPRING, local_day, store_dst_days, utc

# --- the bucketing itself -------------------------------------------------------------


def test_a_date_is_the_sites_midnight() -> None:
    assert parse_instant("2026-03-02", BERLIN) == utc("2026-03-01T23:00")
    assert parse_instant("2026-07-02", BERLIN) == utc("2026-07-01T22:00")
    assert parse_instant("2026-03-02T08:30", BERLIN) == utc("2026-03-02T07:30")
    # An explicit offset wins over the site's zone; UTC reads as before.
    assert parse_instant("2026-03-02T08:30+05:00", BERLIN) == utc("2026-03-02T03:30")
    assert parse_instant("2026-03-02") == utc("2026-03-02T00:00")


def test_spring_forward_day_has_23_hours() -> None:
    start, end = local_day(SPRING)
    assert (start, end) == (utc("2026-03-28T23:00"), utc("2026-03-29T22:00"))
    hours = list(buckets(start, end, 3600, BERLIN))
    assert len(hours) == 23
    labels = [h.astimezone(BERLIN).strftime("%H:%M%z") for h in hours]
    assert labels[:4] == ["00:00+0100", "01:00+0100", "03:00+0200", "04:00+0200"]
    assert len(list(buckets(start, end, 900, BERLIN))) == 92
    assert list(buckets(start, end, 86400, BERLIN)) == [start]


def test_fall_back_day_has_25_hours_and_the_repeated_hour_twice() -> None:
    start, end = local_day(FALL)
    assert end - start == timedelta(hours=25)
    hours = list(buckets(start, end, 3600, BERLIN))
    assert len(hours) == 25
    labels = [h.astimezone(BERLIN).isoformat() for h in hours[2:4]]
    assert labels == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]
    # 02:30 happens twice: each time in its own hour.
    assert bucket_of(utc("2026-10-25T00:30"), 3600, BERLIN) == utc("2026-10-25T00:00")
    assert bucket_of(utc("2026-10-25T01:30"), 3600, BERLIN) == utc("2026-10-25T01:00")
    assert len(list(buckets(start, end, 1800, BERLIN))) == 50


def test_days_and_weeks_start_at_local_midnight() -> None:
    late = utc("2026-03-03T23:30")  # Wednesday 00:30 in Berlin
    assert bucket_of(late, 86400, BERLIN) == utc("2026-03-03T23:00")
    assert bucket_of(late, 604800, BERLIN) == utc("2026-03-01T23:00")  # Monday 2 March
    assert bucket_of(late, 86400) == utc("2026-03-03T00:00")  # UTC as before
    assert bucket_of(late, 604800) == utc("2026-03-02T00:00")


def test_half_hour_zone_cuts_hours_on_its_own_clock() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30
    assert bucket_of(utc("2026-03-02T04:10"), 3600, kolkata) == utc("2026-03-02T03:30")
    assert bucket_of(utc("2026-03-02T04:10"), 900, kolkata) == utc("2026-03-02T04:00")


def test_a_year_is_three_pieces_of_one_offset() -> None:
    start, end = parse_instant("2026-01-01", BERLIN), parse_instant("2027-01-01", BERLIN)
    assert constant_offsets(start, end, BERLIN) == [
        (start, utc("2026-03-29T01:00"), 3600),
        (utc("2026-03-29T01:00"), utc("2026-10-25T01:00"), 7200),
        (utc("2026-10-25T01:00"), end, 3600),
    ]
    assert constant_offsets(start, end, UTC) == [(start, end, 0)]


def test_the_setting_is_validated() -> None:
    assert Settings(time_zone="Europe/Berlin").zone == BERLIN
    assert Settings().time_zone == "UTC"
    for bad in ("Mars/Olympus", "", "Europe", "../etc/passwd"):
        with pytest.raises(ValidationError, match="is not a time zone: use an IANA name"):
            Settings(time_zone=bad)


def test_report_query_defaults_to_todays_local_midnight() -> None:
    query = report_query(None, None, None, "60m", zone=BERLIN)
    local = query.start.astimezone(BERLIN)
    assert (local.hour, local.minute) == (0, 0)
    assert query.end - query.start <= timedelta(hours=25)
    assert query.zone is BERLIN


# --- reports over stored calls ----------------------------------------------------------


@pytest.fixture
def dst_days(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        store_dst_days(session)


@pytest.mark.parametrize(("day", "hours"), [(SPRING, 23), (FALL, 25)])
def test_queue_report_hours_of_a_dst_day(
    dst_days: None, sessions: sessionmaker[Session], day: str, hours: int
) -> None:
    start, end = local_day(day)
    with sessions() as session:
        hourly = queue_report(session, ReportQuery(start, end, None, 3600, BERLIN), ThresholdBook())
        daily = queue_report(session, ReportQuery(start, end, None, 86400, BERLIN), ThresholdBook())
    document = hourly.as_json()
    assert len(document["intervals"]) == hours
    assert all(row["offered"] == 1 for row in document["intervals"])
    assert document["queues"]["support"]["offered"] == hours
    midnight = {SPRING: "2026-03-29T00:00:00+01:00", FALL: "2026-10-25T00:00:00+02:00"}
    assert document["intervals"][0]["start"] == midnight[day]
    (whole,) = daily.as_json()["intervals"]
    assert whole["offered"] == hours
    assert (whole["start"], whole["end"]) == (
        start.astimezone(BERLIN).isoformat(),
        end.astimezone(BERLIN).isoformat(),
    )


def test_calls_in_the_repeated_hour_go_to_their_own_interval(
    dst_days: None, sessions: sessionmaker[Session]
) -> None:
    start, end = local_day(FALL)
    with sessions() as session:
        report = queue_report(session, ReportQuery(start, end, None, 3600, BERLIN), ThresholdBook())
    starts = [row["start"] for row in report.as_json()["intervals"]]
    assert starts[2:4] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]
    assert report.as_json()["intervals"][2]["end"] == "2026-10-25T02:00:00+01:00"


@pytest.mark.parametrize(("day", "hours"), [(SPRING, 23), (FALL, 25)])
def test_agent_report_hours_of_a_dst_day(
    dst_days: None, sessions: sessionmaker[Session], day: str, hours: int
) -> None:
    start, end = local_day(day)
    with sessions() as session:
        hourly = agent_report(session, ReportQuery(start, end, None, 3600, BERLIN)).as_json()
        daily = agent_report(session, ReportQuery(start, end, None, 86400, BERLIN)).as_json()
    rows = hourly["intervals"]
    assert len(rows) == hours
    assert [row["answered"] for row in rows] == [1] * hours
    # Available time clipped to each real hour, the day's sum 23 or 25 hours.
    assert {row["available_s"] for row in rows} == {3600.0}
    assert hourly["agents"]["ann.dst"]["available_s"] == hours * 3600
    (whole,) = daily["intervals"]
    assert (whole["answered"], whole["available_s"]) == (hours, hours * 3600)
    assert hourly["from"] == start.astimezone(BERLIN).isoformat()


@pytest.mark.parametrize(("day", "hours"), [(SPRING, 23), (FALL, 25)])
def test_cli_report_in_the_sites_zone(
    dst_days: None,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    day: str,
    hours: int,
) -> None:
    monkeypatch.setenv("CALLCENTER_TIME_ZONE", "Europe/Berlin")
    following = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    period = ["--from", day, "--to", following, "--database", database_url]
    assert main(["kpi", "report", *period, "--interval", "60m", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["intervals"]) == hours
    assert document["queues"]["support"]["offered"] == hours
    assert main(["kpi", "report", *period, "--by", "agent", "--interval", "60m", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["intervals"]) == hours
    assert main(["kpi", "report", *period]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    period_shown = {
        SPRING: "2026-03-29T00:00:00+01:00 .. 2026-03-30T00:00:00+02:00",
        FALL: "2026-10-25T00:00:00+02:00 .. 2026-10-26T00:00:00+01:00",
    }
    assert first == f"KPIs {period_shown[day]}"


def test_cli_refuses_an_unknown_zone(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLCENTER_TIME_ZONE", "Mars/Olympus")
    assert main(["kpi", "report", "--database", database_url]) == 2
    err = capsys.readouterr().err.strip()
    assert "CALLCENTER_TIME_ZONE" in err and "'Mars/Olympus' is not a time zone" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01T00:00Z", "0001-01-02T00:00Z"), ("9999-12-30T00:00Z", "9999-12-31T00:00Z")],
)
def test_a_period_at_the_ends_of_the_calendar_is_one_sentence(start: str, end: str) -> None:
    with pytest.raises(ValueError, match="out of the range of dates"):
        report_query(start, end, None, "60m", zone=ZoneInfo("America/New_York"))
