"""Campaign calls over real TCP AMI: each far end's outcome, the dialplan's stages, the truth."""

from __future__ import annotations

import pytest

from callcenter.calls.records import CallOutcome, Direction
from callcenter.campaigns.enums import Outcome
from sim.pbx.pbx import SimulatedPbx
from tests.sim.pbx.campaign_pbx import PERSON, campaign_pbx, dial_customer
from tests.sim.pbx_client import AmiTestClient, Message, logged_in


def stamp(message: Message) -> float:
    return float(message["Timestamp"])


async def originate_response(client: AmiTestClient, action_id: str) -> Message:
    reply = await client.response(action_id)
    assert reply["Message"] == "Originate successfully queued"
    return await client.event("OriginateResponse", ActionID=action_id)


async def call_over(client: AmiTestClient, pbx: SimulatedPbx, count: int = 1) -> None:
    """Wait until `count` campaign calls are in the ground truth (their last Hangup went)."""
    await client.wait_for(lambda m: len(pbx.campaign_calls) >= count)


def story(client: AmiTestClient, channel: str, *names: str) -> list[str]:
    """The named events about one channel (as Channel or DestChannel), in order."""
    return [
        m.event
        for m in client.events(*names)
        if m.event and channel in (m.get("Channel"), m.get("DestChannel"))
    ]


@pytest.mark.parametrize(
    ("number", "outcome", "cause", "cause_txt", "dial_status"),
    [
        ("+15550000017", Outcome.BUSY, 17, "User busy", "BUSY"),
        ("+15550000034", Outcome.CONGESTION, 34, "Circuit/channel congestion", "CONGESTION"),
        ("+15550000001", Outcome.FAILED, 1, "Unallocated (unassigned) number", "NOANSWER"),
        ("+15550000021", Outcome.FAILED, 21, "Call Rejected", "NOANSWER"),
    ],
)
async def test_a_refused_dial_fails_with_the_trunks_cause(
    number: str, outcome: Outcome, cause: int, cause_txt: str, dial_status: str
) -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, number, attempt="17")
        failure = await originate_response(client, action_id)
        await call_over(client, pbx)
    assert failure.headers[:9] == [
        ("Event", "OriginateResponse"),
        ("Privilege", "call,all"),
        ("Timestamp", failure["Timestamp"]),
        ("ActionID", action_id),
        ("Response", "Failure"),
        ("Channel", f"PJSIP/{number}@trunk"),
        ("Context", "campaign-dial"),
        ("Exten", "s"),
        ("Reason", "0"),
    ]
    assert failure["Uniqueid"] == "<unknown>"
    assert (failure["CallerIDNum"], failure["CallerIDName"]) == ("+15550009999", "Acme Renewals")
    hangup = await client.event("Hangup")
    assert hangup["Channel"].startswith("PJSIP/trunk-")
    assert (hangup["Cause"], hangup["Cause-txt"]) == (str(cause), cause_txt)
    names = ("Newchannel", "NewCallerid", "DialBegin", "HangupRequest", "DialEnd", "Hangup")
    assert story(client, hangup["Channel"], *names) == list(names)
    assert (await client.event("DialEnd"))["DialStatus"] == dial_status
    assert (await client.event("DialBegin"))["DialString"] == f"{number}@trunk"
    # Every channel event comes before the OriginateResponse; no dialplan ran.
    assert client.messages.index(hangup) < client.messages.index(failure)
    assert not client.events("UserEvent", "QueueCallerJoin")
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.reason, truth.hangup_cause) == (outcome, 0, cause)
    assert (truth.attempt, truth.lead, truth.campaign, truth.queue) == ("17", "7", "3", "renewals")
    assert truth.linkedid == hangup["Uniqueid"]
    [record] = pbx.records
    assert record.direction is Direction.OUTBOUND
    assert (record.outcome, record.linkedid) == (CallOutcome.FAILED, hangup["Uniqueid"])
    assert (record.dialed_number, record.caller_number) == (number, "+15550009999")


