"""Quality KPIs read from the CRM: which call opened a ticket, which calls can complain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import CallRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from crm.tickets.models import Ticket, TicketCall
from tests.console_app import Staff
from tests.kpi.calls import ROLLUPS, call, visit
from tests.supervisor.test_pages_and_api import DAY, bearer

ANN = "+15550000001"


def store(
    sessions: sessionmaker[Session], calls: list[CallRecord], tickets: list[tuple[str, list[str]]]
) -> None:
    """Store `calls` and one resolved ticket per (type, linked call ids), opened at the first."""
    with sessions() as session, session.begin():
        store_calls(session, calls, after_store=ROLLUPS)
        for kind, linked in tickets:
            opened = next(c.started_at for c in calls if c.linkedid == linked[0])
            session.add(
                Ticket(
                    subject=f"from {linked[0]}", type=kind, priority="normal", status="resolved",
                    created_at=opened, updated_at=opened, resolved_at=opened + timedelta(hours=1),
                    calls=[TicketCall(server="pbx", linkedid=linkedid) for linkedid in linked],
                )
            )  # fmt: skip


def test_a_ticket_counts_from_its_first_call(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    #  call  entered (B: the next day)  linked to the same ticket
    calls = [
        call("a", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number=ANN),
        call("b", visit("support", "33:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number=ANN),
    ]
    store(sessions, calls, [("incident", ["a", "b"])])
    body = client.get("/api/kpi/quality", params=DAY, headers=bearer(staff, "admin")).json()
    assert body["tickets_from_calls"] == 1
    assert body["fcr"] == 0.0  # Ann had to call again a day after the opening call


def test_complaint_rate_counts_answered_inbound_calls_only(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    #  call      direction  outcome
    calls = [
        call("in1", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number=ANN),
        call("in2", visit("support", "10:00:00", V.ANSWERED, 5, 60, 0, "agent1")),
        call("out1", started="11:00:00"),  # outbound, answered
        call("out2", started="12:00:00"),  # outbound, answered
    ]
    store(sessions, calls, [("complaint", ["in1"])])
    body = client.get("/api/kpi/quality", params=DAY, headers=bearer(staff, "admin")).json()
    assert body["complaint_rate"] == pytest.approx(1 / 2)
