"""The desk's customer pages: search, and one customer with its numbers, contacts, tickets,
calls with their notes and callbacks; its fields editable within the role's rights."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from agent_ui.desk.forms import check_csrf
from agent_ui.desk.render import templates
from callcenter.deps import PageUser, SessionDep, SettingsDep, SignedInUser
from callcenter.users.service import Role
from crm.access import ACCOUNT_FIELDS, check_customer_fields, editor_of
from crm.callbacks.schemas import CallbackOut
from crm.callbacks.service import list_callbacks
from crm.customers.merge import merge_customers
from crm.customers.schemas import CustomerUpdate, PhoneIn
from crm.customers.service import (
    add_customer_phone,
    get_customer,
    list_customers,
    search_customers,
    update_customer,
)
from crm.enums import CustomerCategory
from crm.exceptions import Conflict, CrmError, InvalidInput
from crm.interactions.service import list_interactions
from crm.tickets.service import list_tickets

router = APIRouter(prefix="/desk", include_in_schema=False)

Token = Annotated[str, Form(max_length=128)]
Field = Annotated[str | None, Form(max_length=20_000)]
# What the page's form edits, in order; the account fields only for supervisors and admins.
RECORD_FIELDS = ("name", "code", "email", "industry", "street", "postal_code", "city", "notes")
HISTORY = 50


@router.get("/customers", response_class=HTMLResponse)
def customer_search(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Customers by name, code, e-mail or phone number (any format); by name with no query."""
    text = q.strip()
    if text:
        found = search_customers(session, text, settings.default_region, limit=50)
    else:
        found, _ = list_customers(session, limit=50)
    context = {"user": user, "q": text, "customers": found}
    return templates.TemplateResponse(request, "desk_customers.html", context)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request, customer_id: int, user: PageUser, session: SessionDep
) -> Response:
    """One customer: numbers, contacts, tickets, calls with notes, callbacks."""
    return _render(request, user, session, customer_id)


@router.post("/customers/{customer_id}", response_class=HTMLResponse)
def edit_customer(
    request: Request,
    customer_id: int,
    user: PageUser,
    session: SessionDep,
    csrf_token: Token = "",
    name: Field = None,
    code: Field = None,
    email: Field = None,
    industry: Field = None,
    street: Field = None,
    postal_code: Field = None,
    city: Field = None,
    notes: Field = None,
    category: Field = None,
    preferred_agent: Field = None,
    blacklisted: Field = None,
    account_shown: Field = None,
) -> Response:
    """Change the fields the form sent; account fields take a supervisor or an admin."""
    check_csrf(user, csrf_token)
    sent: dict[str, str | None] = {
        "name": name, "code": code, "email": email, "industry": industry, "street": street,
        "postal_code": postal_code, "city": city, "notes": notes, "category": category,
        "preferred_agent": preferred_agent,
    }  # fmt: skip
    stored = get_customer(session, customer_id)
    changes: dict[str, Any] = {}
    for field, value in sent.items():
        if value is None:
            continue  # not on the form
        cleaned = value.strip() or None
        if cleaned != getattr(stored, field):
            changes[field] = cleaned
    if account_shown is not None and bool(blacklisted) != stored.blacklisted:
        changes["blacklisted"] = bool(blacklisted)
    if not changes:
        return _back(customer_id)
    try:
        check_customer_fields(editor_of(session, user), changes)
        update_customer(session, customer_id, CustomerUpdate.model_validate(changes))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "name"
        error = {"field": field, "message": f"{field}: {first['msg']}"}
        return _render(request, user, session, customer_id, error, 422)
    except CrmError as exc:
        session.rollback()
        field = _field_of(exc, changes)
        error = {"field": field, "message": str(exc)}
        return _render(request, user, session, customer_id, error, exc.status_code)
    return _back(customer_id)


@router.post("/customers/{customer_id}/phones", response_class=HTMLResponse)
def add_phone(
    request: Request,
    customer_id: int,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    number: Annotated[str, Form(max_length=64)] = "",
    label: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Add a number to the customer (any format the region reads)."""
    check_csrf(user, csrf_token)
    try:
        phone = PhoneIn(number=number, label=label.strip() or None)
        add_customer_phone(session, customer_id, phone, settings.default_region)
    except ValidationError:
        error = {"field": "number", "message": "number: not a phone number"}
        return _render(request, user, session, customer_id, error, 422)
    except CrmError as exc:
        session.rollback()
        error = {"field": "number", "message": str(exc)}
        return _render(request, user, session, customer_id, error, exc.status_code)
    return _back(customer_id)


@router.post("/customers/{customer_id}/merge", response_class=HTMLResponse)
def merge_duplicate(
    request: Request,
    customer_id: int,
    user: PageUser,
    session: SessionDep,
    csrf_token: Token = "",
    duplicate_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Merge another record of this customer into this one (supervisors and admins)."""
    check_csrf(user, csrf_token)
    text = duplicate_id.strip()
    if not (text.isascii() and text.isdecimal()):
        error = {"field": "duplicate_id", "message": "duplicate: the customer number to merge"}
        return _render(request, user, session, customer_id, error, 422)
    try:
        merge_customers(session, customer_id, int(text), editor_of(session, user))
    except CrmError as exc:
        session.rollback()
        if exc.status_code == status.HTTP_404_NOT_FOUND:
            raise
        error = {"field": "duplicate_id", "message": str(exc)}
        return _render(request, user, session, customer_id, error, exc.status_code)
    return _back(customer_id)


def _field_of(exc: CrmError, changes: dict[str, Any]) -> str:
    """The form field a refusal is about: the input named, a taken code, an account field."""
    if isinstance(exc, InvalidInput):
        return exc.field
    if isinstance(exc, Conflict) and "code" in changes:
        return "code"
    return (sorted(set(changes) & ACCOUNT_FIELDS) or sorted(changes))[0]


def _back(customer_id: int) -> RedirectResponse:
    return RedirectResponse(f"/desk/customers/{customer_id}", status_code=status.HTTP_303_SEE_OTHER)


def _render(
    request: Request,
    user: SignedInUser,
    session: SessionDep,
    customer_id: int,
    error: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    customer = get_customer(session, customer_id)
    tickets, _ = list_tickets(session, customer_id=customer_id, limit=HISTORY)
    history, _ = list_interactions(session, customer_id, limit=HISTORY, offset=0)
    leads, _ = list_callbacks(session, customer_id=customer_id, limit=HISTORY)
    callbacks = [CallbackOut.model_validate(lead) for lead in leads]
    context: dict[str, Any] = {
        "user": user,
        "customer": customer,
        "tickets": tickets,
        "history": history,
        "callbacks": callbacks,
        "record_fields": RECORD_FIELDS,
        "categories": [str(c) for c in CustomerCategory],
        "may_classify": user.role != Role.AGENT,
        "error": error or {},
    }
    return templates.TemplateResponse(
        request, "desk_customer.html", context, status_code=status_code
    )
