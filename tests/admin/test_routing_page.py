"""The admin's routing page over HTTP: rules in order, edited as TOML, a caller tried."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.console_app import Staff, sign_in_as

RULES = """\
[[rule]]
name = "late"
position = 20
when = { time_from = "00:00" }
then = { priority = 3 }

[[rule]]
name = "hotline"
position = 10
when = { did = ["+4930999"] }
then = { queue = "vip", priority = 20 }
"""


def test_rules_are_listed_in_order_edited_and_tried(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "admin")
    assert "No rules" in client.get("/admin/routing").text
    saved = client.post("/admin/routing", data={"csrf_token": csrf, "rules": RULES})
    assert saved.status_code == 200  # followed the redirect back to the page
    assert re.findall(r'data-rule="([^"]+)"', saved.text) == ["hotline", "late"]
    tried = client.get("/admin/routing", params={"caller": "+15550001", "did": "+4930999"})
    assert 'data-testid="try-queue">Queue vip<' in tried.text
    assert "QUEUE_PRIO=20" in tried.text and "rule “hotline”" in tried.text


def test_a_bad_document_changes_nothing_and_says_why(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "admin")
    client.post("/admin/routing", data={"csrf_token": csrf, "rules": RULES})
    bad = RULES.replace("priority = 3", 'priority = "3"')
    refused = client.post("/admin/routing", data={"csrf_token": csrf, "rules": bad})
    assert refused.status_code == 422
    assert "rule 1 (&#39;late&#39;): then.priority" in refused.text
    assert re.search(r'name="rules"[^>]*aria-invalid="true"', refused.text)
    assert re.findall(r'data-rule="([^"]+)"', refused.text) == ["hotline", "late"]


def test_only_admins_open_it(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/admin/routing").status_code == 403
