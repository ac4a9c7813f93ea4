"""`callcenter crm import` / `export`: all rows in or none, bad rows reported, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from crm.customers.models import Contact, Customer
from crm.lookup.service import lookup

HEADER = "name,phone,code,category,blacklisted,value,city,country,contact_name,contact_email"
ACME = """Acme Rockets,+1 555 123 0001; (555) 123-0002,ACME,vip,no,12000,Springfield,US,Ann Lee,\
ann@acme.test,555-123-0003
"""
BAD = """Broken Phone Ltd,12,BRK,regular,,,,,,,
,555-123-0009,NONAME,,,,,,,,
Bad Category,555-123-0010,BADCAT,royalty,,,,,,,
"""
REST = """Acme Rockets,,ACME,,,,,,Bo Diaz,,555-123-0004
Solo Person,555 123 0005,,prospect,yes,,,,,,
"""
GOOD = HEADER + ",contact_phone\n" + ACME + REST
GOOD_AND_BAD = HEADER + ",contact_phone\n" + ACME + BAD + REST


def run(*argv: str) -> int:
    return main(list(argv))


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_reported_and_nothing_is_imported(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run("crm", "import", str(write(tmp_path, GOOD_AND_BAD)), "--database", database_url)
    err = capsys.readouterr().err
    assert code == 2
    *report, sentence = err.splitlines()
    assert "nothing imported, 3 rows refused" in sentence
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in report] == ["3", "4", "5"]
    assert "wrong length for a phone number" in err
    assert "name" in report[1]
    assert "category" in report[2]
    with sessions() as session:
        assert session.scalars(select(Customer)).all() == []


def test_good_rows_are_imported(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run("crm", "import", str(write(tmp_path, GOOD)), "--database", database_url)
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "2 customers created, 1 updated, 2 contact rows" in out
    with sessions() as session:
        names = session.scalars(select(Customer.name).order_by(Customer.id)).all()
        assert names == ["Acme Rockets", "Solo Person"]
        acme = session.scalar(select(Customer).where(Customer.code == "ACME"))
        assert acme is not None
        assert (acme.category, acme.value, acme.blacklisted) == ("vip", 12000.0, False)
        assert [p.e164 for p in acme.phones] == ["+15551230001", "+15551230002"]
        assert sorted(c.name for c in acme.contacts) == ["Ann Lee", "Bo Diaz"]
        card = lookup(session, "5551230004", "US")
        assert [(m.customer.name, [c.name for c in m.contacts]) for m in card.matches] == [
            ("Acme Rockets", ["Bo Diaz"])
        ]


def test_export_then_import_elsewhere_gives_the_same_customers(
    tmp_path: Path, database_url: str, migrated_template: Path
) -> None:
    assert run("crm", "import", str(write(tmp_path, GOOD)), "--database", database_url) == 0
    exported = tmp_path / "out.csv"
    assert run("crm", "export", str(exported), "--database", database_url) == 0
    other = tmp_path / "other.db"
    other.write_bytes(migrated_template.read_bytes())
    other_url = f"sqlite:///{other}"
    assert run("crm", "import", str(exported), "--database", other_url) == 0
    again = tmp_path / "again.csv"
    run("crm", "export", str(again), "--database", other_url)
    assert again.read_text() == exported.read_text()


def test_export_to_standard_output(
    database_url: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    with sessions() as session, session.begin():
        customer = Customer(name="Zed", code="Z1")
        customer.contacts = [Contact(name="Ann"), Contact(name="Bo")]
        session.add(customer)
    assert run("crm", "export", "--database", database_url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("code,name,kind,category")
    assert [line.split(",")[:2] for line in lines[1:]] == [["Z1", "Zed"], ["Z1", "Zed"]]


def test_importing_twice_changes_nothing_more(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    path = write(tmp_path, "name,phone,code\nAcme,555-123-0001,ACME\n")
    run("crm", "import", str(path), "--database", database_url)
    run("crm", "import", str(path), "--database", database_url)
    with sessions() as session:
        (acme,) = session.scalars(select(Customer)).all()
        assert len(acme.phones) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"name,email\nAcme,a@b.test\n", "no phone column"),
        (b"", "no name or phone column"),
        (b"name,phone,shoe_size\nAcme,5551230001,44\n", "unknown column(s) shoe_size"),
    ],
)
def test_unreadable_file_exits_2_with_one_sentence(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    assert run("crm", "import", str(path), "--database", database_url) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_row_with_too_many_cells_is_refused(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "name,phone\nAcme,555-123-0001,extra\nBolt,555-123-0002\n")
    assert run("crm", "import", str(path), "--database", database_url) == 2
    err = capsys.readouterr().err
    assert "nothing imported, 1 rows refused" in err
    assert ":2: 3 cells under a header of 2 columns" in err


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # A quote left open swallows the rows after it, up to the end of the file.
        ('name,phone\nGood,555-123-0001\n"Unclosed,+15551230002\nNext,+15551230003\n', 3, "quote"),
        # ... or up to the next quote, leaving a line break inside a name.
        ('name,phone\n"Unclosed,+15551230002\nNext",+15551230003\n', 2, "name: a line break"),
        ('name,phone\n"Stray"x,+15551230002\n', 2, "not valid CSV"),
        ("name,phone\nNo Number,\n", 2, "phone: a new customer needs a phone number"),
    ],
)
def test_malformed_csv_is_reported_by_line_and_nothing_imported(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    text: str,
    line: int,
    message: str,
) -> None:
    path = write(tmp_path, text)
    assert run("crm", "import", str(path), "--database", database_url) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}: " in err
    assert message in err
    assert "nothing imported" in err.splitlines()[-1]
    with sessions() as session:
        assert session.scalars(select(Customer)).all() == []


def test_a_quoted_note_may_span_lines(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    path = write(tmp_path, 'name,phone,notes\nAcme,555-123-0001,"first line\nsecond, line"\n')
    assert run("crm", "import", str(path), "--database", database_url) == 0
    with sessions() as session:
        (acme,) = session.scalars(select(Customer)).all()
        assert acme.notes == "first line\nsecond, line"


def test_one_bad_row_after_many_good_ones_keeps_none(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    good = "".join(f"Customer {i},+1555{i:07d}\n" for i in range(1, 2001))
    path = write(tmp_path, "name,phone\n" + good + "Broken,12\n")
    assert run("crm", "import", str(path), "--database", database_url) == 2
    with sessions() as session:
        assert session.scalars(select(Customer.id)).all() == []
