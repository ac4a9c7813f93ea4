"""Transfer targets are checked before the PBX is asked: known queues, agents, plain numbers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.console_app import Staff, sign_in_as

NO_PBX = "no PBX is connected to this console server"

# target type, target, status, detail: 503 means the target passed and the (absent) PBX was next
TARGETS = [
    ("queue", "support", 503, NO_PBX),  # agents are members of it
    ("queue", "sales-typo", 422, "no queue 'sales-typo'"),
    ("queue", "_X.", 422, "no queue '_X.'"),  # a dialplan pattern is no queue
    ("agent", "agent2", 503, NO_PBX),
    ("agent", "nobody", 422, "no agent 'nobody'"),
    ("number", "+15551230001", 503, NO_PBX),
    ("number", "²", 422, "a number has only digits"),
    ("number", "55\uff151", 422, "a number has only digits"),
]


@pytest.mark.parametrize(("target_type", "target", "code", "detail"), TARGETS)
def test_transfer_targets(
    client: TestClient, staff: Staff, target_type: str, target: str, code: int, detail: str
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/call/transfer",
        data={"kind": "blind", "target_type": target_type, "target": target},
        headers={"X-CSRF-Token": csrf},
    )
    assert (response.status_code, response.json()["detail"]) == (code, detail)


def test_a_queue_mapped_in_the_settings_is_a_target(
    client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = client.app.state.callcenter.console.settings  # type: ignore[attr-defined]
    monkeypatch.setitem(settings.console_queue_extensions, "billing", "7100")
    csrf = sign_in_as(client, staff, "agent1")
    response = client.post(
        "/console/call/transfer",
        data={"kind": "blind", "target_type": "queue", "target": "billing"},
        headers={"X-CSRF-Token": csrf},
    )
    assert (response.status_code, response.json()["detail"]) == (503, NO_PBX)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.mark.parametrize(("target_type", "target"), [("agent", "agent2"), ("queue", "support")])
def test_transfer_lookups_stay_off_the_event_loop(
    client: TestClient, staff: Staff, target_type: str, target: str
) -> None:
    """A query on the loop thread would stall every console's websocket while it runs."""
    engine = client.app.state.callcenter.engine  # type: ignore[attr-defined]
    on_loop: list[bool] = []

    def note_thread(*args: Any) -> None:
        on_loop.append(_on_event_loop())

    csrf = sign_in_as(client, staff, "agent1")
    event.listen(engine, "before_cursor_execute", note_thread)
    try:
        client.post(
            "/console/call/transfer",
            data={"kind": "blind", "target_type": target_type, "target": target},
            headers={"X-CSRF-Token": csrf},
        )
    finally:
        event.remove(engine, "before_cursor_execute", note_thread)
    assert on_loop, "the transfer looked nothing up"
    assert not any(on_loop)
