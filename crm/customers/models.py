"""SQLAlchemy tables of customers, their contacts and their phone numbers."""

from __future__ import annotations

from datetime import date, datetime

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
    UniqueConstraint,
    false,
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
    # The customer asked not to be called: no campaign dials their numbers.
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
