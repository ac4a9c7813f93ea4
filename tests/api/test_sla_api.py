"""SLA policies and business hours through HTTP: a target the hours cannot meet is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from crm.sla.business_hours import HORIZON
from crm.sla.models import SLAPolicy

OFFICE = {
    "name": "Office",
    "timezone": "UTC",
    "is_default": True,
    "slots": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)],
}


async def test_a_target_the_business_hours_cannot_meet_is_refused(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    assert (await admin_client.post("/api/business-hours", json=OFFICE)).status_code == 201
    refused = await admin_client.put(
        "/api/sla-policies/urgent",
        json={"first_response_minutes": 15, "resolution_minutes": 2_000_000},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "resolution_minutes"
    assert "not open for 2000000 minutes" in refused.json()["detail"]
    created = await client.post("/api/tickets", json={"subject": "Down", "priority": "urgent"})
    assert created.status_code == 201, created.text


async def test_narrowing_the_hours_under_a_policy_is_refused(
    admin_client: httpx.AsyncClient,
) -> None:
    hours = await admin_client.post("/api/business-hours", json=OFFICE)
    policy = await admin_client.put(
        "/api/sla-policies/urgent",
        json={"first_response_minutes": 15, "resolution_minutes": 300_000},
    )
    assert policy.status_code == 200, policy.text
    one_hour_a_week = {**OFFICE, "slots": [{"weekday": 0, "opens": "09:00", "closes": "10:00"}]}
    refused = await admin_client.put(
        f"/api/business-hours/{hours.json()['id']}", json=one_hour_a_week
    )
    assert refused.status_code == 422
    assert "urgent SLA policy cannot be met" in refused.json()["detail"]
    also_refused = await admin_client.post(
        "/api/business-hours", json={**one_hour_a_week, "name": "Tiny"}
    )
    assert also_refused.status_code == 422
    not_default = await admin_client.post(
        "/api/business-hours", json={**one_hour_a_week, "name": "Tiny", "is_default": False}
    )
    assert not_default.status_code == 201


async def test_a_policy_stored_before_the_check_caps_due_times_instead_of_failing(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await admin_client.post("/api/business-hours", json=OFFICE)
    with sessions() as session, session.begin():
        session.add(
            SLAPolicy(priority="urgent", first_response_minutes=15, resolution_minutes=2_000_000)
        )
    created = await client.post("/api/tickets", json={"subject": "Down", "priority": "urgent"})
    assert created.status_code == 201, created.text
    ticket = created.json()
    opened = datetime.fromisoformat(ticket["created_at"]).replace(tzinfo=UTC)
    due = datetime.fromisoformat(ticket["resolution_due"]).replace(tzinfo=UTC)
    assert due - opened == HORIZON
    assert ticket["first_response_due"] is not None


async def test_business_hours_that_never_open_cap_a_callbacks_due_time(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    monday = date.today() - timedelta(days=date.today().weekday())
    closed = {
        **OFFICE,
        "slots": [{"weekday": 0, "opens": "09:00", "closes": "10:00"}],
        "holidays": [{"day": str(monday + timedelta(weeks=w))} for w in range(-1, 170)],
    }
    assert (await admin_client.post("/api/business-hours", json=closed)).status_code == 201
    created = await client.post("/api/callbacks", json={"number": "+15551230007"})
    assert created.status_code == 201, created.text
    callback = created.json()
    due = datetime.fromisoformat(callback["due_at"]).replace(tzinfo=UTC)
    opened = datetime.fromisoformat(callback["created_at"]).replace(tzinfo=UTC)
    assert due - opened == HORIZON


async def test_default_hours_under_a_taken_name_are_a_conflict(
    admin_client: httpx.AsyncClient,
) -> None:
    assert (await admin_client.post("/api/business-hours", json=OFFICE)).status_code == 201
    again = await admin_client.post("/api/business-hours", json=OFFICE)
    assert again.status_code == 409
    assert "already exist" in again.json()["detail"]
