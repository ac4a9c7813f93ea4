"""Property: no request to the CRM API, however malformed, gets a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anyio.from_thread
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from callcenter.app import create_app
from callcenter.settings import Settings

SEED_BODIES: dict[str, dict[str, Any]] = {
    "/api/customers": {"name": "Acme", "phones": [{"number": "5551230001"}]},
    "/api/customers/{customer_id}/contacts": {"name": "Ann", "birthday": "1980-01-01"},
    "/api/customers/{customer_id}/phones": {"number": "+44 20 7946 0958"},
    "/api/customers/{customer_id}/interactions": {"kind": "note", "subject": "hi"},
    "/api/tickets": {"subject": "x", "priority": "high", "customer_id": 1},
    "/api/tickets/{ticket_id}/transitions": {"status": "open"},
    "/api/tickets/{ticket_id}/comments": {"body": "x"},
    "/api/tickets/{ticket_id}/calls": {"server": "pbx", "linkedid": "1.0"},
    "/api/kb": {"title": "t", "problem": "p", "solution": "s", "tags": ["a"]},
    "/api/callbacks": {"number": "5551230001", "due_at": "2026-03-02T10:00:00Z"},
    "/api/callbacks/{callback_id}/attempts": {"reached": False},
    "/api/business-hours": {
        "name": "x",
        "timezone": "Europe/Berlin",
        "slots": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
    },
    "/api/sla-policies/{priority}": {"first_response_minutes": 5, "resolution_minutes": 10},
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["", "0", "-1", "new", "vip", "+15551230001", "2026-02-30", "9999-12-31T25:00Z"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def mutated(seed: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The seed body with some fields replaced, dropped or added: close to valid, so deep."""
    keys = st.sampled_from([*sorted(seed), "extra"])
    changes = st.dictionaries(keys, json_values | st.just(...), max_size=3)
    return changes.map(lambda c: {k: v for k, v in {**seed, **c}.items() if v is not ...})


SITE_TOKEN = "site-token-for-the-fuzzer"


@pytest.fixture
def portal_client(settings: Settings, admin_token: str) -> Iterator[tuple[Any, httpx.AsyncClient]]:
    # As an admin: every route, the admin-only ones too, gets as far as its input checks; the
    # web site's callback requests with the site's token (503 "not enabled" without one).
    app = create_app(settings.model_copy(update={"web_callback_tokens": SecretStr(SITE_TOKEN)}))
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {admin_token}", "X-Callback-Token": SITE_TOKEN},
        )
        yield portal, client
        portal.call(client.aclose)


def routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    found = []
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/api/"):
            found.extend((method.upper(), path) for method in item)
    return sorted(found)


ROUTES = routes()
path_values = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["low", "urgent", "abc", "", "%00", "1.5", "1e3"]),
    st.text(max_size=10),
)
query = st.dictionaries(
    st.sampled_from(
        ["q", "number", "limit", "offset", "status", "priority", "breached", "customer_id", "x"]
    ),
    st.one_of(st.text(max_size=30), st.integers(-(2**70), 2**70).map(str)),
    max_size=4,
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_gets_a_500(
    portal_client: tuple[Any, httpx.AsyncClient], data: st.DataObject
) -> None:
    portal, client = portal_client
    method, template = data.draw(st.sampled_from(ROUTES))
    path = re.sub(
        r"\{(\w+)\}",
        lambda m: quote(str(data.draw(path_values, label=m.group(1))), safe="") or "0",
        template,
    )
    kwargs: dict[str, Any] = {"params": data.draw(query)}
    if method in ("POST", "PUT", "PATCH"):
        seed = SEED_BODIES.get(template, {})
        body = data.draw(mutated(seed) | json_values)
        # Encoded here: httpx refuses NaN and infinity, which a hostile client can still send.
        kwargs["content"] = json.dumps(body, allow_nan=True)
        kwargs["headers"] = {"Content-Type": "application/json"}
    response = portal.call(lambda: client.request(method, path, **kwargs))
    assert response.status_code < 500, (method, path, kwargs, response.text)
