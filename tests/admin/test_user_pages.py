"""The admin's user pages over HTTP: who may open them, creating and editing users, marked
fields, passwords, deactivation and tokens, each taking effect for open sessions."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.queues.members import memberships_of
from callcenter.users.models import User
from callcenter.users.service import get_user
from tests.console_app import PASSWORD, Staff, sign_in_as

STRONG = "plum tractor velvet ocean"


def stored(sessions: sessionmaker[Session], name: str) -> User:
    with sessions() as session:
        user = get_user(session, name)
        session.expunge(user)
        return user


def served(sessions: sessionmaker[Session], user: User) -> list[tuple[str, int]]:
    with sessions() as session:
        return [(m.queue, m.penalty) for m in memberships_of(session, user.id)]


@pytest.mark.parametrize("name", ["agent1", "supervisor1"])
@pytest.mark.parametrize(
    "path", ["/admin", "/admin/users", "/admin/users/1", "/admin/teams", "/admin/sla", "/admin/kb"]
)
def test_only_admins_open_the_admin_pages(
    client: TestClient, staff: Staff, name: str, path: str
) -> None:
    sign_in_as(client, staff, name)
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert 'data-testid="error-who"' in answer.text and "admins" in answer.text


@pytest.mark.parametrize("name", ["agent1", "supervisor1"])
def test_others_cannot_post_to_the_admin_pages(
    client: TestClient, staff: Staff, name: str, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, name)
    form = {"csrf_token": csrf, "username": "mallory", "role": "admin", "password": STRONG}
    assert client.post("/admin/users", data={**form, "password_again": STRONG}).status_code == 403
    target = staff.ids["agent2"]
    answer = client.post(f"/admin/users/{target}", data={"csrf_token": csrf, "role": "admin"})
    assert answer.status_code == 403
    assert stored(sessions, "agent2").role == "agent"


@pytest.mark.parametrize("name", ["agent1", "supervisor1"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/1/queues",
        "/admin/users/1/password",
        "/admin/users/1/active",
        "/admin/users/1/tokens",
        "/admin/users/1/tokens/1/revoke",
        "/admin/teams",
        "/admin/teams/1",
        "/admin/teams/1/members",
        "/admin/teams/1/members/1/remove",
        "/admin/sla/policies/high",
        "/admin/sla/hours",
        "/admin/sla/hours/1",
        "/admin/kb",
        "/admin/kb/1",
        "/admin/kb/1/delete",
    ],
)
def test_every_admin_form_refuses_other_roles(
    client: TestClient, staff: Staff, name: str, path: str
) -> None:
    csrf = sign_in_as(client, staff, name)
    answer = client.post(path, data={"csrf_token": csrf}, headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert 'data-testid="error-who"' in answer.text


def test_a_stranger_is_sent_to_sign_in(client: TestClient) -> None:
    answer = client.get("/admin/users", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/admin/users"


def test_the_admin_entry_is_in_the_admins_bar_only(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    assert 'href="/admin" data-testid="nav-admin"' in client.get("/admin/users").text
    sign_in_as(client, staff, "supervisor1")
    assert 'data-testid="nav-admin"' not in client.get("/supervisor/wallboard").text


def test_the_list_shows_each_users_facts(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    html = client.get("/admin").text  # the admin pages start with the users
    row = re.search(r'<tr data-testid="user-row" data-user="agent3">.*?</tr>', html, re.S)
    assert row is not None
    for fact in ("agent3", "agent", "blue", "PJSIP/1003", "Agent 3", "support (0)", "yes"):
        assert fact in row.group(0), fact


def test_an_admin_creates_a_user_who_then_signs_in(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    red = stored(sessions, "agent1").team_id
    answer = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "agent9",
            "display_name": "Nina Nine",
            "role": "agent",
            "team_id": str(red),
            "interface": "PJSIP/1009",
            "member_name": "Nina",
            "queues": "support:1, billing:3",
            "password": STRONG,
            "password_again": STRONG,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    created = stored(sessions, "agent9")
    assert answer.headers["location"] == f"/admin/users/{created.id}"
    assert (created.display_name, created.interface, created.member_name) == (
        "Nina Nine", "PJSIP/1009", "Nina",
    )  # fmt: skip
    assert created.team_id == red
    assert served(sessions, created) == [("billing", 3), ("support", 1)]
    assert STRONG not in created.password_hash


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"username": "agent1"}, "username", "already exists"),
        ({"username": "no spaces"}, "username", "not a valid username"),
        ({"password": "short", "password_again": "short"}, "password", "at least 10"),
        ({"password": "", "password_again": ""}, "password", "first password"),
        ({"password_again": "something else"}, "password_again", "differ"),
        # An admin's policy is stricter: 11 characters would do for an agent.
        ({"role": "admin", "password": "tulip orbit"}, "password", "at least 12"),
        ({"role": "root"}, "role", "one of"),
        ({"interface": "PJSIP/1001"}, "interface", "already belongs"),
        ({"interface": "1001"}, "interface", "as the PBX names it"),
        ({"member_name": "Agent 1"}, "member_name", "already belongs"),
        ({"queues": "support:high"}, "queues", "whole number"),
        ({"queues": "support:1, support:2"}, "queues", "twice"),
        ({"team_id": "999"}, "team_id", "no longer exists"),
    ],
)
def test_a_refused_new_user_marks_the_field(
    client: TestClient,
    staff: Staff,
    sessions: sessionmaker[Session],
    change: dict[str, str],
    field: str,
    says: str,
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    form = {
        "csrf_token": csrf, "username": "agent9", "role": "agent", "interface": "PJSIP/1009",
        "password": "a good long passphrase", "password_again": "a good long passphrase",
    }  # fmt: skip
    form.update(change)
    if "password" in change and "password_again" not in change:
        form["password_again"] = change["password"]
    answer = client.post("/admin/users", data=form)
    assert answer.status_code == 422
    assert f'data-testid="error-{field}"' in answer.text and says in answer.text
    marked = re.search(rf'<[^>]*name="{field}"[^>]*>', answer.text)
    assert marked is not None and 'aria-invalid="true"' in marked.group(0)
    assert "a good long passphrase" not in answer.text  # a password is never sent back
    with sessions() as session:
        assert session.query(User).filter_by(username="agent9").count() == 0


def test_a_new_role_or_team_ends_the_users_sessions(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    before = stored(sessions, "agent2")
    csrf = sign_in_as(client, staff, "admin")
    url = f"/admin/users/{staff.ids['agent2']}"
    profile = {
        "csrf_token": csrf, "display_name": "Agent Two", "role": "agent",
        "team_id": str(before.team_id), "interface": "PJSIP/1002", "member_name": "Agent 2",
    }  # fmt: skip
    assert client.post(url, data=profile, follow_redirects=False).status_code == 303
    renamed = stored(sessions, "agent2")
    assert renamed.display_name == "Agent Two"
    assert renamed.session_generation == before.session_generation  # a name is not a right

    assert client.post(url, data={**profile, "role": "supervisor"}).status_code == 200
    promoted = stored(sessions, "agent2")
    assert promoted.role == "supervisor"
    assert promoted.session_generation > renamed.session_generation

    assert (
        client.post(url, data={**profile, "role": "supervisor", "team_id": ""}).status_code == 200
    )
    moved = stored(sessions, "agent2")
    assert moved.team_id is None and moved.session_generation > promoted.session_generation


def test_a_signed_in_user_is_signed_out_by_a_new_role(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    agent = TestClient(client.app, base_url="http://testserver")
    form = agent.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    signed_in = agent.post(
        "/signin",
        data={"username": "agent2", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert agent.get("/console", follow_redirects=False).status_code == 200

    csrf = sign_in_as(client, staff, "admin")
    user = stored(sessions, "agent2")
    client.post(
        f"/admin/users/{user.id}",
        data={
            "csrf_token": csrf,
            "display_name": user.display_name,
            "role": "supervisor",
            "team_id": str(user.team_id),
            "interface": user.interface,
            "member_name": user.member_name,
        },
    )
    gone = agent.get("/console", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")


def test_penalties_change_and_a_queue_is_added_or_dropped(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    url = f"/admin/users/{staff.ids['agent1']}/queues"
    data = {"csrf_token": csrf, "queue": ["support", "billing", ""], "penalty": ["4", "2", "0"]}
    assert client.post(url, data=data, follow_redirects=False).status_code == 303
    user = stored(sessions, "agent1")
    assert served(sessions, user) == [("billing", 2), ("support", 4)]

    dropped = {"csrf_token": csrf, "queue": ["", "billing"], "penalty": ["4", "2"]}
    assert client.post(url, data=dropped, follow_redirects=False).status_code == 303
    assert served(sessions, stored(sessions, "agent1")) == [("billing", 2)]

    bad = client.post(url, data={"csrf_token": csrf, "queue": ["billing"], "penalty": ["-1"]})
    assert bad.status_code == 422 and 'data-testid="error-queues"' in bad.text
    assert 'class="admin-queues" aria-invalid="true"' in bad.text


def test_a_reset_password_ends_the_sessions_and_follows_the_policy(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    before = stored(sessions, "agent3")
    url = f"/admin/users/{staff.ids['agent3']}/password"
    weak = client.post(
        url, data={"csrf_token": csrf, "password": "agent3agent3", "password_again": "agent3agent3"}
    )
    assert weak.status_code == 422 and 'data-testid="error-password"' in weak.text
    assert stored(sessions, "agent3").password_hash == before.password_hash
    data = {"csrf_token": csrf, "password": STRONG, "password_again": STRONG}
    assert client.post(url, data=data, follow_redirects=False).status_code == 303
    after = stored(sessions, "agent3")
    assert after.password_hash != before.password_hash
    assert after.session_generation > before.session_generation


def test_deactivation_ends_sessions_and_spares_the_last_admin(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    url = f"/admin/users/{staff.ids['agent3']}/active"
    assert client.post(url, data={"csrf_token": csrf, "active": "no"}).status_code == 200
    gone = stored(sessions, "agent3")
    assert not gone.active
    token_call = client.get(
        "/api/customers", headers={"Authorization": f"Bearer {staff.tokens['agent3']}"}
    )
    assert token_call.status_code == 401
    assert client.post(url, data={"csrf_token": csrf, "active": "yes"}).status_code == 200
    assert stored(sessions, "agent3").active

    itself = client.post(
        f"/admin/users/{staff.ids['admin']}/active", data={"csrf_token": csrf, "active": "no"}
    )
    assert itself.status_code == 422 and "last active admin" in itself.text
    assert stored(sessions, "admin").active


def test_a_token_is_shown_once_listed_and_revoked(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    url = f"/admin/users/{staff.ids['agent2']}/tokens"
    assert client.post(url, data={"csrf_token": csrf, "label": " "}).status_code == 422
    issued = client.post(url, data={"csrf_token": csrf, "label": "wallboard script"})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    found = re.search(r'data-testid="new-token">(cc_[^<]+)<', issued.text)
    assert found is not None
    token = found.group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/customers", headers=headers).status_code == 200

    page = client.get(f"/admin/users/{staff.ids['agent2']}").text
    assert "wallboard script" in page and token not in page
    token_id = re.findall(r'data-testid="revoke-(\d+)"', page)[0]
    revoked = client.post(f"{url}/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 200
    assert client.get("/api/customers", headers=headers).status_code == 401


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    answer = client.post(
        "/admin/users", data={"username": "x", "role": "agent", "password": STRONG}
    )
    assert answer.status_code == 403


def test_making_someone_an_admin_takes_a_password_under_the_admin_rule(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "admin")
    before = stored(sessions, "supervisor1")
    url = f"/admin/users/{staff.ids['supervisor1']}"
    profile = {
        "csrf_token": csrf, "display_name": "supervisor1", "role": "admin",
        "team_id": str(before.team_id),
    }  # fmt: skip
    for password, says in (("", "takes a new password"), ("tulip orbit", "at least 12")):
        answer = client.post(url, data={**profile, "admin_password": password})
        assert answer.status_code == 422 and says in answer.text
        assert re.search(r'name="admin_password"[^>]*aria-invalid="true"', answer.text)
        assert stored(sessions, "supervisor1").role == "supervisor"
    made = client.post(url, data={**profile, "admin_password": STRONG}, follow_redirects=False)
    assert made.status_code == 303
    after = stored(sessions, "supervisor1")
    assert after.role == "admin" and after.password_hash != before.password_hash
