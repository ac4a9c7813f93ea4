"""Merging duplicate customers: everything of the duplicate moves, nothing is lost or doubled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.enums import LeadOrigin
from callcenter.campaigns.models import Lead
from callcenter.users.service import Role
from crm.access import Editor
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.service import add_callback
from crm.customers.merge import merge_customers
from crm.customers.models import Customer, PhoneNumber
from crm.customers.schemas import ContactCreate, CustomerCreate, PhoneIn
from crm.customers.service import create_customer, search_customers
from crm.enums import InteractionKind
from crm.exceptions import Forbidden, InvalidInput, NotFound
from crm.interactions.models import Interaction
from crm.tickets.models import Ticket
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOSS = Editor("boss", Role.SUPERVISOR, "red", frozenset({"boss"}))
AGENT = Editor("agent1", Role.AGENT, "red", frozenset({"agent1"}))


@pytest.fixture
def pair(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Ann twice: once with a code and one number, once with two numbers (one shared), a
    contact, a ticket, a call in the history and a callback."""
    with sessions() as session, session.begin():
        keep = create_customer(
            session,
            CustomerCreate(name="Ann Customer", phones=[PhoneIn(number="+15551230001")]),
            "US",
        )
        dup = create_customer(
            session,
            CustomerCreate(
                name="Ann Customer Ltd",
                code="ANN-7",
                city="Leeds",
                notes="Pays late",
                phones=[PhoneIn(number="+1 555 123 0001"), PhoneIn(number="+15551230002")],
                contacts=[ContactCreate(name="Bob Buyer", phones=[PhoneIn(number="+15551230003")])],
            ),
            "US",
        )
        create_ticket(session, TicketCreate(subject="Invoice", customer_id=dup.id), "tests", AT)
        session.add(
            Interaction(
                kind="call_in", customer_id=dup.id, occurred_at=AT, body="Asked about invoice"
            )
        )
        add_callback(
            session,
            CallbackRules(region="US", due_minutes=30, queue="support", site_zone="UTC"),
            number="+15551230002",
            customer_id=dup.id,
            due_at=AT,
            origin=LeadOrigin.API,
        )
        return keep.id, dup.id


def test_everything_of_the_duplicate_moves_to_the_customer_kept(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    keep_id, dup_id = pair
    with sessions() as session, session.begin():
        merged = merge_customers(session, keep_id, dup_id, BOSS, now=AT)
    assert (merged.phones, merged.contacts, merged.tickets, merged.callbacks) == (1, 1, 1, 1)
    assert merged.interactions == 1
    with sessions() as session:
        assert session.get(Customer, dup_id) is None
        keep = session.get(Customer, keep_id)
        assert keep is not None
        assert sorted(p.e164 for p in keep.phones) == ["+15551230001", "+15551230002"]
        assert [c.name for c in keep.contacts] == ["Bob Buyer"]
        assert [p.e164 for p in keep.contacts[0].phones] == ["+15551230003"]
        assert (keep.code, keep.city, keep.notes) == ("ANN-7", "Leeds", "Pays late")
        assert session.scalar(select(Ticket.customer_id)) == keep_id
        assert session.scalar(select(Lead.customer_id)) == keep_id
        history = session.scalars(
            select(Interaction).where(Interaction.customer_id == keep_id).order_by(Interaction.id)
        ).all()
        assert [h.body for h in history] == [
            "Asked about invoice",
            f"Merged Ann Customer Ltd (customer {dup_id}) into this record",
        ]
        assert history[1].kind == str(InteractionKind.NOTE) and history[1].agent == "boss"
        # No number is left without an owner, and the search finds the one record.
        assert session.scalar(
            select(PhoneNumber.id).where(
                PhoneNumber.customer_id.is_(None), PhoneNumber.contact_id.is_(None)
            )
        ) is None  # fmt: skip
        assert [c.id for c in search_customers(session, "+15551230002", "US")] == [keep_id]
        assert [c.id for c in search_customers(session, "Ann", "US")] == [keep_id]


def test_agents_may_not_merge(sessions: sessionmaker[Session], pair: tuple[int, int]) -> None:
    with sessions() as session, pytest.raises(Forbidden, match="supervisor or an admin"):
        merge_customers(session, *pair, AGENT)


def test_a_customer_is_not_merged_into_itself_nor_into_nothing(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    keep_id, _ = pair
    with sessions() as session:
        with pytest.raises(InvalidInput, match="into itself"):
            merge_customers(session, keep_id, keep_id, BOSS)
        with pytest.raises(InvalidInput) as missing:
            merge_customers(session, keep_id, 999_999, BOSS)
        assert missing.value.field == "duplicate_id"
        with pytest.raises(NotFound):
            merge_customers(session, 999_999, keep_id, BOSS)


def test_children_of_the_duplicate_get_the_customer_kept_as_parent(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    keep_id, dup_id = pair
    with sessions() as session, session.begin():
        child = create_customer(session, CustomerCreate(name="Ann North", parent_id=dup_id), "US")
        keep = session.get(Customer, keep_id)
        assert keep is not None
        keep.parent_id = dup_id  # the kept record was filed under its own duplicate
        child_id = child.id
    with sessions() as session, session.begin():
        merge_customers(session, keep_id, dup_id, BOSS)
    with sessions() as session:
        child_row, keep_row = session.get(Customer, child_id), session.get(Customer, keep_id)
        assert child_row is not None and keep_row is not None
        assert (child_row.parent_id, keep_row.parent_id) == (keep_id, None)
