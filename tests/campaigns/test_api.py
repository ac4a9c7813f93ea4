"""/api/campaigns, /api/call-lists, /api/dnc through the app: roles, state rules, 4xx messages."""

from __future__ import annotations

from typing import Any

import httpx

CSV = "number,name,plan\n(212) 555-0100,Ann Lee,gold\n+49 30 1234567,Bo Diaz,\n212 555 0100,Ann,\n"


async def upload(client: httpx.AsyncClient, url: str, text: str, **form: str) -> httpx.Response:
    files = {"file": ("list.csv", text.encode(), "text/csv")}
    return await client.post(url, data=form, files=files)


async def new_campaign(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    made = await upload(client, "/api/call-lists", CSV, name=fields.pop("list_name", "spring"))
    assert made.status_code == 201, made.text
    body = {
        "name": "Renewals",
        "list_id": made.json()["call_list"]["id"],
        "mode": "progressive",
        "queue": "sales",
        "agents": ["alice"],
        **fields,
    }
    response = await client.post("/api/campaigns", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_csv_list_is_imported_with_its_notes(admin_client: httpx.AsyncClient) -> None:
    response = await upload(admin_client, "/api/call-lists", CSV, name="spring")
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["skipped"]) == (2, 1)
    assert body["notes"] == [{"line": 4, "message": "+12125550100 is on line 2 already"}]
    assert body["call_list"]["leads_by_state"] == {"open": 2}
    leads = (await admin_client.get(f"/api/call-lists/{body['call_list']['id']}/leads")).json()
    assert [lead["fields"] for lead in leads["items"]] == [{"plan": "gold"}, None]


async def test_a_bad_csv_is_422_per_line_and_stores_nothing(
    admin_client: httpx.AsyncClient,
) -> None:
    bad = "number\n212 555 0100\n12\nnot a number\n"
    response = await upload(admin_client, "/api/call-lists", bad, name="spring")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "nothing imported: 2 lines refused",
        "errors": [
            {
                "field": "line 3",
                "message": "number: '12' has the wrong length for a phone number",
                "type": "invalid",
            },
            {
                "field": "line 4",
                "message": "number: 'not a number' is not a phone number",
                "type": "invalid",
            },
        ],
    }
    assert (await admin_client.get("/api/call-lists")).json() == []
    header = await upload(admin_client, "/api/call-lists", "phone\n1\n", name="x")
    assert header.status_code == 422
    assert header.json()["detail"].startswith("file: not a call-list CSV: the header has no number")


async def test_campaign_state_rules_over_http(admin_client: httpx.AsyncClient) -> None:
    campaign = await new_campaign(admin_client)
    url = f"/api/campaigns/{campaign['id']}"
    assert campaign["state"] == "draft"
    assert (await admin_client.post(f"{url}/start")).json()["state"] == "running"
    edit = await admin_client.patch(url, json={"max_attempts": 3})
    assert edit.status_code == 409
    assert edit.json()["detail"] == "campaign 'Renewals' is running: pause it before editing"
    assert (await admin_client.post(f"{url}/pause")).json()["state"] == "paused"
    assert (await admin_client.patch(url, json={"max_attempts": 3})).json()["max_attempts"] == 3
    stopped = await admin_client.post(f"{url}/stop")
    assert stopped.json()["state"] == "stopped"
    again = await admin_client.post(f"{url}/start")
    assert again.status_code == 409 and "does not start again" in again.json()["detail"]
    summary = (await admin_client.get(url)).json()
    assert (summary["leads"], summary["tried"], summary["penetration"]) == (2, 0, 0.0)


async def test_bad_campaign_settings_name_their_field(admin_client: httpx.AsyncClient) -> None:
    made = await upload(admin_client, "/api/call-lists", CSV, name="spring")
    list_id = made.json()["call_list"]["id"]
    base = {"name": "R", "list_id": list_id, "mode": "predictive", "queue": "sales"}
    for change, field in (
        ({"abandon_cap": 0.1}, "abandon_cap"),
        ({"weekdays": [8]}, "weekdays.0"),
        ({"mode": "robocall"}, "mode"),
        ({"list_id": 4242}, "list_id"),
    ):
        response = await admin_client.post("/api/campaigns", json={**base, **change})
        assert response.status_code == 422, change
        assert response.json()["errors"][0]["field"] == field
    missing = await admin_client.get("/api/campaigns/4242")
    assert (missing.status_code, missing.json()["detail"]) == (404, "campaign 4242 not found")


