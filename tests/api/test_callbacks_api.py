"""Callbacks through HTTP: request, attempts, closing and cancelling."""

from __future__ import annotations

import httpx


async def test_callback_request_attempts_and_close(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/callbacks", json={"number": "(555) 123-0007"})
    assert created.status_code == 201
    callback = created.json()
    assert (callback["number"], callback["status"], callback["origin"]) == (
        "+15551230007",
        "open",
        "requested",
    )
    url = f"/api/callbacks/{callback['id']}"
    missed = await client.post(f"{url}/attempts", json={"reached": False, "note": "voicemail"})
    assert (missed.json()["attempts"], missed.json()["status"]) == (1, "open")
    reached = await client.post(f"{url}/attempts", json={"reached": True})
    assert (reached.json()["attempts"], reached.json()["status"]) == (2, "done")
    assert reached.json()["closed_by"] == "alice"
    again = await client.post(f"{url}/attempts", json={"reached": True})
    assert again.status_code == 422
    listed = (await client.get("/api/callbacks", params={"number": "5551230007"})).json()
    assert [c["id"] for c in listed["items"]] == [callback["id"]]
    assert (await client.get("/api/callbacks", params={"status": "open"})).json()["total"] == 0


async def test_callback_cancel(client: httpx.AsyncClient) -> None:
    callback = (await client.post("/api/callbacks", json={"number": "+15551230007"})).json()
    cancelled = await client.post(f"/api/callbacks/{callback['id']}/cancel", json={})
    assert cancelled.json()["status"] == "cancelled"