async def test_nobody_answering_is_the_originate_timeout() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, "+15550000019", timeout_ms=5000)
        failure = await originate_response(client, action_id)
        await call_over(client, pbx)
    assert (failure["Response"], failure["Reason"]) == ("Failure", "3")
    begin, hangup = await client.event("DialBegin"), await client.event("Hangup")
    channel = hangup["Channel"]
    # The dial API hangs the ringing channel up itself: no HangupRequest, no DialEnd.
    names = ("Newstate", "DialState", "HangupRequest", "DialEnd", "Hangup")
    assert story(client, channel, *names) == ["Newstate", "DialState", "Hangup"]
    assert (hangup["Cause"], hangup["Cause-txt"]) == ("19", "User alerting, no answer")
    assert stamp(hangup) - stamp(begin) == pytest.approx(5.0, abs=0.01)
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.reason, truth.hangup_cause) == (Outcome.NO_ANSWER, 3, 19)


async def test_over_a_local_channel_busy_and_congestion_have_their_own_reasons() -> None:
    # As the real captures outbound_busy and outbound_congestion (a Local channel far end).
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        busy = dial_customer(client, "+15550000017", channel="Local/+15550000017@pstn/n")
        assert (await originate_response(client, busy))["Reason"] == "5"
        await call_over(client, pbx)
        congested = dial_customer(client, "+15550000034", channel="Local/+15550000034@pstn/n")
        assert (await originate_response(client, congested))["Reason"] == "8"
        await call_over(client, pbx, 2)
    one = (await client.event("Newchannel"))["Channel"]
    two = one.replace(";1", ";2")
    assert one.startswith("Local/+15550000017@pstn-") and one.endswith(";1")
    frames = [
        (m.event, m.get("Channel") or m.get("DestChannel"), m.get("Cause") or m.get("DialStatus"))
        for m in client.messages
        if m.event
        and (m.get("Channel") or m.get("DestChannel") or "").startswith("Local/+15550000017@")
        and m.event not in ("NewCallerid", "NewConnectedLine", "LocalBridge")
    ]
    assert frames == [
        ("Newchannel", one, None),
        ("Newchannel", two, None),
        ("DialBegin", one, None),
        ("Newstate", two, None),
        ("DialEnd", one, "BUSY"),
        ("HangupRequest", two, "0"),
        ("SoftHangupRequest", two, "16"),
        ("Hangup", one, "0"),
        ("OriginateResponse", "Local/+15550000017@pstn/n", None),
        ("Hangup", two, "17"),
    ]
    assert [(t.outcome, t.reason, t.hangup_cause) for t in pbx.campaign_calls] == [
        (Outcome.BUSY, 5, 17),
        (Outcome.CONGESTION, 8, 34),
    ]


async def test_channel_id_names_the_channel_and_the_originate_response() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        ids = "5eed0000-0000-4000-8000-000000000102", "5eed0000-0000-4000-8000-000000000108"
        person = client.send(
            "Originate",
            ("Channel", f"Local/{PERSON}@pstn/n"),
            ("Context", "campaign-dial"),
            ("Exten", "s"),
            ("Async", "true"),
            ("ChannelId", ids[0]),
            ("Variable", "CC_ATTEMPT=102"),
            ("Variable", "CC_QUEUE=renewals"),
        )
        bogus = client.send(
            "Originate",
            ("Channel", "Bogus/15550109998"),
            ("Context", "campaign-dial"),
            ("Exten", "s"),
            ("Async", "true"),
            ("ChannelId", ids[1]),
        )
        success, failure = (
            await originate_response(client, person),
            await originate_response(client, bogus),
        )
        connect = await client.event("AgentConnect")
        await call_over(client, pbx, 2)
    assert (success["Uniqueid"], failure["Uniqueid"]) == ids
    assert success["Channel"].endswith(";1")
    halves = [(m["Uniqueid"], m["Linkedid"]) for m in client.events("Newchannel")[:2]]
    assert halves == [(ids[0], ids[0]), (f"{ids[0]};2", ids[0])]
    assert (connect["Uniqueid"], connect["DestLinkedid"]) == (ids[0], ids[0])
    truth = {t.attempt: t for t in pbx.campaign_calls}
    assert truth["102"].linkedid == ids[0]
    assert [r.linkedid for r in pbx.records] == [ids[0]]


