"""Every dial attempt is a call record (direction outbound, its campaign and lead on it):
the tracker's record of the call, stamped from the attempt, or one the dialer writes for an
attempt whose call the PBX never made."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.calls.models import Call
from callcenter.calls.records import CallOutcome, Direction
from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import DialAttempt

# Attempts whose call reached no person: their call records are `failed`, whatever the tracker
# made of a call no agent took.
REACHED_NOBODY = frozenset(
    {Outcome.BUSY, Outcome.NO_ANSWER, Outcome.CONGESTION, Outcome.FAILED, Outcome.MACHINE}
)
# The linkedid of a record the dialer writes for an attempt that never got a ChannelId (one
# reserved and closed before its Originate was sent).
OWN_PREFIX = "dial-attempt-"


def stamp_calls(session: Session, keys: Sequence[tuple[str, str]]) -> int:
    """Put campaign, lead, direction outbound and the dialled number on the stored calls of
    `keys` (server, linkedid) that are dial attempts; how many were stamped. Called when a
    record is stored and when the dialer learns an attempt's call, whichever comes last."""
    if not keys:
        return 0
    attempts = session.execute(
        select(
            DialAttempt.server,
            DialAttempt.linkedid,
            DialAttempt.campaign_id,
            DialAttempt.lead_id,
            DialAttempt.dialed_number,
            DialAttempt.outcome,
        ).where(tuple_(DialAttempt.server, DialAttempt.linkedid).in_(list(keys)))
    ).all()
    stamped = 0
    for server, linkedid, campaign_id, lead_id, number, outcome in attempts:
        values: dict[str, object] = {
            "campaign_id": campaign_id,
            "lead_id": lead_id,
            "direction": Direction.OUTBOUND,
            "dialed_number": number,
        }
        if outcome in REACHED_NOBODY:
            # The tracker sees a call no agent took; the attempt knows nobody was reached.
            values["outcome"] = CallOutcome.FAILED
        result = session.execute(
            update(Call).where(Call.server == server, Call.linkedid == linkedid).values(values)
        )
        stamped += result.rowcount  # type: ignore[attr-defined]
    return stamped


def ensure_record(session: Session, attempt: DialAttempt) -> None:
    """Make sure an ended attempt has its call record.

    Its call's key is (server, linkedid) with linkedid = the Originate's ChannelId (the
    attempt's action_id). A record the tracker stored is stamped; when there is none yet (a
    failed Originate that never made a channel, or the tracker's record still on its way) the
    dialer writes one. The tracker's record, stored later under the same key, replaces it and
    is stamped in turn: one row per attempt either way.
    """
    server = attempt.server or ""
    linkedid = attempt.linkedid or f"{OWN_PREFIX}{attempt.id}"
    if stamp_calls(session, [(server, linkedid)]):
        return
    started = attempt.dialed_at or attempt.reserved_at
    row = Call(
        server=server,
        linkedid=linkedid,
        direction=Direction.OUTBOUND,
        dialed_number=attempt.dialed_number,
        started_at=started,
        answered_at=attempt.answered_at,
        ended_at=attempt.ended_at or started,
        talk_s=attempt.talk_s,
        outcome=call_outcome(attempt.outcome),
        agent=attempt.agent,
        campaign_id=attempt.campaign_id,
        lead_id=attempt.lead_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the tracker's record was stored meanwhile
        stamp_calls(session, [(server, linkedid)])


def call_outcome(outcome: str | None) -> CallOutcome:
    """The call record's outcome for an attempt's: answered and abandoned as they are, every
    call that reached nobody (busy, no answer, congestion, failed, a machine, unknown) failed;
    the attempt keeps the precise one."""
    if outcome == Outcome.ANSWERED:
        return CallOutcome.ANSWERED
    if outcome == Outcome.ABANDONED:
        return CallOutcome.ABANDONED
    return CallOutcome.FAILED
