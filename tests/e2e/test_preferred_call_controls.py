"""The console's controls on a call the preferred agent answered outside any queue (the
dialplan's [preferred] Dial): hold, resume and a blind transfer to a queue, each confirmed by
the PBX as for a queue call; the call is stored with the transfer and the queue visit after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_console import Console
from tests.e2e.routed_stack import RoutedStack, routed_stack
from tests.e2e.test_routing_end_to_end import RETURNING, seeded, stored_calls, wait_for

__all__ = ["seeded"]


@pytest.fixture
def stack(database_url: str, seeded: dict[str, int]) -> Iterator[RoutedStack]:
    with routed_stack(database_url) as running:
        yield running


@pytest.fixture
def console(stack: RoutedStack) -> Iterator[Console]:
    console = Console(stack)
    yield console
    console.close()


def test_the_preferred_agent_holds_resumes_and_transfers_the_call_to_a_queue(
    stack: RoutedStack, console: Console, sessions: sessionmaker[Session]
) -> None:
    members = stack.pbx.board.queues["support"].members
    stack.until_pbx(lambda pbx: not members["agent1"].paused and not members["bot"].paused)
    stack.dial_did(RETURNING, "Olga Open")  # her open ticket is agent1's: agent1 rings first
    linkedid = console.until("pop")["call"]["linkedid"]
    console.until("state", state="on_call")
    (truth,) = [r for r in stack.pbx.board.truth.routes if r.caller == RETURNING]
    assert truth.action == "preferred"

    assert "on hold" in console.post("/console/call/hold").text
    assert "back" in console.post("/console/call/resume").text
    sent = console.post(
        "/console/call/transfer", kind="blind", target_type="queue", target="support"
    )
    assert "Transferred to support" in sent.text
    stack.until_pbx(lambda pbx: members["bot"].calls_taken == 1)  # the queue's other member

    wait_for(lambda: RETURNING in stored_calls(sessions))
    stored = stored_calls(sessions)[RETURNING]
    assert (stored.linkedid, stored.agent) == (linkedid, "bot")  # the last to talk
    assert stored.hold_s > 0 and (stored.transfer_target or "").startswith("support")
    assert [(v.queue, v.agent) for v in stored.queue_visits] == [("support", "bot")]
