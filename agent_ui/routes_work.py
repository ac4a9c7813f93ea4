"""After-call work from the console: customers, tickets, notes and disposition, KB, callbacks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Form, HTTPException, Query, status
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from agent_ui.console_state import LiveCall, card_of
from agent_ui.pbx import ConsoleError
from agent_ui.render import fragment
from agent_ui.routes_console import notice
from agent_ui.runtime import ConsoleDep
from callcenter.calls.dispositions import record_disposition
from callcenter.deps import CurrentUser, SessionDep, SettingsDep, SignedInUser
from crm.access import editor_of
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.schemas import CallbackCreate, CallbackOut
from crm.callbacks.service import list_callbacks, request_callback
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from crm.enums import CallbackStatus, InteractionKind, TicketPriority
from crm.exceptions import InvalidInput
from crm.interactions.schemas import InteractionCreate
from crm.interactions.service import add_interaction
from crm.kb.service import search_kb
from crm.phones import normalize
from crm.tickets.schemas import CallRef, TicketCreate
from crm.tickets.service import create_ticket, link_call

# The console page's htmx form posts: HTML fragments for that page, not an API to call.
router = APIRouter(tags=["console"], include_in_schema=False)

OptionalId = Annotated[str, Form(max_length=12)]
LinkedId = Annotated[str, Form(max_length=64)]


def _id(value: str, field: str) -> int | None:
    """A form's optional id field ('' = none)."""
    text = value.strip()
    if not text:
        return None
    # ASCII digits only: str.isdigit() also passes "²", which int() then refuses.
    if not (text.isascii() and text.isdecimal()):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field} must be a number")
    return int(text)


def _due(due_at: str, utc_offset_minutes: int | None) -> datetime | None:
    """The callback's due time: an ISO time with its offset, or the browser's local time
    (datetime-local has no zone) read with the offset the console sends alongside."""
    text = due_at.strip()
    if not text:
        return None
    try:
        due = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "due_at is not a date and time"
        ) from None
    if due.tzinfo is None:
        if utc_offset_minutes is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "due_at has no time zone: send utc_offset_minutes or an offset in due_at",
            )
        due = due.replace(tzinfo=timezone(timedelta(minutes=utc_offset_minutes)))
    return due


def _call_of(console: ConsoleDep, user: SignedInUser, linkedid: str) -> LiveCall | None:
    """The agent's call on screen with that Linkedid (a copy); never on their screen: 403.

    Routes like this one run in a worker thread: the consoles are asked on the event loop."""
    if not linkedid.strip():
        return None
    call = from_thread.run(console.ops.call_of, user.id, linkedid)
    if call is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "that call is not (or no longer) yours")
    return call


def _refresh_card(
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    user: SignedInUser,
    call: LiveCall | None,
) -> None:
    """The pop's card shows what the server now knows after the agent's change (a customer,
    a chosen caller, a ticket): on every tab, and after a reload."""
    if call is None or not call.caller_number:
        return
    session.flush()
    found = card_of(session, settings.default_region, call)
    # Routes like this one run in a worker thread; the consoles live on the event loop.
    from_thread.run(console.ops.show_card, user.id, call.linkedid, found)


def _decline_offer(console: ConsoleDep, user: SignedInUser, call: LiveCall) -> LiveCall:
    """The agent picked a ticket or said no: the offered one is not linked on answer."""
    changed = from_thread.run(console.ops.decline_offer, user.id, call.linkedid)
    return changed or dataclasses.replace(call, link_on_answer=False)


def _invalid(exc: ValidationError) -> HTTPException:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{where}: {first.get('msg')}")


