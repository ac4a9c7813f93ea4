"""/api/routing: admins keep the rules and try a caller; agents are refused."""

from __future__ import annotations

import httpx

RULE = {
    "name": "VIP line",
    "position": 5,
    "when": {"did": ["+4930999"], "days": ["mon", "tue"], "time_from": "08:00"},
    "then": {"queue": "vip", "priority": 20},
}


async def test_rules_crud(admin_client: httpx.AsyncClient) -> None:
    created = await admin_client.post("/api/routing/rules", json=RULE)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert created.json()["when"]["time_from"] == "08:00:00"
    clash = await admin_client.post("/api/routing/rules", json=RULE)
    assert clash.status_code == 409 and "VIP line" in clash.json()["detail"]
    changed = await admin_client.put(
        f"/api/routing/rules/{rule_id}", json={**RULE, "enabled": False}
    )
    assert changed.json()["enabled"] is False
    assert [r["name"] for r in (await admin_client.get("/api/routing/rules")).json()] == [
        "VIP line"
    ]
    assert (await admin_client.delete(f"/api/routing/rules/{rule_id}")).status_code == 204
    missing = await admin_client.get(f"/api/routing/rules/{rule_id}")
    assert missing.status_code == 404 and missing.json()["detail"]


async def test_bad_rules_are_refused_per_field(admin_client: httpx.AsyncClient) -> None:
    for body, field in (
        ({**RULE, "then": {}}, "then"),
        ({**RULE, "then": {"priority": "20"}}, "then.priority"),
        ({**RULE, "when": {"days": ["someday"]}}, "when.days.0"),
        ({**RULE, "extra": 1}, "extra"),
        ({**RULE, "then": {"min_penalty": 3, "max_penalty": 1}}, "then"),
    ):
        refused = await admin_client.post("/api/routing/rules", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == field


async def test_try_a_caller(admin_client: httpx.AsyncClient) -> None:
    ann = {"name": "Ann", "category": "vip", "phones": [{"number": "5551230001"}]}
    await admin_client.post("/api/customers", json=ann)
    await admin_client.post("/api/routing/rules", json=RULE)
    tried = await admin_client.post(
        "/api/routing/try",
        json={"caller": "+15551230001", "did": "+4930999", "at": "2026-11-30T09:00:00+00:00"},
    )
    assert tried.status_code == 200, tried.text
    answer = tried.json()
    assert answer["variables"]["QUEUE"] == "vip" and answer["variables"]["PRIORITY"] == "20"
    assert (answer["reason"], answer["rule"]) == ("rule", "VIP line")
    assert answer["variables"]["CUSTOMER_ID"] != ""
    naive = await admin_client.post(
        "/api/routing/try", json={"caller": "1", "did": "2", "at": "2026-11-30T09:00:00"}
    )
    assert naive.status_code == 422


async def test_agents_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/routing/rules")).status_code == 403
    assert (
        await client.post("/api/routing/try", json={"caller": "1", "did": "2"})
    ).status_code == 403
