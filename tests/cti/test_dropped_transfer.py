"""A blind transfer Asterisk accepts but whose caller it then hangs up is no transfer.

The capture `blind_transfer_invalid` (Asterisk 22.10.1): Alice blind-transfers Gina to
`n@transfers`, an extension the dial plan lacks. Asterisk answers `Transfer succeeded`, emits
`BlindTransfer` with `Result: Success`, `AgentComplete` with Reason transfer, and hangs the
caller up at `transfers,n,1` ("sent to invalid extension but no invalid handler").
"""

from __future__ import annotations

from callcenter.calls.records import CallOutcome, VisitOutcome
from callcenter.events import CallTransferred
from tests.cti.captures import capture_bytes, replay, replay_capture

CALLER = "1796182032.0"


def test_the_dropped_caller_s_call_is_answered_not_transferred() -> None:
    played = replay_capture("blind_transfer_invalid")

    call = played.call(CALLER)
    (visit,) = call.queue_visits
    assert (visit.queue, visit.agent, visit.outcome) == ("support", "Alice", VisitOutcome.ANSWERED)
    assert visit.transfer_target is None
    assert call.outcome is CallOutcome.ANSWERED
    assert call.transfer_target is None
    assert call.caller_number == "+15551230007"
    # The attempt itself was seen and told (the console reports the failure).
    assert [e.target for e in played.events if isinstance(e, CallTransferred)] == ["n@transfers"]


def test_the_same_in_small_reads() -> None:
    played = replay(capture_bytes("blind_transfer_invalid"), chunks=[7, 31, 2])
    (visit,) = played.call(CALLER).queue_visits
    assert (visit.outcome, visit.transfer_target) == (VisitOutcome.ANSWERED, None)


def test_a_caller_who_reaches_the_target_is_still_transferred() -> None:
    played = replay_capture("blind_transfer")
    first, second = played.calls[0].queue_visits
    assert (first.outcome, first.transfer_target) == (VisitOutcome.TRANSFERRED, "sales@queues")
    assert second.queue == "sales"
