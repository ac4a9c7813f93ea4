"""Durations in report tables as m:ss (h:mm:ss past an hour): pages and the command line;
JSON keeps seconds as numbers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.service import store_calls
from callcenter.cli import main
from kpi.durations import clock
from tests.kpi.calls import ROLLUPS
from tests.kpi.test_reports import CALLS


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0, "0:00"),
        (0.4, "0:00"),
        (0.5, "0:01"),
        (9.6, "0:10"),
        (59.5, "1:00"),
        (173.75, "2:54"),
        (162.5, "2:43"),
        (3599.4, "59:59"),
        (3599.5, "1:00:00"),
        (4500, "1:15:00"),
        (90061, "25:01:01"),
        (-65, "-1:05"),
    ],
)
def test_clock(seconds: float | None, shown: str) -> None:
    assert clock(seconds) == shown


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)


def test_cli_table_shows_durations_as_minutes_and_seconds(
    stored: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    period = ["--from", "2026-03-02", "--to", "2026-03-03", "--database", database_url]
    assert main(["kpi", "report", *period, "--queue", "support"]) == 0
    header, support = capsys.readouterr().out.splitlines()[1:3]
    assert header.split()[-4:] == ["ASA", "AHT", "talk+hold", "longest"]
    # ASA 78/4 = 19.5 s, AHT 173.75 s, talk+hold 162.5 s, longest wait 60 s.
    assert support.split()[-4:] == ["0:20", "2:54", "2:43", "1:00"]
    assert main(["kpi", "report", *period, "--queue", "support", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["queues"]["support"]
    assert (figures["aht_s"], figures["talk_hold_s"]) == (pytest.approx(173.75), 162.5)
