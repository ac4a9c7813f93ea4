"""The seat check after an agent's hold: was the phone taken before the pause took effect?

Between reading an agent as free and the PBX confirming the QueuePause that holds their
phone, a queue call may already ring them (a pause does not stop a ring under way). Dialling
their customer then would have the customer answer to an agent on another call, an abandoned
call. So, once the hold is confirmed, the dialer asks the PBX for the agent's queue
memberships and gives the attempt back untouched when their phone rings or is in use."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.campaigns.enums import AttemptState, LeadState
from callcenter.campaigns.models import DialAttempt, Lead
from callcenter.cti.ami_commands import AmiCommands
from callcenter.cti.protocol import CommandError

log = logging.getLogger(__name__)

# Asterisk's device states (ast_device_state) of a phone that cannot take a customer now:
# INUSE, BUSY, RINGING, RINGINUSE, ONHOLD.
TAKEN_DEVICE_STATES = frozenset({"2", "3", "6", "7", "8"})


async def phone_taken(pbx: AmiCommands, interface: str) -> bool:
    """Whether the PBX says `interface` rings or is on a call in any of its queues (QueueStatus
    for that member). An unanswered question counts as free: the hold is in place by now, and
    the dial goes on as it would have without the check."""
    try:
        items = await pbx.request_list({"Action": "QueueStatus", "Member": interface})
    except CommandError as exc:
        log.warning("QueueStatus of %s unanswered; dialling on: %s", interface, exc)
        return False
    return any(
        item.get("Event") == "QueueMember"
        and (item.get("InCall") == "1" or item.get("Status") in TAKEN_DEVICE_STATES)
        for item in items
    )


def withdraw(session: Session, attempt_id: int, owner: str | None) -> None:
    """Give back an attempt that was never dialled, as if it had not been reserved: the attempt
    goes, its lead is open again with the attempt uncounted (a preview's lead stays held for
    its `owner`)."""
    attempt = session.get(DialAttempt, attempt_id)
    if attempt is None or attempt.state not in (AttemptState.RESERVED, AttemptState.DIALING):
        return
    lead = session.get(Lead, attempt.lead_id)
    session.delete(attempt)
    session.flush()
    if lead is not None and lead.state == LeadState.DIALING:
        lead.state = LeadState.RESERVED if owner else LeadState.OPEN
        lead.owner = owner
        lead.attempts = attempt.number - 1
        lead.last_attempt_at = session.scalar(
            select(func.max(DialAttempt.ended_at)).where(DialAttempt.lead_id == lead.id)
        )
    session.commit()
