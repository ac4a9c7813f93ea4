"""Scheduled CRM jobs: the SLA sweep that flags breaches and escalates tickets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.db import transaction, utc_now
from callcenter.events import TicketEscalated
from crm.sla.schemas import Escalation
from crm.sla.service import sweep_breaches

log = logging.getLogger(__name__)

SLA_JOB_ID = "crm-sla-sweep"


def escalate_overdue(
    sessions: sessionmaker[Session],
    bus: Bus,
    server: str,
    clock: Callable[[], datetime] = utc_now,
) -> list[Escalation]:
    """One sweep in its own transaction; events go out only once it is committed."""
    now = clock()
    with transaction(sessions) as session:
        escalations = sweep_breaches(session, now)
    for escalation in escalations:
        bus.publish(
            TicketEscalated(
                at=now,
                server=server,
                ticket_id=escalation.ticket_id,
                number=escalation.number,
                level=escalation.level,
                reason=escalation.reason,
            )
        )
    if escalations:
        log.info("escalated %d ticket(s)", len(escalations))
    return escalations


def start_scheduler(
    sessions: sessionmaker[Session], bus: Bus, server: str, interval_s: float
) -> BackgroundScheduler:
    """A running scheduler with the SLA sweep every `interval_s` seconds."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        escalate_overdue,
        "interval",
        seconds=interval_s,
        args=(sessions, bus, server),
        id=SLA_JOB_ID,
        # One sweep at a time; a late one is skipped rather than run twice in a row.
        max_instances=1,
        coalesce=True,
        next_run_time=utc_now(),
    )
    scheduler.start()
    return scheduler
