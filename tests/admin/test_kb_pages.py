"""The admin's knowledge-base pages over HTTP: write, find, change, remove, refusals marked."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.kb.models import KBArticle
from tests.console_app import Staff, sign_in_as

ARTICLE = {
    "title": "Printer smells of smoke",
    "problem": "The office printer smells of smoke after an hour.",
    "solution": "Switch it off, unplug it and send a technician.",
    "tags": "printer, safety",
}


def test_an_article_is_written_found_changed_and_removed(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    made = client.post("/admin/kb", data={"csrf_token": csrf, **ARTICLE}, follow_redirects=False)
    assert made.status_code == 303
    with sessions() as session:
        article = session.scalar(select(KBArticle))
        assert article is not None and article.tags == "printer, safety"
    assert made.headers["location"] == f"/admin/kb/{article.id}"

    found = client.get("/admin/kb", params={"q": "smoke"}).text
    assert f'href="/admin/kb/{article.id}"' in found and "1 match for" in found
    assert "0 matches" in client.get("/admin/kb", params={"q": "zebra"}).text
    sign_in_as(client, staff, "agent1")
    assert "Printer smells of smoke" in client.get("/console/kb", params={"q": "smoke"}).text

    csrf = sign_in_as(client, staff, "admin")
    changed = {**ARTICLE, "solution": "Call the fire brigade first.", "csrf_token": csrf}
    assert client.post(f"/admin/kb/{article.id}", data=changed).status_code == 200
    assert "Call the fire brigade first." in client.get(f"/admin/kb/{article.id}").text

    gone = client.post(f"/admin/kb/{article.id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and "0 articles" in gone.text
    assert client.get(f"/admin/kb/{article.id}").status_code == 404
    sign_in_as(client, staff, "agent1")
    assert "Printer smells" not in client.get("/console/kb", params={"q": "smoke"}).text


def test_a_refused_article_marks_the_field(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    for field, value in (("title", " "), ("solution", ""), ("tags", "x" * 41)):
        answer = client.post("/admin/kb", data={"csrf_token": csrf, **ARTICLE, field: value})
        assert answer.status_code == 422, field
        assert f'data-testid="error-{field}"' in answer.text, field
        marked = re.search(rf'<(input|textarea) name="{field}"[^>]*>', answer.text)
        assert marked is not None and 'aria-invalid="true"' in marked.group(0), field
        assert "The office printer smells of smoke" in answer.text  # what was typed stays
    with sessions() as session:
        assert session.scalar(select(KBArticle)) is None
