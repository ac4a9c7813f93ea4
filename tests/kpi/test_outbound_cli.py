"""`callcenter kpi outbound` on a real migrated database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from tests.kpi.outbound_data import RENEWALS_DAY, store_outbound_day

DAY = ("--from", "2026-03-02", "--to", "2026-03-03")


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_outbound_day(session)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_csv_and_table(
    stored: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "kpi", "outbound", *DAY, "--json", "--database", database_url)
    assert code == 0
    renewals = json.loads(out)["campaigns"]["renewals"]
    assert {k: renewals[k] for k in RENEWALS_DAY} == RENEWALS_DAY
    code, out, _ = run(
        capsys, "kpi", "outbound", *DAY, "--campaign", "renewals", "--interval", "day",
        "--csv", "--database", database_url,
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["campaign"], r["dials"], r["leads"]) for r in rows] == [
        ("renewals", "8", ""),  # the day's interval row
        ("renewals", "8", "9"),  # the period's row, with the list
    ]
    code, out, _ = run(capsys, "kpi", "outbound", *DAY, "--database", database_url)
    (line,) = [line for line in out.splitlines() if line.startswith("renewals")]
    assert line.split()[1:7] == ["8", "4", "50.0%", "1", "25.0%", "25.0%"]


def test_an_unknown_campaign_is_one_sentence(
    stored: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "kpi", "outbound", "--campaign", "nope", "--database", database_url)
    assert code == 2
    assert "unknown campaign 'nope'" in err
