"""Customers, contacts, numbers and the screen-pop lookup over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ACME: dict[str, Any] = {
    "name": "Acme Rockets",
    "code": "ACME",
    "category": "vip",
    "phones": [{"number": "(555) 123-0001", "label": "switchboard"}],
    "contacts": [
        {"name": "Ann Lee", "email": "ann@acme.test", "phones": [{"number": "+44 20 7946 0958"}]}
    ],
}


async def create(client: httpx.AsyncClient, body: dict[str, Any] = ACME) -> dict[str, Any]:
    response = await client.post("/api/customers", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_update_delete(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    acme = await create(admin_client)
    assert acme["phones"][0]["e164"] == "+15551230001"
    assert acme["contacts"][0]["phones"][0]["e164"] == "+442079460958"
    url = f"/api/customers/{acme['id']}"
    assert (await client.get(url)).json()["name"] == "Acme Rockets"
    patched = await admin_client.patch(url, json={"blacklisted": True, "city": "Springfield"})
    assert (patched.json()["blacklisted"], patched.json()["city"]) == (True, "Springfield")
    assert (await admin_client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_list_filters_and_pages(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    for i in range(5):
        await create(
            admin_client, {"name": f"Customer {i}", "category": "vip" if i % 2 else "regular"}
        )
    page = (await client.get("/api/customers", params={"limit": 2, "offset": 1})).json()
    assert (page["total"], [c["name"] for c in page["items"]]) == (5, ["Customer 1", "Customer 2"])
    vip = (await client.get("/api/customers", params={"category": "vip"})).json()
    assert [c["name"] for c in vip["items"]] == ["Customer 1", "Customer 3"]


async def test_search_by_name_code_email_or_number(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    acme = await create(admin_client)
    await create(client, {"name": "Bolt Ltd"})
    for q in ("acme", "ACME", "ann@acme.test", "5551230001", "rock"):
        found = (await client.get("/api/customers", params={"q": q})).json()
        assert [c["id"] for c in found["items"]] == [acme["id"]], q


async def test_contacts_and_numbers(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    acme = await create(admin_client)
    added = await client.post(
        f"/api/customers/{acme['id']}/contacts", json={"name": "Bo Diaz", "importance": 5}
    )
    assert added.status_code == 201
    bo = added.json()
    phone = await client.post(f"/api/contacts/{bo['id']}/phones", json={"number": "555-123-0004"})
    assert phone.json()["e164"] == "+15551230004"
    listed = (await client.get(f"/api/customers/{acme['id']}/contacts")).json()
    assert [c["name"] for c in listed] == ["Ann Lee", "Bo Diaz"]
    assert (await admin_client.delete(f"/api/phones/{phone.json()['id']}")).status_code == 204
    assert (await client.patch(f"/api/contacts/{bo['id']}", json={"title": "CTO"})).json()[
        "title"
    ] == "CTO"
    assert (await admin_client.delete(f"/api/contacts/{bo['id']}")).status_code == 204
    assert (await client.get(f"/api/contacts/{bo['id']}")).status_code == 404


async def test_lookup_card(client: httpx.AsyncClient, admin_client: httpx.AsyncClient) -> None:
    acme = await create(admin_client)
    ticket = await client.post(
        "/api/tickets", json={"subject": "Rocket late", "customer_id": acme["id"]}
    )
    assert ticket.status_code == 201
    note = await client.post(
        f"/api/customers/{acme['id']}/interactions",
        json={"kind": "note", "subject": "Asked about delivery"},
    )
    assert note.json()["agent"] == "alice"
    card = (await client.get("/api/lookup", params={"number": "0044 20 7946 0958"})).json()
    (match,) = card["matches"]
    assert match["customer"]["category"] == "vip"
    assert match["customer"]["blacklisted"] is False
    assert [c["name"] for c in match["contacts"]] == ["Ann Lee"]
    assert [t["subject"] for t in match["open_tickets"]] == ["Rocket late"]
    assert [i["subject"] for i in match["interactions"]] == ["Asked about delivery"]


async def test_lookup_shows_only_the_last_ten_interactions(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    acme = await create(admin_client)
    for i in range(12):
        await client.post(
            f"/api/customers/{acme['id']}/interactions",
            json={
                "kind": "email",
                "subject": f"mail {i}",
                "occurred_at": f"2026-03-{i + 1:02d}T10:00:00Z",
            },
        )
    card = (await client.get("/api/lookup", params={"number": "5551230001"})).json()
    subjects = [i["subject"] for i in card["matches"][0]["interactions"]]
    assert subjects == [f"mail {i}" for i in range(11, 1, -1)]
    history = (await client.get(f"/api/customers/{acme['id']}/interactions")).json()
    assert history["total"] == 12


@pytest.mark.parametrize("number", ["101", "anonymous", "+1 555 999 0000"])
async def test_lookup_of_unknown_numbers_is_an_honest_empty_card(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, number: str
) -> None:
    await create(admin_client)
    response = await client.get("/api/lookup", params={"number": number})
    assert response.status_code == 200
    assert response.json()["matches"] == []


async def test_duplicate_code_is_a_conflict(client: httpx.AsyncClient) -> None:
    await create(client, {"name": "One", "code": "X1"})
    response = await client.post("/api/customers", json={"name": "Two", "code": "X1"})
    assert response.status_code == 409
    assert "X1" in response.json()["detail"]


async def test_a_customer_cannot_be_its_own_ancestor(client: httpx.AsyncClient) -> None:
    parent = await create(client, {"name": "Holding"})
    child = await create(client, {"name": "Branch", "parent_id": parent["id"]})
    response = await client.patch(f"/api/customers/{parent['id']}", json={"parent_id": child["id"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent_id"


async def test_a_logged_number_is_stored_in_e164(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    acme = await create(admin_client)
    entry = await client.post(
        f"/api/customers/{acme['id']}/interactions",
        json={"kind": "call_out", "number": "(555) 123-0001", "subject": "logged later"},
    )
    assert entry.json()["number"] == "+15551230001"
