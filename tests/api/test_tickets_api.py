"""Tickets over HTTP: filters, pages, workflow moves and refusals, timeline, SLA setup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.models import Call
from crm.sla.tasks import escalate_overdue


async def ticket(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/tickets", json={"subject": "Printer jam", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def store_call(sessions: sessionmaker[Session], server: str, linkedid: str) -> None:
    """A call record as the CTI writes one when a call ends."""
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with sessions() as session, session.begin():
        session.add(
            Call(
                server=server,
                linkedid=linkedid,
                direction="inbound",
                started_at=at,
                ended_at=at + timedelta(minutes=3),
                outcome="answered",
            )
        )


async def move(client: httpx.AsyncClient, ticket_id: int, status: str) -> httpx.Response:
    return await client.post(f"/api/tickets/{ticket_id}/transitions", json={"status": status})


async def test_created_ticket_has_number_timeline_and_actor(client: httpx.AsyncClient) -> None:
    created = await ticket(client, priority="high", type="complaint")
    assert created["number"] == f"T-{created['id']:06d}"
    assert [(e["kind"], e["actor"]) for e in created["events"]] == [("created", "alice")]


async def test_workflow_through_http(client: httpx.AsyncClient) -> None:
    t = await ticket(client)
    for status in ("open", "pending", "open", "resolved", "closed"):
        response = await move(client, t["id"], status)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    events = (await client.get(f"/api/tickets/{t['id']}/events")).json()
    assert [e["new_value"] for e in events] == [
        "new",
        "open",
        "pending",
        "open",
        "resolved",
        "closed",
    ]


async def test_refused_move_is_409_with_the_reason(client: httpx.AsyncClient) -> None:
    t = await ticket(client)
    response = await move(client, t["id"], "closed")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "cannot move a ticket from new to closed: only a resolved ticket can be closed"
    )
    assert (await client.get(f"/api/tickets/{t['id']}")).json()["status"] == "new"


async def test_filters_and_pagination(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    customer = (await client.post("/api/customers", json={"name": "Acme"})).json()
    first = await ticket(admin_client, priority="high", assignee="bob", customer_id=customer["id"])
    await ticket(client, priority="low")
    third = await ticket(client, priority="high")
    await move(client, third["id"], "open")

    async def ids(**params: Any) -> list[int]:
        body = (await client.get("/api/tickets", params=params)).json()
        return [t["id"] for t in body["items"]]

    assert await ids(priority="high") == [third["id"], first["id"]]
    assert await ids(status="open") == [third["id"]]
    assert await ids(assignee="bob") == [first["id"]]
    assert await ids(customer_id=customer["id"]) == [first["id"]]
    assert await ids(breached=True) == []
    page = (await client.get("/api/tickets", params={"limit": 1, "offset": 1})).json()
    assert (page["total"], len(page["items"])) == (3, 1)


async def test_update_comment_and_link_call(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    store_call(sessions, "pbx", "1795441073.0")
    t = await ticket(client)
    # Handing the ticket to someone outside your team takes an admin (test_access_api.py).
    patched = await admin_client.patch(f"/api/tickets/{t['id']}", json={"assignee": "carol"})
    assert patched.json()["assignee"] == "carol"
    comment = await admin_client.post(f"/api/tickets/{t['id']}/comments", json={"body": "On it"})
    assert comment.status_code == 201
    linked = await admin_client.post(
        f"/api/tickets/{t['id']}/calls", json={"server": "pbx", "linkedid": "1795441073.0"}
    )
    assert linked.json()["calls"] == [{"server": "pbx", "linkedid": "1795441073.0"}]
    detail = (await client.get(f"/api/tickets/{t['id']}")).json()
    assert detail["first_responded_at"] is not None
    assert [e["kind"] for e in detail["events"]] == [
        "created",
        "updated",
        "commented",
        "call_linked",
    ]


async def test_sla_policy_and_business_hours_set_due_times(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    hours = await admin_client.post(
        "/api/business-hours",
        json={
            "name": "Office",
            "timezone": "Europe/Berlin",
            "is_default": True,
            "slots": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)],
            "holidays": [{"day": "2026-12-25", "name": "Christmas"}],
        },
    )
    assert hours.status_code == 201, hours.text
    policy = await admin_client.put(
        "/api/sla-policies/urgent", json={"first_response_minutes": 15, "resolution_minutes": 240}
    )
    assert policy.status_code == 200
    t = await ticket(client, priority="urgent")
    assert t["first_response_due"] is not None and t["resolution_due"] is not None
    assert [p["priority"] for p in (await client.get("/api/sla-policies")).json()] == ["urgent"]


async def test_escalation_shows_in_the_breached_filter(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await admin_client.put(
        "/api/sla-policies/high", json={"first_response_minutes": 1, "resolution_minutes": 2}
    )
    t = await ticket(client, priority="high")
    later = datetime.fromisoformat(t["created_at"]) + timedelta(minutes=5)
    escalate_overdue(sessions, Bus(), "pbx", lambda: later)
    detail = (await client.get(f"/api/tickets/{t['id']}")).json()
    assert (detail["escalation_level"], detail["resolution_breached"]) == (2, True)
    breached = (await client.get("/api/tickets", params={"breached": True})).json()
    assert [x["id"] for x in breached["items"]] == [t["id"]]
