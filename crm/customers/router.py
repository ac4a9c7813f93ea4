"""HTTP routes for customers, their contacts and their numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from callcenter.deps import SUPERVISOR_OR_ADMIN, SessionDep, SettingsDep
from crm.access import check_customer_fields
from crm.customers import service as customers
from crm.customers.schemas import (
    ContactCreate,
    ContactOut,
    ContactUpdate,
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    PhoneIn,
    PhoneOut,
)
from crm.enums import CustomerCategory
from crm.routing import ERRORS, EditorDep, PagingDep, PathId
from crm.schemas import Page

router = APIRouter(responses=ERRORS)
SEARCH_LIMIT = 200
SearchText = Annotated[str | None, Query(min_length=1, max_length=200, description="search")]


@router.get("/customers", tags=["customers"], response_model=Page[CustomerOut])
def list_customers(
    session: SessionDep,
    settings: SettingsDep,
    page: PagingDep,
    q: SearchText = None,
    category: CustomerCategory | None = None,
    blacklisted: bool | None = None,
) -> Page[CustomerOut]:
    """Customers by name; `q` searches name, code, e-mail and numbers (best match first)."""
    kind = None if category is None else str(category)
    if q is None:
        rows, total = customers.list_customers(
            session, category=kind, blacklisted=blacklisted, limit=page.limit, offset=page.offset
        )
    else:
        # Best match first, paged in that order; a search looks at the best 200 only.
        found = customers.search_customers(session, q, settings.default_region, limit=SEARCH_LIMIT)
        rank = {c.id: i for i, c in enumerate(found)}
        matching, _ = customers.list_customers(
            session,
            category=kind,
            blacklisted=blacklisted,
            ids=list(rank),
            limit=SEARCH_LIMIT,
            offset=0,
        )
        matching.sort(key=lambda c: rank[c.id])
        rows, total = matching[page.offset : page.offset + page.limit], len(matching)
    items = [CustomerOut.model_validate(c) for c in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/customers",
    tags=["customers"],
    response_model=CustomerOut,
    status_code=status.HTTP_201_CREATED,
)
def create_customer(
    session: SessionDep, settings: SettingsDep, editor: EditorDep, body: CustomerCreate
) -> CustomerOut:
    """A new customer, with numbers and contacts (account fields: supervisors and admins)."""
    defaults = CustomerCreate.model_fields
    check_customer_fields(
        editor,
        (f for f in body.model_fields_set if getattr(body, f) != defaults[f].get_default()),
    )
    customer = customers.create_customer(session, body, settings.default_region)
    return CustomerOut.model_validate(customer)


@router.get("/customers/{customer_id}", tags=["customers"], response_model=CustomerOut)
def get_customer(session: SessionDep, customer_id: PathId) -> CustomerOut:
    """One customer with numbers and contacts."""
    return CustomerOut.model_validate(customers.get_customer(session, customer_id))


@router.patch("/customers/{customer_id}", tags=["customers"], response_model=CustomerOut)
def update_customer(
    session: SessionDep, editor: EditorDep, customer_id: PathId, body: CustomerUpdate
) -> CustomerOut:
    """Change the fields sent (account fields: supervisors and admins)."""
    stored = customers.get_customer(session, customer_id)
    check_customer_fields(
        editor, (f for f, value in body.changes().items() if getattr(stored, f) != value)
    )
    return CustomerOut.model_validate(customers.update_customer(session, customer_id, body))


@router.delete(
    "/customers/{customer_id}",
    tags=["customers"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def delete_customer(session: SessionDep, customer_id: PathId) -> None:
    """Remove a customer with its contacts, numbers and history."""
    customers.delete_customer(session, customer_id)


@router.post(
    "/customers/{customer_id}/phones",
    tags=["customers"],
    response_model=PhoneOut,
    status_code=status.HTTP_201_CREATED,
)
def add_customer_phone(
    session: SessionDep, settings: SettingsDep, customer_id: PathId, body: PhoneIn
) -> PhoneOut:
    """One more number for a customer."""
    phone = customers.add_customer_phone(session, customer_id, body, settings.default_region)
    return PhoneOut.model_validate(phone)


@router.delete(
    "/phones/{phone_id}",
    tags=["customers"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def delete_phone(session: SessionDep, phone_id: PathId) -> None:
    """Remove one number."""
    customers.delete_phone(session, phone_id)


@router.get("/customers/{customer_id}/contacts", tags=["contacts"], response_model=list[ContactOut])
def list_contacts(session: SessionDep, customer_id: PathId) -> list[ContactOut]:
    """A customer's contacts."""
    return [ContactOut.model_validate(c) for c in customers.contacts_of(session, customer_id)]


@router.post(
    "/customers/{customer_id}/contacts",
    tags=["contacts"],
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
)
def create_contact(
    session: SessionDep, settings: SettingsDep, customer_id: PathId, body: ContactCreate
) -> ContactOut:
    """A new contact at a customer."""
    contact = customers.create_contact(session, customer_id, body, settings.default_region)
    return ContactOut.model_validate(contact)


@router.get("/contacts/{contact_id}", tags=["contacts"], response_model=ContactOut)
def get_contact(session: SessionDep, contact_id: PathId) -> ContactOut:
    """One contact."""
    return ContactOut.model_validate(customers.get_contact(session, contact_id))


@router.patch("/contacts/{contact_id}", tags=["contacts"], response_model=ContactOut)
def update_contact(session: SessionDep, contact_id: PathId, body: ContactUpdate) -> ContactOut:
    """Change the fields sent."""
    return ContactOut.model_validate(customers.update_contact(session, contact_id, body))


@router.delete(
    "/contacts/{contact_id}",
    tags=["contacts"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def delete_contact(session: SessionDep, contact_id: PathId) -> None:
    """Remove a contact and its numbers."""
    customers.delete_contact(session, contact_id)


@router.post(
    "/contacts/{contact_id}/phones",
    tags=["contacts"],
    response_model=PhoneOut,
    status_code=status.HTTP_201_CREATED,
)
def add_contact_phone(
    session: SessionDep, settings: SettingsDep, contact_id: PathId, body: PhoneIn
) -> PhoneOut:
    """One more number for a contact."""
    phone = customers.add_contact_phone(session, contact_id, body, settings.default_region)
    return PhoneOut.model_validate(phone)
