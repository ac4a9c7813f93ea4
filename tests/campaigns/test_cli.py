"""`callcenter campaigns ...`: list import all or nothing, campaigns listed, do-not-call."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import DncEntry, Lead
from callcenter.cli import main
from tests.campaigns.conftest import add_campaign, add_list


def write(tmp_path: Path, text: str, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_list_is_imported_and_imported_again_without_doubles(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, "number,name\n212 555 0100,Ann\n212 555 0101,Bo\n212-555-0100,Ann\n")
    args = ("campaigns", "import-list", str(path), "--list", "spring", "--database", database_url)
    assert main(list(args)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{path}:4: +12125550100 is on line 2 already",
        "2 leads imported into 'spring' (0 blocked), 1 rows skipped",
    ]
    assert main(list(args)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "0 leads imported into 'spring' (0 blocked), 3 rows skipped"
    )
    with sessions() as session:
        assert len(session.scalars(select(Lead)).all()) == 2


def test_bad_rows_are_listed_and_nothing_is_imported(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, "number,time_zone\n212 555 0100,\n12,\n212 555 0101,Nowhere/Land\n")
    code = main(["campaigns", "import-list", str(path), "--list", "x", "--database", database_url])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        f"{path}:3: number: '12' has the wrong length for a phone number",
        f"{path}:4: time_zone: 'Nowhere/Land' is not a time zone: use an IANA name such as "
        "Europe/Berlin",
        f"callcenter: {path}: nothing imported, 2 rows refused (listed above); correct them "
        "and import the file again",
    ]
    with sessions() as session:
        assert session.scalars(select(Lead)).all() == []


def test_bad_input_is_one_sentence_and_exit_2(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    header = write(tmp_path, "phone\n1\n")
    for argv, message in (
        (["campaigns", "import-list", str(header), "--list", "x"], "is not a call-list CSV"),
        (["campaigns", "import-list", str(tmp_path / "none.csv"), "--list", "x"], "cannot read"),
        (["campaigns", "dnc", "add", "12"], "number: '12' has the wrong length"),
        (["campaigns", "dnc", "add", "2125550100", "--campaign", "nope"], "no campaign named"),
    ):
        assert main([*argv, "--database", database_url]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def test_dnc_numbers_and_the_campaign_table(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions() as session, session.begin():
        add_campaign(session, add_list(session), name="Renewals")
    db = ("--database", database_url)
    assert main(["campaigns", "dnc", "add", "(212) 555-0100", *db]) == 0
    assert capsys.readouterr().out == "+12125550100 added to the global do-not-call list\n"
    path = write(tmp_path, "+4930123456\n+12125550100\n", "dnc.txt")
    assert main(["campaigns", "dnc", "import", str(path), "--campaign", "Renewals", *db]) == 0
    assert capsys.readouterr().out == (
        "2 numbers added to the do-not-call list of campaign 'Renewals', 0 there already\n"
    )
    bad = write(tmp_path, "+4930123457\n12\n", "bad.txt")
    assert main(["campaigns", "dnc", "import", str(bad), *db]) == 2
    with sessions() as session:
        assert len(session.scalars(select(DncEntry)).all()) == 3
    assert main(["campaigns", "list", *db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "campaign", "state", "mode", "queue", "list", "leads", "open", "penetration"
    ]  # fmt: skip
    assert out[1].split() == ["Renewals", "draft", "progressive", "sales", "spring", "0", "0", "0%"]
