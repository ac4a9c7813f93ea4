"""SQLAlchemy tables for calls, queue visits, agent-state intervals and queue interval rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.db import Base, utc_now


class Call(Base):
    """One call, written once when it ends, keyed by (server, linkedid)."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("server", "linkedid"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller_number", "caller_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(255))
    dialed_number: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime]
    talk_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(128))
    transfer_target: Mapped[str | None] = mapped_column(String(128))
    data_gap: Mapped[bool] = mapped_column(Boolean, default=False)
    # The sum of its visits' wrap-up seconds; None when none was measured.
    wrap_up_s: Mapped[float | None] = mapped_column(Float)
    # An outbound campaign's attempt: its campaign and lead (ids in callcenter.campaigns).
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    lead_id: Mapped[int | None] = mapped_column(Integer)

    queue_visits: Mapped[list[QueueVisit]] = relationship(
        back_populates="call",
        order_by="QueueVisit.seq",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class QueueVisit(Base):
    """One stay of a call in one queue."""

    __tablename__ = "queue_visits"
    __table_args__ = (
        UniqueConstraint("call_id", "seq"),
        # Covers interval reports by queue: they read nothing else, so never touch the table.
        Index(
            "ix_queue_visits_queue_entered_at",
            "queue",
            "entered_at",
            "outcome",
            "wait_s",
            "talk_s",
            "hold_s",
            "wrap_up_s",
        ),
        Index("ix_queue_visits_uniqueid", "uniqueid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(128))
    uniqueid: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    position: Mapped[int | None] = mapped_column(Integer)
    exit_position: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(128))
    wait_s: Mapped[float | None] = mapped_column(Float)
    ring_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    ring_no_answer: Mapped[int] = mapped_column(Integer, default=0)
    transfer_target: Mapped[str | None] = mapped_column(String(128))
    hangup_by: Mapped[str | None] = mapped_column(String(16))
    # The answering agent's wrap-up after this visit, set when it ends (often after the
    # call's row was written); None when none was measured exactly.
    wrap_up_s: Mapped[float | None] = mapped_column(Float)

    call: Mapped[Call] = relationship(back_populates="queue_visits", lazy="raise")


class AgentStateInterval(Base):
    """A closed interval of one agent in one state."""

    __tablename__ = "agent_state_intervals"
    __table_args__ = (
        UniqueConstraint("server", "interface", "queue", "state", "started_at"),
        Index("ix_agent_state_intervals_agent_started_at", "agent", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str] = mapped_column(String(128))
    interface: Mapped[str] = mapped_column(String(128))
    # "" means every queue the agent is a member of (NULL would escape the unique key).
    queue: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    data_gap: Mapped[bool] = mapped_column(Boolean, default=False)


class CallDisposition(Base):
    """What the agent recorded about a call: disposition and notes (table `call_wrapups`,
    its name from before wrap-up came to mean the time after a call).

    Kept apart from `calls` so a replayed PBX stream, which rewrites call rows, never loses
    what people typed; one row per agent per call, updated when they change their mind.
    """

    __tablename__ = "call_wrapups"
    __table_args__ = (UniqueConstraint("server", "linkedid", "agent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    agent: Mapped[str] = mapped_column(String(128))
    disposition: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class QueueIntervalRollup(Base):
    """Additive totals of one queue's visits that entered in one 15-minute interval (UTC).

    Kept in the same transaction as the visits (see `kpi.rollups.keeping`), so a
    report reads a handful of rows per interval instead of every visit. The counts that
    depend on a threshold were counted with the `service_level_s` and `short_abandon_s`
    stored on the row; a report judged by other thresholds reads that interval's visits.
    """

    __tablename__ = "queue_interval_rollups"
    __table_args__ = (
        # Which queues have calls at a period's ends, without a scan.
        Index("ix_queue_interval_rollups_interval_start", "interval_start"),
        # Clustered by (queue, interval_start) in SQLite: a queue's intervals are read in order.
        {"sqlite_with_rowid": False},
    )

    queue: Mapped[str] = mapped_column(String(128), primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(primary_key=True)
    service_level_s: Mapped[float] = mapped_column(Float)
    short_abandon_s: Mapped[float] = mapped_column(Float)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_within: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_within: Mapped[int] = mapped_column(Integer, default=0)
    timeouts: Mapped[int] = mapped_column(Integer, default=0)
    timeouts_within: Mapped[int] = mapped_column(Integer, default=0)
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    wait_answered_s: Mapped[float] = mapped_column(Float, default=0.0)
    wait_abandoned_s: Mapped[float] = mapped_column(Float, default=0.0)
    talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    wrap_up_s: Mapped[float] = mapped_column(Float, default=0.0)
    longest_wait_s: Mapped[float] = mapped_column(Float, default=0.0)


class CallsInFlight(Base):
    """The calls a PBX's CTI adapter was following when it stopped, for its next start to
    resume (one row per PBX; see callcenter.cti.checkpoint)."""

    __tablename__ = "calls_in_flight"

    server: Mapped[str] = mapped_column(String(64), primary_key=True)
    saved_at: Mapped[datetime]
    document: Mapped[str] = mapped_column(Text)
