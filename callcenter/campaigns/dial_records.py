"""Every dial attempt is a call record (direction outbound, its campaign and lead on it):
the tracker's record of the call, stamped from the attempt, or one the dialer writes for an
attempt whose call the PBX never made."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from callcenter.calls.models import Call
from callcenter.calls.records import Direction
from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import DialAttempt

# The linkedid of a record the dialer writes for an attempt no channel was seen for.
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
        ).where(tuple_(DialAttempt.server, DialAttempt.linkedid).in_(list(keys)))
    ).all()
    stamped = 0
    for server, linkedid, campaign_id, lead_id, number in attempts:
        result = session.execute(
            update(Call)
            .where(Call.server == server, Call.linkedid == linkedid)
            .values(
                campaign_id=campaign_id,
                lead_id=lead_id,
                direction=Direction.OUTBOUND,
                dialed_number=number,
            )
        )
        stamped += result.rowcount  # type: ignore[attr-defined]
    return stamped


def ensure_record(session: Session, attempt: DialAttempt) -> None:
    """An ended attempt whose call no channel of the PBX carried (the Originate failed before
    a channel existed) gets a call record of its own; one whose call the tracker records is
    stamped when that record is stored."""
    if attempt.linkedid:
        if attempt.server:
            stamp_calls(session, [(attempt.server, attempt.linkedid)])
        return
    server = attempt.server or ""
    linkedid = f"{OWN_PREFIX}{attempt.id}"
    exists = session.scalar(select(Call.id).where(Call.server == server, Call.linkedid == linkedid))
    if exists is not None:
        return
    started = attempt.dialed_at or attempt.reserved_at
    ended = attempt.ended_at or started
    session.add(
        Call(
            server=server,
            linkedid=linkedid,
            direction=Direction.OUTBOUND,
            dialed_number=attempt.dialed_number,
            started_at=started,
            ended_at=ended,
            outcome=attempt.outcome or Outcome.UNKNOWN,  # busy, no_answer, congestion...
            campaign_id=attempt.campaign_id,
            lead_id=attempt.lead_id,
        )
    )
