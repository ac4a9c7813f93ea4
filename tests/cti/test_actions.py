"""PBX commands send exactly the actions real clients sent, and report what Asterisk said."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import pytest

from callcenter.cti import actions
from callcenter.cti.connection import AmiConnection
from callcenter.cti.protocol import (
    ActionRefused,
    AmiAction,
    AnswerLost,
    CommandError,
    NotConnected,
    OutcomeUnknown,
)
from tests.cti.amiserver import AmiServer, response
from tests.cti.pbxstate import encode
from tests.waiting import until

Command = Callable[[AmiConnection], Awaitable[object]]

# Each command and the action it must put on the wire (ActionID left out), written as the
# captures' actions.txt has them (`agent_states`, `outbound`, `blind_transfer`,
# `attended_transfer`), with the answer real Asterisk 22 gave.
CASES: list[tuple[str, Command, str, str]] = [
    (
        "click-to-dial",
        lambda pbx: actions.originate(
            pbx,
            interface="Local/101@agents/n",
            number="15559876543",
            context="outbound",
            caller_id='"Alice" <101>',
            ring_timeout_s=30,
            variables={"RING": "2", "AGENT_TALK": "60"},
        ),
        """Action: Originate
Async: true
CallerID: "Alice" <101>
Channel: Local/101@agents/n
Context: outbound
Exten: 15559876543
Priority: 1
Timeout: 30000
Variable: RING=2
Variable: AGENT_TALK=60""",
        "Originate successfully queued",
    ),
    (
        "log a member into a queue",
        lambda pbx: actions.add_queue_member(
            pbx,
            queue="support",
            interface="Local/103@agents/n",
            member_name="Carol",
            state_interface="Local/103@agents",
        ),
        """Action: QueueAdd
Interface: Local/103@agents/n
MemberName: Carol
Paused: false
Penalty: 0
Queue: support
StateInterface: Local/103@agents""",
        "Added interface to queue",
    ),
    (
        "log a member in paused",
        lambda pbx: actions.add_queue_member(
            pbx,
            queue="sales",
            interface="Local/103@agents/n",
            member_name="Carol",
            penalty=1,
            paused=True,
            reason="NotReady",
            state_interface="Local/103@agents",
        ),
        """Action: QueueAdd
Interface: Local/103@agents/n
MemberName: Carol
Paused: true
Penalty: 1
Queue: sales
Reason: NotReady
StateInterface: Local/103@agents""",
        "Added interface to queue",
    ),
    (
        "log a member out",
        lambda pbx: actions.remove_queue_member(
            pbx, queue="support", interface="Local/103@agents/n"
        ),
        """Action: QueueRemove
Interface: Local/103@agents/n
Queue: support""",
        "Removed interface from queue",
    ),
    (
        "pause in one queue",
        lambda pbx: actions.pause_member(
            pbx, interface="Local/103@agents/n", queue="support", reason="Lunch"
        ),
        """Action: QueuePause
Interface: Local/103@agents/n
Paused: true
Queue: support
Reason: Lunch""",
        "Interface paused successfully",
    ),
    (
        "pause in every queue",
        lambda pbx: actions.pause_member(pbx, interface="Local/101@agents/n", reason="Training"),
        """Action: QueuePause
Interface: Local/101@agents/n
Paused: true
Reason: Training""",
        "Interface paused successfully",
    ),
    (
        "unpause in every queue",
        lambda pbx: actions.unpause_member(pbx, interface="Local/101@agents/n"),
        """Action: QueuePause
Interface: Local/101@agents/n
Paused: false""",
        "Interface unpaused successfully",
    ),
    (
        "change a penalty",
        lambda pbx: actions.set_member_penalty(
            pbx, interface="Local/103@agents/n", penalty=2, queue="support"
        ),
        """Action: QueuePenalty
Interface: Local/103@agents/n
Penalty: 2
Queue: support""",
        "Interface penalty set successfully",
    ),
    (
        "blind transfer",
        lambda pbx: actions.blind_transfer(
            pbx, channel="Local/101@agents-00000001;1", exten="sales", context="queues"
        ),
        """Action: BlindTransfer
Channel: Local/101@agents-00000001;1
Context: queues
Exten: sales""",
        "Transfer succeeded",
    ),
    (
        "attended transfer",
        lambda pbx: actions.attended_transfer(
            pbx, channel="Local/101@agents-00000001;1", exten="300", context="transfers"
        ),
        """Action: Atxfer
Channel: Local/101@agents-00000001;1
Context: transfers
Exten: 300#""",
        "Atxfer successfully queued",
    ),
    (
        "hang up",
        lambda pbx: actions.hangup(pbx, channel="PJSIP/trunk-0000002a", cause=16),
        """Action: Hangup
Cause: 16
Channel: PJSIP/trunk-0000002a""",
        "Channel Hungup",
    ),
]


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(11)) as ami:
        yield ami


@pytest.fixture
async def pbx(server: AmiServer) -> AsyncIterator[AmiConnection]:
    connection = AmiConnection(server.target, first_retry=0.01, action_timeout=2.0)
    await connection.start()
    yield connection
    await connection.aclose()


def sent_without_action_id(raw: bytes) -> str:
    lines = raw.decode().split("\r\n")
    return "\n".join(line for line in lines if line and not line.startswith("ActionID: "))


