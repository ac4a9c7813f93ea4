"""Customers to and from CSV: one row per customer (plus one per further contact)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.csv_safety import spreadsheet_safe, spreadsheet_value
from crm.customers.models import Contact, Customer, PhoneNumber
from crm.customers.schemas import (
    ContactCreate,
    ContactUpdate,
    CustomerCreate,
    CustomerUpdate,
    PhoneIn,
)
from crm.customers.service import create_customer
from crm.exceptions import CrmError
from crm.phones import normalize

CUSTOMER_FIELDS = (
    "code",
    "name",
    "kind",
    "category",
    "value",
    "credit_rating",
    "industry",
    "parent_code",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "blacklisted",
    "preferred_agent",
    "notes",
)
CONTACT_FIELDS = ("title", "department", "importance", "email", "birthday", "notes")
COLUMNS = (
    *CUSTOMER_FIELDS,
    "phone",
    "contact_name",
    *(f"contact_{name}" for name in CONTACT_FIELDS),
    "contact_phone",
)
REQUIRED = ("name", "phone")
# Free text may span lines; anywhere else a line break means a quote was left open and the
# cell swallowed the rows after it.
MULTILINE = frozenset({"notes", "contact_notes", "street"})

# A row's cells by column name, or why the row could not even be split into cells.
Row = dict[str, str] | str


@dataclass
class ImportReport:
    """What an import did, and each row it refused (numbered as in a spreadsheet)."""

    created: int = 0
    updated: int = 0
    contacts: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def check_header(header: Iterable[str]) -> list[str]:
    """The header's column names; ValueError naming missing or unknown columns."""
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ValueError(f"the header has no {' or '.join(missing)} column")
    unknown = sorted(set(names) - set(COLUMNS) - {""})
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    return names


def numbered_rows(reader: Iterator[list[str]], header: list[str]) -> Iterator[tuple[int, Row]]:
    """The rows of a strict `csv.reader`, each numbered by the line it starts on; a row that
    cannot be read (a stray or unclosed quote, too many cells) is the reason instead."""
    line_num = getattr(reader, "line_num", 1)
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, f"not valid CSV here ({exc}): is a quote left open?"
            line_num = getattr(reader, "line_num", start)
            continue
        line_num = getattr(reader, "line_num", start)
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield start, f"{len(cells)} cells under a header of {len(header)} columns"
            continue
        row = dict(zip(header, cells, strict=False))
        broken = [k for k, v in row.items() if k not in MULTILINE and ("\n" in v or "\r" in v)]
        if broken:
            yield start, f"{broken[0]}: a line break inside the cell (is a quote left open?)"
            continue
        yield start, row


def import_rows(session: Session, rows: Iterable[tuple[int, Row]], region: str) -> ImportReport:
    """Import numbered rows, each in its own savepoint so every bad row is reported.

    The caller keeps the result only when no row was refused (all or nothing).

    Rows with a `code` already known (stored, or earlier in the file) update that customer
    and add numbers and contacts to it; a row without a code continues the row before when
    it repeats its name (how `export` writes a customer's further contacts).
    """
    report = ImportReport()
    previous: tuple[str, int] | None = None
    for line, raw in rows:
        if isinstance(raw, str):
            report.errors.append((line, raw))
            continue
        row = {
            k: spreadsheet_value(v.strip())
            for k, v in raw.items()
            if k and v is not None and v.strip()
        }
        try:
            with session.begin_nested():
                customer, created = _customer(session, row, region, previous)
                if row.get("contact_name"):
                    _contact(session, customer, row, region)
                    report.contacts += 1
                session.flush()
        except ValidationError as exc:
            report.errors.append((line, _validation_message(exc)))
            continue
        except (CrmError, ValueError) as exc:
            report.errors.append((line, str(exc)))
            continue
        except IntegrityError as exc:
            report.errors.append((line, f"conflicts with stored data ({exc.orig})"))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
        previous = (row.get("name", ""), customer.id)
    return report


