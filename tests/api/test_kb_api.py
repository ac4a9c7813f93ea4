"""Knowledge-base articles through HTTP: create, search, change, remove."""

from __future__ import annotations

import httpx


async def test_kb_create_search_update_delete(
    client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    created = await client.post(
        "/api/kb",
        json={
            "title": "Voicemail PIN reset",
            "problem": "Caller forgot the voicemail PIN",
            "solution": "Reset it from the admin portal",
            "tags": ["voicemail", "pin"],
        },
    )
    assert created.status_code == 201
    article = created.json()
    found = (await client.get("/api/kb", params={"q": "forgot pin"})).json()
    assert [a["id"] for a in found["items"]] == [article["id"]]
    assert (await client.get("/api/kb", params={"q": "router"})).json()["items"] == []
    patched = await client.patch(f"/api/kb/{article['id']}", json={"tags": ["pin"]})
    assert patched.json()["tags"] == ["pin"]
    assert (await admin_client.delete(f"/api/kb/{article['id']}")).status_code == 204
    assert (await client.get(f"/api/kb/{article['id']}")).status_code == 404
