"""Calls and agent time on the two DST-change days of 2026 in Berlin: one answered call 30
minutes into every real hour of each local day, and agent Ann available midnight to
midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from callcenter.calls.records import (
    AgentState,
    AgentStateRecord,
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
)
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_agent_states, store_calls
from callcenter.users.service import Role, create_user
from kpi.intervals import bucket_end, parse_instant
from tests.kpi.calls import ROLLUPS

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC); 2026-10-25 03:00 CEST -> 02:00 CET (01:00 UTC).
SPRING, FALL = "2026-03-29", "2026-10-25"
HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local_day(day: str) -> tuple[datetime, datetime]:
    """The first and the next day's first instant (UTC) of a Berlin date."""
    start = parse_instant(day, BERLIN)
    return start, bucket_end(start, 86400, BERLIN)


def answered(linkedid: str, entered: datetime, agent: str = "Ann") -> CallRecord:
    visit = QueueVisitRecord(
        queue="support",
        uniqueid=f"u-{linkedid}",
        entered_at=entered,
        outcome=V.ANSWERED,
        ended_at=entered + timedelta(seconds=70),
        wait_s=10,
        talk_s=60,
        hold_s=0,
        agent=agent,
    )
    return CallRecord(
        server="pbx",
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=entered,
        ended_at=entered + timedelta(seconds=71),
        outcome=CallOutcome.ANSWERED,
        caller_number="+15551230001",
        queue_visits=(visit,),
    )


def hourly_calls(day: str) -> list[CallRecord]:
    """One call 30 minutes into every real hour of the local day (both 02:30s in autumn)."""
    start, end = local_day(day)
    count = int((end - start) / HOUR)
    return [answered(f"{day}-{i}", start + i * HOUR + timedelta(minutes=30)) for i in range(count)]


def store_dst_days(session: Session) -> None:
    """Store both days' calls and Ann (team red) with her available time."""
    create_user(
        session, "ann.dst", role=Role.AGENT, password="agent-password", team="red",
        member_name="Ann", interface="PJSIP/1901", display_name="Ann",
    )  # fmt: skip
    store_calls(session, hourly_calls(SPRING) + hourly_calls(FALL), after_store=ROLLUPS)
    # Ann available through both days, midnight to midnight (local).
    states = [
        AgentStateRecord("pbx", "Ann", "PJSIP/1901", AgentState.AVAILABLE, *local_day(d))
        for d in (SPRING, FALL)
    ]
    store_agent_states(session, states)