@router.post("/console/customers", response_class=HTMLResponse)
def new_customer(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    number: Annotated[str, Form(min_length=1, max_length=64)],
    name: Annotated[str, Form(min_length=1, max_length=255)],
    linkedid: LinkedId = "",
) -> HTMLResponse:
    """One click on an unknown number's pop: a customer with that number; the pop refreshed."""
    call = _call_of(console, user, linkedid)
    try:
        data = CustomerCreate(name=name, phones=[PhoneIn(number=number)])
    except ValidationError as exc:
        raise _invalid(exc) from exc
    customer = create_customer(session, data, settings.default_region)
    if call is not None:
        try:
            call = from_thread.run(console.ops.choose_customer, user.id, linkedid, customer.id)
        except ConsoleError:  # the call left the screen meanwhile: no pop to refresh
            call = dataclasses.replace(call, customer_id=customer.id)
        _refresh_card(session, settings, console, user, call)
    return notice(f"Customer {customer.name} created.")


@router.post("/console/calls/customer", response_class=HTMLResponse)
def choose_customer(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    linkedid: LinkedId,
    customer_id: Annotated[int, Form(ge=1)],
) -> HTMLResponse:
    """Several customers have the number: the agent picks the caller."""
    call = from_thread.run(console.ops.choose_customer, user.id, linkedid, customer_id)
    _refresh_card(session, settings, console, user, call)
    return notice("Caller chosen.")


@router.post("/console/tickets", response_class=HTMLResponse)
def open_ticket(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    subject: Annotated[str, Form(min_length=1, max_length=255)],
    description: Annotated[str, Form(max_length=20_000)] = "",
    priority: Annotated[TicketPriority, Form()] = TicketPriority.NORMAL,
    customer_id: OptionalId = "",
    linkedid: LinkedId = "",
) -> HTMLResponse:
    """A ticket prefilled from the call: customer, caller number, queue, and the call linked."""
    call = _call_of(console, user, linkedid)
    customer = _id(customer_id, "customer_id") or (call.customer_id if call else None)
    lines = [description.strip()] if description.strip() else []
    if call is not None:
        lines.append(call.summary())
    data = TicketCreate(
        subject=subject,
        description="\n".join(lines) or None,
        priority=priority,
        customer_id=customer,
        assignee=user.username,
        call=CallRef(server=call.server, linkedid=call.linkedid) if call else None,
    )
    ticket = create_ticket(session, data, user.username, editor=editor_of(session, user))
    if call is not None:
        call = _decline_offer(console, user, call)
    _refresh_card(session, settings, console, user, call)
    return notice(f"Ticket {ticket.number} opened.")


@router.post("/console/tickets/{ticket_id}/calls", response_class=HTMLResponse)
def link_to_ticket(
    ticket_id: int,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    linkedid: LinkedId,
) -> HTMLResponse:
    """Link the call on screen to an open ticket."""
    call = _call_of(console, user, linkedid)
    if call is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "no call to link")
    # The call is the agent's own on screen; the ticket must be one they may change.
    ticket = link_call(
        session,
        ticket_id,
        CallRef(server=call.server, linkedid=call.linkedid),
        user.username,
        editor=editor_of(session, user),
    )
    call = _decline_offer(console, user, call)
    _refresh_card(session, settings, console, user, call)
    return notice(f"Call linked to {ticket.number}.")


@router.post("/console/calls/ticket-offer/decline", response_class=HTMLResponse)
def decline_ticket_offer(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    linkedid: LinkedId,
) -> HTMLResponse:
    """The call is not about the caller's open ticket the pop offered: do not link it."""
    call = _call_of(console, user, linkedid)
    if call is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "no call on your screen")
    call = _decline_offer(console, user, call)
    _refresh_card(session, settings, console, user, call)
    return notice("The call will not be linked to that ticket.")


