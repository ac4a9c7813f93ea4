"""Do-not-call: the global list, each campaign's list, and customers who asked not to be
called; checked when a lead is dialled, not only when it is imported. Flushes, never commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from callcenter.campaigns.models import Campaign, DncEntry
from callcenter.csv_safety import spreadsheet_value
from crm.customers.models import Customer
from crm.exceptions import Conflict, CrmError, InvalidInput, NotFound
from crm.lookup.service import owners
from crm.phones import normalize


class DialBlocked(Conflict):
    """A number may not be dialled; `str(error)` says which list or customer forbids it."""

    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"{number} may not be dialled: {reason}")
        self.number = number
        self.reason = reason


def blocked_reason(
    session: Session, number: str, campaign_id: int | None, customer_id: int | None
) -> str | None:
    """Why `number` (E.164) may not be called for the campaign, or None when it may.

    Asks, in order: the global list, the campaign's list, the lead's customer, and every
    customer owning that number (directly or through a contact) for their do-not-call flag.
    """
    scopes: list[ColumnElement[bool]] = [DncEntry.campaign_id.is_(None)]
    if campaign_id is not None:
        scopes.append(DncEntry.campaign_id == campaign_id)
    listed = session.scalars(
        select(DncEntry.campaign_id).where(DncEntry.number == number, or_(*scopes))
    ).all()
    if any(c is None for c in listed):
        return "it is on the global do-not-call list"
    if listed:
        return "it is on this campaign's do-not-call list"
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is not None and customer.do_not_call:
            return f"customer {customer.name} asked not to be called"
    owner_ids = [o.customer_id for o in owners(session, [number]) if o.customer_id != customer_id]
    if owner_ids:
        name = session.scalar(
            select(Customer.name)
            .where(Customer.id.in_(owner_ids), Customer.do_not_call.is_(True))
            .order_by(Customer.id)
            .limit(1)
        )
        if name is not None:
            return f"the number belongs to customer {name}, who asked not to be called"
    return None


def ensure_dialable(
    session: Session, number: str, campaign_id: int | None, customer_id: int | None
) -> None:
    """Raise `DialBlocked` when `number` may not be dialled: the last check before Originate."""
    reason = blocked_reason(session, number, campaign_id, customer_id)
    if reason is not None:
        raise DialBlocked(number, reason)


def _campaign(session: Session, campaign_id: int | None) -> None:
    if campaign_id is not None and session.get(Campaign, campaign_id) is None:
        raise NotFound("campaign", campaign_id)


def add_number(
    session: Session,
    raw: str,
    region: str,
    *,
    campaign_id: int | None = None,
    reason: str | None = None,
    added_by: str | None = None,
) -> tuple[DncEntry, bool]:
    """Put a number on the global list (no campaign) or a campaign's; (entry, added) with
    `added` False when it was there already (the stored entry is kept)."""
    _campaign(session, campaign_id)
    number = normalize(raw, region)
    existing = _entry(session, number, campaign_id)
    if existing is not None:
        return existing, False
    entry = DncEntry(number=number, campaign_id=campaign_id, reason=reason, added_by=added_by)
    session.add(entry)
    session.flush()
    return entry, True


def block_number(
    session: Session,
    number: str,
    *,
    campaign_id: int | None,
    reason: str | None = None,
    added_by: str | None = None,
) -> bool:
    """Put an E.164 number on a list (global when no campaign); False when it was there."""
    if _entry(session, number, campaign_id) is not None:
        return False
    session.add(DncEntry(number=number, campaign_id=campaign_id, reason=reason, added_by=added_by))
    session.flush()
    return True


def _entry(session: Session, number: str, campaign_id: int | None) -> DncEntry | None:
    scope = (
        DncEntry.campaign_id.is_(None)
        if campaign_id is None
        else DncEntry.campaign_id == campaign_id
    )
    return session.scalar(select(DncEntry).where(DncEntry.number == number, scope))


def remove_number(session: Session, raw: str, region: str, *, campaign_id: int | None) -> None:
    """Take a number off the global list or a campaign's; NotFound when it is not on it."""
    _campaign(session, campaign_id)
    number = normalize(raw, region)
    entry = _entry(session, number, campaign_id)
    if entry is None:
        where = "the global list" if campaign_id is None else f"campaign {campaign_id}'s list"
        raise NotFound("do-not-call number", f"{number} on {where}")
    session.delete(entry)
    session.flush()


def list_numbers(
    session: Session,
    *,
    campaign_id: int | None = None,
    number: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DncEntry], int]:
    """One list's entries (global when no campaign), newest first, and how many in all."""
    scope = (
        DncEntry.campaign_id.is_(None)
        if campaign_id is None
        else DncEntry.campaign_id == campaign_id
    )
    query = select(DncEntry).where(scope)
    if number:
        query = query.where(DncEntry.number.contains(number, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DncEntry.added_at.desc(), DncEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


@dataclass
class DncImportReport:
    """What a do-not-call import did, and each line it refused."""

    added: int = 0
    already: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_numbers(
    session: Session,
    text: str,
    region: str,
    *,
    campaign_id: int | None = None,
    added_by: str | None = None,
) -> DncImportReport:
    """Numbers from text: one per line, or a CSV whose header has a `number` column (and
    optionally `reason`). Every line is checked; the caller keeps the result only when no
    line was refused (all or nothing, as `crm import`)."""
    _campaign(session, campaign_id)
    report = DncImportReport()
    for line, raw, reason in _number_rows(text):
        try:
            _, added = add_number(
                session, raw, region, campaign_id=campaign_id, reason=reason, added_by=added_by
            )
        except CrmError as exc:
            report.errors.append((line, str(exc)))
            continue
        if added:
            report.added += 1
        else:
            report.already += 1
    return report


def _number_rows(text: str) -> Iterable[tuple[int, str, str | None]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            names = [c.strip().lower() for c in cells]
            if header is None and "number" in names:
                header = names
                continue
            if header is None:
                yield line, spreadsheet_value(cells[0].strip()), None
                continue
            row = dict(zip(header, (spreadsheet_value(c.strip()) for c in cells), strict=False))
            yield line, row.get("number", ""), row.get("reason") or None
    except csv.Error as exc:
        raise InvalidInput("file", f"not valid CSV ({exc}): is a quote left open?") from exc
