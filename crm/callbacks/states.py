"""How a callback's status and origin read a lead's state and origin, both ways."""

from __future__ import annotations

from callcenter.campaigns.enums import LeadOrigin, LeadState
from crm.enums import CallbackOrigin, CallbackStatus

# The lead states each callback status covers: a callback being dialled or talked to is still
# owed; one the dialer gave up on (attempts used up) or may not dial (do not call) no longer is.
LEAD_STATES: dict[CallbackStatus, tuple[str, ...]] = {
    CallbackStatus.OPEN: (
        str(LeadState.OPEN),
        str(LeadState.RESERVED),
        str(LeadState.DIALING),
        str(LeadState.IN_CALL),
    ),
    CallbackStatus.DONE: (str(LeadState.DONE),),
    CallbackStatus.CANCELLED: (
        str(LeadState.CANCELLED),
        str(LeadState.EXHAUSTED),
        str(LeadState.BLOCKED),
    ),
}
OPEN_STATES = LEAD_STATES[CallbackStatus.OPEN]

_ORIGINS: dict[str, CallbackOrigin] = {
    str(LeadOrigin.ABANDONED): CallbackOrigin.ABANDONED_CALL,
    str(LeadOrigin.WEB): CallbackOrigin.WEB,
    str(LeadOrigin.AGENT): CallbackOrigin.REQUESTED,
    str(LeadOrigin.API): CallbackOrigin.REQUESTED,
}


def status_of(state: str) -> CallbackStatus:
    """The callback status a lead state reads as."""
    for status, states in LEAD_STATES.items():
        if state in states:
            return status
    raise ValueError(f"{state!r} is not a lead state")


def origin_of(origin: str) -> CallbackOrigin:
    """The callback origin a lead origin reads as (a list's own leads: manual)."""
    return _ORIGINS.get(origin, CallbackOrigin.MANUAL)
