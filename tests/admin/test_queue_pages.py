"""The admin's queue pages over HTTP: a queue created by its PBX name, its settings, hours
and numbers saved, a refused value marked on its field, deletion, admins only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.queues.directory import QueueInfo, queue_info
from callcenter.queues.records import QueueFields, create_queue
from crm.sla.models import BusinessHours
from tests.console_app import Staff, sign_in_as


def stored(sessions: sessionmaker[Session], name: str) -> QueueInfo | None:
    with sessions() as session:
        return queue_info(session, name)


@pytest.fixture
def office(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        hours = BusinessHours(name="Office", timezone="Europe/Berlin")
        session.add(hours)
        session.flush()
        return hours.id


SETTINGS = {
    "display_name": "Support line", "service_level_s": "30", "service_level_target": "90",
    "short_abandon_s": "4,5", "overflow": "billing", "numbers": "+49 30 1234\n8000",
}  # fmt: skip


def test_an_admin_creates_a_queue_and_sets_it_up(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session], office: int
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    created = client.post(
        "/admin/queues", data={"csrf_token": csrf, "name": "support"}, follow_redirects=False
    )
    assert created.status_code == 303 and created.headers["location"] == "/admin/queues/support"
    form = {"csrf_token": csrf, **SETTINGS, "business_hours_id": str(office)}
    saved = client.post("/admin/queues/support", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert stored(sessions, "support") == QueueInfo(
        name="support", display_name="Support line", numbers=("+49301234", "8000"),
        business_hours_id=office, overflow="billing", open=False, service_level_s=30.0,
        service_level_target=0.9, short_abandon_s=4.5,
    )  # fmt: skip
    page = client.get("/admin/queues/support").text
    assert 'value="90"' in page and 'value="4.5"' in page and ">Office</option>" in page
    listing = client.get("/admin/queues").text
    assert "+49301234, 8000" in listing and "30 s, 90 %" in listing and "closed" in listing


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_level_s": "soon"}, "service_level_s"),
        ({"service_level_s": "0"}, "service_level_s"),
        ({"service_level_target": "120"}, "service_level_target"),
        ({"short_abandon_s": "-1"}, "short_abandon_s"),
        ({"numbers": "call us"}, "numbers"),
        ({"overflow": "support"}, "overflow"),
        ({"business_hours_id": "999"}, "business_hours_id"),
    ],
)
def test_a_refused_value_is_marked_and_kept_as_typed(
    client: TestClient,
    staff: Staff,
    sessions: sessionmaker[Session],
    change: dict[str, str],
    field: str,
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields(service_level_s=20))
    csrf = sign_in_as(client, staff, "admin")
    refused = client.post("/admin/queues/support", data={"csrf_token": csrf, **SETTINGS, **change})
    assert refused.status_code == 422
    assert f'data-testid="error-{field}"' in refused.text
    assert f'data-testid="field-{field}" aria-invalid="true"' in refused.text
    assert "Support line" in refused.text  # what was typed stays
    info = stored(sessions, "support")
    assert info is not None and info.service_level_s == 20.0


def test_a_taken_name_is_marked(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields())
    csrf = sign_in_as(client, staff, "admin")
    refused = client.post("/admin/queues", data={"csrf_token": csrf, "name": "support"})
    assert refused.status_code == 422 and 'data-testid="error-name"' in refused.text


def test_delete_and_what_overflows_into_it(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields())
        create_queue(session, "billing", QueueFields(overflow="support"))
    csrf = sign_in_as(client, staff, "admin")
    refused = client.post("/admin/queues/support/delete", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "billing overflows into support" in refused.text
    gone = client.post(
        "/admin/queues/billing/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303 and stored(sessions, "billing") is None
    assert client.get("/admin/queues/billing").status_code == 404


@pytest.mark.parametrize("name", ["agent1", "supervisor1"])
def test_only_admins(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session], name: str
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields())
    csrf = sign_in_as(client, staff, name)
    html = {"Accept": "text/html"}
    assert client.get("/admin/queues", headers=html).status_code == 403
    for path in ("/admin/queues", "/admin/queues/support", "/admin/queues/support/delete"):
        answer = client.post(path, data={"csrf_token": csrf, "name": "x"}, headers=html)
        assert answer.status_code == 403
    assert stored(sessions, "support") is not None


def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    sign_in_as(client, staff, "admin")
    assert client.post("/admin/queues", data={"name": "support"}).status_code == 403
    assert stored(sessions, "support") is None
