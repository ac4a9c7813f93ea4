"""A dial attempt's outcome read from the PBX's frames, as Asterisk words them."""

from __future__ import annotations

import pytest

from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.outcomes import (
    Stage,
    amd_outcome,
    attempt_of_varset,
    hangup_cause,
    originate_report,
    refine_failure,
    stage_outcome,
    stage_report,
)
from callcenter.cti.frames import parse_stream


def frame(text: str) -> dict[str, str]:
    """One frame parsed from its wire form, as the connection hands it on."""
    wire = b"Asterisk Call Manager/9.0.0\r\n" + text.strip().replace("\n", "\r\n").encode()
    (parsed,) = parse_stream(wire + b"\r\n\r\n")
    return parsed


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("5", Outcome.BUSY),
        ("3", Outcome.NO_ANSWER),
        ("8", Outcome.CONGESTION),
        ("0", Outcome.FAILED),
        ("1", Outcome.FAILED),
    ],
)
def test_a_failed_originate_says_why(reason: str, outcome: Outcome) -> None:
    report = originate_report(
        frame(
            f"""Event: OriginateResponse
Privilege: call,all
ActionID: cc-dial-1
Response: Failure
Channel: PJSIP/+4930123@trunk
Context: campaign-dial
Exten: s
Reason: {reason}
Uniqueid: <null>
CallerIDNum: <unknown>
CallerIDName: <unknown>"""
        )
    )
    assert report is not None
    assert (report.answered, report.outcome, report.reason) == (False, outcome, int(reason))
    assert report.uniqueid is None  # Asterisk's <null>


def test_an_answered_originate_leaves_the_outcome_to_the_dialplan() -> None:
    report = originate_report(
        frame(
            """Event: OriginateResponse
ActionID: cc-dial-2
Response: Success
Channel: PJSIP/trunk-00000007
Reason: 4
Uniqueid: 1764690000.17"""
        )
    )
    assert report is not None
    assert report.answered and report.outcome is None
    assert (report.channel, report.uniqueid) == ("PJSIP/trunk-00000007", "1764690000.17")


def test_other_frames_are_not_originate_responses() -> None:
    assert originate_report(frame("Event: Hangup\nUniqueid: 1.1\nCause: 16")) is None


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        (17, Outcome.BUSY),
        (19, Outcome.NO_ANSWER),
        (34, Outcome.CONGESTION),
        (38, Outcome.CONGESTION),
        (21, Outcome.FAILED),
        (1, Outcome.FAILED),
        (None, Outcome.FAILED),
    ],
)
def test_the_hangup_cause_names_a_vague_failure(cause: int | None, outcome: Outcome) -> None:
    assert refine_failure(Outcome.FAILED, cause) is outcome


def test_a_precise_reason_is_kept_whatever_the_cause() -> None:
    assert refine_failure(Outcome.BUSY, 16) is Outcome.BUSY


def test_hangup_cause_is_read_from_hangup_frames_only() -> None:
    hangup = frame(
        "Event: Hangup\nChannel: PJSIP/trunk-1\nUniqueid: 1.5\nCause: 17\nCause-txt: User busy"
    )
    assert hangup_cause(hangup) == 17
    assert hangup_cause(frame("Event: Newchannel\nCause: 17")) is None


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [("machine", Outcome.MACHINE), ("abandoned", Outcome.ABANDONED), ("answered", None)],
)
def test_campaign_call_stages(stage: str, outcome: Outcome | None) -> None:
    report = stage_report(
        frame(
            f"""Event: UserEvent
Privilege: user,all
Channel: PJSIP/trunk-00000009
Uniqueid: 1764690000.20
Linkedid: 1764690000.20
UserEvent: CampaignCall
Attempt: 42
Stage: {stage}
AmdStatus: MACHINE
AmdCause: LONGGREETING-1500-1500"""
        )
    )
    assert report is not None
    assert (report.attempt_id, report.stage) == (42, Stage(stage))
    assert report.linkedid == "1764690000.20"
    assert report.amd_cause == "LONGGREETING-1500-1500"
    assert stage_outcome(report.stage) is outcome


def test_foreign_user_events_and_unknown_stages_are_ignored() -> None:
    assert (
        stage_report(frame("Event: UserEvent\nUserEvent: Other\nAttempt: 1\nStage: machine"))
        is None
    )
    assert (
        stage_report(frame("Event: UserEvent\nUserEvent: CampaignCall\nAttempt: 1\nStage: x"))
        is None
    )
    assert stage_report(frame("Event: UserEvent\nUserEvent: CampaignCall\nStage: machine")) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("MACHINE", Outcome.MACHINE),
        ("HUMAN", None),
        ("NOTSURE", None),
        ("HANGUP", None),
        (None, None),
    ],
)
def test_amd_status(status: str | None, outcome: Outcome | None) -> None:
    assert amd_outcome(status) is outcome


def test_the_attempt_variable_ties_a_channel_to_its_attempt() -> None:
    varset = frame(
        """Event: VarSet
Channel: PJSIP/trunk-0000000a
Uniqueid: 1764690000.30
Linkedid: 1764690000.30
Variable: CC_ATTEMPT
Value: 7"""
    )
    assert attempt_of_varset(varset) == (
        7,
        "1764690000.30",
        "1764690000.30",
        "PJSIP/trunk-0000000a",
    )
    other = frame("Event: VarSet\nVariable: CC_LEAD\nValue: 7")
    assert attempt_of_varset(other) is None
