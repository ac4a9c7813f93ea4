"""The campaign pages over HTTP with the real app and database: create, refuse bad input
storing nothing, start / pause / stop with the state rules as notices, no edit while running."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Campaign, Lead
from tests.campaigns.conftest import add_lead, add_list
from tests.console_app import Staff, sign_in_as


def a_list(sessions: sessionmaker[Session], name: str = "spring") -> int:
    with sessions() as session, session.begin():
        call_list = add_list(session, name)
        add_lead(session, call_list, "+15551230001")
        add_lead(session, call_list, "+15551230002", attempts=1)
        return call_list.id


def form(csrf: str, list_id: int, /, **changes: Any) -> dict[str, Any]:
    """The campaign form as a browser posts it, the default dispositions in its rows."""
    data: dict[str, Any] = {
        "csrf_token": csrf, "name": "Renewals", "list_id": str(list_id), "mode": "progressive",
        "queue": "renewals", "agents": ["agent1"], "teams": [], "hours_start": "09:00",
        "hours_end": "20:00", "weekdays": ["1", "2", "3", "4", "5"], "max_attempts": "4",
        "ring_timeout_s": "25", "abandon_cap_pct": "3", "script": "Hello, this is Acme.",
        "caller_id": "+15550000000", "gap_busy": "15", "gap_no_answer": "",
        "d0_code": "sale", "d0_label": "Sale", "d0_final": "on", "d0_success": "on",
        "d1_code": "callback", "d1_label": "Call back at...", "d1_callback": "on",
        "d2_code": "", "d2_label": "",
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def campaigns(sessions: sessionmaker[Session]) -> list[Campaign]:
    with sessions() as session:
        return list(session.scalars(select(Campaign)))


def test_a_supervisor_creates_a_campaign_from_the_form(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    list_id = a_list(sessions)
    csrf = sign_in_as(client, staff, "supervisor1")
    page = client.get("/admin/campaigns/new")
    assert page.status_code == 200
    assert 'value="do_not_call"' in page.text  # the default dispositions, editable
    created = client.post("/admin/campaigns/new", data=form(csrf, list_id), follow_redirects=False)
    assert created.status_code == 303
    [campaign] = campaigns(sessions)
    assert created.headers["location"] == f"/admin/campaigns/{campaign.id}"
    assert (campaign.state, campaign.mode, campaign.queue) == ("draft", "progressive", "renewals")
    assert campaign.agents == ["agent1"] and campaign.weekdays == [1, 2, 3, 4, 5]
    assert campaign.retry_gaps_min == {"busy": 15} and campaign.max_attempts == 4
    assert campaign.abandon_cap == 0.03 and campaign.caller_id == "+15550000000"
    assert [d["code"] for d in campaign.dispositions] == ["sale", "callback"]
    assert campaign.dispositions[0] == {"code": "sale", "label": "Sale", "final": True,
                                        "success": True}  # fmt: skip

    listed = client.get("/admin/campaigns").text
    row = re.search(r'data-campaign="Renewals">.*?</tr>', listed, re.S)
    assert row is not None
    assert "2 leads: 2 open" in row.group(0) and "50 %" in row.group(0)
    assert 'data-testid="campaign-start"' in row.group(0)


def test_bad_input_names_the_field_and_stores_nothing(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    list_id = a_list(sessions)
    csrf = sign_in_as(client, staff, "supervisor1")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"abandon_cap_pct": "3.5"}, "abandon_cap_pct", "at most 3 %"),
        ({"abandon_cap_pct": "lots"}, "abandon_cap_pct", "as a number"),
        ({"hours_start": "21:00"}, "hours_end", "end after they start"),
        ({"hours_end": "25:00"}, "hours_end", "not a time of day"),
        ({"weekdays": []}, "weekdays", "at least one weekday"),
        ({"gap_machine": "-5"}, "gap_machine", "from 0 minutes"),
        ({"max_attempts": "0"}, "max_attempts", "from 1 to 100"),
        ({"mode": "robocall"}, "mode", "preview, progressive or predictive"),
        ({"queue": "no spaces"}, "queue", "as the PBX knows it"),
        ({"list_id": ""}, "list_id", "choose the call list"),
        ({"list_id": "999"}, "list_id", "no call list 999"),
        ({"d1_final": "on"}, "dispositions", "row 2: a call-back disposition cannot also close"),
        ({"d2_code": "Bad Code!"}, "dispositions", "row 3"),
    ]
    for changes, field, says in cases:
        refused = client.post("/admin/campaigns/new", data=form(csrf, list_id, **changes))
        assert refused.status_code == 422, changes
        shown = re.search(rf'data-testid="error-{field}">([^<]*)<', refused.text)
        assert shown is not None and says in shown.group(1), (changes, shown)
        assert 'value="Renewals"' in refused.text  # what was typed is kept
    assert campaigns(sessions) == []
    client.post("/admin/campaigns/new", data=form(csrf, list_id))
    taken = client.post("/admin/campaigns/new", data=form(csrf, list_id))
    assert taken.status_code == 422 and "exists already" in taken.text
    assert len(campaigns(sessions)) == 1


def test_start_pause_stop_follow_the_state_rules(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    list_id = a_list(sessions)
    csrf = sign_in_as(client, staff, "supervisor1")
    client.post("/admin/campaigns/new", data=form(csrf, list_id, agents=[]))
    [campaign] = campaigns(sessions)
    url = f"/admin/campaigns/{campaign.id}"

    nobody = client.post(f"{url}/start", data={"csrf_token": csrf})
    assert nobody.status_code == 422
    assert "name the agents or teams" in nobody.text and 'data-testid="notice"' in nobody.text
    assert campaigns(sessions)[0].state == "draft"
    paused_draft = client.post(f"{url}/pause", data={"csrf_token": csrf})
    assert paused_draft.status_code == 409 and "is draft, not running" in paused_draft.text

    client.post(url, data=form(csrf, list_id, teams=["red"], agents=[]))
    started = client.post(f"{url}/start", data={"csrf_token": csrf})
    assert started.status_code == 200 and "Campaign Renewals started." in started.text
    assert campaigns(sessions)[0].state == "running"
    again = client.post(f"{url}/start", data={"csrf_token": csrf, "back": "campaign"})
    assert again.status_code == 409 and "running already" in again.text
    assert 'data-testid="admin-campaign"' in again.text  # back on the campaign's own page

    assert client.post(f"{url}/pause", data={"csrf_token": csrf}).status_code == 200
    assert campaigns(sessions)[0].state == "paused"
    stopped = client.post(f"{url}/stop", data={"csrf_token": csrf}, follow_redirects=False)
    assert stopped.status_code == 303
    restart = client.post(f"{url}/start", data={"csrf_token": csrf})
    assert restart.status_code == 409 and "does not start again" in restart.text
    kept = client.get(url).text
    assert "has stopped: it is kept as it ran" in kept and "<fieldset disabled" in kept
    assert campaigns(sessions)[0].state == "stopped"
    forged = client.post(f"{url}/stop", data={"csrf_token": "forged"})
    assert forged.status_code == 403


def test_a_running_campaign_is_read_only_until_paused(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    list_id = a_list(sessions)
    csrf = sign_in_as(client, staff, "supervisor1")
    client.post("/admin/campaigns/new", data=form(csrf, list_id))
    [campaign] = campaigns(sessions)
    url = f"/admin/campaigns/{campaign.id}"
    client.post(f"{url}/start", data={"csrf_token": csrf})

    page = client.get(url).text
    assert "pause it first" in page and re.search(r"<fieldset disabled", page)
    assert 'data-testid="campaign-save"' not in page
    refused = client.post(url, data=form(csrf, list_id, script="Changed while running"))
    assert refused.status_code == 409 and "pause it before editing" in refused.text
    also_bad = client.post(url, data=form(csrf, list_id, abandon_cap_pct="9"))
    assert also_bad.status_code == 409 and "pause it before editing" in also_bad.text
    assert campaigns(sessions)[0].script == "Hello, this is Acme."

    client.post(f"{url}/pause", data={"csrf_token": csrf})
    assert "<fieldset disabled" not in client.get(url).text
    saved = client.post(url, data=form(csrf, list_id, script="Changed while paused"))
    assert saved.status_code == 200 and "Saved." in saved.text
    assert campaigns(sessions)[0].script == "Changed while paused"


def test_agents_may_not_open_the_pages_and_only_admins_delete_drafts(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    list_id = a_list(sessions)
    sign_in_as(client, staff, "agent1")
    for path in ("/admin/campaigns", "/admin/call-lists", "/admin/dnc"):
        answer = client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == 403 and "supervisors and admins" in answer.text
    csrf = sign_in_as(client, staff, "supervisor1")
    for path in ("/admin/campaigns", "/admin/call-lists", "/admin/dnc"):
        marked = 'href="/admin/campaigns" data-testid="nav-outbound" aria-current="page"'
        assert marked in client.get(path).text, path
    client.post("/admin/campaigns/new", data=form(csrf, list_id))
    [campaign] = campaigns(sessions)
    delete = f"/admin/campaigns/{campaign.id}/delete"
    assert client.post(delete, data={"csrf_token": csrf}).status_code == 403
    csrf = sign_in_as(client, staff, "admin")
    admin_page = client.get("/admin/campaigns").text
    assert 'data-testid="nav-outbound" aria-current="page"' in admin_page
    assert 'data-testid="nav-admin" aria-current' not in admin_page
    client.post(delete, data={"csrf_token": csrf})
    assert campaigns(sessions) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 2  # the list stays
