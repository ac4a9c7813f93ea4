"""The CRM API's contract: 422 naming each bad field, 404 for unknown ids, never 500, OpenAPI."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

BAD_INPUT = [
    ("post", "/api/customers", {}, "name"),
    ("post", "/api/customers", {"name": "A", "category": "gold"}, "category"),
    ("post", "/api/customers", {"name": "A", "email": "not-an-address"}, "email"),
    ("post", "/api/customers", {"name": "A", "value": -1}, "value"),
    ("post", "/api/customers", {"name": "A", "country": "Germany"}, "country"),
    ("post", "/api/customers", {"name": "A", "phones": [{"number": "12"}]}, "phones.0.number"),
    ("post", "/api/customers", {"name": "A", "shoe_size": 44}, "shoe_size"),
    ("post", "/api/customers", {"name": "A", "parent_id": 999}, "parent_id"),
    ("post", "/api/customers", ["not", "an", "object"], ""),
    ("patch", "/api/customers/1", {"name": None}, "name"),
    ("patch", "/api/tickets/1", {"priority": None}, "priority"),
    ("post", "/api/tickets", {"subject": "x", "priority": "asap"}, "priority"),
    ("post", "/api/tickets", {"subject": "x", "customer_id": 424242}, "customer_id"),
    ("post", "/api/tickets/1/transitions", {"status": "done"}, "status"),
    ("post", "/api/callbacks", {"number": "hello"}, "number"),
    ("post", "/api/callbacks", {"number": "5551230007", "due_at": "2026-03-02T10:00"}, "due_at"),
    (
        "post",
        "/api/business-hours",
        {"name": "x", "timezone": "Mars/Base", "slots": []},
        "timezone",
    ),
    (
        "post",
        "/api/business-hours",
        {"name": "x", "timezone": "UTC", "slots": [{"weekday": 7, "opens": "9", "closes": "x"}]},
        "slots.0.weekday",
    ),
    ("put", "/api/sla-policies/urgent", {"first_response_minutes": 0, "resolution_minutes": 1}, ""),
    (
        "put",
        "/api/sla-policies/urgent",
        {"first_response_minutes": 60, "resolution_minutes": 30},
        "resolution_minutes",
    ),
    ("get", "/api/customers?limit=0", None, "query.limit"),
    ("get", "/api/customers?limit=100000", None, "query.limit"),
    ("get", "/api/customers?offset=-1", None, "query.offset"),
    ("get", "/api/customers/abc", None, "path.customer_id"),
    ("get", "/api/customers/0", None, "path.customer_id"),
    ("get", "/api/customers/99999999999999999999999", None, "path.customer_id"),
    ("get", "/api/tickets?status=later", None, "query.status"),
    ("get", "/api/tickets?breached=perhaps", None, "query.breached"),
    ("get", "/api/lookup", None, "query.number"),
    ("get", "/api/lookup?number=" + "1" * 65, None, "query.number"),
    # JSON's own types: what the document promises is what is accepted.
    ("post", "/api/customers", {"name": "A", "blacklisted": "yes"}, "blacklisted"),
    ("post", "/api/customers", {"name": "A", "parent_id": "1"}, "parent_id"),
    (
        "post",
        "/api/customers",
        {"name": "A", "contacts": [{"name": "B", "birthday": 0}]},
        "contacts.0.birthday",
    ),
    ("post", "/api/tickets/1/comments", {"body": "x", "public": 1}, "public"),
    ("post", "/api/callbacks", {"number": "5551230007", "due_at": 1893456000}, "due_at"),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), BAD_INPUT)
async def test_bad_input_is_422_naming_the_field(
    admin_client: httpx.AsyncClient, method: str, url: str, body: Any, field: str
) -> None:
    # As an admin, so the admin-only routes get as far as checking their input.
    client = admin_client
    await client.post("/api/customers", json={"name": "Existing"})
    await client.post("/api/tickets", json={"subject": "Existing"})
    kwargs = {} if body is None else {"json": body}
    response = await client.request(method, url, **kwargs)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["errors"], payload
    assert all(e["message"] for e in payload["errors"])
    if field:
        assert field in [e["field"] for e in payload["errors"]]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/customers/4242", None),
        ("patch", "/api/customers/4242", {"name": "x"}),
        ("delete", "/api/customers/4242", None),
        ("post", "/api/customers/4242/contacts", {"name": "x"}),
        ("get", "/api/customers/4242/interactions", None),
        ("get", "/api/contacts/4242", None),
        ("delete", "/api/phones/4242", None),
        ("get", "/api/tickets/4242", None),
        ("post", "/api/tickets/4242/transitions", {"status": "open"}),
        ("post", "/api/tickets/4242/comments", {"body": "x"}),
        ("get", "/api/kb/4242", None),
        ("get", "/api/callbacks/4242", None),
        ("get", "/api/business-hours/4242", None),
    ],
)
async def test_unknown_ids_are_404(
    admin_client: httpx.AsyncClient, method: str, url: str, body: Any
) -> None:
    kwargs = {} if body is None else {"json": body}
    response = await admin_client.request(method, url, **kwargs)
    assert response.status_code == 404
    assert "4242 not found" in response.json()["detail"]


async def test_openapi_documents_the_crm(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/api/lookup", "/api/customers", "/api/tickets", "/api/kb", "/api/callbacks"} <= set(
        schema["paths"]
    )
    assert (await client.get("/docs")).status_code == 200


async def test_openapi_documents_one_error_body(client: httpx.AsyncClient) -> None:
    """Every documented 4xx is the handlers' `ErrorOut`, and console form posts stay out."""
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert not [path for path in schema["paths"] if path.startswith("/console")]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)
