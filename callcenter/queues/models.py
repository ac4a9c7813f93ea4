"""SQLAlchemy tables of the queues: the admins' queue records, their numbers, members and skills,
and what each PBX last said about its queues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.db import Base, utc_now


class ServiceQueue(Base):
    """A queue as the call centre runs it: the PBX's queue `name`, its thresholds, hours,
    dialled numbers, overflow and whether an admin has it open.

    Thresholds left empty fall back to what the PBX says (`servicelevel` in queues.conf) and
    then to the deployment's defaults (see `kpi.thresholds`). `business_hours_id` names one
    of the CRM's business-hours calendars (None: always open); the foreign key is by table
    name so this foundation package imports nothing from the CRM, and a process that writes
    queue records loads every model first (`callcenter.models_registry.target_metadata()`;
    the web app does) so SQLAlchemy can order the flush.
    """

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    service_level_s: Mapped[float | None] = mapped_column(Float)
    service_level_target: Mapped[float | None] = mapped_column(Float)
    short_abandon_s: Mapped[float | None] = mapped_column(Float)
    business_hours_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_business_hours.id", ondelete="SET NULL")
    )
    overflow: Mapped[str | None] = mapped_column(String(128))
    open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    numbers: Mapped[list[QueueNumber]] = relationship(
        back_populates="queue",
        cascade="all, delete-orphan",
        order_by="QueueNumber.number",
        lazy="selectin",
    )


class QueueNumber(Base):
    """A dialled number (DID) that leads to a queue: digits, maybe a leading +."""

    __tablename__ = "queue_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)

    queue: Mapped[ServiceQueue] = relationship(back_populates="numbers", lazy="raise")


class QueueMembership(Base):
    """An agent's place in one queue (by the PBX's queue name), with its penalty (lower rings
    first)."""

    __tablename__ = "queue_memberships"
    __table_args__ = (UniqueConstraint("user_id", "queue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    queue: Mapped[str] = mapped_column(String(128))
    penalty: Mapped[int] = mapped_column(Integer, default=0)


class AgentSkill(Base):
    """What an agent can do and how well: `lang:de` at level 2 (0 and up; higher is better)."""

    __tablename__ = "agent_skills"
    __table_args__ = (
        UniqueConstraint("user_id", "skill"),
        CheckConstraint("level >= 0", name="level_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer, default=1)


class PbxQueue(Base):
    """A queue as a PBX last listed it (QueueParams in its QueueStatus answer).

    One row per (PBX, queue), refreshed at every resync: the service-level threshold the
    PBX counts its own service level with (`servicelevel` in queues.conf; None when the
    queue has none) and when it was last seen. KPIs judge the queue by this threshold
    unless an admin set one on the queue's record (see `kpi.thresholds`).
    """

    __tablename__ = "pbx_queues"
    __table_args__ = (UniqueConstraint("server", "queue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(128))
    service_level_s: Mapped[float | None] = mapped_column(Float)
    seen_at: Mapped[datetime]
