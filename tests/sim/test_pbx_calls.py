"""Simulated calls as AMI, compared with the real Asterisk 22 captures (tests/fixtures/ami)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callcenter.calls.records import CallOutcome, VisitOutcome
from tests.sim.pbx_client import (
    AmiTestClient,
    Message,
    logged_in,
    running_pbx,
    scripted_scenario,
    send_caller,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ami"
# The events a call's story is told by (VarSet, Newexten, Cdr, DeviceStateChange left out).
KEY_EVENTS = {
    "QueueCallerJoin",
    "AgentCalled",
    "AgentRingNoAnswer",
    "DialBegin",
    "DialEnd",
    "QueueMemberStatus",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentConnect",
    "BridgeEnter",
    "BridgeLeave",
    "AgentComplete",
}
UNIQUEID = re.compile(r"^\d{10}\.\d+$")


def capture_key_events(scenario: str) -> list[str]:
    """Key event names of a capture, in order, up to the final status lists."""
    raw = (FIXTURES / scenario / "ami.raw").read_bytes().decode("utf-8")
    names = [line[7:] for line in raw.split("\r\n") if line.startswith("Event: ")]
    return [name for name in names if name in KEY_EVENTS]


def key_events(client: AmiTestClient) -> list[str]:
    return [m.event for m in client.events(*KEY_EVENTS) if m.event]


async def wait_caller_gone(client: AmiTestClient, join: Message) -> None:
    await client.event("Hangup", Channel=join["Channel"])


@pytest.mark.parametrize(
    ("capture", "scenario"),
    [
        ("answered", scripted_scenario()),
        ("ring_no_answer", scripted_scenario(alice_rna=1.0)),
    ],
)
async def test_a_call_tells_the_story_of_its_capture(capture: str, scenario: str) -> None:
    async with running_pbx(scenario, local_channels=True) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        join = await client.event("QueueCallerJoin")
        await wait_caller_gone(client, join)
    assert key_events(client) == capture_key_events(capture)


async def test_console_hang_up_tells_the_story_of_the_agent_hangup_capture() -> None:
    scenario = scripted_scenario(bob_human=True)
    async with running_pbx(scenario, local_channels=True) as pbx, logged_in(pbx) as client:
        client.send("QueuePause", ("Interface", "Local/1001@agents/n"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230002", "Ben Customer")
        connect = await client.event("AgentConnect")
        client.send("Hangup", ("Channel", connect["DestChannel"]))
        await wait_caller_gone(client, connect)
    assert key_events(client) == capture_key_events("agent_hangup")


async def test_blind_transfer_tells_the_story_of_the_blind_transfer_capture() -> None:
    scenario = scripted_scenario(bob_human=True)
    async with running_pbx(scenario, local_channels=True) as pbx, logged_in(pbx) as client:
        client.send("QueuePause", ("Interface", "Local/1001@agents/n"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230007", "Gina Customer")
        connect = await client.event("AgentConnect")
        client.send(
            "BlindTransfer",
            ("Channel", connect["DestChannel"]),
            ("Context", "queues"),
            ("Exten", "sales"),
        )
        await wait_caller_gone(client, connect)
    assert key_events(client) == capture_key_events("blind_transfer")


async def test_answered_call_times_as_in_the_answered_capture() -> None:
    async with running_pbx(local_channels=True) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        join = await client.event("QueueCallerJoin")
        await wait_caller_gone(client, join)
    connect, complete = client.events("AgentConnect")[0], client.events("AgentComplete")[0]
    assert (connect["MemberName"], connect["HoldTime"], connect["RingTime"]) == ("Alice", "2", "2")
    assert (complete["HoldTime"], complete["TalkTime"], complete["Reason"]) == ("2", "5", "caller")


async def test_local_channel_naming_and_identifiers_follow_the_capture_pbx() -> None:
    async with running_pbx(local_channels=True) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        join = await client.event("QueueCallerJoin")
        called = await client.event("AgentCalled")
        await wait_caller_gone(client, join)
    assert join["Channel"] == "Local/15551230001@customer-00000000;1"
    assert called["DestChannel"] == "Local/1001@agents-00000001;1"
    assert called["Interface"] == "Local/1001@agents/n"
    assert UNIQUEID.match(join["Uniqueid"]) and join["Uniqueid"] == join["Linkedid"]
    assert called["DestLinkedid"] == join["Uniqueid"] != called["DestUniqueid"]
    statuses = [m["Status"] for m in client.events("QueueMemberStatus")]
    assert statuses == ["2", "1"]  # Local channels have no ringing device state


async def test_production_naming_puts_callers_on_a_trunk_and_rings_sip_phones() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        join = await client.event("QueueCallerJoin")
        called = await client.event("AgentCalled")
        await wait_caller_gone(client, join)
    assert re.match(r"^PJSIP/trunk-[0-9a-f]{8}$", join["Channel"])
    assert re.match(r"^PJSIP/1001-[0-9a-f]{8}$", called["DestChannel"])
    statuses = [(m["MemberName"], m["Status"]) for m in client.events("QueueMemberStatus")]
    assert statuses == [("Alice", "6"), ("Alice", "2"), ("Alice", "1")]
    (record,) = pbx.records
    assert (record.outcome, record.agent, record.linkedid) == (
        CallOutcome.ANSWERED,
        "Alice",
        join["Linkedid"],
    )
    (visit,) = record.queue_visits
    assert (visit.wait_s, visit.ring_s, visit.talk_s, visit.hangup_by) == (2.0, 2.0, 5.0, "caller")


async def test_abandoned_caller() -> None:
    scenario = scripted_scenario(patience_s=8)
    async with running_pbx(scenario) as pbx, logged_in(pbx) as client:
        for interface in ("PJSIP/1001", "PJSIP/1002"):
            client.send(
                "QueuePause", ("Interface", interface), ("Paused", "true"), ("Reason", "Break")
            )
        await client.event("QueueMemberPause", MemberName="Bob")
        send_caller(client, "15551230004", "Dan Customer")
        join = await client.event("QueueCallerJoin")
        abandon = await client.event("QueueCallerAbandon")
        await wait_caller_gone(client, join)
    after_join = [m.event for m in client.events() if m.event in KEY_EVENTS | {"Hangup"}]
    assert after_join[-3:] == ["QueueCallerAbandon", "QueueCallerLeave", "Hangup"]
    assert (abandon["Position"], abandon["OriginalPosition"], abandon["HoldTime"]) == (
        "1",
        "1",
        "8",
    )
    (record,) = pbx.records
    assert record.outcome is CallOutcome.ABANDONED
    assert (record.queue_visits[0].wait_s, record.queue_visits[0].hangup_by) == (8.0, "caller")


async def test_ring_no_answer_then_the_next_member_answers() -> None:
    async with running_pbx(scripted_scenario(alice_rna=1.0)) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230005", "Eve Customer")
        join = await client.event("QueueCallerJoin")
        await wait_caller_gone(client, join)
    rna = client.events("AgentRingNoAnswer")[0]
    assert (rna["MemberName"], rna["RingTime"]) == ("Alice", "8000")
    dial_ends = [m["DialStatus"] for m in client.events("DialEnd")]
    assert dial_ends == ["NOANSWER", "CANCEL", "ANSWER"]
    connect = client.events("AgentConnect")[0]
    # 8 s ring-out, 1 s retry, 2 s ring: as in the ring_no_answer capture.
    assert (connect["MemberName"], connect["HoldTime"], connect["RingTime"]) == ("Bob", "11", "2")
    visit = pbx.records[0].queue_visits[0]
    assert (visit.agent, visit.ring_no_answer, visit.outcome) == ("Bob", 1, VisitOutcome.ANSWERED)


async def test_human_agent_call_lasts_until_the_console_hangs_up() -> None:
    async with running_pbx(scripted_scenario(bob_human=True)) as pbx, logged_in(pbx) as client:
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230002", "Ben Customer")
        connect = await client.event("AgentConnect")
        reply = await client.response(client.send("Hangup", ("Channel", connect["DestChannel"])))
        complete = await client.event("AgentComplete")
        await wait_caller_gone(client, connect)
    assert connect["MemberName"] == "Bob"
    assert reply["Message"] == "Channel Hungup"
    assert complete["Reason"] == "agent"
    (record,) = pbx.records
    assert (record.outcome, record.agent, record.queue_visits[0].hangup_by) == (
        CallOutcome.ANSWERED,
        "Bob",
        "agent",
    )


async def test_blind_transfer_to_another_queue_makes_two_visits() -> None:
    async with running_pbx(scripted_scenario(bob_human=True)) as pbx, logged_in(pbx) as client:
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230007", "Gina Customer")
        connect = await client.event("AgentConnect")
        reply = await client.response(
            client.send(
                "BlindTransfer",
                ("Channel", connect["DestChannel"]),
                ("Context", "queues"),
                ("Exten", "sales"),
            )
        )
        transfer = await client.event("BlindTransfer")
        first = await client.event("AgentComplete", Queue="support")
        await client.event("QueueCallerJoin", Queue="sales")
        await client.event("AgentComplete", Queue="sales")
        await wait_caller_gone(client, connect)
    assert reply["Message"] == "Transfer succeeded"
    assert (transfer["TransfereeChannel"], transfer["Extension"]) == (connect["Channel"], "sales")
    assert first["Reason"] == "transfer"
    (record,) = pbx.records
    assert [(v.queue, v.outcome, v.agent) for v in record.queue_visits] == [
        ("support", VisitOutcome.TRANSFERRED, "Bob"),
        ("sales", VisitOutcome.ANSWERED, "Ivan"),
    ]
    assert record.queue_visits[0].transfer_target == "sales@queues"


async def test_attended_transfer_completes_when_the_agent_hangs_up() -> None:
    async with running_pbx(scripted_scenario(bob_human=True)) as pbx, logged_in(pbx) as client:
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230008", "Hank Customer")
        connect = await client.event("AgentConnect")
        agent = connect["DestChannel"]
        client.send("Atxfer", ("Channel", agent), ("Context", "transfers"), ("Exten", "300"))
        await client.event("Hold", Channel=agent)
        await client.event("DialEnd", DialStatus="ANSWER", DestExten="300")
        client.send("Hangup", ("Channel", agent))
        transfer = await client.event("AttendedTransfer")
        complete = await client.event("AgentComplete")
        await wait_caller_gone(client, connect)
    assert transfer["TransfereeChannel"] == connect["Channel"]
    assert transfer["TransferTargetChannel"].startswith("PJSIP/300-")
    assert complete["Reason"] == "transfer"
    (record,) = pbx.records
    assert (record.outcome, record.transfer_target) == (CallOutcome.TRANSFERRED, "300@transfers")
    assert record.queue_visits[0].agent == "Bob"


async def test_click_to_dial_from_an_agent_interface() -> None:
    async with running_pbx(scripted_scenario(bob_human=True)) as pbx, logged_in(pbx) as client:
        action_id = client.send(
            "Originate",
            ("Channel", "PJSIP/1002"),
            ("Context", "outbound"),
            ("Exten", "15559876543"),
            ("CallerID", '"Bob" <1002>'),
            ("Async", "true"),
        )
        reply = await client.response(action_id)
        answered = await client.event("OriginateResponse")
        await client.event("BridgeEnter", BridgeNumChannels="2")
        client.send("Hangup", ("Channel", answered["Channel"]))
        await client.event("Hangup", Channel=answered["Channel"])
    assert reply["Message"] == "Originate successfully queued"
    assert (answered["ActionID"], answered["Response"], answered["Reason"]) == (
        action_id,
        "Success",
        "4",
    )
    (record,) = pbx.records
    assert (record.direction.value, record.dialed_number, record.agent) == (
        "outbound",
        "15559876543",
        "Bob",
    )
    assert record.answered_at is not None


async def test_pbx_clock_runs_at_the_given_speed() -> None:
    # At 40x the PBX's own clock (Timestamp headers) shows the simulated 5 s of talk.
    async with running_pbx(speed=40.0) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        join = await client.event("QueueCallerJoin")
        connect = await client.event("AgentConnect")
        complete = await client.event("AgentComplete")
        await wait_caller_gone(client, join)
    talked = float(complete["Timestamp"]) - float(connect["Timestamp"])
    assert abs(talked - 5.0) < 0.01
    assert pbx.clock.speed == 40.0


async def test_queue_timeout_sends_the_caller_on_to_voicemail() -> None:
    scenario = scripted_scenario().replace("retry_s = 1\n", "retry_s = 1\ntimeout_s = 12\n", 1)
    async with running_pbx(scenario) as pbx, logged_in(pbx) as client:
        for interface in ("PJSIP/1001", "PJSIP/1002"):
            client.send("QueuePause", ("Interface", interface), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Bob")
        send_caller(client, "15551230006", "Finn Customer")
        join = await client.event("QueueCallerJoin")
        timeout = await client.event("QueueCallerAbandon")
        leave = await client.event("QueueCallerLeave")
        hangup = await client.event("Hangup", Channel=join["Channel"])
    assert timeout["HoldTime"] == "12"
    # Unlike an abandon, the caller's channel lives on (voicemail) after leaving the queue.
    assert float(hangup["Timestamp"]) - float(leave["Timestamp"]) == pytest.approx(4.0, abs=0.01)
    (record,) = pbx.records
    assert (record.outcome, record.queue_visits[0].outcome) == (
        CallOutcome.TIMEOUT,
        VisitOutcome.TIMEOUT,
    )


async def test_hold_and_unhold_as_in_the_hold_capture() -> None:
    scenario = scripted_scenario().replace("mean_s = 5 }", "mean_s = 20 }", 1)
    async with running_pbx(scenario, hold_share=1.0) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230010", "Ivy Customer")
        join = await client.event("QueueCallerJoin")
        hold = await client.event("Hold")
        unhold = await client.event("Unhold")
        await wait_caller_gone(client, join)
    story = [
        m.event
        for m in client.events("Hold", "Unhold", "MusicOnHoldStart", "MusicOnHoldStop")
        if m.get("Channel") in (join["Channel"], hold["Channel"])
    ]
    # Queue music, then the agent's hold music (Hold on the agent channel, music to the caller).
    assert story == [
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "Hold",
        "MusicOnHoldStart",
        "Unhold",
        "MusicOnHoldStop",
    ]
    assert hold["Channel"] == client.events("AgentConnect")[0]["DestChannel"]
    assert float(unhold["Timestamp"]) - float(hold["Timestamp"]) == pytest.approx(6.0, abs=0.01)
    (record,) = pbx.records
    assert record.hold_s == pytest.approx(6.0)
    assert record.queue_visits[0].hold_s == pytest.approx(6.0)


async def test_redirect_of_the_caller_to_another_queue() -> None:
    async with running_pbx(scripted_scenario(bob_human=True)) as pbx, logged_in(pbx) as client:
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        send_caller(client, "15551230007", "Gina Customer")
        connect = await client.event("AgentConnect")
        reply = await client.response(
            client.send(
                "Redirect",
                ("Channel", connect["Channel"]),
                ("Context", "queues"),
                ("Exten", "sales"),
                ("Priority", "1"),
            )
        )
        join = await client.event("QueueCallerJoin", Queue="sales")
        await wait_caller_gone(client, connect)
    assert reply["Message"] == "Redirect successful"
    assert join["Uniqueid"] == connect["Uniqueid"]  # the same caller channel moves on
    (record,) = pbx.records
    assert [(v.queue, v.outcome) for v in record.queue_visits] == [
        ("support", VisitOutcome.TRANSFERRED),
        ("sales", VisitOutcome.ANSWERED),
    ]