def export_rows(session: Session) -> Iterator[dict[str, str]]:
    """Every customer as CSV rows (first contact on the customer's row, others below it)."""
    parents = {cid: code for cid, code in session.execute(select(Customer.id, Customer.code))}
    query = select(Customer).order_by(Customer.id).execution_options(yield_per=500)
    for customer in session.scalars(query):
        base = {name: _cell(getattr(customer, name, None)) for name in CUSTOMER_FIELDS}
        base["parent_code"] = _cell(parents.get(customer.parent_id) if customer.parent_id else None)
        base["phone"] = "; ".join(p.e164 for p in customer.phones)
        contacts: list[Contact | None] = [*customer.contacts] or [None]
        for i, contact in enumerate(contacts):
            row = dict(base) if i == 0 else {"code": base["code"], "name": base["name"]}
            if contact is not None:
                row["contact_name"] = contact.name
                for name in CONTACT_FIELDS:
                    row[f"contact_{name}"] = _cell(getattr(contact, name))
                row["contact_phone"] = "; ".join(p.e164 for p in contact.phones)
            yield row


def write_csv(out: IO[str], rows: Iterable[dict[str, str]]) -> int:
    """Write rows under the full header, no cell readable as a formula; returns how many."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({name: spreadsheet_safe(value) for name, value in row.items()})
        count += 1
    return count


def _customer(
    session: Session, row: dict[str, str], region: str, previous: tuple[str, int] | None
) -> tuple[Customer, bool]:
    fields: dict[str, Any] = {k: row[k] for k in CUSTOMER_FIELDS if k in row}
    parent_code = fields.pop("parent_code", None)
    if parent_code is not None:
        parent_id = session.scalar(select(Customer.id).where(Customer.code == parent_code))
        if parent_id is None:
            raise ValueError(f"parent_code: no customer with code {parent_code!r}")
        fields["parent_id"] = parent_id
    phones = [PhoneIn(number=n.strip()) for n in row.get("phone", "").split(";") if n.strip()]
    for phone in phones:
        normalize(phone.number, region, field="phone")  # named as the column, not the schema
    # Cells are text ("yes", "3"): read laxly here, where the API wants JSON's own types.
    existing: Customer | None = None
    if "code" in fields:
        existing = session.scalar(select(Customer).where(Customer.code == fields["code"]))
    elif previous is not None and previous[0] == fields.get("name"):
        existing = session.get(Customer, previous[1])
    if existing is None:
        if not phones:
            raise ValueError("phone: a new customer needs a phone number")
        data = CustomerCreate.model_validate({**fields, "phones": phones}, strict=False)
        return create_customer(session, data, region), True
    changes = CustomerUpdate.model_validate(fields, strict=False).changes()
    for name, value in changes.items():
        setattr(existing, name, str(value) if name in ("kind", "category") else value)
    _add_numbers(existing.phones, phones, region, "phone")
    return existing, False


def _contact(session: Session, customer: Customer, row: dict[str, str], region: str) -> None:
    fields = {k: row[f"contact_{k}"] for k in CONTACT_FIELDS if f"contact_{k}" in row}
    phones = [
        PhoneIn(number=n.strip()) for n in row.get("contact_phone", "").split(";") if n.strip()
    ]
    name = row["contact_name"]
    contact = next((c for c in customer.contacts if c.name == name), None)
    if contact is None:
        data = ContactCreate.model_validate({"name": name, **fields}, strict=False)
        contact = Contact(**data.model_dump(exclude={"phones"}))
        customer.contacts.append(contact)
    else:
        for key, value in ContactUpdate.model_validate(fields, strict=False).changes().items():
            setattr(contact, key, value)
    _add_numbers(contact.phones, phones, region, "contact_phone")


def _add_numbers(owned: list[PhoneNumber], phones: list[PhoneIn], region: str, column: str) -> None:
    known = {p.e164 for p in owned}
    for phone in phones:
        e164 = normalize(phone.number, region, field=column)
        if e164 not in known:
            owned.append(PhoneNumber(e164=e164, raw=phone.number))
            known.add(e164)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "row"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
