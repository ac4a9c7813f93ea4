"""The simulated PBX's AMI server over real TCP: login, Ping, Events, replies and event lists."""

from __future__ import annotations

import pytest

from tests.sim.pbx_client import AmiTestClient, logged_in, running_pbx, send_caller


async def test_banner_and_login_accepted() -> None:
    async with running_pbx() as pbx:
        client = await AmiTestClient.connect(pbx.port)
        try:
            reply = await client.login("crm", "crmsecret")
            booted = await client.event("FullyBooted")
        finally:
            await client.close()
    assert client.banner == b"Asterisk Call Manager/11.0.0\r\n"
    assert reply.headers == [
        ("Response", "Success"),
        ("ActionID", "t-1"),
        ("Message", "Authentication accepted"),
    ]
    assert booted["Privilege"] == "system,all"


@pytest.mark.parametrize(
    ("username", "secret"),
    [("crm", "wrong"), ("intruder", "crmsecret")],
)
async def test_login_refused(username: str, secret: str) -> None:
    async with running_pbx() as pbx:
        client = await AmiTestClient.connect(pbx.port)
        try:
            reply = await client.login(username, secret)
            ping = await client.response(client.send("Ping"))
        finally:
            await client.close()
    assert (reply["Response"], reply["Message"]) == ("Error", "Authentication failed")
    assert (ping["Response"], ping["Message"]) == ("Error", "Authentication Required")


async def test_ping_answers_pong_with_timestamp() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        reply = await client.response(client.send("Ping"))
    assert [key for key, _ in reply.headers] == ["Response", "ActionID", "Ping", "Timestamp"]
    assert reply["Ping"] == "Pong"
    assert float(reply["Timestamp"]) > 1.7e9


async def test_unknown_action_is_an_error_with_its_action_id() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        action_id = client.send("Frobnicate")
        reply = await client.response(action_id)
    assert reply["ActionID"] == action_id
    assert reply["Response"] == "Error"
    assert reply["Message"].startswith("Invalid/unknown command: Frobnicate.")


async def test_queue_status_lists_params_and_members_then_completes() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        action_id = client.send("QueueStatus")
        done = await client.event("QueueStatusComplete")
    listed = [m for m in client.messages if m.get("ActionID") == action_id]
    assert [(m.get("Response"), m.event) for m in listed] == [
        ("Success", None),
        (None, "QueueParams"),
        (None, "QueueMember"),
        (None, "QueueMember"),
        (None, "QueueParams"),
        (None, "QueueMember"),
        (None, "QueueStatusComplete"),
    ]
    assert listed[0]["EventList"] == "start"
    assert listed[0]["Message"] == "Queue status will follow"
    assert {m["Name"] for m in listed[2:4]} == {"Alice", "Bob"}
    assert (done["EventList"], done["ListItems"]) == ("Complete", "5")


async def test_queue_summary_counts_members() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        client.send("QueueSummary", ("Queue", "support"))
        summary = await client.event("QueueSummary")
        done = await client.event("QueueSummaryComplete")
    assert (summary["Queue"], summary["LoggedIn"], summary["Available"]) == ("support", "2", "2")
    assert done["ListItems"] == "1"


async def test_core_show_channels_lists_a_waiting_caller() -> None:
    # Both agents paused: the caller waits in the queue.
    async with running_pbx() as pbx, logged_in(pbx) as client:
        for interface in ("PJSIP/1001", "PJSIP/1002"):
            await client.response(
                client.send("QueuePause", ("Interface", interface), ("Paused", "true"))
            )
        send_caller(client, "15551230001", "Ann Customer")
        await client.event("QueueCallerJoin")
        action_id = client.send("CoreShowChannels")
        done = await client.event("CoreShowChannelsComplete")
    channels = [m for m in client.events("CoreShowChannel") if m.get("ActionID") == action_id]
    assert [m["Channel"] for m in channels] == ["PJSIP/trunk-00000000"]
    assert channels[0].headers[1] == ("ActionID", action_id)
    assert channels[0]["CallerIDNum"] == "15551230001"
    assert done["ListItems"] == "1"


