"""The translation table: every AMI event the tracker needs, typed, from real header layouts."""

from __future__ import annotations

import pytest

from callcenter.cti.numbers import normalize_number
from callcenter.cti.pbx_events import (
    ChannelTransferred,
    MemberCall,
    MemberCallKind,
    MemberChanged,
    MemberChangeKind,
)
from callcenter.cti.translate import TRANSLATORS, device_of, translate

REQUIRED = [
    "Newchannel",
    "Newstate",
    "NewCallerid",
    "Hangup",
    "DialBegin",
    "DialEnd",
    "BridgeEnter",
    "BridgeLeave",
    "LocalBridge",
    "LocalOptimizationBegin",
    "LocalOptimizationEnd",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentRingNoAnswer",
    "AgentConnect",
    "AgentComplete",
    "AgentDump",
    "QueueMemberAdded",
    "QueueMemberRemoved",
    "QueueMemberPause",
    "QueueMemberStatus",
    "QueueMemberPenalty",
    "BlindTransfer",
    "AttendedTransfer",
    "Hold",
    "Unhold",
]


def test_the_table_covers_every_required_event() -> None:
    assert set(REQUIRED) - set(TRANSLATORS) == set()


def test_ring_no_answer_time_is_milliseconds_in_ami() -> None:
    event = translate(
        {
            "Event": "AgentRingNoAnswer",
            "Queue": "support",
            "Interface": "PJSIP/1001",
            "MemberName": "Alice",
            "Uniqueid": "1.0",
            "Linkedid": "1.0",
            "DestUniqueid": "1.2",
            "RingTime": "8000",
        }
    )
    assert isinstance(event, MemberCall)
    assert (event.kind, event.ring_time) == (MemberCallKind.RING_NO_ANSWER, 8.0)


def test_agent_complete_reason_loses_asterisks_trailing_space() -> None:
    event = translate(
        {
            "Event": "AgentComplete",
            "Queue": "billing",
            "Interface": "PJSIP/303",
            "MemberName": "Trent",
            "HoldTime": "5",
            "TalkTime": "11",
            "Reason": "transfer ",
        }
    )
    assert isinstance(event, MemberCall)
    assert (event.uniqueid, event.talk_time, event.reason) == (None, 11.0, "transfer")


def test_a_queue_member_list_answer_reads_like_a_member_event() -> None:
    event = translate(
        {
            "Event": "QueueMember",
            "Queue": "support",
            "Name": "Bob",
            "Location": "PJSIP/1002",
            "StateInterface": "PJSIP/1002",
            "Status": "1",
            "Paused": "1",
            "PausedReason": "Break",
        }
    )
    assert event == MemberChanged(
        MemberChangeKind.SNAPSHOT, "support", "PJSIP/1002", "Bob", "PJSIP/1002", 1, True, "Break"
    )


@pytest.mark.parametrize(
    ("headers", "target"),
    [
        ({"TransferTargetExten": "300", "TransferTargetContext": "transfers"}, "300@transfers"),
        (
            {
                "TransferTargetExten": "s",
                "SecondTransfererExten": "1005",
                "SecondTransfererContext": "internal",
            },
            "1005@internal",
        ),
        ({"TransferTargetChannel": "PJSIP/1005-0000003c"}, "PJSIP/1005"),
    ],
)
def test_attended_transfer_names_its_target(headers: dict[str, str], target: str) -> None:
    event = translate({"Event": "AttendedTransfer", "Result": "Success", **headers})
    assert isinstance(event, ChannelTransferred)
    assert (event.attended, event.target) == (True, target)


def test_a_failed_transfer_is_no_event() -> None:
    assert translate({"Event": "BlindTransfer", "Result": "Fail", "Extension": "9"}) is None


def test_only_queuestatus_matters_among_dialplan_variables() -> None:
    frame = {"Event": "VarSet", "Variable": "MEMBERNAME", "Value": "x", "Uniqueid": "1.0"}
    assert translate(frame) is None


@pytest.mark.parametrize(
    ("channel", "device"),
    [
        ("PJSIP/trunk-0000002a", "PJSIP/trunk"),
        ("PJSIP/1001-0000002b", "PJSIP/1001"),
        ("Local/101@agents-00000001;1", "Local/101@agents"),
        ("SIP/provider-a-00000010", "SIP/provider-a"),
    ],
)
def test_a_channel_belongs_to_its_device(channel: str, device: str) -> None:
    assert device_of(channel) == device


@pytest.mark.parametrize(
    ("raw", "region", "normalized"),
    [
        ("15551230001", "US", "+15551230001"),
        ("5551230001", "US", "+15551230001"),
        ("02071838750", "GB", "+442071838750"),
        ("101", "US", "101"),
        ("anonymous", "US", "anonymous"),
        (None, "US", None),
    ],
)
def test_caller_numbers_are_e164_when_possible(
    raw: str | None, region: str, normalized: str | None
) -> None:
    assert normalize_number(raw, region) == normalized
