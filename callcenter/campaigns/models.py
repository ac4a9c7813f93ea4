"""SQLAlchemy tables of outbound work: lists, leads, campaigns, dial attempts, do-not-call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base, utc_now


class CallList(Base):
    """Leads to call, imported from a CSV file or built from a CRM query."""

    __tablename__ = "call_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    # csv | query | callbacks (abandoned calls, web and agents' requests)
    source: Mapped[str] = mapped_column(String(16))
    # The CRM query a `query` list was built from (kept to show and to build again).
    query: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str | None] = mapped_column(String(128))


class Lead(Base):
    """One number to call on a list: who it is, where it stands, when it may be dialled next.

    A callback the center owes (an abandoned call, a web request, an agent's promise) is a
    lead of a callback list, with its due time and the call it came from.
    """

    __tablename__ = "leads"
    __table_args__ = (
        # The dialer's pick: the open leads of a list whose time has come.
        Index("ix_leads_list_state_next", "list_id", "state", "next_at"),
        # Which of a list's time zones are in calling hours: its open leads' zones.
        Index("ix_leads_list_state_zone", "list_id", "state", "time_zone"),
        Index("ix_leads_number_state", "number", "state"),
        # One lead per abandoned call: replaying the same call never doubles it.
        UniqueConstraint("server", "linkedid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("call_lists.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))  # E.164
    name: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customers.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL")
    )
    # IANA zone of the lead's local time (calling hours, call-back times).
    time_zone: Mapped[str] = mapped_column(String(64))
    # open | reserved | dialing | in_call | done | exhausted | blocked | cancelled
    state: Mapped[str] = mapped_column(String(16), default="open")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not dialled before this (UTC); None: at once.
    next_at: Mapped[datetime | None]
    # A callback's promise: reached by then (its SLA); None for other leads.
    due_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    disposition: Mapped[str | None] = mapped_column(String(32))
    # The agent this lead is held for: a preview being read, an agent's own call back.
    owner: Mapped[str | None] = mapped_column(String(128), index=True)
    # csv | crm | abandoned | web | agent | api
    origin: Mapped[str] = mapped_column(String(16))
    # The inbound call an abandoned-call lead came from.
    server: Mapped[str | None] = mapped_column(String(64))
    linkedid: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(128))
    # The CSV's other columns, shown on the agent's card.
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(128))


class Campaign(Base):
    """A list worked by agents in one dialling mode, within calling hours and retry rules."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("call_lists.id", ondelete="RESTRICT"))
    # outbound | callback (the center's owed callbacks: due times and SLA)
    kind: Mapped[str] = mapped_column(String(16), default="outbound")
    # preview | progressive | predictive
    mode: Mapped[str] = mapped_column(String(16))
    # draft | running | paused | stopped
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # The Asterisk queue its agents sign in to; answered calls of predictive mode wait there.
    queue: Mapped[str] = mapped_column(String(128))
    # The agents (usernames) and teams (names) who work it.
    agents: Mapped[list[str]] = mapped_column(JSON, default=list)
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Calling hours in the lead's local time, minutes after midnight, on the ISO weekdays.
    hours_start_min: Mapped[int] = mapped_column(Integer, default=9 * 60)
    hours_end_min: Mapped[int] = mapped_column(Integer, default=20 * 60)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1, 2, 3, 4, 5, 6])
    # Minutes to wait before the next attempt after each outcome:
    # {"busy": 10, "no_answer": 120, "machine": 240, "failed": 60, "congestion": 10}
    retry_gaps_min: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # The dispositions agents choose from: [{"code", "label", "final", "success",
    # "callback", "dnc"}]
    dispositions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    script: Mapped[str] = mapped_column(Text, default="")
    # The number the customer sees.
    caller_id: Mapped[str | None] = mapped_column(String(64))
    # Seconds to ring the customer before giving up (no answer).
    ring_timeout_s: Mapped[int] = mapped_column(Integer, default=25)
    # Detect answering machines with AMD() before an agent is given the call.
    detect_machines: Mapped[bool] = mapped_column(Boolean, default=False)
    # Answered calls with no agent free, as a share of answered calls over a rolling day.
    abandon_cap: Mapped[float] = mapped_column(Float, default=0.03)
    # Predictive mode's lines per free agent, kept across restarts (the pacer's state).
    dial_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]


class DialAttempt(Base):
    """One try at a lead: reserved and stored before it is dialled, so a restart never
    dials a lead twice for one attempt; its outcome and the agent's disposition."""

    __tablename__ = "dial_attempts"
    __table_args__ = (
        UniqueConstraint("lead_id", "number"),
        Index("ix_dial_attempts_campaign_started", "campaign_id", "reserved_at"),
        Index("ix_dial_attempts_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    # 1 for a lead's first attempt, 2 for its second...
    number: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    # reserved | dialing | ringing | answered | connected | ended
    state: Mapped[str] = mapped_column(String(16), default="reserved")
    # The agent the call is for (preview, progressive) or who took it (predictive).
    agent: Mapped[str | None] = mapped_column(String(128))
    dialed_number: Mapped[str] = mapped_column(String(32))
    action_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    server: Mapped[str | None] = mapped_column(String(64))
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    reserved_at: Mapped[datetime] = mapped_column(default=utc_now)
    dialed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # answered | busy | no_answer | congestion | failed | machine | abandoned
    outcome: Mapped[str | None] = mapped_column(String(16))
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    # OriginateResponse Reason (Asterisk's AST_CONTROL_* number) and AMD's AMDSTATUS/CAUSE.
    reason: Mapped[int | None] = mapped_column(Integer)
    amd_status: Mapped[str | None] = mapped_column(String(16))
    amd_cause: Mapped[str | None] = mapped_column(String(64))
    talk_s: Mapped[float | None] = mapped_column(Float)
    disposition: Mapped[str | None] = mapped_column(String(32))
    disposed_at: Mapped[datetime | None]
    disposed_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)


class DncEntry(Base):
    """A number nobody may dial: on the global list (no campaign) or one campaign's."""

    __tablename__ = "dnc_numbers"
    __table_args__ = (UniqueConstraint("number", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), index=True)  # E.164
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    reason: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(default=utc_now)
    added_by: Mapped[str | None] = mapped_column(String(128))
