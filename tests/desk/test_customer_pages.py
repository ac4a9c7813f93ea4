"""The desk's customer search and customer page over HTTP: what it shows, who edits what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm.customers.models import Customer
from tests.console_app import Staff, sign_in_as
from tests.desk.seed import seed_tickets


@pytest.fixture
def ids(sessions: sessionmaker[Session], staff: Staff) -> dict[str, int]:
    return seed_tickets(sessions)


def stored(sessions: sessionmaker[Session], customer_id: int) -> Customer:
    with sessions() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        session.expunge(customer)
        return customer


@pytest.mark.parametrize("query", ["Ann", "(555) 123-0001", "+1 555 123 0001", ""])
def test_search_finds_the_customer_by_name_or_any_number_format(
    client: TestClient, staff: Staff, ids: dict[str, int], query: str
) -> None:
    sign_in_as(client, staff, "agent1")
    html = client.get("/desk/customers", params={"q": query}).text
    assert f'href="/desk/customers/{ids["customer"]}"' in html


def test_a_search_with_no_match_says_so(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    sign_in_as(client, staff, "agent1")
    html = client.get("/desk/customers", params={"q": "Zebedee"}).text
    assert "No customer matches “Zebedee”." in html


def test_the_customer_page_shows_numbers_tickets_calls_with_notes_and_callbacks(
    client: TestClient, staff: Staff, ids: dict[str, int]
) -> None:
    sign_in_as(client, staff, "agent1")
    html = client.get(f"/desk/customers/{ids['customer']}").text
    assert "+15551230001" in html
    assert f'href="/desk/tickets/{ids["mine"]}"' in html
    assert "Caller smells smoke near the printer" in html and "Call in" in html
    assert "Wants to hear when the printer is fixed" in html
    assert 'data-testid="account-note"' in html and 'name="category"' not in html


def test_an_agent_edits_the_record_but_not_the_account_fields(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/customers/{ids['customer']}"
    answer = client.post(url, data={"csrf_token": csrf, "name": "Ann Customer", "city": "Leeds"})
    assert answer.status_code == 200 and "Leeds" in answer.text
    for field, value in (("category", "vip"), ("preferred_agent", "agent1")):
        refused = client.post(url, data={"csrf_token": csrf, field: value})
        assert refused.status_code == 403, field
        assert "account fields take a supervisor or an admin" in refused.text
    refused = client.post(
        url, data={"csrf_token": csrf, "blacklisted": "yes", "account_shown": "yes"}
    )
    assert refused.status_code == 403
    customer = stored(sessions, ids["customer"])
    assert (customer.city, customer.category, customer.preferred_agent, customer.blacklisted) == (
        "Leeds", "regular", None, False,
    )  # fmt: skip


def test_a_supervisor_sets_the_account_fields(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    url = f"/desk/customers/{ids['customer']}"
    assert 'name="category"' in client.get(url).text
    answer = client.post(
        url,
        data={"csrf_token": csrf, "category": "vip", "blacklisted": "yes", "account_shown": "yes"},
    )
    assert answer.status_code == 200
    customer = stored(sessions, ids["customer"])
    assert (customer.category, customer.blacklisted) == ("vip", True)


def test_a_422_marks_the_field(client: TestClient, staff: Staff, ids: dict[str, int]) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/customers/{ids['customer']}"
    empty_name = client.post(url, data={"csrf_token": csrf, "name": "  "})
    assert empty_name.status_code == 422
    assert 'data-testid="error-name"' in empty_name.text
    bad_mail = client.post(url, data={"csrf_token": csrf, "email": "not a mail"})
    assert bad_mail.status_code == 422 and 'data-testid="error-email"' in bad_mail.text
    bad_number = client.post(url + "/phones", data={"csrf_token": csrf, "number": "12"})
    assert bad_number.status_code == 422
    assert 'data-testid="error-number"' in bad_number.text
    assert 'aria-invalid="true"' in bad_number.text


def test_an_agent_adds_a_number_in_any_format(
    client: TestClient, staff: Staff, ids: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/customers/{ids['customer']}/phones"
    answer = client.post(
        url, data={"csrf_token": csrf, "number": "(555) 123-0009", "label": "mobile"}
    )
    assert answer.status_code == 200 and "+15551230009" in answer.text


def test_forms_need_the_csrf_token(client: TestClient, staff: Staff, ids: dict[str, int]) -> None:
    sign_in_as(client, staff, "agent1")
    url = f"/desk/customers/{ids['customer']}"
    assert client.post(url, data={"city": "Leeds"}).status_code == 403
    assert client.post(url + "/phones", data={"number": "+15551230009"}).status_code == 403


@pytest.fixture
def duplicate(sessions: sessionmaker[Session], ids: dict[str, int]) -> int:
    from crm.customers.schemas import CustomerCreate, PhoneIn
    from crm.customers.service import create_customer

    with sessions() as session, session.begin():
        return create_customer(
            session,
            CustomerCreate(name="Ann Customer (old)", phones=[PhoneIn(number="+15551230077")]),
            "US",
        ).id


def test_an_agent_may_not_merge_customers(
    client: TestClient,
    staff: Staff,
    ids: dict[str, int],
    duplicate: int,
    sessions: sessionmaker[Session],
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    url = f"/desk/customers/{ids['customer']}"
    assert 'data-testid="merge-form"' not in client.get(url).text
    answer = client.post(url + "/merge", data={"csrf_token": csrf, "duplicate_id": str(duplicate)})
    assert answer.status_code == 403 and "merging customers takes a supervisor" in answer.text
    assert stored(sessions, duplicate).name == "Ann Customer (old)"


def test_a_supervisor_merges_a_duplicate(
    client: TestClient,
    staff: Staff,
    ids: dict[str, int],
    duplicate: int,
    sessions: sessionmaker[Session],
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    url = f"/desk/customers/{ids['customer']}"
    bad = client.post(url + "/merge", data={"csrf_token": csrf, "duplicate_id": "abc"})
    assert bad.status_code == 422 and 'data-testid="error-duplicate_id"' in bad.text
    itself = client.post(
        url + "/merge", data={"csrf_token": csrf, "duplicate_id": str(ids["customer"])}
    )
    assert itself.status_code == 422 and "into itself" in itself.text
    answer = client.post(url + "/merge", data={"csrf_token": csrf, "duplicate_id": str(duplicate)})
    assert answer.status_code == 200 and "+15551230077" in answer.text
    assert client.get(f"/desk/customers/{duplicate}").status_code == 404
    assert client.post(url + "/merge", data={"duplicate_id": "1"}).status_code == 403  # no CSRF
