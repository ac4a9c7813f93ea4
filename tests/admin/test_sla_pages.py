"""The admin's SLA pages over HTTP: targets per priority and business hours, refusals
marked on their field, and new tickets planned with them."""

from __future__ import annotations

import re
from datetime import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.sla.models import BusinessHours, SLAPolicy
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.console_app import Staff, sign_in_as

WEEK = ["08:00-12:00, 13:00-17:00", "08:00-17:00", "08:00-17:00", "08:00-17:00", "08:00-17:00",
        "", ""]  # fmt: skip


def hours_form(csrf: str, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": csrf, "name": "Office", "timezone": "Europe/Berlin", "is_default": "yes",
        "day": WEEK, "holidays": "2026-12-25 Christmas\n2026-12-26",
    }  # fmt: skip
    form.update(changes)
    return form


def test_an_admin_sets_business_hours_and_a_policy_new_tickets_follow(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    assert 'data-testid="policy-none-high"' in client.get("/admin/sla").text
    saved = client.post("/admin/sla/hours", data=hours_form(csrf), follow_redirects=False)
    assert saved.status_code == 303
    with sessions() as session:
        hours = session.scalar(select(BusinessHours))
        assert hours is not None and hours.is_default and hours.timezone == "Europe/Berlin"
        assert [(s.weekday, s.opens, s.closes) for s in hours.slots][:2] == [
            (0, time(8), time(12)), (0, time(13), time(17)),
        ]  # fmt: skip
        assert [(h.day.isoformat(), h.name) for h in hours.holidays] == [
            ("2026-12-25", "Christmas"), ("2026-12-26", None),
        ]  # fmt: skip
    page = client.get(saved.headers["location"]).text
    assert 'value="08:00-12:00, 13:00-17:00"' in page and "2026-12-25 Christmas" in page

    policy = {"csrf_token": csrf, "first_response_minutes": "30", "resolution_minutes": "480"}
    answer = client.post("/admin/sla/policies/high", data=policy, follow_redirects=False)
    assert answer.status_code == 303
    with sessions() as session, session.begin():
        stored = session.scalar(select(SLAPolicy).where(SLAPolicy.priority == "high"))
        assert stored is not None and stored.resolution_minutes == 480
        ticket = create_ticket(session, TicketCreate(subject="Down", priority="high"), "admin")
        assert ticket.first_response_due is not None and ticket.resolution_due is not None
    html = client.get("/admin/sla").text
    assert re.search(r'data-testid="high-resolution"', html) and 'value="480"' in html


def test_refused_targets_are_marked_on_their_field(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "admin")
    for first, resolution, field, says in (
        ("ten", "60", "first_response_minutes", "whole number"),
        ("0", "60", "first_response_minutes", "greater than or equal to 1"),
        ("60", "30", "resolution_minutes", "before the first response"),
    ):
        data = {
            "csrf_token": csrf,
            "first_response_minutes": first,
            "resolution_minutes": resolution,
        }
        answer = client.post("/admin/sla/policies/normal", data=data)
        assert answer.status_code == 422, field
        assert 'data-testid="error-normal"' in answer.text and says in answer.text
        marked = re.search(rf'<input name="{field}"[^>]*data-testid="normal-[^>]*>', answer.text)
        assert marked is not None and 'aria-invalid="true"' in marked.group(0), field
        assert f'value="{first}"' in answer.text  # what was typed stays
    bad_hours = {"csrf_token": csrf, "first_response_minutes": "5", "resolution_minutes": "9",
                 "business_hours_id": "77"}  # fmt: skip
    answer = client.post("/admin/sla/policies/normal", data=bad_hours)
    assert answer.status_code == 422 and "no business hours 77" in answer.text
    assert client.post("/admin/sla/policies/whenever", data=bad_hours).status_code == 422


def test_refused_business_hours_are_marked_on_their_field(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    client.post("/admin/sla/hours", data=hours_form(csrf, is_default=""))
    for changes, field, says in (
        ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
        ({"day": ["9-5", *WEEK[1:]]}, "day-0", "not a time"),
        ({"day": ["", "08:00", *WEEK[2:]]}, "day-1", "write 09:00-17:00"),
        ({"day": [""] * 7}, "slots", "open on one day"),
        ({"holidays": "Christmas"}, "holidays", "not a date"),
        ({"name": ""}, "name", "name"),
        ({"name": "Office"}, "name", "already exist"),
    ):
        answer = client.post("/admin/sla/hours", data=hours_form(csrf, **changes))
        assert answer.status_code == 422, field
        assert f'data-testid="error-{field}"' in answer.text and says in answer.text, field
        assert re.search(r'aria-invalid="true"', answer.text), field
    with sessions() as session:
        assert len(list(session.scalars(select(BusinessHours)))) == 1


def test_a_policy_the_hours_cannot_meet_is_refused(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    client.post("/admin/sla/hours", data=hours_form(csrf))
    with sessions() as session:
        hours_id = session.scalar(select(BusinessHours.id))
    data = {"csrf_token": csrf, "first_response_minutes": "60", "resolution_minutes": "600"}
    client.post("/admin/sla/policies/low", data=data)
    # Open an hour a week, on a day that is always a holiday: the policy cannot be met.
    closed = hours_form(csrf, day=["", "", "", "", "", "", "10:00-10:01"])
    answer = client.post(f"/admin/sla/hours/{hours_id}", data=closed)
    assert answer.status_code == 422 and "low SLA policy cannot be met" in answer.text
    assert 'data-testid="error-slots"' in answer.text
