"""An agent's skills on the admin's user page: typed as `lang:de=2, product:billing=1`,
stored in the queues domain, a bad entry marked on the field."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.queues.members import skills_of
from tests.console_app import Staff, sign_in_as


def stored_skills(sessions: sessionmaker[Session], user_id: int) -> dict[str, int]:
    with sessions() as session:
        return skills_of(session, user_id)


def test_an_admin_sets_and_clears_skills(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    agent = staff.ids["agent1"]
    url = f"/admin/users/{agent}/skills"
    typed = {"csrf_token": csrf, "skills": "lang:de=2, Product:Billing=1, vip"}
    assert client.post(url, data=typed, follow_redirects=False).status_code == 303
    assert stored_skills(sessions, agent) == {"lang:de": 2, "product:billing": 1, "vip": 1}
    page = client.get(f"/admin/users/{agent}").text
    assert 'value="lang:de=2, product:billing=1, vip=1"' in page

    cleared = {"csrf_token": csrf, "skills": ""}
    assert client.post(url, data=cleared, follow_redirects=False).status_code == 303
    assert stored_skills(sessions, agent) == {}


def test_a_bad_skill_is_marked_and_nothing_changes(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    agent = staff.ids["agent1"]
    url = f"/admin/users/{agent}/skills"
    client.post(url, data={"csrf_token": csrf, "skills": "lang:de=2"})
    bad = client.post(url, data={"csrf_token": csrf, "skills": "lang:fr=two"})
    assert bad.status_code == 422
    assert 'data-testid="error-skills"' in bad.text and "whole number" in bad.text
    assert 'value="lang:fr=two"' in bad.text and 'aria-invalid="true"' in bad.text
    assert stored_skills(sessions, agent) == {"lang:de": 2}


def test_only_admins_set_skills(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "supervisor1")
    url = f"/admin/users/{staff.ids['agent1']}/skills"
    answer = client.post(url, data={"csrf_token": csrf, "skills": "vip"})
    assert answer.status_code == 403
    assert stored_skills(sessions, staff.ids["agent1"]) == {}
    sign_in_as(client, staff, "admin")
    assert client.post(url, data={"skills": "vip"}).status_code == 403  # no CSRF token
