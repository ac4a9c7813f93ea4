"""The call-list pages over HTTP with the real app and database: a CSV upload (all rows or
none, each refused row in a table), a list from a CRM query built again, one list's leads."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import CallList, DncEntry, Lead
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from tests.console_app import Staff, sign_in_as

CSV = "number,name,plan\n(212) 555-0100,Ann Lee,gold\n+1 212 555 0199,Bo Diaz,\n212 555 0100,Ann,\n"


def upload(client: TestClient, url: str, text: str | bytes, csrf: str, **form: str) -> Any:
    body = text.encode() if isinstance(text, str) else text
    files = {"file": ("list.csv", body, "text/csv")}
    return client.post(url, data={"csrf_token": csrf, **form}, files=files)


def counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        lists = session.scalar(select(func.count()).select_from(CallList)) or 0
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
        return lists, leads


def test_a_csv_upload_makes_a_list_and_reports_each_line(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        session.add(DncEntry(number="+12125550199", campaign_id=None))
    csrf = sign_in_as(client, staff, "supervisor1")
    answer = upload(client, "/admin/call-lists/upload", CSV, csrf, name="spring")
    assert answer.status_code == 200
    summary = re.search(r'data-testid="import-summary">([^<]*)<', answer.text)
    assert summary is not None
    assert summary.group(1) == (
        "2 leads imported (1 of them blocked: nobody may call them), 1 row skipped."
    )
    assert "+12125550100 is on line 2 already" in answer.text
    assert "imported as blocked: it is on the global do-not-call list" in answer.text
    row = re.search(r'data-list="spring">.*?</tr>', answer.text, re.S)
    assert row is not None and "2 leads: 1 blocked, 1 open" in row.group(0)
    assert counts(sessions) == (1, 2)


def test_a_refused_upload_lists_each_bad_row_and_stores_nothing(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    bad = "number,name\n212 555 0100,Ann\n12,Short\nnot a number,Nobody\n"
    refused = upload(client, "/admin/call-lists/upload", bad, csrf, name="spring")
    assert refused.status_code == 422
    assert "Nothing imported: 2 rows refused." in refused.text
    lines = re.findall(r'data-testid="refused-row" data-line="(\d+)"><td>\d+</td><td>([^<]*)<',
                       refused.text)  # fmt: skip
    assert lines == [
        ("3", "number: &#39;12&#39; has the wrong length for a phone number"),
        ("4", "number: &#39;not a number&#39; is not a phone number"),
    ]
    assert 'value="spring"' in refused.text
    for text, name, field, says in (
        ("name,plan\nAnn,gold\n", "spring", "file", "the header has no number column"),
        (b"number\n\xff\xfe\n", "spring", "file", "not UTF-8"),
        (CSV, "  ", "name", "a name of 1 to 128 characters"),
    ):
        answer = upload(client, "/admin/call-lists/upload", text, csrf, name=name)
        assert answer.status_code == 422
        shown = re.search(rf'data-testid="error-{field}">([^<]*)<', answer.text)
        assert shown is not None and says in shown.group(1)
    assert counts(sessions) == (0, 0)
    upload(client, "/admin/call-lists/upload", CSV, csrf, name="spring")
    taken = upload(client, "/admin/call-lists/upload", CSV, csrf, name="spring")
    assert taken.status_code == 422 and "exists already" in taken.text
    assert counts(sessions) == (1, 2)


def test_a_list_from_a_crm_query_is_built_again_without_doubling(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        for name, number in (("Vee Ip", "+12125550111"), ("Vic Tor", "+12125550112")):
            data = CustomerCreate(name=name, category="vip", phones=[PhoneIn(number=number)])
            create_customer(session, data, "US")
    csrf = sign_in_as(client, staff, "supervisor1")
    form = {"csrf_token": csrf, "name": "vips", "kind": "customers", "category": "vip"}
    built = client.post("/admin/call-lists/query", data=form)
    assert built.status_code == 200
    assert "vips: 2 leads added (0 of them blocked), 0 on the list already" in built.text
    assert "customers of category vip" in built.text
    with sessions() as session:
        list_id = session.scalar(select(CallList.id).where(CallList.name == "vips"))
    again = client.post(f"/admin/call-lists/{list_id}/rebuild", data={"csrf_token": csrf})
    assert "vips: 0 leads added (0 of them blocked), 2 on the list already" in again.text
    assert counts(sessions) == (1, 2)

    bad = {**form, "name": "old tickets", "kind": "tickets_resolved", "days_ago": "400"}
    refused = client.post("/admin/call-lists/query", data=bad)
    assert refused.status_code == 422 and 'data-testid="error-days_ago"' in refused.text
    assert counts(sessions) == (1, 2)


def test_a_lists_leads_page_filters_and_takes_more_rows(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    upload(client, "/admin/call-lists/upload", CSV, csrf, name="spring")
    with sessions() as session:
        list_id = session.scalar(select(CallList.id).where(CallList.name == "spring"))
    page = client.get(f"/admin/call-lists/{list_id}").text
    assert re.findall(r'data-testid="lead-row" data-number="([^"]+)"', page) == [
        "+12125550100",
        "+12125550199",
    ]
    found = client.get(f"/admin/call-lists/{list_id}?q=Bo").text
    assert re.findall(r'data-number="([^"]+)"', found) == ["+12125550199"]
    more = "number\n212 555 0100\n212 555 0142\n"
    added = upload(client, f"/admin/call-lists/{list_id}/import", more, csrf)
    assert added.status_code == 200
    assert "1 lead imported" in added.text and "+12125550100 is on this list already" in added.text
    refused = upload(client, f"/admin/call-lists/{list_id}/import", "number\n12\n", csrf)
    assert refused.status_code == 422 and 'data-line="2"' in refused.text
    assert counts(sessions) == (1, 3)


def test_a_lead_is_added_by_hand_and_dropped_unless_it_is_being_called(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    upload(client, "/admin/call-lists/upload", CSV, csrf, name="spring")
    with sessions() as session:
        list_id = session.scalar(select(CallList.id).where(CallList.name == "spring"))
    url = f"/admin/call-lists/{list_id}/leads"
    bad = client.post(url, data={"csrf_token": csrf, "number": "12", "name": "Typo"})
    assert bad.status_code == 422 and 'data-testid="error-number"' in bad.text
    zone = client.post(
        url, data={"csrf_token": csrf, "number": "212 555 0177", "time_zone": "Mars"}
    )
    assert zone.status_code == 422 and "is not a time zone" in zone.text
    assert counts(sessions) == (1, 2)
    added = client.post(url, data={"csrf_token": csrf, "number": "212 555 0177", "name": "Cy"})
    assert added.status_code == 200
    assert re.findall(r'data-testid="lead-row" data-number="([^"]+)"', added.text) == [
        "+12125550177"
    ]

    with sessions() as session, session.begin():
        ann = session.scalars(select(Lead).where(Lead.number == "+12125550100")).one()
        ann.state = "dialing"
        cy = session.scalars(select(Lead).where(Lead.number == "+12125550177")).one()
        ann_id, cy_id = ann.id, cy.id
    busy = client.post(f"{url}/{ann_id}/cancel", data={"csrf_token": csrf})
    assert busy.status_code == 409 and "wait until its call has ended" in busy.text
    dropped = client.post(f"{url}/{cy_id}/cancel", data={"csrf_token": csrf})
    assert dropped.status_code == 200
    with sessions() as session:
        states = {n: s for n, s in session.execute(select(Lead.number, Lead.state))}
    assert states["+12125550100"] == "dialing" and states["+12125550177"] == "cancelled"
