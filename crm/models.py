"""SQLAlchemy tables of the CRM: customers, contacts, numbers, history, tickets, SLAs, KB."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.db import Base, utc_now


class Customer(Base):
    """A company or a person the call center serves."""

    __tablename__ = "crm_customers"
    __table_args__ = (
        UniqueConstraint("code"),
        Index("ix_crm_customers_name", "name"),
        Index("ix_crm_customers_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="company")
    code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(16), default="regular")
    value: Mapped[float | None] = mapped_column(Float)
    credit_rating: Mapped[str | None] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customers.id", ondelete="SET NULL")
    )
    street: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(255))
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_agent: Mapped[str | None] = mapped_column(String(128))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    phones: Mapped[list[PhoneNumber]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PhoneNumber.id",
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Contact.id",
    )


class Contact(Base):
    """A person at a customer the agents talk to."""

    __tablename__ = "crm_contacts"
    __table_args__ = (Index("ix_crm_contacts_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(128))
    importance: Mapped[int] = mapped_column(Integer, default=3)
    email: Mapped[str | None] = mapped_column(String(255))
    birthday: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")
    phones: Mapped[list[PhoneNumber]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PhoneNumber.id",
    )


class PhoneNumber(Base):
    """A number in E.164 form, owned by a customer or by one of its contacts.

    The same E.164 number may appear on several rows (a switchboard shared by two companies,
    a person who is a contact at two customers): the lookup returns all of them.
    """

    __tablename__ = "crm_phone_numbers"
    __table_args__ = (
        CheckConstraint("(customer_id IS NULL) <> (contact_id IS NULL)", name="one_owner"),
        Index("ix_crm_phone_numbers_e164", "e164"),
        Index("ix_crm_phone_numbers_customer_id", "customer_id"),
        Index("ix_crm_phone_numbers_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20))
    raw: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customers.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE")
    )

    customer: Mapped[Customer | None] = relationship(back_populates="phones", lazy="raise")
    contact: Mapped[Contact | None] = relationship(back_populates="phones", lazy="raise")


class Interaction(Base):
    """One entry of the contact history; calls point at their call record by server+linkedid."""

    __tablename__ = "crm_interactions"
    __table_args__ = (
        Index("ix_crm_interactions_customer_id_occurred_at", "customer_id", "occurred_at"),
        Index("ix_crm_interactions_number_occurred_at", "number", "occurred_at"),
        Index("ix_crm_interactions_server_linkedid", "server", "linkedid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # NULL when nobody in the CRM has the number yet; the row still records that it called.
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customers.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL")
    )
    occurred_at: Mapped[datetime]
    number: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(String(128))
    server: Mapped[str | None] = mapped_column(String(64))
    linkedid: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str | None] = mapped_column(String(16))
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_s: Mapped[float | None] = mapped_column(Float)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("crm_tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class BusinessHours(Base):
    """A weekly opening schedule in one time zone, with holidays."""

    __tablename__ = "crm_business_hours"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    slots: Mapped[list[BusinessHoursSlot]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="BusinessHoursSlot.id"
    )
    holidays: Mapped[list[Holiday]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Holiday.day"
    )


class BusinessHoursSlot(Base):
    """Open from `opens` to `closes` on a weekday (0 = Monday); closes <= opens runs overnight."""

    __tablename__ = "crm_business_hours_slots"
    __table_args__ = (Index("ix_crm_business_hours_slots_business_hours_id", "business_hours_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_hours_id: Mapped[int] = mapped_column(
        ForeignKey("crm_business_hours.id", ondelete="CASCADE")
    )
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class Holiday(Base):
    """A closed day; an overnight slot belongs to the day it opens."""

    __tablename__ = "crm_holidays"
    __table_args__ = (UniqueConstraint("business_hours_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_hours_id: Mapped[int] = mapped_column(
        ForeignKey("crm_business_hours.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(128))


class SLAPolicy(Base):
    """First-response and resolution targets for one ticket priority, in business minutes."""

    __tablename__ = "crm_sla_policies"
    __table_args__ = (UniqueConstraint("priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[str] = mapped_column(String(16))
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    # NULL: the default business hours (or round the clock when there are none).
    business_hours_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_business_hours.id", ondelete="SET NULL")
    )


class Ticket(Base):
    """A service request with its workflow state, SLA clock and escalation level."""

    __tablename__ = "crm_tickets"
    __table_args__ = (
        UniqueConstraint("number"),
        Index("ix_crm_tickets_customer_id_status", "customer_id", "status"),
        Index("ix_crm_tickets_status_priority", "status", "priority"),
        Index("ix_crm_tickets_assignee", "assignee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Derived from the id right after the first flush, so NULL only inside that flush.
    number: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customers.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL")
    )
    subject: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    assignee: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    first_response_due: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    calls: Mapped[list[TicketCall]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TicketCall.id"
    )


class TicketCall(Base):
    """A call linked to a ticket, by the call record's key."""

    __tablename__ = "crm_ticket_calls"
    __table_args__ = (UniqueConstraint("ticket_id", "server", "linkedid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("crm_tickets.id", ondelete="CASCADE"))
    server: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64))


class TicketEvent(Base):
    """One entry of a ticket's timeline: who did what, when."""

    __tablename__ = "crm_ticket_events"
    __table_args__ = (Index("ix_crm_ticket_events_ticket_id_at", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("crm_tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(255))
    new_value: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)


class KBArticle(Base):
    """A known problem and its solution."""

    __tablename__ = "crm_kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    problem: Mapped[str] = mapped_column(Text)
    solution: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Callback(Base):
    """A call back the center owes a number, with its due time and attempts."""

    __tablename__ = "crm_callbacks"
    __table_args__ = (
        # One callback per abandoned call: replaying the same call never doubles it.
        UniqueConstraint("server", "linkedid"),
        Index("ix_crm_callbacks_number_status", "number", "status"),
        Index("ix_crm_callbacks_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customers.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    origin: Mapped[str] = mapped_column(String(16))
    server: Mapped[str | None] = mapped_column(String(64))
    linkedid: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(128))
