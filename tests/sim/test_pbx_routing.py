"""The simulated PBX routes DID callers over FastAGI (real TCP both ways) and honours the answer."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from callcenter.calls.records import CallOutcome
from callcenter.cli import main
from sim.pbx.agi_client import parse_agi_url
from sim.scenario import ScenarioError
from sim.scenario_file import parse_scenario
from tests.sim.agi_server import scripted_agi
from tests.sim.pbx_client import AmiTestClient, dial_did, logged_in, running_pbx
from tests.waiting import until

DID = "4930555000"
# support (DID 4930555000; Alice and Bob, answering after 2 s) and sales (Ivan).
ROUTED = f"""
seed = 1
server = "simpbx"

[[queue]]
name = "support"
numbers = ["{DID}"]
arrival_rate_per_hour = 1
member_timeout_s = 8
retry_s = 1
talk = {{ distribution = "deterministic", mean_s = 5 }}

[[queue]]
name = "sales"
numbers = ["4930555001"]
arrival_rate_per_hour = 1
talk = {{ distribution = "deterministic", mean_s = 5 }}

[[agent]]
name = "Alice"
interface = "PJSIP/1001"
queues = {{ support = 0 }}
ring = {{ distribution = "deterministic", mean_s = 2 }}

[[agent]]
name = "Bob"
interface = "PJSIP/1002"
queues = {{ support = 2 }}
ring = {{ distribution = "deterministic", mean_s = 2 }}
ring_no_answer_probability = {{bob_rna}}

