"""The do-not-call pages over HTTP with the real app and database: the global list and a
campaign's own, added, imported (all or none) and removed by whoever may."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import DncEntry
from tests.campaigns.conftest import add_campaign, add_list
from tests.console_app import Staff, sign_in_as


def entries(sessions: sessionmaker[Session]) -> set[tuple[str, int | None]]:
    with sessions() as session:
        return {(e.number, e.campaign_id) for e in session.scalars(select(DncEntry))}


def shown(html: str) -> list[str]:
    return re.findall(r'data-testid="dnc-row" data-number="([^"]+)"', html)


def test_numbers_go_on_the_global_list_and_only_admins_take_them_off(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    added = client.post(
        "/admin/dnc/add", data={"csrf_token": csrf, "number": "(212) 555-0100", "reason": "asked"}
    )
    assert added.status_code == 200 and "Number added." in added.text
    assert shown(added.text) == ["+12125550100"]
    again = client.post("/admin/dnc/add", data={"csrf_token": csrf, "number": "212 555 0100"})
    assert "on the list already" in again.text
    bad = client.post("/admin/dnc/add", data={"csrf_token": csrf, "number": "12"})
    assert bad.status_code == 422
    message = re.search(r'data-testid="error-number">([^<]*)<', bad.text)
    assert message is not None and "wrong length" in message.group(1)
    assert entries(sessions) == {("+12125550100", None)}

    assert 'data-testid="dnc-remove"' not in client.get("/admin/dnc").text
    form = {"csrf_token": csrf, "number": "+12125550100"}
    assert client.post("/admin/dnc/remove", data=form).status_code == 403
    assert entries(sessions) == {("+12125550100", None)}
    form["csrf_token"] = sign_in_as(client, staff, "admin")
    removed = client.post("/admin/dnc/remove", data=form)
    assert removed.status_code == 200 and "Number removed." in removed.text
    assert entries(sessions) == set()
    gone = client.post("/admin/dnc/remove", data=form)
    assert gone.status_code == 404 and 'data-testid="notice"' in gone.text


def test_an_import_adds_every_number_or_none(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")

    def send(text: str) -> str:
        files = {"file": ("dnc.csv", text.encode(), "text/csv")}
        answer = client.post("/admin/dnc/import", data={"csrf_token": csrf}, files=files)
        return f"{answer.status_code} {answer.text}"

    refused = send("number,reason\n212 555 0100,asked\n12,typo\n")
    assert refused.startswith("422") and "Nothing imported: 1 row refused." in refused
    assert 'data-line="3"' in refused
    assert entries(sessions) == set()
    done = send("212 555 0100\n212 555 0101\n")
    assert done.startswith("200") and "2 numbers added, 0 on the list already." in done
    assert entries(sessions) == {("+12125550100", None), ("+12125550101", None)}


def test_a_campaigns_own_list_is_kept_apart(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        campaign_id = add_campaign(session, add_list(session), name="Renewals").id
    csrf = sign_in_as(client, staff, "supervisor1")
    scope = {"csrf_token": csrf, "campaign": str(campaign_id)}
    added = client.post("/admin/dnc/add", data={**scope, "number": "212 555 0100"})
    assert "the campaign Renewals&#39;s list" in added.text and shown(added.text) == [
        "+12125550100"
    ]
    assert shown(client.get("/admin/dnc").text) == []
    assert entries(sessions) == {("+12125550100", campaign_id)}
    removed = client.post("/admin/dnc/remove", data={**scope, "number": "+12125550100"})
    assert removed.status_code == 200 and entries(sessions) == set()
    assert client.get("/admin/dnc?campaign=999").status_code == 404
