"""The AMI parser: whole frames from any split, UTF-8 safe, bad frames skipped."""

from __future__ import annotations

import itertools
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.cti.frames import FrameParser, MalformedStream, merged_wants, parse_stream

STREAM = (
    "Asterisk Call Manager/11.0.0\r\n"
    "Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
    "Event: NewCallerid\r\nChannel: PJSIP/trunk-0000002a\r\nCallerIDName: José 张伟\r\n\r\n"
    "Event: Hangup\r\nChannel: PJSIP/trunk-0000002a\r\nCause-txt: Normal Clearing\r\n\r\n"
).encode()


def test_the_banner_is_read_and_frames_follow() -> None:
    parser = FrameParser()
    frames = parser.feed(STREAM)
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert [f.get("Event", f.get("Response")) for f in frames] == [
        "Success",
        "NewCallerid",
        "Hangup",
    ]
    assert frames[1]["CallerIDName"] == "José 张伟"


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_gives_the_same_frames(cuts: list[int]) -> None:
    parser = FrameParser()
    frames = []
    edges = [0, *sorted(cuts), len(STREAM)]
    for start, end in itertools.pairwise(edges):
        frames.extend(parser.feed(STREAM[start:end]))
    assert frames == parse_stream(STREAM)


def test_a_malformed_frame_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    parser = FrameParser()
    with caplog.at_level(logging.WARNING):
        frames = parser.feed(b"this is not a header\r\n\r\nEvent: Hangup\r\nChannel: x\r\n\r\n")
    assert [f["Event"] for f in frames] == ["Hangup"]
    assert parser.skipped == 1
    assert "malformed AMI frame" in caplog.text


def test_a_value_with_a_colon_survives() -> None:
    (frame,) = parse_stream(b"Event: UserEvent\r\nData: a: b\r\nUserEvent: x\r\n\r\n")
    assert frame["Data"] == "a: b"


def test_command_output_is_kept_apart_from_headers() -> None:
    (frame,) = parse_stream(b"Response: Follows\r\nPrivilege: Command\r\nfree text here\r\n\r\n")
    assert frame["Response"] == "Follows"


def test_a_last_frame_without_its_blank_line_is_read_at_close() -> None:
    parser = FrameParser()
    assert parser.feed(b"Event: Hangup\r\nChannel: x") == []
    assert parser.close() == [{"Event": "Hangup", "Channel": "x"}]


def test_ignored_events_are_counted_not_decoded() -> None:
    parser = FrameParser(ignore=frozenset({"VarSet"}))
    frames = parser.feed(b"Event: VarSet\r\nVariable: A\r\n\r\nEvent: Hangup\r\nChannel: x\r\n\r\n")
    assert [f["Event"] for f in frames] == ["Hangup"]
    assert parser.ignored == 1


def test_something_else_entirely_is_not_an_ami_stream() -> None:
    with pytest.raises(MalformedStream):
        parse_stream(b"<html><body>hello</body></html>\r\n\r\n")


WANTED_STREAM = (
    b"Event: Newexten\r\nChannel: PJSIP/trunk-01\r\nApplication: Queue\r\n\r\n"
    b"Event: VarSet\r\nChannel: PJSIP/trunk-01\r\nVariable: RTPAUDIOQOS\r\nValue: x\r\n\r\n"
    b"Event: VarSet\r\nChannel: PJSIP/trunk-01\r\nVariable: QUEUESTATUS\r\nValue: TIMEOUT\r\n\r\n"
    b"Event: VarSet\r\nChannel: Local/7@d-01\r\nVariable: CC_ATTEMPT\r\nValue: 12\r\n\r\n"
    b"Event: QueueMember\r\nActionID: 7\r\nQueue: support\r\nName: PJSIP/1001\r\n\r\n"
    b"Event: Hangup\r\nChannel: PJSIP/trunk-01\r\nCause: 16\r\n\r\n"
)


def _names(frames: list[dict[str, str]]) -> list[str]:
    return [f["Event"] + (":" + f["Variable"] if "Variable" in f else "") for f in frames]


def test_an_answer_to_an_action_is_decoded_even_when_its_event_is_not_wanted() -> None:
    parser = FrameParser(wanted={"Hangup": None, "VarSet": b"\r\nVariable: QUEUESTATUS\r\n"})
    frames = parser.feed(WANTED_STREAM)
    assert _names(frames) == ["VarSet:QUEUESTATUS", "QueueMember", "Hangup"]
    assert parser.ignored == 3


def test_a_needle_may_have_alternatives() -> None:
    needles = (b"\r\nVariable: QUEUESTATUS\r\n", b"\r\nVariable: CC_ATTEMPT\r\n")
    parser = FrameParser(wanted={"VarSet": needles})
    assert _names(parser.feed(WANTED_STREAM)) == [
        "VarSet:QUEUESTATUS",
        "VarSet:CC_ATTEMPT",
        "QueueMember",
    ]


def test_what_is_wanted_can_change_between_reads() -> None:
    parser = FrameParser(wanted={"Hangup": None})
    half = WANTED_STREAM.index(b"Event: VarSet\r\nChannel: Local")
    assert _names(parser.feed(WANTED_STREAM[:half])) == []
    parser.set_wanted(None)
    assert _names(parser.feed(WANTED_STREAM[half:])) == [
        "VarSet:CC_ATTEMPT",
        "QueueMember",
        "Hangup",
    ]
    parser.set_wanted({})
    assert _names(parser.feed(WANTED_STREAM)) == ["QueueMember"]


def test_wants_merge_by_name_and_anyone_reading_everything_wins() -> None:
    pipeline = {"Hangup": None, "VarSet": b"\r\nVariable: QUEUESTATUS\r\n"}
    dialer = {"Hangup": b"\r\nCause: 16\r\n", "VarSet": b"\r\nVariable: CC_ATTEMPT\r\n"}
    assert merged_wants(pipeline, dialer) == {
        "Hangup": None,
        "VarSet": (b"\r\nVariable: QUEUESTATUS\r\n", b"\r\nVariable: CC_ATTEMPT\r\n"),
    }
    assert merged_wants(pipeline, None, dialer) is None
    assert merged_wants() == {}
