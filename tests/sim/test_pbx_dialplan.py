"""The simulated PBX's dial plan is the console context of docs/asterisk/extensions.conf.

Over AMI on TCP: `ShowDialPlan` lists what `console` takes (the PBX's queues by name, agents'
extensions 1000-3999, outside numbers) and refuses the rest with Asterisk 22's words (the
`blind_transfer_invalid` capture asked for a missing extension and a missing context);
`Originate` into a missing context or extension is refused as Asterisk refuses it, and a
blind transfer there drops the caller. There is no `from-internal`.
"""

from __future__ import annotations

import pytest

from callcenter.settings import Settings
from tests.sim.pbx_client import AmiTestClient, Message, logged_in, running_pbx, send_caller

CONSOLE = Settings().console_dial_context


async def list_dialplan(client: AmiTestClient, context: str, exten: str) -> list[Message]:
    """ShowDialPlan's answer: the reply, then (on success) its ListDialplan entries."""
    action_id = client.send("ShowDialPlan", ("Context", context), ("Extension", exten))
    reply = await client.response(action_id)
    if reply["Response"] != "Success":
        return [reply]
    await client.wait_for(
        lambda m: m.event == "ShowDialPlanComplete" and m.get("ActionID") == action_id
    )
    entries = [m for m in client.messages if m.event == "ListDialplan"]
    return [reply, *(m for m in entries if m.get("ActionID") == action_id)]


@pytest.mark.parametrize(
    ("exten", "extension", "goes_to"),
    [
        ("support", "support", "queues,support,1"),  # a queue by name
        ("sales", "sales", "queues,sales,1"),
        ("1001", "_[1-3]XXX", "phones,1001,1"),  # Alice's phone, PJSIP/1001
        ("2001", "_[1-3]XXX", "phones,2001,1"),
        ("4000", "_X.", "outbound,4000,1"),  # four digits but no agent's: outside
        ("0301234567", "_X.", "outbound,0301234567,1"),
        ("+4930123456", "_+X.", "outbound,+4930123456,1"),
    ],
)
async def test_the_console_context_takes_queues_agents_and_outside_numbers(
    exten: str, extension: str, goes_to: str
) -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        reply, *entries = await list_dialplan(client, CONSOLE, exten)
    assert reply["Response"] == "Success"
    assert [(e["Context"], e["Extension"], e["Application"]) for e in entries] == [
        (CONSOLE, extension, "Goto")
    ]
    assert entries[0]["AppData"].replace("${EXTEN}", exten) == goes_to


@pytest.mark.parametrize(
    ("context", "exten", "message"),
    [
        # The capture's words for a context and an extension the dial plan lacks.
        ("nosuchctx", "1", "Did not find context nosuchctx"),
        ("from-internal", "1001", "Did not find context from-internal"),
        (CONSOLE, "billing", "Did not find extension billing@console"),  # no such queue
        (CONSOLE, "n", "Did not find extension n@console"),  # a Local interface's options
        (CONSOLE, "7", "Did not find extension 7@console"),
        ("queues", "1001", "Did not find extension 1001@queues"),
    ],
)
async def test_what_the_dial_plan_lacks_is_refused_in_asterisks_words(
    context: str, exten: str, message: str
) -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        (reply,) = await list_dialplan(client, context, exten)
    assert (reply["Response"], reply["Message"]) == ("Error", message)


async def test_a_phone_lists_the_steps_that_dial_it() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        _, *entries = await list_dialplan(client, "phones", "1002")
    assert [(e["Priority"], e["Application"], e["AppData"]) for e in entries] == [
        ("1", "NoOp", "Internal call to ${EXTEN}"),
        ("2", "Dial", "PJSIP/${EXTEN},30,tT"),
        ("3", "Hangup", ""),
    ]


@pytest.mark.parametrize(
    ("context", "exten"),
    [("from-internal", "15559876543"), ("nosuchctx", "15559876543"), (CONSOLE, "n")],
)
async def test_click_to_dial_into_a_missing_context_or_extension_is_refused(
    context: str, exten: str
) -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        action_id = client.send(
            "Originate",
            ("Channel", "PJSIP/1002"),
            ("Context", context),
            ("Exten", exten),
            ("Async", "true"),
        )
        reply = await client.response(action_id)
    assert (reply["Response"], reply["Message"]) == ("Error", "Extension does not exist.")
    assert not pbx.board.calls


async def test_click_to_dial_in_the_console_context_rings_the_customer() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        action_id = client.send(
            "Originate",
            ("Channel", "PJSIP/1002"),
            ("Context", CONSOLE),
            ("Exten", "+15559876543"),
            ("CallerID", '"Bob" <1002>'),
            ("Async", "true"),
        )
        reply = await client.response(action_id)
        answered = await client.event("OriginateResponse")
    assert reply["Message"] == "Originate successfully queued"
    assert (answered["Response"], answered["Exten"], answered["Context"]) == (
        "Success",
        "+15559876543",
        CONSOLE,
    )


async def transfer_the_caller(exten: str, context: str | None) -> tuple[Message, object]:
    """Alice answers a caller and blind-transfers them; the BlindTransfer event and the
    caller's ground-truth record."""
    async with running_pbx() as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        connect = await client.event("AgentConnect")
        where = [("Context", context)] if context is not None else []
        client.send("BlindTransfer", ("Channel", connect["DestChannel"]), *where, ("Exten", exten))
        transfer = await client.event("BlindTransfer")
        await client.event("Hangup", Channel=connect["Channel"])
    (record,) = pbx.records
    return transfer, record


async def test_a_blind_transfer_to_an_extension_the_console_lacks_drops_the_caller() -> None:
    transfer, record = await transfer_the_caller("7", CONSOLE)
    assert (transfer["Result"], transfer["Context"], transfer["Extension"]) == (
        "Success",
        CONSOLE,
        "7",
    )
    # Asterisk: "sent to invalid extension but no invalid handler", the caller hung up.
    (visit,) = record.queue_visits  # type: ignore[attr-defined]
    assert (visit.outcome, visit.transfer_target) == ("answered", None)


async def test_a_blind_transfer_without_a_context_uses_the_agents_channel_context() -> None:
    # Alice's phone is a PJSIP endpoint in [phones]: 2001 there is Ivan's phone.
    transfer, record = await transfer_the_caller("2001", None)
    assert transfer["Context"] == "phones"
    (visit,) = record.queue_visits  # type: ignore[attr-defined]
    assert (visit.outcome, visit.transfer_target) == ("transferred", "2001@phones")