async def test_an_answering_machine_is_told_by_amd_and_hung_up() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, "+15550000099", amd=True, attempt="99")
        success = await originate_response(client, action_id)
        machine = await client.event("UserEvent", Stage="machine")
        await call_over(client, pbx)
    assert (success["Response"], success["Reason"]) == ("Success", "4")
    assert success["Channel"].startswith("PJSIP/trunk-")
    assert success["Uniqueid"] == machine["Uniqueid"]
    assert [k for k, _ in machine.headers[-5:]] == [
        "UserEvent",
        "Attempt",
        "Stage",
        "AmdStatus",
        "AmdCause",
    ]
    assert (machine["UserEvent"], machine["Attempt"], machine["Privilege"]) == (
        "CampaignCall",
        "99",
        "user,all",
    )
    assert machine["AmdStatus"] == "MACHINE"
    assert machine["AmdCause"].split("-")[0] in ("LONGGREETING", "MAXWORDS")
    assert stamp(machine) - stamp(success) == pytest.approx(3.0, abs=0.01)  # amd_machine
    hangup = await client.event("Hangup", Channel=success["Channel"])
    assert hangup["Cause"] == "16"
    assert not client.events("QueueCallerJoin", "AgentConnect")
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.amd_status) == (Outcome.MACHINE, "MACHINE")
    assert truth.amd_cause == machine["AmdCause"]


async def test_a_person_goes_into_the_campaign_queue_and_talks_with_an_agent() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, PERSON, attempt="100")
        success = await originate_response(client, action_id)
        await call_over(client, pbx)
    channel = success["Channel"]
    answered = await client.event("UserEvent", Stage="answered")
    assert (answered["Attempt"], answered["Channel"]) == ("100", channel)
    join = await client.event("QueueCallerJoin", Channel=channel)
    assert join["Queue"] == "renewals"
    connect = await client.event("AgentConnect", Channel=channel)
    assert (connect["MemberName"], connect["Queue"]) == ("Carol", "renewals")
    assert story(client, channel, "DialEnd", "OriginateResponse", "UserEvent", "QueueCallerJoin")[
        :4
    ] == ["DialEnd", "OriginateResponse", "UserEvent", "QueueCallerJoin"]
    complete = await client.event("AgentComplete", Channel=channel)
    assert (complete["Reason"], complete["TalkTime"]) == ("caller", "10")
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.agent, truth.reason) == (Outcome.ANSWERED, "Carol", 4)
    assert truth.talk_s == pytest.approx(10.0)
    assert truth.hangup_by == "caller"
    assert truth.uniqueid == success["Uniqueid"]
    [record] = pbx.records
    assert record.direction is Direction.OUTBOUND
    assert (record.outcome, record.agent) == (CallOutcome.ANSWERED, "Carol")
    assert record.linkedid == success["Uniqueid"]
    assert [v.queue for v in record.queue_visits] == ["renewals"]


async def test_a_person_is_put_through_to_the_reserved_agent() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, PERSON, agent="PJSIP/1003", attempt="101")
        success = await originate_response(client, action_id)
        await client.event("UserEvent", Stage="answered")
        end = await client.event("DialEnd", Channel=success["Channel"])
        # The agent hangs up at the console.
        hangup_id = client.send("Hangup", ("Channel", end["DestChannel"]))
        assert (await client.response(hangup_id))["Response"] == "Success"
        await call_over(client, pbx)
    begin = await client.event("DialBegin", Channel=success["Channel"])
    assert (begin["DestChannel"].split("-")[0], begin["DialString"]) == ("PJSIP/1003", "1003")
    assert (end["DialStatus"], end["DestLinkedid"]) == ("ANSWER", success["Uniqueid"])
    entered = [m["Channel"] for m in client.events("BridgeEnter")]
    assert entered == [end["DestChannel"], success["Channel"]]
    assert not client.events("QueueCallerJoin")
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.agent, truth.hangup_by) == (Outcome.ANSWERED, "Dave", "agent")
    assert truth.agent_interface == "PJSIP/1003"
    [record] = pbx.records
    assert (record.direction, record.agent) == (Direction.OUTBOUND, "Dave")


async def pause(client: AmiTestClient, interface: str) -> None:
    action_id = client.send("QueuePause", ("Interface", interface), ("Paused", "true"))
    assert (await client.response(action_id))["Response"] == "Success"


