"""SQLAlchemy tables of tickets, their linked calls and their timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.db import Base, utc_now


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
    __table_args__ = (
        UniqueConstraint("ticket_id", "server", "linkedid"),
        Index("ix_crm_ticket_calls_call", "server", "linkedid"),  # the pop: this call's tickets
    )

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
