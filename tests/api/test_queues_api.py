"""/api/queues: everyone signed in reads the queue records, admins create, replace and
delete them; refusals are ErrorOut bodies naming the field."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.users.service import get_user, set_queues

SUPPORT = {
    "name": "support",
    "display_name": "Support",
    "service_level_s": 30,
    "service_level_target": 0.9,
    "numbers": ["+49 30 1234", "8000"],
}


async def test_an_admin_creates_and_everyone_reads(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    created = await admin_client.post("/api/queues", json=SUPPORT)
    assert created.status_code == 201, created.text
    with transaction(sessions) as session:
        set_queues(session, get_user(session, "alice"), [("support", 2)])
    read = await client.get("/api/queues/support")
    assert read.status_code == 200
    body = read.json()
    assert {k: body[k] for k in ("name", "display_name", "service_level_s", "open")} == {
        "name": "support", "display_name": "Support", "service_level_s": 30.0, "open": True,
    }  # fmt: skip
    assert body["numbers"] == ["+49301234", "8000"]
    assert body["members"] == [{"username": "alice", "penalty": 2}]
    assert body["short_abandon_s"] is None and body["business_hours_id"] is None
    assert [q["name"] for q in (await client.get("/api/queues")).json()] == ["support"]


async def test_an_admin_replaces_and_deletes(admin_client: httpx.AsyncClient) -> None:
    await admin_client.post("/api/queues", json=SUPPORT)
    replaced = await admin_client.put(
        "/api/queues/support", json={"open": False, "overflow": "billing", "numbers": ["9000"]}
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (body["open"], body["overflow"], body["numbers"]) == (False, "billing", ["9000"])
    assert (body["display_name"], body["service_level_s"]) == ("support", None)  # PUT replaces
    assert (await admin_client.delete("/api/queues/support")).status_code == 204
    assert (await admin_client.get("/api/queues/support")).status_code == 404


async def test_agents_read_but_do_not_write(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    assert (await client.post("/api/queues", json=SUPPORT)).status_code == 403
    await admin_client.post("/api/queues", json=SUPPORT)
    assert (await client.put("/api/queues/support", json={})).status_code == 403
    refused = await client.delete("/api/queues/support")
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]


async def test_refusals_name_the_field(admin_client: httpx.AsyncClient) -> None:
    await admin_client.post("/api/queues", json=SUPPORT)
    taken = await admin_client.post("/api/queues", json={"name": "support"})
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "name"
    number = await admin_client.post("/api/queues", json={"name": "sales", "numbers": ["+8000"]})
    assert number.status_code == 409 and "already leads to support" in number.json()["detail"]
    for body, field in (
        ({"name": "sales", "numbers": ["call-me"]}, "numbers"),
        ({"name": "sales", "business_hours_id": 42}, "business_hours_id"),
        ({"name": "sales", "overflow": "sales"}, "overflow"),
        ({"name": "sales", "service_level_s": 0}, "service_level_s"),
        ({"name": "sales", "service_level_target": 1.2}, "service_level_target"),
        ({"name": "sales", "service_level_s": "20"}, "service_level_s"),
        ({"name": "sales line"}, "name"),
        ({"name": "sales", "colour": "red"}, "colour"),
    ):
        refused = await admin_client.post("/api/queues", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["errors"][0]["field"] == field
    assert (await admin_client.get("/api/queues/no such")).status_code == 422
    assert (await admin_client.get("/api/queues/nosuch")).status_code == 404
    feeding = await admin_client.post("/api/queues", json={"name": "sales", "overflow": "support"})
    assert feeding.status_code == 201
    refused = await admin_client.delete("/api/queues/support")
    assert refused.status_code == 422 and "sales overflows into support" in refused.json()["detail"]