@router.post("/console/wrapup/notes", response_class=HTMLResponse)
def save_notes(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    console: ConsoleDep,
    disposition: Annotated[str, Form(min_length=1, max_length=64)],
    notes: Annotated[str, Form(max_length=20_000)] = "",
    customer_id: OptionalId = "",
    linkedid: LinkedId = "",
) -> HTMLResponse:
    """The call's disposition and notes: kept on the call, and in the customer's history."""
    if disposition not in console.settings.console_dispositions:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown disposition {disposition!r}"
        )
    call = _call_of(console, user, linkedid)
    customer = _id(customer_id, "customer_id") or (call.customer_id if call else None)
    if call is None and customer is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "nothing to attach these notes to: no call on screen and no customer chosen",
        )
    if call is not None:
        record_disposition(
            session,
            server=call.server,
            linkedid=call.linkedid,
            # Call records name agents by their queue MemberName: the same key here, so
            # dispositions join to the agent's calls.
            agent=user.member_name or user.username,
            disposition=disposition,
            notes=notes.strip() or None,
        )
    if customer is not None:
        subject = f"Disposition: {disposition}"
        if call is not None:
            subject += f" ({call.origin})"
        data = InteractionCreate(
            kind=InteractionKind.NOTE,
            subject=subject,
            body=notes.strip() or None,
            number=call.caller_number if call else None,
        )
        add_interaction(session, customer, data, user.username, region=settings.default_region)
    _refresh_card(session, settings, console, user, call)
    return notice("Notes saved.")


@router.get("/console/kb", response_class=HTMLResponse)
def kb_search(
    user: CurrentUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Knowledge-base articles matching the words typed."""
    del user
    articles = search_kb(session, q, limit=10) if q.strip() else []
    return HTMLResponse(fragment("_kb.html", articles=articles, query=q))


# Open callbacks of one number looked at for a duplicate (more would be a list gone wrong).
_DUPLICATES_SEEN = 500


def _refuse_duplicate(session: SessionDep, data: CallbackCreate, region: str) -> None:
    """An open callback to the same number, customer, time and note exists: 409 saying so
    (a double click, or a second agent on the same request)."""
    try:
        number = normalize(data.number, region)
    except InvalidInput:
        return  # request_callback says what is wrong with it
    due = data.due_at.astimezone(UTC).replace(tzinfo=None) if data.due_at else None
    leads, _ = list_callbacks(
        session, status=str(CallbackStatus.OPEN), number=number, limit=_DUPLICATES_SEEN
    )
    open_ones = (
        CallbackOut.model_validate(lead) for lead in leads if lead.customer_id == data.customer_id
    )
    for callback in open_ones:
        stored = callback.due_at
        stored = stored.astimezone(UTC).replace(tzinfo=None) if stored.tzinfo else stored
        if stored == due and (callback.note or None) == data.note:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"This callback to {number} is already scheduled for that time.",
            )


@router.post("/console/callbacks", response_class=HTMLResponse)
def schedule_callback(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    number: Annotated[str, Form(min_length=1, max_length=64)],
    customer_id: OptionalId = "",
    due_at: Annotated[str, Form(max_length=40)] = "",
    # Minutes east of UTC, as the browser's clock had it at the due time (UTC+2 = 120).
    utc_offset_minutes: Annotated[int | None, Form(ge=-18 * 60, le=18 * 60)] = None,
    note: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse:
    """A callback owed to the caller, due when the agent says (the console always asks);
    the same callback twice is refused."""
    customer = _id(customer_id, "customer_id")
    due = _due(due_at, utc_offset_minutes)
    if due is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "due_at: say when to call back")
    try:
        data = CallbackCreate(
            number=number,
            customer_id=customer,
            due_at=due,
            note=(note.strip() or None),
        )
    except ValidationError as exc:
        raise _invalid(exc) from exc
    _refuse_duplicate(session, data, settings.default_region)
    callback = CallbackOut.model_validate(
        request_callback(session, data, CallbackRules.of(settings), owner=user.username)
    )
    when = f"{callback.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if due is not None and due.utcoffset():
        when = f"{due:%Y-%m-%d %H:%M} (UTC{due:%z}), {when}"
    return notice(f"Callback to {callback.number} due {when}.")
