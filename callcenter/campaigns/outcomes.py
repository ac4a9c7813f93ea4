"""A dial attempt's outcome in the PBX's own words: OriginateResponse, Hangup, CampaignCall."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callcenter.campaigns.enums import Outcome
from callcenter.cti.frames import Frame

# OriginateResponse `Reason`: Asterisk's AST_CONTROL_* number of the last thing it heard.
REASON_OUTCOMES = {
    0: Outcome.FAILED,  # the channel could not be created or dialled
    1: Outcome.FAILED,  # AST_CONTROL_HANGUP: the far end refused the call
    3: Outcome.NO_ANSWER,  # AST_CONTROL_RINGING: it rang until the timeout
    5: Outcome.BUSY,  # AST_CONTROL_BUSY
    8: Outcome.CONGESTION,  # AST_CONTROL_CONGESTION
}

# Q.850 hangup causes of a call that was never answered.
CAUSE_OUTCOMES = {
    17: Outcome.BUSY,  # user busy
    18: Outcome.NO_ANSWER,  # no user responding
    19: Outcome.NO_ANSWER,  # no answer from user (user alerted)
    34: Outcome.CONGESTION,  # no circuit/channel available
    38: Outcome.CONGESTION,  # network out of order
    42: Outcome.CONGESTION,  # switching equipment congestion
    44: Outcome.CONGESTION,  # requested channel not available
}

# The channel variable that ties a PBX channel to its attempt (set by the Originate).
ATTEMPT_VARIABLE = "CC_ATTEMPT"
# The dialplan's UserEvent name for the stages of a campaign call.
USER_EVENT = "CampaignCall"


class Stage(StrEnum):
    """What `[campaign-dial]` reports of an answered campaign call."""

    MACHINE = "machine"  # AMD() heard an answering machine; the call is hung up
    ANSWERED = "answered"  # a person answered; an agent is being sought
    ABANDONED = "abandoned"  # no agent was free: the message plays, then the call ends


@dataclass(frozen=True, slots=True)
class OriginateReport:
    """An OriginateResponse: whether the customer's line came up, and if not, why."""

    action_id: str
    answered: bool
    reason: int | None
    channel: str | None
    uniqueid: str | None
    outcome: Outcome | None  # None when answered: the dialplan says what happens next


@dataclass(frozen=True, slots=True)
class StageReport:
    """One `CampaignCall` UserEvent of the dialplan."""

    attempt_id: int
    stage: Stage
    amd_status: str | None
    amd_cause: str | None
    uniqueid: str | None
    linkedid: str | None
    channel: str | None


def originate_report(frame: Frame) -> OriginateReport | None:
    """The OriginateResponse `frame` read, or None for any other frame."""
    if frame.get("Event") != "OriginateResponse" or not frame.get("ActionID"):
        return None
    answered = frame.get("Response") == "Success"
    reason = _int(frame.get("Reason"))
    outcome = None if answered else REASON_OUTCOMES.get(reason or 0, Outcome.FAILED)
    return OriginateReport(
        action_id=frame["ActionID"],
        answered=answered,
        reason=reason,
        channel=_present(frame.get("Channel")),
        uniqueid=_present(frame.get("Uniqueid")),
        outcome=outcome,
    )


def stage_report(frame: Frame) -> StageReport | None:
    """The `CampaignCall` UserEvent `frame` read, or None for any other frame (or a stage or
    attempt this version does not know)."""
    if frame.get("Event") != "UserEvent" or frame.get("UserEvent") != USER_EVENT:
        return None
    attempt = _int(frame.get("Attempt"))
    try:
        stage = Stage(frame.get("Stage", "").strip().lower())
    except ValueError:
        return None
    if attempt is None:
        return None
    return StageReport(
        attempt_id=attempt,
        stage=stage,
        amd_status=_present(frame.get("AmdStatus")),
        amd_cause=_present(frame.get("AmdCause")),
        uniqueid=_present(frame.get("Uniqueid")),
        linkedid=_present(frame.get("Linkedid")),
        channel=_present(frame.get("Channel")),
    )


def stage_outcome(stage: Stage) -> Outcome | None:
    """The outcome a stage settles (None: the call goes on to an agent)."""
    if stage is Stage.MACHINE:
        return Outcome.MACHINE
    if stage is Stage.ABANDONED:
        return Outcome.ABANDONED
    return None


def amd_outcome(status: str | None) -> Outcome | None:
    """AMD()'s AMDSTATUS as an outcome: MACHINE -> machine; HUMAN or NOTSURE (a person may be
    there) and HANGUP or unknown -> None (the call goes on)."""
    if status is not None and status.strip().upper() == "MACHINE":
        return Outcome.MACHINE
    return None


def attempt_of_varset(frame: Frame) -> tuple[int, str | None, str | None, str | None] | None:
    """(attempt id, uniqueid, linkedid, channel) of a VarSet that sets CC_ATTEMPT on a channel:
    how a dialled channel is known to belong to its attempt before anything else happens."""
    if frame.get("Event") != "VarSet" or frame.get("Variable") != ATTEMPT_VARIABLE:
        return None
    attempt = _int(frame.get("Value"))
    if attempt is None:
        return None
    return (
        attempt,
        _present(frame.get("Uniqueid")),
        _present(frame.get("Linkedid")),
        _present(frame.get("Channel")),
    )


def hangup_cause(frame: Frame) -> int | None:
    """A Hangup frame's Q.850 `Cause`, or None for another frame."""
    if frame.get("Event") != "Hangup":
        return None
    return _int(frame.get("Cause"))


def refine_failure(outcome: Outcome, cause: int | None) -> Outcome:
    """A failed originate's outcome refined by its channel's hangup cause: Asterisk reports
    `Reason: 0` or `1` for many failures the cause names exactly (busy, no answer...)."""
    if outcome is Outcome.FAILED and cause is not None:
        return CAUSE_OUTCOMES.get(cause, outcome)
    return outcome


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _present(value: str | None) -> str | None:
    """None for Asterisk's `<null>`/`<unknown>` placeholders and empty values."""
    if value is None or value.strip() in ("", "<null>", "<unknown>"):
        return None
    return value