@pytest.mark.parametrize(
    ("command", "wire", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_command_sends_the_exact_action_and_returns_asterisk_s_answer(
    server: AmiServer, pbx: AmiConnection, command: Command, wire: str, message: str
) -> None:
    result = await command(pbx)
    assert sent_without_action_id(server.raw_actions[-1]) == wire
    assert getattr(result, "message") == message  # noqa: B009 (two result types)


async def test_a_refused_command_raises_with_asterisk_s_reason(
    server: AmiServer, pbx: AmiConnection
) -> None:
    server.refuse["Hangup"] = "No such channel"
    with pytest.raises(ActionRefused, match="Asterisk refused Hangup: No such channel"):
        await actions.hangup(pbx, channel="PJSIP/1001-00000000")


async def test_a_line_break_in_a_value_is_refused_before_sending(
    server: AmiServer, pbx: AmiConnection
) -> None:
    sent = len(server.raw_actions)
    with pytest.raises(CommandError, match="contains a line break"):
        await actions.pause_member(pbx, interface="PJSIP/1001", reason="Lunch\r\nAction: Hangup")
    assert len(server.raw_actions) == sent


def originate_answering(reason: str) -> Callable[[Mapping[str, str], object], list[bytes]]:
    """An Originate responder that also reports the call's outcome, as Asterisk does."""

    def answer(action: Mapping[str, str], _: object) -> list[bytes]:
        action_id = action["ActionID"]
        outcome = encode(
            [
                ("Event", "OriginateResponse"),
                ("Privilege", "call,all"),
                ("ActionID", action_id),
                ("Response", "Success" if reason == "4" else "Failure"),
                ("Channel", "PJSIP/1001-00000007"),
                ("Context", "outbound"),
                ("Exten", "15559876543"),
                ("Reason", reason),
                ("Uniqueid", "1795441363.0"),
                ("CallerIDNum", "1001"),
                ("CallerIDName", "Alice"),
            ]
        )
        return [response(action_id, "Originate successfully queued"), outcome]

    return answer


async def test_originate_can_wait_for_the_answered_outcome(
    server: AmiServer, pbx: AmiConnection
) -> None:
    server.responders["Originate"] = originate_answering("4")
    result = await actions.originate(
        pbx, interface="PJSIP/1001", number="15559876543", context="outbound", wait_for_outcome=True
    )
    assert (result.answered, result.channel, result.uniqueid) == (
        True,
        "PJSIP/1001-00000007",
        "1795441363.0",
    )


async def test_originate_reports_a_busy_line(server: AmiServer, pbx: AmiConnection) -> None:
    server.responders["Originate"] = originate_answering("5")
    with pytest.raises(actions.OriginateFailed, match="busy"):
        await actions.originate(
            pbx,
            interface="PJSIP/1001",
            number="15559876543",
            context="outbound",
            wait_for_outcome=True,
        )


async def test_a_queued_originate_cut_off_before_its_outcome_is_unknown(
    server: AmiServer, pbx: AmiConnection
) -> None:
    dial = asyncio.create_task(
        actions.originate(
            pbx,
            interface="PJSIP/1001",
            number="15559876543",
            context="outbound",
            wait_for_outcome=True,
        )
    )
    await server.wait_for(lambda: server.count("Originate") == 1)
    await pbx.request({"Action": "Ping"})  # the "successfully queued" answer came first
    server.drop()
    with pytest.raises(OutcomeUnknown, match="before Asterisk reported how the action ended"):
        await dial
    assert server.count("Originate") == 1


async def test_an_originate_whose_answer_is_lost_is_never_sent_again(
    server: AmiServer, pbx: AmiConnection
) -> None:
    server.silent.add("Originate")
    dial = asyncio.create_task(
        actions.originate(pbx, interface="PJSIP/1001", number="15559876543", context="outbound")
    )
    await server.wait_for(lambda: server.count("Originate") == 1)
    server.drop()
    with pytest.raises(OutcomeUnknown, match="whether it took effect is unknown"):
        await dial
    await until(lambda: pbx.sessions == 2)
    await pbx.request({"Action": "Ping"})  # the new session is up, FullyBooted handled
    assert server.count("Originate") == 1


async def test_a_command_without_an_answer_in_time_has_an_unknown_outcome(
    server: AmiServer, pbx: AmiConnection
) -> None:
    server.silent.add("Hangup")
    pbx.action_timeout = 0.05
    with pytest.raises(OutcomeUnknown, match=r"did not answer Hangup within 0\.05 s"):
        await actions.hangup(pbx, channel="PJSIP/1001-00000000")


async def test_a_lost_read_only_answer_says_it_is_safe_to_ask_again(
    server: AmiServer, pbx: AmiConnection
) -> None:
    server.silent.add("QueueStatus")
    status = asyncio.create_task(pbx.request_list({"Action": "QueueStatus"}))
    await server.wait_for(lambda: server.count("QueueStatus") == 1)
    server.drop()
    with pytest.raises(AnswerLost, match="safe to send again"):
        await status


async def test_nothing_is_sent_while_disconnected(server: AmiServer, pbx: AmiConnection) -> None:
    await server.close()
    await until(lambda: not pbx.connected.is_set())
    with pytest.raises(NotConnected, match="nothing was sent"):
        await pbx.call(AmiAction({"Action": "Hangup", "Channel": "x"}), wait_connected=0)
