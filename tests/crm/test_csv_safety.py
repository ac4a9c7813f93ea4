"""CSV exports: no cell a spreadsheet would run as a formula; numbers stay as they are."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from callcenter.csv_safety import spreadsheet_safe, spreadsheet_value
from crm.customers.models import Customer, PhoneNumber


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.test","x")', '\'=HYPERLINK("http://evil.test","x")'),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-1+1", "'-1+1"),
        ("+1 555 123 0001", "'+1 555 123 0001"),
        # Numbers cannot be formulas: an E.164 number, a list of them, a negative value.
        ("+15551230001", "+15551230001"),
        ("+15551230001; +442079460958", "+15551230001; +442079460958"),
        ("-12.5", "-12.5"),
        ("Acme = fine", "Acme = fine"),
        ("", ""),
    ],
)
def test_formula_prefixes_are_neutralised(value: str, written: str) -> None:
    assert spreadsheet_safe(value) == written
    assert spreadsheet_value(spreadsheet_safe(value)) == value


def test_export_neutralises_formulas_and_import_reads_them_back(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    migrated_template: Path,
) -> None:
    with sessions() as session, session.begin():
        customer = Customer(
            name='=HYPERLINK("http://evil.test","Acme")',
            code="@SUM(A1)",
            notes="+cmd|' /C calc'!A0",
        )
        customer.phones = [PhoneNumber(e164="+15551230001", raw="+15551230001")]
        session.add(customer)
    exported = tmp_path / "out.csv"
    assert main(["crm", "export", str(exported), "--database", database_url]) == 0
    (row,) = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert row["name"] == '\'=HYPERLINK("http://evil.test","Acme")'
    assert row["code"] == "'@SUM(A1)"
    assert row["notes"] == "'+cmd|' /C calc'!A0"
    assert row["phone"] == "+15551230001"
    other = tmp_path / "other.db"
    other.write_bytes(migrated_template.read_bytes())
    assert main(["crm", "import", str(exported), "--database", f"sqlite:///{other}"]) == 0
    again = tmp_path / "again.csv"
    main(["crm", "export", str(again), "--database", f"sqlite:///{other}"])
    assert again.read_text() == exported.read_text()
    with sessions() as session:
        assert session.scalars(select(Customer.name)).one().startswith("=HYPERLINK")