async def test_agents_read_but_do_not_change(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    campaign = await new_campaign(admin_client)
    assert (await client.get("/api/campaigns")).json()[0]["name"] == "Renewals"
    refused = await client.post(f"/api/campaigns/{campaign['id']}/start")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this needs the admin or supervisor role; you are agent"
    assert (await client.post("/api/dnc", json={"number": "212 555 0100"})).status_code == 403


async def test_do_not_call_lists_over_http(admin_client: httpx.AsyncClient) -> None:
    campaign = await new_campaign(admin_client)
    added = await admin_client.post("/api/dnc", json={"number": "(212) 555-0100", "reason": "x"})
    assert (added.status_code, added.json()["number"]) == (201, "+12125550100")
    own = await admin_client.post(
        f"/api/campaigns/{campaign['id']}/dnc", json={"number": "+49 30 1234567"}
    )
    assert own.json()["campaign_id"] == campaign["id"]
    page = (await admin_client.get("/api/dnc")).json()
    assert [e["number"] for e in page["items"]] == ["+12125550100"]
    bad = await upload(admin_client, "/api/dnc/import", "number\n+4940123456\n12\n")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "line 3"
    assert (await admin_client.get("/api/dnc")).json()["total"] == 1  # nothing of the file
    good = await upload(admin_client, "/api/dnc/import", "+4940123456\n+12125550100\n")
    assert good.json() == {"added": 1, "already": 1}
    gone = await admin_client.delete("/api/dnc/+12125550100")
    assert gone.status_code == 204
    again = await admin_client.delete("/api/dnc/+12125550100")
    assert again.status_code == 404 and "not found" in again.json()["detail"]
    wrong = await admin_client.post("/api/dnc", json={"number": "12"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {
            "field": "number",
            "message": "'12' has the wrong length for a phone number",
            "type": "invalid",
        }
    ]


async def test_a_query_list_is_built_and_rebuilt(admin_client: httpx.AsyncClient) -> None:
    for name, number in (("Vip One", "5551230001"), ("Vip Two", "5551230002")):
        customer = {"name": name, "category": "vip", "phones": [{"number": number}]}
        assert (await admin_client.post("/api/customers", json=customer)).status_code == 201
    body = {"name": "vips", "query": {"kind": "customers", "category": "vip"}}
    built = await admin_client.post("/api/call-lists/query", json=body)
    assert built.status_code == 201
    assert (built.json()["added"], built.json()["call_list"]["query"]) == (
        2,
        {"kind": "customers", "category": "vip"},
    )
    list_id = built.json()["call_list"]["id"]
    again = (await admin_client.post(f"/api/call-lists/{list_id}/rebuild")).json()
    assert (again["added"], again["already"]) == (0, 2)
    bad = await admin_client.post(
        "/api/call-lists/query", json={"name": "x", "query": {"kind": "customers"}}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.category"


async def test_one_lead_is_added_and_cancelled(admin_client: httpx.AsyncClient) -> None:
    made = await upload(admin_client, "/api/call-lists", CSV, name="spring")
    list_id = made.json()["call_list"]["id"]
    added = await admin_client.post(
        f"/api/call-lists/{list_id}/leads", json={"number": "+44 20 7946 0000", "name": "Cy"}
    )
    assert added.status_code == 201
    lead = added.json()
    assert (lead["number"], lead["time_zone"], lead["origin"]) == (
        "+442079460000",
        "Europe/London",
        "api",
    )
    twice = await admin_client.post(
        f"/api/call-lists/{list_id}/leads", json={"number": "+44 20 7946 0000", "tz": "x"}
    )
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "tz"
    cancel = await admin_client.post(f"/api/call-lists/{list_id}/leads/{lead['id']}/cancel")
    assert cancel.json()["state"] == "cancelled"
    elsewhere = await admin_client.post(f"/api/call-lists/4242/leads/{lead['id']}/cancel")
    assert elsewhere.status_code == 404
