"""SQLAlchemy table of the contact history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base, utc_now


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
