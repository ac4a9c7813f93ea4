"""SQLAlchemy tables of routing: the admins' rules and the decision taken for each call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base, utc_now


class RoutingRule(Base):
    """An admin's routing rule: tried by `position` (then name), the first match applies.

    `conditions` and `actions` are JSON objects in the shape of
    callcenter.queues.routing.schemas (`when` and `then` of a rule)."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class RouteDecisionRow(Base):
    """Where one call was routed and why, keyed by the caller's channel (`uniqueid`, which
    is the call's linkedid for a caller from a trunk)."""

    __tablename__ = "route_decisions"
    __table_args__ = (
        Index("ix_route_decisions_uniqueid", "uniqueid"),
        Index("ix_route_decisions_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime]
    dialed: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(128))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    preferred_member: Mapped[str | None] = mapped_column(String(128))
    preferred_username: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(128))
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    elapsed_ms: Mapped[float] = mapped_column(Float)
