"""The routing captures (tests/fixtures/ami/routing_*): what the dialplan's routing made
Asterisk 22.10.1 do, as the tracker records it. Their queue visits are checked against
queue_log with the other captures (test_captures.py); here what each scenario is about."""

from __future__ import annotations

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord, Direction
from callcenter.cti.pipeline import Pipeline
from callcenter.events import AgentRinging, AgentRingNoAnswer
from tests.cti.captures import capture_bytes, replay_capture


def _by_caller(name: str) -> dict[str, list[CallRecord]]:
    calls: dict[str, list[CallRecord]] = {}
    for call in sorted(replay_capture(name).calls, key=lambda c: c.started_at):
        calls.setdefault(call.caller_name or "", []).append(call)
    return calls


def test_a_vip_who_calls_later_is_answered_first() -> None:
    calls = _by_caller("routing_vip")
    (rolf,), (vera,) = calls["Rolf Regular"], calls["Vera VIP"]
    assert rolf.started_at < vera.started_at
    assert vera.answered_at is not None and rolf.answered_at is not None
    assert vera.answered_at < rolf.answered_at
    # Both joined at position 1: the VIP went in ahead of the caller already waiting.
    assert [rolf.queue_visits[0].position, vera.queue_visits[0].position] == [1, 1]
    assert (vera.queue_visits[0].wait_s or 0) < (rolf.queue_visits[0].wait_s or 0)


def test_the_preferred_agent_answers_outside_the_queue() -> None:
    first, again = _by_caller("routing_preferred")["Paul Preferred"]
    # Alice was free: her phone alone rang and she answered; the queue never saw the call.
    assert (first.direction, first.agent, first.queue_visits) == (Direction.INBOUND, "Alice", ())
    assert first.answered_at is not None and not first.data_gap
    # Alice was on a call the second time: straight to the queue, where Bob answered.
    assert again.agent == "Bob" and [v.agent for v in again.queue_visits] == ["Bob"]


def test_an_unanswered_preferred_ring_delays_the_queue_entry() -> None:
    (olga,) = _by_caller("routing_preferred")["Olga Ticket"]
    (visit,) = olga.queue_visits
    # PREFERRED_WAIT (8 s) of Bob's phone ringing, then the queue, where Alice answered.
    assert 7.5 < (visit.entered_at - olga.started_at).total_seconds() < 9
    assert visit.agent == "Alice" and visit.wait_s is not None and visit.wait_s < 3


def test_skills_pick_the_members_and_the_rule_widens_them() -> None:
    calls = _by_caller("routing_skills")
    (sven,), (eddi,) = calls["Sven Skills"], calls["Eddi Expert"]
    assert sven.agent == "Bob"  # penalty 1..1: Bob only
    # Penalty 0 (Alice, busy) until the [skills] rule let Bob in after 30 s.
    (visit,) = eddi.queue_visits
    assert visit.agent == "Bob" and visit.wait_s is not None and 30 <= visit.wait_s < 40


def test_the_agents_leg_inherits_the_customer_id() -> None:
    # [from-trunk] sets __CUSTOMER_ID from the server's CUSTOMER_ID: Asterisk copies it to
    # the member's channel it dials (VarSet on Local/1001@agents-...;1).
    frames = capture_bytes("routing_vip").decode().split("\r\n\r\n")
    inherited = set()
    for frame in frames:
        fields = dict(line.split(": ", 1) for line in frame.split("\r\n") if ": " in line)
        channel = fields.get("Channel", "")
        agents_leg = channel.startswith("Local/1001@agents-") and channel.endswith(";1")
        if agents_leg and fields.get("Variable") == "__CUSTOMER_ID":
            inherited.add(fields["Value"])
    assert inherited == {"101", "102", "110"}


def test_blocked_and_closed_callers_are_inbound_calls_that_never_queue() -> None:
    calls = _by_caller("routing_paths")
    (blocked,), (closed,) = calls["Bob Blocked"], calls["Cora Closed"]
    for call in (blocked, closed):
        assert call.direction is Direction.INBOUND and call.dialed_number == "4930555000"
        assert call.queue_visits == () and call.answered_at is None and not call.data_gap
    # Refused before any answer: gone within a second.
    assert (blocked.ended_at - blocked.started_at).total_seconds() < 1
    (overflow,) = calls["Carl Overflow"]
    assert [v.queue for v in overflow.queue_visits] == ["sales"]


def test_the_preferred_agents_phone_pops_their_console_and_a_ring_out_ends_the_pop() -> None:
    replayed = replay_capture("routing_preferred")
    calls = {call.linkedid: call.caller_name for call in replayed.calls}
    rings = [e for e in replayed.events if isinstance(e, AgentRinging)]
    direct = [(calls[e.linkedid], e.agent, e.queue) for e in rings if not e.queue]
    # Paul's first call rang Alice alone (answered); Olga's rang Bob alone (8 s, unanswered).
    assert direct == [("Paul Preferred", "Alice", ""), ("Olga Ticket", "Bob", "")]
    assert all(e.caller_number and e.interface.startswith(("PJSIP/", "Local/")) for e in rings)
    missed = [e for e in replayed.events if isinstance(e, AgentRingNoAnswer) and not e.queue]
    assert [(calls[e.linkedid], e.agent) for e in missed] == [("Olga Ticket", "Bob")]
    # The queue's own rings pop as before, once each.
    queued = [(calls[e.linkedid], e.agent, e.queue) for e in rings if e.queue]
    assert len(queued) == len(set(queued))


def test_the_console_finds_the_preferred_agents_leg_of_a_call_that_never_queued() -> None:
    # Paul's first call: Alice answers her phone's Dial from [preferred]. While they talk, the
    # console's hold, transfer and hangup go to her leg of that call (Local/1001@agents ;1).
    pipeline = Pipeline(server="pbx", bus=Bus())
    legs: set[str | None] = set()
    for frame in capture_bytes("routing_preferred").split(b"\r\n\r\n"):
        pipeline.feed_bytes(frame + b"\r\n\r\n")
        if b"Event: BridgeEnter" in frame and b"Local/4930555000@trunk-00000000;1" in frame:
            legs.add(pipeline.tracker.agent_channel("Local/1001@agents/n", "1796211431.0"))
    assert legs == {"Local/1001@agents-00000001;1"}
