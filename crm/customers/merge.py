"""Merging two records of one customer: the duplicate's numbers, contacts, tickets, history
and callbacks move to the customer kept, and the duplicate is deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from callcenter.campaigns.models import Lead
from callcenter.db import utc_now
from crm.access import Editor, check_customer_merge
from crm.customers.models import Contact, Customer, PhoneNumber
from crm.enums import InteractionKind
from crm.exceptions import InvalidInput, NotFound
from crm.interactions.models import Interaction
from crm.tickets.models import Ticket

# Fields the kept record takes from the duplicate when it has none of its own.
FILLED = ("code", "industry", "street", "postal_code", "city", "country", "email")


@dataclass(frozen=True)
class Merged:
    """What moved to the customer kept."""

    phones: int
    contacts: int
    tickets: int
    interactions: int
    callbacks: int


def merge_customers(
    session: Session,
    keep_id: int,
    duplicate_id: int,
    editor: Editor,
    now: datetime | None = None,
) -> Merged:
    """Move everything of `duplicate_id` to `keep_id`, delete the duplicate, note it in the
    history. Numbers the kept customer already has are not copied twice."""
    check_customer_merge(editor)
    if keep_id == duplicate_id:
        raise InvalidInput("duplicate_id", "a customer cannot be merged into itself")
    keep = session.get(Customer, keep_id)
    if keep is None:
        raise NotFound("customer", keep_id)
    duplicate = _duplicate(session, duplicate_id)
    summary = f"Merged {duplicate.name} (customer {duplicate.id}) into this record"
    _fill_blanks(session, keep, duplicate)
    merged = Merged(
        phones=_move_phones(session, keep_id, duplicate_id),
        contacts=_move(session, Contact, keep_id, duplicate_id),
        tickets=_move(session, Ticket, keep_id, duplicate_id),
        interactions=_move(session, Interaction, keep_id, duplicate_id),
        # Callbacks are leads of the callback campaign; other campaigns' leads move too.
        callbacks=_move(session, Lead, keep_id, duplicate_id),
    )
    session.execute(
        update(Customer)
        .where(Customer.parent_id == duplicate_id, Customer.id != keep_id)
        .values(parent_id=keep_id)
        .execution_options(synchronize_session=False)
    )
    if keep.parent_id == duplicate_id:
        keep.parent_id = duplicate.parent_id if duplicate.parent_id != keep_id else None
    session.flush()
    session.expire_all()  # the bulk moves above bypassed the loaded collections
    session.delete(_duplicate(session, duplicate_id))
    session.add(
        Interaction(
            kind=str(InteractionKind.NOTE),
            customer_id=keep_id,
            occurred_at=now or utc_now(),
            subject="Customers merged",
            body=summary,
            agent=editor.username,
        )
    )
    session.flush()
    return merged


def _duplicate(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise InvalidInput("duplicate_id", f"no customer with id {customer_id}")
    return customer


def _fill_blanks(session: Session, keep: Customer, duplicate: Customer) -> None:
    taken = {name: getattr(duplicate, name) for name in FILLED}
    if duplicate.code is not None:
        duplicate.code = None  # codes are unique: free it before the kept record takes it
        session.flush()
    for name, value in taken.items():
        if getattr(keep, name) is None and value is not None:
            setattr(keep, name, value)
    if duplicate.notes:
        keep.notes = f"{keep.notes}\n\n{duplicate.notes}" if keep.notes else duplicate.notes


def _move_phones(session: Session, keep_id: int, duplicate_id: int) -> int:
    known = set(session.scalars(select(PhoneNumber.e164).where(PhoneNumber.customer_id == keep_id)))
    session.execute(
        delete(PhoneNumber)
        .where(PhoneNumber.customer_id == duplicate_id, PhoneNumber.e164.in_(sorted(known)))
        .execution_options(synchronize_session=False)
    )
    return _move(session, PhoneNumber, keep_id, duplicate_id)


def _move(
    session: Session,
    table: type[PhoneNumber | Contact | Ticket | Interaction | Lead],
    keep_id: int,
    duplicate_id: int,
) -> int:
    result = session.execute(
        update(table)
        .where(table.customer_id == duplicate_id)
        .values(customer_id=keep_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