async def test_nobody_free_plays_the_message_at_once() -> None:
    # As outbound_abandoned: the queue's members paused, Queue() returns at once (JOINEMPTY).
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        await pause(client, "PJSIP/1003")
        await pause(client, "PJSIP/1004")
        action_id = dial_customer(client, PERSON, queue="winback", attempt="102")
        success = await originate_response(client, action_id)
        abandoned = await client.event("UserEvent", Stage="abandoned")
        await call_over(client, pbx)
    channel = success["Channel"]
    assert abandoned["Attempt"] == "102"
    assert stamp(abandoned) - stamp(success) < 0.01
    assert story(client, channel, "UserEvent", "QueueCallerJoin") == ["UserEvent", "UserEvent"]
    assert [m["Stage"] for m in client.events("UserEvent")] == ["answered", "abandoned"]
    assert abandoned["Priority"] == "12"
    hangup = await client.event("Hangup", Channel=channel)
    assert stamp(hangup) - stamp(abandoned) == pytest.approx(5.0, abs=0.01)  # message_s
    [truth] = pbx.campaign_calls
    assert truth.outcome is Outcome.ABANDONED
    assert truth.abandoned_at is not None and truth.answered_at is not None
    assert (truth.abandoned_at - truth.answered_at).total_seconds() < 0.01


async def test_after_amd_the_message_comes_when_amd_lets_the_person_through() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        await pause(client, "PJSIP/1003")
        await pause(client, "PJSIP/1004")
        action_id = dial_customer(client, PERSON, queue="winback", amd=True)
        success = await originate_response(client, action_id)
        abandoned = await client.event("UserEvent", Stage="abandoned")
        await call_over(client, pbx)
    assert stamp(abandoned) - stamp(success) == pytest.approx(2.2, abs=0.01)  # amd_person
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.amd_status) == (Outcome.ABANDONED, "HUMAN")


async def test_a_free_member_rings_past_the_queues_second_then_the_message() -> None:
    # winback's members ring out after 3 s: Queue()'s 1 s limit does not cut the ring short.
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, PERSON, queue="winback")
        success = await originate_response(client, action_id)
        abandoned = await client.event("UserEvent", Stage="abandoned")
        await call_over(client, pbx)
    channel = success["Channel"]
    assert story(
        client,
        channel,
        "QueueCallerJoin",
        "AgentRingNoAnswer",
        "QueueCallerAbandon",
        "QueueCallerLeave",
    ) == ["QueueCallerJoin", "AgentRingNoAnswer", "QueueCallerAbandon", "QueueCallerLeave"]
    assert stamp(abandoned) - stamp(success) == pytest.approx(3.0, abs=0.01)
    assert not client.events("AgentConnect")
    [record] = pbx.records
    assert [v.outcome.value for v in record.queue_visits] == ["timeout"]


async def test_a_reserved_agent_who_does_not_answer_is_given_up_after_dials_timeout() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, PERSON, agent="PJSIP/1009")
        success = await originate_response(client, action_id)
        abandoned = await client.event("UserEvent", Stage="abandoned")
        await call_over(client, pbx)
    end = await client.event("DialEnd", Channel=success["Channel"])
    assert end["DialStatus"] == "NOANSWER"
    assert stamp(abandoned) - stamp(success) == pytest.approx(10.0, abs=0.01)
    agent_hangup = await client.event("Hangup", Channel=end["DestChannel"])
    assert agent_hangup["Cause"] == "0"
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.agent) == (Outcome.ABANDONED, None)


async def test_the_customer_hanging_up_while_the_agent_rings_cancels_the_dial() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, PERSON, agent="PJSIP/1003")
        success = await originate_response(client, action_id)
        await client.event("DialState", Channel=success["Channel"])
        client.send("Hangup", ("Channel", success["Channel"]))
        await call_over(client, pbx)
    end = await client.event("DialEnd", Channel=success["Channel"])
    assert end["DialStatus"] == "CANCEL"
    assert not [m for m in client.events("UserEvent") if m["Stage"] == "abandoned"]
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.hangup_by) == (Outcome.ABANDONED, "caller")


async def test_a_person_at_a_console_talks_until_the_customer_hangs_up() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, PERSON, agent="PJSIP/1010", attempt="7")
        success = await originate_response(client, action_id)
        await call_over(client, pbx)
    answer = await client.event("DialEnd", Channel=success["Channel"])
    hangup = await client.event("HangupRequest", Channel=success["Channel"])
    assert stamp(hangup) - stamp(answer) == pytest.approx(10.0, abs=0.01)  # the talk draw
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.agent, truth.hangup_by) == (Outcome.ANSWERED, "Hana", "caller")


