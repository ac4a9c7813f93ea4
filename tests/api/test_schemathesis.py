"""The OpenAPI document is a contract: schemathesis checks every operation against it.

Every documented operation is called with cases generated from its schema (valid ones and
ones that break it), in-process through the ASGI app, on a database seeded with a customer,
a contact, a ticket, a KB article and a callback (so ids sometimes hit real rows), once as
the admin `root` and once as the agent `alice` (whose 403s must be documented too).

Checks, and why:
- not_a_server_error: no input may take a route down (a 500 is a bug).
- status_code_conformance: every status a route answers is documented, so clients can
  handle it (401, 403, 404, 409, 422 ... in `responses=`).
- content_type_conformance, response_schema_conformance: the body is what the document
  says, the 422 body too (`ErrorOut`).
- negative_data_rejection: a request that breaks the schema is refused (4xx), never
  accepted: what the code refuses, the schema states, and the reverse.
- positive_data_acceptance is left out: valid input is refused for reasons no schema can
  state (a phone number that is not a number in its region, a customer id that does not
  exist, a transition the ticket's state forbids, an agent's missing role), and those
  answers are covered by status_code_conformance instead.

Fixed seed (derandomized) and a small budget per operation, so the run is repeatable and
takes about a minute or two.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from callcenter.app import create_app
from callcenter.settings import Settings

pytestmark = pytest.mark.slow
BASE_URL = "http://testserver"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# The web site's token for callback requests: sent with every case, so that route's bodies
# are checked rather than all refused at the token.
SITE_TOKEN = "site-token-for-schemathesis"
_TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat()
# The rows the generated ids sometimes meet: id 1 of each kind.
SEED_ROWS: list[tuple[str, dict[str, Any]]] = [
    ("/api/customers", {"name": "Acme", "phones": [{"number": "5551230001"}]}),
    ("/api/customers/1/contacts", {"name": "Ann", "phones": [{"number": "5551230002"}]}),
    ("/api/tickets", {"subject": "Printer on fire", "priority": "high", "customer_id": 1}),
    ("/api/kb", {"title": "Reset", "problem": "It hangs", "solution": "Restart", "tags": ["a"]}),
    ("/api/callbacks", {"number": "5551230001", "due_at": _TOMORROW}),
]


def _seed(settings: Settings, admin_token: str) -> None:
    """Store the seed rows through the API, as a client would."""
    app = create_app(settings)
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://crm.test",
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        for path, body in SEED_ROWS:
            response = portal.call(lambda p=path, b=body: client.post(p, json=b))
            assert response.status_code == 201, (path, response.text)
        portal.call(client.aclose)


@pytest.fixture(scope="module")
def seeded_app(
    api_template: tuple[Path, str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """The app on a database with one row of each kind; schemathesis starts its lifespan."""
    target = tmp_path_factory.mktemp("schemathesis") / "callcenter.db"
    target.write_bytes(api_template[0].read_bytes())
    settings = Settings(
        database_url=f"sqlite:///{target}",
        default_region="US",
        sla_check_interval_s=3600,
        web_callback_tokens=SITE_TOKEN,
    )
    _seed(settings, api_template[2])
    yield create_app(settings)
    shutdown_lifespans()


# The document as the app publishes it (building it starts nothing); each test binds the
# seeded app to the case.
schema = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())


def budget(examples: int) -> Any:
    """A fixed seed (derandomized) and `examples` cases per operation and mode."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@schema.parametrize()
@budget(20)
def test_api_as_admin(case: Any, seeded_app: FastAPI, api_template: tuple[Path, str, str]) -> None:
    _call(case, seeded_app, api_template[2])


# The agent pass is about what an agent is refused (documented 403s): fewer cases do.
@schema.parametrize()
@budget(6)
def test_api_as_agent(case: Any, seeded_app: FastAPI, api_template: tuple[Path, str, str]) -> None:
    _call(case, seeded_app, api_template[1])


def _call(case: Any, app: FastAPI, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "X-Callback-Token": SITE_TOKEN}
    case.call_and_validate(base_url=BASE_URL, app=app, headers=headers, checks=CHECKS)
