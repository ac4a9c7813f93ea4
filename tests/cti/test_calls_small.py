"""The small captures, call by call, as their scenario.md tells what really happened."""

from __future__ import annotations

import pytest

from tests.cti.captures import replay_capture
from tests.cti.tables import number, table

# talk: seconds the caller was connected to someone (Asterisk's TalkTime of each visit adds
# up to it); hold: Hold -> Unhold, or Hold -> the holder's hang-up in an attended transfer.
CALLS = table(
    """
    scenario          | linkedid     | direction | outcome     | caller       | dialed      | agent | talk | hold | target        | visits
    answered          | 1795441073.0 | inbound   | answered    | +15551230001 | 15551230001 | Alice | 5    | 0    |               | support:answered
    agent_hangup      | 1795441182.0 | inbound   | answered    | +15551230002 | 15551230002 | Alice | 5.5  | 0    |               | support:answered
    abandon           | 1795441198.0 | inbound   | answered    | +15551230003 | 15551230003 | Alice | 20   | 0    |               | support:answered
    abandon           | 1795441202.4 | inbound   | abandoned   | +15551230004 | 15551230004 |       |      | 0    |               | support:abandoned
    ring_no_answer    | 1795441227.0 | inbound   | answered    | +15551230005 | 15551230005 | Bob   | 5    | 0    |               | support:answered
    queue_timeout     | 1795441250.0 | inbound   | timeout     | +15551230006 | 15551230006 |       |      | 0    |               | support:timeout
    blind_transfer    | 1795441275.0 | inbound   | answered    | +15551230007 | 15551230007 | Ivan  | 16   | 0    | sales@queues  | support:transferred sales:answered
    attended_transfer | 1795441302.0 | inbound   | transferred | +15551230008 | 15551230008 | Alice | 20   | 10.2 | 300@transfers | support:transferred
    hold              | 1795441382.0 | inbound   | answered    | +15551230010 | 15551230010 | Alice | 20   | 6    |               | support:answered
    outbound          | 1795441363.0 | outbound  | answered    | 101          | 15559876543 | Alice | 8.5  | 0    |               |
    """  # noqa: E501 - a table reads best on one line per call
)


@pytest.mark.parametrize("row", CALLS, ids=lambda row: f"{row['scenario']}-{row['linkedid']}")
def test_call(row: dict[str, str]) -> None:
    call = replay_capture(row["scenario"]).call(row["linkedid"])
    assert (call.direction.value, call.outcome.value) == (row["direction"], row["outcome"])
    assert (call.caller_number, call.dialed_number) == (row["caller"], row["dialed"])
    assert (call.agent or "", call.transfer_target or "") == (row["agent"], row["target"])
    talk = number(row["talk"])
    if talk is None:
        assert call.talk_s is None
    else:
        assert call.talk_s == pytest.approx(talk, abs=0.5)
    assert call.hold_s == pytest.approx(float(row["hold"]), abs=0.1)
    visits = " ".join(f"{v.queue}:{v.outcome.value}" for v in call.queue_visits)
    assert visits == row["visits"]
    assert not call.data_gap


@pytest.mark.parametrize("scenario", sorted({row["scenario"] for row in CALLS}))
def test_each_scenario_has_exactly_its_calls(scenario: str) -> None:
    expected = {row["linkedid"] for row in CALLS if row["scenario"] == scenario}
    assert {call.linkedid for call in replay_capture(scenario).calls} == expected


def test_outbound_click_to_dial_rings_the_agent_then_the_customer() -> None:
    call = replay_capture("outbound").call("1795441363.0")
    # Alice's phone rings 2 s, then the customer rings 3 s before answering.
    assert call.answered_at is not None
    assert (call.answered_at - call.started_at).total_seconds() == pytest.approx(5.0, abs=0.1)
    assert call.caller_name == "Alice"
    assert call.queue_visits == ()


def test_hold_is_counted_on_the_visit_too() -> None:
    (visit,) = replay_capture("hold").call("1795441382.0").queue_visits
    assert visit.hold_s == pytest.approx(6.0, abs=0.1)
    assert visit.talk_s == 20  # Asterisk's TalkTime includes the time on hold


def test_queue_timeout_counts_both_unanswered_rings() -> None:
    (visit,) = replay_capture("queue_timeout").call("1795441250.0").queue_visits
    assert (visit.ring_no_answer, visit.wait_s, visit.exit_position) == (2, 12, 1)