async def test_a_reserved_agent_who_is_busy_after_all_leaves_the_customer_to_the_message() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        first = dial_customer(client, PERSON, agent="PJSIP/1003", attempt="1")
        answered = await originate_response(client, first)
        await client.event("BridgeEnter", Channel=answered["Channel"])
        second = dial_customer(client, PERSON, agent="PJSIP/1003", attempt="2")
        await originate_response(client, second)
        await client.event("UserEvent", Stage="abandoned", Attempt="2")
        await call_over(client, pbx, 2)
    outcomes = {t.attempt: t.outcome for t in pbx.campaign_calls}
    assert outcomes == {"1": Outcome.ANSWERED, "2": Outcome.ABANDONED}


async def test_the_variables_are_on_the_channel() -> None:
    async with campaign_pbx(dialplan_events=True) as pbx, logged_in(pbx) as client:
        action_id = dial_customer(client, "+15550000019", attempt="55")
        begin = await client.event("DialBegin")
        channel = begin["DestChannel"]
        getvar = client.send("Getvar", ("Channel", channel), ("Variable", "CC_ATTEMPT"))
        reply = await client.response(getvar)
        missing = client.send("Getvar", ("Channel", "PJSIP/trunk-0000ffff"), ("Variable", "X"))
        assert (await client.response(missing))["Message"] == "No such channel"
        hang_up = client.send("Hangup", ("Channel", channel))
        failure = await originate_response(client, action_id)
        await client.response(hang_up)
        await call_over(client, pbx)
    assert reply.headers == [
        ("Response", "Success"),
        ("ActionID", getvar),
        ("Variable", "CC_ATTEMPT"),
        ("Value", "55"),
    ]
    var_sets = [(m["Variable"], m["Value"]) for m in client.events("VarSet")]
    # Set last to first, as Asterisk's dial API sets an Originate's variables.
    assert var_sets == [
        ("CC_AMD", "0"),
        ("CC_AGENT", ""),
        ("CC_QUEUE", "renewals"),
        ("CC_CAMPAIGN", "3"),
        ("CC_LEAD", "7"),
        ("CC_ATTEMPT", "55"),
    ]
    assert {m["Privilege"] for m in client.events("VarSet")} == {"dialplan,all"}
    # Hung up while it rang: the dial API reads the hang-up and the Originate fails.
    assert (failure["Response"], failure["Reason"]) == ("Failure", "0")
    [truth] = pbx.campaign_calls
    assert (truth.outcome, truth.hangup_cause) == (Outcome.FAILED, 16)


async def test_without_the_dialplan_class_there_is_no_var_set() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        await originate_response(client, dial_customer(client, "+15550000099", amd=True))
        await call_over(client, pbx)
    assert not client.events("VarSet")


async def test_the_trunk_and_number_form_and_an_unknown_driver() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        slash = dial_customer(client, "+15550000017", channel="PJSIP/trunk/+15550000017")
        bogus = dial_customer(client, "+15550000017", channel="Nope/+15550000017")
        assert (await originate_response(client, slash))["Channel"] == "PJSIP/trunk/+15550000017"
        failure = await originate_response(client, bogus)
        await call_over(client, pbx, 2)
    assert (await client.event("DialBegin"))["DialString"] == "trunk/+15550000017"
    assert (failure["Channel"], failure["Reason"]) == ("Nope/+15550000017", "0")
    assert len(client.events("Newchannel")) == 1  # no driver, no channel
    outcomes = {t.action_id: t.outcome for t in pbx.campaign_calls}
    assert outcomes == {slash: Outcome.BUSY, bogus: Outcome.FAILED}


async def test_click_to_dial_from_an_agent_still_rings_the_agent_first() -> None:
    async with campaign_pbx() as pbx, logged_in(pbx) as client:
        action_id = client.send(
            "Originate",
            ("Channel", "PJSIP/1002"),
            ("Context", "outbound"),
            ("Exten", "15557654321"),
            ("Priority", "1"),
            ("Async", "true"),
        )
        response = await client.event("OriginateResponse", ActionID=action_id)
    assert response["Channel"].startswith("PJSIP/1002-")
    assert not pbx.campaign_calls
