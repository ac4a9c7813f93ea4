"""Who may do what in the CRM API: deletes need a supervisor or admin, SLA setup an admin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from callcenter.db import make_engine, make_sessionmaker, transaction
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user, issue_token

HOURS = {
    "name": "Office",
    "timezone": "Europe/Berlin",
    "slots": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
}
POLICY = {"first_response_minutes": 15, "resolution_minutes": 240}


async def seeded(client: httpx.AsyncClient) -> dict[str, int]:
    """One customer with a contact and a number, one KB article and one calendar."""
    customer = await client.post(
        "/api/customers", json={"name": "Acme", "phones": [{"number": "5551230001"}]}
    )
    contact = await client.post(
        f"/api/customers/{customer.json()['id']}/contacts", json={"name": "Ann"}
    )
    article = await client.post("/api/kb", json={"title": "t", "problem": "p", "solution": "s"})
    return {
        "customer": customer.json()["id"],
        "phone": customer.json()["phones"][0]["id"],
        "contact": contact.json()["id"],
        "article": article.json()["id"],
    }


# (method, url template, body, who may): the role-checked writes.
GUARDED: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("delete", "/api/customers/{customer}", None, "supervisor"),
    ("delete", "/api/phones/{phone}", None, "supervisor"),
    ("delete", "/api/contacts/{contact}", None, "supervisor"),
    ("delete", "/api/kb/{article}", None, "supervisor"),
    ("put", "/api/sla-policies/urgent", POLICY, "admin"),
    ("post", "/api/business-hours", {**HOURS, "name": "Branch"}, "admin"),
    ("put", "/api/business-hours/{hours}", HOURS, "admin"),
]


async def ids_with_hours(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> dict[str, int]:
    ids = await seeded(client)
    hours = await admin_client.post("/api/business-hours", json=HOURS)
    assert hours.status_code == 201, hours.text
    return {**ids, "hours": hours.json()["id"]}


@pytest.mark.parametrize(("method", "url", "body", "least"), GUARDED)
async def test_an_agent_gets_403_naming_the_role(
    client: httpx.AsyncClient,
    admin_client: httpx.AsyncClient,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    least: str,
) -> None:
    ids = await ids_with_hours(client, admin_client)
    response = await client.request(method, url.format(**ids), json=body)
    assert response.status_code == 403, response.text
    assert least in response.json()["detail"]
    assert "you are agent" in response.json()["detail"]


@pytest.mark.parametrize(("method", "url", "body", "least"), GUARDED)
async def test_an_admin_succeeds(
    client: httpx.AsyncClient,
    admin_client: httpx.AsyncClient,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    least: str,
) -> None:
    ids = await ids_with_hours(client, admin_client)
    response = await admin_client.request(method, url.format(**ids), json=body)
    assert response.status_code in (200, 201, 204), response.text


@pytest.fixture
def supervisor_token(settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    with transaction(make_sessionmaker(engine)) as session:
        sam = create_user(session, "sam", role=Role.SUPERVISOR, password="not-used-here")
        token = issue_token(session, sam, "tests")
    engine.dispose()
    return token


async def test_a_supervisor_may_delete_but_not_set_sla(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, supervisor_token: str
) -> None:
    ids = await seeded(client)
    supervisor = {"Authorization": f"Bearer {supervisor_token}"}
    deleted = await client.delete(f"/api/customers/{ids['customer']}", headers=supervisor)
    assert deleted.status_code == 204
    policy = await client.put("/api/sla-policies/urgent", json=POLICY, headers=supervisor)
    assert (policy.status_code, policy.json()["detail"]) == (
        403,
        "this needs the admin role; you are supervisor",
    )


async def test_an_agent_still_reads_sla_policies_and_hours(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/sla-policies")).status_code == 200
    assert (await client.get("/api/business-hours")).status_code == 200
