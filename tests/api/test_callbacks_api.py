"""Callbacks through HTTP: request, attempts, closing and cancelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest


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


@pytest.mark.parametrize(
    "due_at",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "1990-01-01T10:00:00Z",
        "2200-01-01T10:00:00Z",
    ],
)
async def test_a_due_time_out_of_range_is_422(client: httpx.AsyncClient, due_at: str) -> None:
    created = await client.post("/api/callbacks", json={"number": "+15551230007", "due_at": due_at})
    assert created.status_code == 422, created.text
    assert "within a year of today" in created.text
    callback = (await client.post("/api/callbacks", json={"number": "+15551230007"})).json()
    moved = await client.patch(f"/api/callbacks/{callback['id']}", json={"due_at": due_at})
    assert moved.status_code == 422, moved.text


async def test_a_due_time_within_a_year_is_kept(client: httpx.AsyncClient) -> None:
    soon = (datetime.now(UTC) + timedelta(days=300)).replace(microsecond=0)
    created = await client.post(
        "/api/callbacks", json={"number": "+15551230007", "due_at": soon.isoformat()}
    )
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["due_at"]).replace(tzinfo=UTC) == soon
