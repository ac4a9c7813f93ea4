"""Customers, their contacts and phone numbers, and finding them; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.customers.models import Contact, Customer, PhoneNumber
from crm.customers.schemas import (
    ContactCreate,
    ContactUpdate,
    CustomerCreate,
    CustomerUpdate,
    PhoneIn,
)
from crm.exceptions import Conflict, InvalidInput, NotFound
from crm.phones import candidates, normalize
from crm.search import search_ids


def get_customer(session: Session, customer_id: int) -> Customer:
    """The customer with `customer_id`, or NotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def get_contact(session: Session, contact_id: int) -> Contact:
    """The contact with `contact_id`, or NotFound."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("contact", contact_id)
    return contact


def list_customers(
    session: Session,
    *,
    category: str | None = None,
    blacklisted: bool | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Customer], int]:
    """A page of customers by name, and how many match in all."""
    query = select(Customer)
    if category is not None:
        query = query.where(Customer.category == category)
    if blacklisted is not None:
        query = query.where(Customer.blacklisted == blacklisted)
    if ids is not None:
        query = query.where(Customer.id.in_(ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Customer.name, Customer.id).limit(limit).offset(offset))
    return list(rows), total


def create_customer(session: Session, data: CustomerCreate, region: str) -> Customer:
    """A new customer with its numbers and contacts."""
    fields = data.model_dump(exclude={"phones", "contacts"})
    _check_parent(session, fields.get("parent_id"), None)
    customer = Customer(**_customer_columns(fields))
    customer.phones = [_phone(phone, region, f"phones.{i}") for i, phone in enumerate(data.phones)]
    customer.contacts = [
        _new_contact(contact, region, f"contacts.{i}") for i, contact in enumerate(data.contacts)
    ]
    session.add(customer)
    _flush(session, "code", f"customer code {data.code!r} is already taken")
    return customer


def update_customer(session: Session, customer_id: int, data: CustomerUpdate) -> Customer:
    """Apply the fields the client sent."""
    customer = get_customer(session, customer_id)
    changes = data.changes()
    if "parent_id" in changes:
        _check_parent(session, changes["parent_id"], customer.id)
    for name, value in _customer_columns(changes).items():
        setattr(customer, name, value)
    _flush(session, "code", f"customer code {changes.get('code')!r} is already taken")
    return customer


def delete_customer(session: Session, customer_id: int) -> None:
    """Remove a customer with its contacts and numbers (history rows go with it)."""
    session.delete(get_customer(session, customer_id))
    session.flush()


def add_customer_phone(
    session: Session, customer_id: int, phone: PhoneIn, region: str
) -> PhoneNumber:
    """Give a customer one more number."""
    customer = get_customer(session, customer_id)
    number = _phone(phone, region, "number")
    customer.phones.append(number)
    session.flush()
    return number


def add_contact_phone(
    session: Session, contact_id: int, phone: PhoneIn, region: str
) -> PhoneNumber:
    """Give a contact one more number."""
    contact = get_contact(session, contact_id)
    number = _phone(phone, region, "number")
    contact.phones.append(number)
    session.flush()
    return number


def delete_phone(session: Session, phone_id: int) -> None:
    """Remove one number."""
    phone = session.get(PhoneNumber, phone_id)
    if phone is None:
        raise NotFound("phone number", phone_id)
    session.delete(phone)
    session.flush()


def create_contact(session: Session, customer_id: int, data: ContactCreate, region: str) -> Contact:
    """A new contact at a customer."""
    customer = get_customer(session, customer_id)
    contact = _new_contact(data, region, "")
    customer.contacts.append(contact)
    session.flush()
    return contact


def update_contact(session: Session, contact_id: int, data: ContactUpdate) -> Contact:
    """Apply the fields the client sent."""
    contact = get_contact(session, contact_id)
    for name, value in data.changes().items():
        setattr(contact, name, value)
    session.flush()
    return contact


def delete_contact(session: Session, contact_id: int) -> None:
    """Remove a contact and its numbers."""
    session.delete(get_contact(session, contact_id))
    session.flush()


def contacts_of(session: Session, customer_id: int) -> list[Contact]:
    """A customer's contacts (NotFound for an unknown customer)."""
    return list(get_customer(session, customer_id).contacts)


def search_customers(session: Session, query: str, region: str, limit: int = 20) -> list[Customer]:
    """Customers matching `query` by name, code, e-mail or number, best first.

    A query that reads as a phone number also finds the customers owning it in any format.
    """
    ids: list[int] = []
    numbers = candidates(query, region) if any(ch.isdigit() for ch in query) else []
    if numbers:
        owners = session.execute(
            select(PhoneNumber.customer_id, PhoneNumber.contact_id).where(
                PhoneNumber.e164.in_(numbers)
            )
        ).all()
        contact_ids = [contact_id for _, contact_id in owners if contact_id is not None]
        ids.extend(customer_id for customer_id, _ in owners if customer_id is not None)
        if contact_ids:
            ids.extend(
                session.scalars(select(Contact.customer_id).where(Contact.id.in_(contact_ids)))
            )
    for found in search_ids(session, "customers", query, limit):
        ids.append(found)
    ordered = list(dict.fromkeys(ids))[:limit]
    if not ordered:
        return []
    rows = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ordered)))}
    return [rows[i] for i in ordered if i in rows]


def _customer_columns(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("kind", "category"):
        if out.get(name) is not None:
            out[name] = str(out[name])
    if out.get("country"):
        out["country"] = out["country"].upper()
    return out


def _new_contact(data: ContactCreate, region: str, prefix: str) -> Contact:
    contact = Contact(**data.model_dump(exclude={"phones"}))
    where = f"{prefix}.phones" if prefix else "phones"
    contact.phones = [_phone(phone, region, f"{where}.{i}") for i, phone in enumerate(data.phones)]
    return contact


def _phone(phone: PhoneIn, region: str, field: str) -> PhoneNumber:
    e164 = normalize(phone.number, region, field=f"{field}.number" if "." in field else field)
    return PhoneNumber(e164=e164, raw=phone.number, label=phone.label)


def _check_parent(session: Session, parent_id: int | None, customer_id: int | None) -> None:
    if parent_id is None:
        return
    if session.get(Customer, parent_id) is None:
        raise InvalidInput("parent_id", f"no customer with id {parent_id}")
    # Walk up from the new parent: meeting the customer itself would close a loop.
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == customer_id:
            raise InvalidInput("parent_id", "a customer cannot be its own ancestor")
        seen.add(current)
        current = session.scalar(select(Customer.parent_id).where(Customer.id == current))


def _flush(session: Session, field: str, message: str) -> None:
    # The caller's transaction is spoilt by the failed flush; the request rolls it back.
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc
