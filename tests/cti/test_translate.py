"""The translation table: every AMI event the tracker needs, typed, from real header layouts."""

from __future__ import annotations

import pytest

from callcenter.cti.frames import BadHeader, FrameParser
from callcenter.cti.numbers import normalize_number
from callcenter.cti.pbx_events import (
    ChannelTransferred,
    MemberCall,
    MemberCallKind,
    MemberChanged,
    MemberChangeKind,
    QueueParamsListed,
)
from callcenter.cti.translate import TRANSLATORS, device_of, translate, translated
from tests.cti.captures import capture_bytes

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


def queue_params_frames(capture: str) -> list[dict[str, str]]:
    """The QueueParams items of a capture's QueueStatus answers, as the parser frames them."""
    parser = FrameParser()
    return [f for f in parser.feed(capture_bytes(capture)) if f.get("Event") == "QueueParams"]


def test_queue_params_carry_the_queues_threshold_and_asterisks_counters() -> None:
    billing = next(f for f in queue_params_frames("load_realistic") if f["Queue"] == "billing")
    assert translate(billing) == QueueParamsListed(
        queue="billing",
        strategy="leastrecent",
        service_level_s=30.0,
        calls=0,
        completed=117,
        abandoned=5,
        hold_time=7.0,
        talk_time=6.0,
        service_level_perf=1.0,
        service_level_perf2=1.0,
    )


def test_a_queue_without_servicelevel_reports_no_threshold() -> None:
    frame = {**queue_params_frames("agent_states")[0], "ServiceLevel": "0"}
    event = translate(frame)
    assert isinstance(event, QueueParamsListed) and event.service_level_s is None


@pytest.mark.parametrize("value", ["nan", "-5", "1e300", "thirty"])
def test_an_impossible_servicelevel_drops_the_frame_not_the_threshold(value: str) -> None:
    frame = {**queue_params_frames("agent_states")[0], "ServiceLevel": value}
    ignored: list[BadHeader] = []
    with pytest.raises(KeyError):
        translated(TRANSLATORS["QueueParams"], frame, ignored.append)
    assert [bad.header for bad in ignored] == ["ServiceLevel"]


def test_an_impossible_percentage_is_ignored() -> None:
    frame = {**queue_params_frames("agent_states")[0], "ServicelevelPerf": "250.0"}
    event = translated(TRANSLATORS["QueueParams"], frame, lambda bad: None)
    assert isinstance(event, QueueParamsListed)
    assert (event.service_level_s, event.service_level_perf) == (30.0, None)