async def test_events_off_stops_events_for_that_client_only() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as quiet, logged_in(pbx) as loud:
        reply = await quiet.response(quiet.send("Events", ("EventMask", "off")))
        send_caller(loud, "15551230001", "Ann Customer")
        await loud.event("QueueCallerJoin")
        await quiet.response(quiet.send("Ping"))
    assert reply.headers == [("Response", "Success"), ("ActionID", "t-2"), ("Events", "Off")]
    assert not quiet.events("QueueCallerJoin", "Newchannel")


async def test_queue_add_and_remove_reply_and_emit_member_events() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        added = await client.response(
            client.send(
                "QueueAdd",
                ("Queue", "support"),
                ("Interface", "PJSIP/1003"),
                ("MemberName", "Carol"),
                ("Penalty", "1"),
            )
        )
        event = await client.event("QueueMemberAdded")
        again = await client.response(
            client.send("QueueAdd", ("Queue", "support"), ("Interface", "PJSIP/1003"))
        )
        removed = await client.response(
            client.send("QueueRemove", ("Queue", "support"), ("Interface", "PJSIP/1003"))
        )
        gone = await client.event("QueueMemberRemoved")
        missing = await client.response(
            client.send("QueueRemove", ("Queue", "support"), ("Interface", "PJSIP/1003"))
        )
    assert added["Message"] == "Added interface to queue"
    assert (event["MemberName"], event["Membership"], event["Penalty"]) == ("Carol", "dynamic", "1")
    assert (again["Response"], again["Message"]) == (
        "Error",
        "Unable to add interface: Already there",
    )
    assert removed["Message"] == "Removed interface from queue"
    assert gone["Interface"] == "PJSIP/1003"
    assert missing["Message"] == "Unable to remove interface: Not there"


async def test_pause_with_reason_and_unpause() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        paused = await client.response(
            client.send(
                "QueuePause",
                ("Interface", "PJSIP/1002"),
                ("Paused", "true"),
                ("Queue", "support"),
                ("Reason", "Break"),
            )
        )
        pause = await client.event("QueueMemberPause", Paused="1")
        unpaused = await client.response(
            client.send("QueuePause", ("Interface", "PJSIP/1002"), ("Paused", "false"))
        )
        resume = await client.event("QueueMemberPause", Paused="0")
        unknown = await client.response(
            client.send("QueuePause", ("Interface", "PJSIP/9999"), ("Paused", "true"))
        )
    assert paused["Message"] == "Interface paused successfully"
    assert (pause["MemberName"], pause["PausedReason"], pause["Privilege"]) == (
        "Bob",
        "Break",
        "agent,all",
    )
    assert int(pause["LastPause"]) > 0
    assert unpaused["Message"] == "Interface unpaused successfully"
    assert resume["PausedReason"] == ""
    assert (unknown["Response"], unknown["Message"]) == ("Error", "Interface not found")


async def test_hangup_of_a_channel_that_does_not_exist() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        reply = await client.response(client.send("Hangup", ("Channel", "PJSIP/1001-000000ff")))
    assert (reply["Response"], reply["Message"]) == ("Error", "No such channel")


async def test_without_timestamps_events_carry_no_timestamp_header() -> None:
    async with running_pbx(timestamps=False) as pbx, logged_in(pbx) as client:
        send_caller(client, "15551230001", "Ann Customer")
        join = await client.event("QueueCallerJoin")
    assert join.get("Timestamp") is None
    assert join["Privilege"] == "agent,all"


async def test_each_client_gets_every_event_and_only_its_own_replies() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as first, logged_in(pbx) as second:
        await first.response(first.send("Ping"))
        send_caller(second, "15551230001", "Ann Customer")
        one = await first.event("QueueCallerJoin")
        two = await second.event("QueueCallerJoin")
    assert one.headers == two.headers
    assert any(m.get("Ping") == "Pong" for m in first.messages)
    assert not [m for m in second.messages if m.get("Ping")]


async def test_logoff_says_goodbye_and_closes() -> None:
    async with running_pbx() as pbx, logged_in(pbx) as client:
        reply = await client.response(client.send("Logoff"))
        assert await client.reader.read() == b""
    assert (reply["Response"], reply["Message"]) == ("Goodbye", "Thanks for all the fish.")