[[agent]]
name = "Ivan"
interface = "PJSIP/2001"
queues = ["sales"]
ring = {{ distribution = "deterministic", mean_s = 2 }}
"""


def routed(bob_rna: float = 0.0) -> str:
    return ROUTED.replace("{bob_rna}", str(bob_rna))


async def pause_all(client: AmiTestClient) -> None:
    for interface, name in (("PJSIP/1001", "Alice"), ("PJSIP/1002", "Bob")):
        client.send("QueuePause", ("Interface", interface), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName=name)


async def test_a_vip_joins_ahead_of_regular_callers_who_came_first() -> None:
    vip = {"QUEUE": "support", "PRIORITY": "10", "ROUTE_REASON": "vip", "CUSTOMER_ID": "7"}
    async with (
        scripted_agi({"+4911": vip}) as agi,
        running_pbx(routed(), agi_url=agi.url) as pbx,
        logged_in(pbx) as client,
    ):
        await pause_all(client)
        for number in ("+4901", "+4902"):
            dial_did(client, number, "Regular", DID)
            await client.event("QueueCallerJoin", CallerIDNum=number)
        dial_did(client, "+4911", "Vera VIP", DID)
        join = await client.event("QueueCallerJoin", CallerIDNum="+4911")
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "false"))
        first = await client.event("AgentConnect")
    assert (join["Position"], join["Count"]) == ("1", "3")
    assert first["CallerIDNum"] == "+4911"  # the VIP is answered first, though she came last
    request = agi.requests[-1]
    assert request["agi_arg_1"] == DID and request["agi_callerid"] == "+4911"
    assert request["agi_uniqueid"] == join["Uniqueid"]
    assert request["agi_channel"] == join["Channel"]
    assert request["agi_network_script"] == "route" and request["agi_context"] == "from-trunk"
    assert set(agi.replies) == {"200 result=1"}
    starts = [m for m in client.events("AGIExecStart") if m["Uniqueid"] == join["Uniqueid"]]
    ends = [m for m in client.events("AGIExecEnd") if m["Uniqueid"] == join["Uniqueid"]]
    assert starts[0]["Command"] == 'SET VARIABLE QUEUE "support"'
    assert len(starts) == len(ends) == 10
    assert {m["ResultCode"] for m in ends} == {"200"}
    route = pbx.board.truth.routes[-1]
    assert (route.action, route.queue, route.priority) == ("queue", "support", 10)


async def test_the_preferred_member_is_rung_first_and_answers() -> None:
    answer = {"QUEUE": "support", "PREFERRED_MEMBER": "PJSIP/1002", "ROUTE_REASON": "open_ticket"}
    async with (
        scripted_agi({"+4921": answer}) as agi,
        running_pbx(routed(), agi_url=agi.url) as pbx,
        logged_in(pbx) as client,
    ):
        dial_did(client, "+4921", "Returning Customer", DID)
        begin = await client.event("DialBegin", CallerIDNum="+4921")
        answered = await client.event("DialEnd", DialStatus="ANSWER")
        await client.event("BridgeEnter", Channel=answered["DestChannel"])
        await until(lambda: len(pbx.records) == 1)
    assert begin["DialString"] == "1002"  # Dial's, without the technology
    assert begin["Context"] == "preferred"
    assert begin["DestChannel"].startswith("PJSIP/1002-")
    assert not client.events("QueueCallerJoin", "AgentCalled")  # Bob has penalty 2: Alice first
    (record,) = pbx.records
    assert record.agent == "Bob" and record.outcome is CallOutcome.ANSWERED
    assert record.queue_visits == ()
    assert pbx.board.truth.routes[-1].preferred_member == "Bob"


async def test_a_preferred_member_who_does_not_answer_leaves_the_caller_to_the_queue() -> None:
    answer = {"QUEUE": "support", "PREFERRED_MEMBER": "PJSIP/1002", "ROUTE_REASON": "known"}
    async with (
        scripted_agi({"+4922": answer}) as agi,
        running_pbx(routed(bob_rna=1.0), agi_url=agi.url, speed=100.0) as pbx,
        logged_in(pbx) as client,
    ):
        dial_did(client, "+4922", "Returning Customer", DID)
        no_answer = await client.event("DialEnd", DialStatus="NOANSWER")
        join = await client.event("QueueCallerJoin", CallerIDNum="+4922")
        await client.event("AgentConnect", MemberName="Alice")
    names = [m.event for m in client.messages if m.event]
    assert names.index("DialEnd") < names.index("QueueCallerJoin")
    assert no_answer["DestChannel"].startswith("PJSIP/1002-")
    assert join["Queue"] == "support"


async def test_a_blocked_caller_is_hung_up_without_queueing() -> None:
    blocked = {"QUEUE": "", "ROUTE_REASON": "blocked"}
    async with (
        scripted_agi({"+4931": blocked}) as agi,
        running_pbx(routed(), agi_url=agi.url) as pbx,
        logged_in(pbx) as client,
    ):
        dial_did(client, "+4931", "Blocked", DID)
        hangup = await client.event("Hangup", CallerIDNum="+4931")
        await until(lambda: len(pbx.records) == 1)
    assert not client.events("QueueCallerJoin")
    assert (hangup["Context"], hangup["Cause"]) == ("refused", "21")  # [refused] Hangup(21)
    assert pbx.records[0].queue_visits == ()
    assert pbx.board.truth.routes[-1].action == "blocked"


async def test_closed_goes_to_the_overflow_queue_the_answer_names() -> None:
    closed = {"QUEUE": "sales", "ROUTE_REASON": "closed"}
    async with (
        scripted_agi({"+4941": closed}) as agi,
        running_pbx(routed(), agi_url=agi.url) as pbx,
        logged_in(pbx) as client,
    ):
        dial_did(client, "+4941", "Late Caller", DID)
        join = await client.event("QueueCallerJoin", CallerIDNum="+4941")
    assert join["Queue"] == "sales"


async def test_max_penalty_leaves_members_above_it_unrung() -> None:
    # Only Bob (penalty 2) is free; QUEUE_MAX_PENALTY 1 allows Alice only, who is paused.
    answer = {"QUEUE": "support", "QUEUE_MAX_PENALTY": "1", "ROUTE_REASON": "rule"}
    async with (
        scripted_agi({"+4951": answer}) as agi,
        running_pbx(routed(), agi_url=agi.url) as pbx,
        logged_in(pbx) as client,
    ):
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        dial_did(client, "+4951", "German Caller", DID)
        await client.event("QueueCallerJoin", CallerIDNum="+4951")
        await asyncio.sleep(0.2)  # 10 simulated seconds: Bob would have been rung by now
        assert not client.events("AgentCalled")
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "false"))
        called = await client.event("AgentCalled")
    assert called["MemberName"] == "Alice"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_with_the_server_down_the_caller_reaches_the_default_queue_at_once() -> None:
    url = f"agi://127.0.0.1:{_closed_port()}/route"
    async with running_pbx(routed(), agi_url=url) as pbx, logged_in(pbx) as client:
        await client.event("FullyBooted")
        sent = time.monotonic()
        dial_did(client, "+4961", "Anyone", "4930555001")  # sales' DID: default is support
        join = await client.event("QueueCallerJoin", CallerIDNum="+4961")
        waited = time.monotonic() - sent
    assert join["Queue"] == "support"
    assert waited < 0.5
    assert not client.events("AGIExecStart")
    route = pbx.board.truth.routes[-1]
    assert (route.status, route.action) == ("FAILURE", "fallback")


async def test_without_a_routing_server_a_did_leads_straight_to_its_queue() -> None:
    async with running_pbx(routed()) as pbx, logged_in(pbx) as client:
        dial_did(client, "+4971", "Anyone", "4930555001")
        join = await client.event("QueueCallerJoin", CallerIDNum="+4971")
    assert join["Queue"] == "sales"
    assert not pbx.board.truth.routes


async def test_the_adapter_agrees_with_ground_truth_on_routed_calls() -> None:
    from tests.sim.test_pbx_adapter import adapter, assert_same_calls

    answers = {
        "+4981": {"QUEUE": "support", "PRIORITY": "10", "ROUTE_REASON": "vip"},
        "+4982": {"QUEUE": "support", "PREFERRED_MEMBER": "PJSIP/1002"},
        "+4983": {"QUEUE": "", "ROUTE_REASON": "blocked"},
        "+4984": {"QUEUE": "", "ROUTE_REASON": "closed"},
    }
    async with (
        scripted_agi(answers) as agi,
        running_pbx(routed(), agi_url=agi.url, speed=20.0) as pbx,
        adapter(pbx) as seen,
        logged_in(pbx) as client,
    ):
        for number in answers:
            dial_did(client, number, "Caller", DID)
            await client.event(
                "AGIExecEnd", CallerIDNum=number, Command='SET VARIABLE PREFERRED_EXTENSION ""'
            )
        await until(lambda: len(pbx.records) == 4 and len(seen) >= 4, timeout=20.0)
    by_number = {r.caller_number: r for r in pbx.records}
    assert by_number["+4982"].agent == "Bob"
    assert by_number["+4981"].queue_visits[0].agent == "Alice"
    assert_same_calls(pbx.records, seen)


async def test_a_caller_hanging_up_meanwhile_is_reported_to_the_server_as_agi_does() -> None:
    heard: list[bytes] = []

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()).strip():
            pass
        heard.append(await reader.readline())  # nothing answered: the caller gives up first
        writer.write(b'SET VARIABLE QUEUE "support"\n')  # the dead channel still answers
        await writer.drain()
        heard.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    url = f"agi://127.0.0.1:{server.sockets[0].getsockname()[1]}/route"
    try:
        async with running_pbx(routed(), agi_url=url) as pbx, logged_in(pbx) as client:
            dial_did(client, "+4991", "Impatient", DID)
            up = await client.event("Newstate", CallerIDNum="+4991")
            client.send("Hangup", ("Channel", up["Channel"]))
            await until(lambda: len(pbx.records) == 1 and not pbx.link.engine.calls)
    finally:
        server.close()
        await server.wait_closed()
    assert heard == [b"HANGUP\n", b"200 result=1\n"]
    assert pbx.records[0].outcome is CallOutcome.ABANDONED
    assert pbx.board.truth.routes[-1].action == "gone"


def test_a_bad_agi_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "pbx", "demo", "--agi", "http://127.0.0.1/route"]) == 2
    error = capsys.readouterr().err
    assert "not a FastAGI address like agi://127.0.0.1:4573/route" in error
    assert error.count("\n") == 1


def test_the_scenario_names_its_routing_server() -> None:
    scenario = parse_scenario(routed() + '\n[routing]\nagi = "agi://10.0.0.5/route"\n')
    assert scenario.routing.agi_url == "agi://10.0.0.5/route"
    assert parse_agi_url(scenario.routing.agi_url).port == 4573
    with pytest.raises(ScenarioError, match=r"routing\.default_queue: no queue named 'x'"):
        parse_scenario(routed() + '\n[routing]\nagi = "agi://h/route"\ndefault_queue = "x"\n')
    with pytest.raises(ScenarioError, match=r"routing\.agi: not a FastAGI address"):
        parse_scenario(routed() + '\n[routing]\nagi = "sip:h"\n')


async def test_the_queue_rule_widens_the_penalty_window_while_the_caller_waits() -> None:
    # Alice (penalty 0) paused: with QUEUE_MAX_PENALTY 0 nobody may answer; the [skills] rule
    # makes it 1 after 30 s (Bob, penalty 2, still out), then 100 after 60 s: Bob is called.
    answer = {"QUEUE": "support", "QUEUE_MAX_PENALTY": "0", "ROUTE_REASON": "rule"}
    async with (
        scripted_agi({"+4952": answer}) as agi,
        running_pbx(routed(), agi_url=agi.url, speed=100.0) as pbx,
        logged_in(pbx) as client,
    ):
        client.send("QueuePause", ("Interface", "PJSIP/1001"), ("Paused", "true"))
        await client.event("QueueMemberPause", MemberName="Alice")
        dial_did(client, "+4952", "Needs German", DID)
        join = await client.event("QueueCallerJoin", CallerIDNum="+4952")
        called = await client.event("AgentCalled", MemberName="Bob")
    waited = float(called["Timestamp"]) - float(join["Timestamp"])
    assert 59.5 <= waited <= 61.0


def test_the_demo_takes_a_routing_server_address(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--agi", "sip:router"])
    assert exited.value.code == 2
    assert "not a FastAGI address like agi://127.0.0.1:4573/route" in capsys.readouterr().err


def test_the_demo_routes_by_the_apps_own_server_unless_told_another() -> None:
    from callcenter.demo import demo_routing
    from callcenter.settings import Settings

    base = Settings(agi_listen=None)
    settings, url = demo_routing(base, None)
    assert settings.agi_listen is not None
    assert url == f"agi://{settings.agi_listen}/route"
    assert demo_routing(Settings(agi_listen="0.0.0.0:4580"), None)[1] == (
        "agi://127.0.0.1:4580/route"
    )
    assert demo_routing(base, "agi://10.0.0.9/route") == (base, "agi://10.0.0.9/route")
