"""SQLAlchemy tables of business hours, holidays and SLA policies."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.db import Base


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
