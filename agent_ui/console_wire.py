"""The consoles' answers and errors as JSON, between a web worker and the PBX's process.

A call on screen and a pop card travel as plain dicts (dates as ISO strings) and are rebuilt
on arrival. An error travels as its class name and sentence (`error_kind`); the caller raises
the same class with the same sentence again (`rebuilt_error`), so its HTTP status is kept.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from agent_ui.campaign_desk import CallNotPlaced, CampaignRefused, NoDialer
from agent_ui.console_state import LiveCall, PopCard
from agent_ui.pbx import ConsoleError, NoPbx, NotConfirmed, TransferFailed, UnknownTarget
from crm.exceptions import Conflict, CrmError, Forbidden, InvalidInput, NotFound
from crm.lookup.schemas import LookupCard

_CALL_DATES = ("rang_at", "answered_at", "ended_at")


class ConsolesUnreachable(ConsoleError):
    """No process answers for the agents' consoles (the PBX's process is down or moving)."""

    status_code = 503


class RemoteConsoleFailure(RuntimeError):
    """The consoles' process failed on something that is not an error the user can act on."""


# The errors whose class, status and sentence survive the trip, by class name.
KNOWN_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        ConsoleError,
        CampaignRefused,
        CallNotPlaced,
        NoDialer,
        NoPbx,
        UnknownTarget,
        TransferFailed,
        NotConfirmed,
        ConsolesUnreachable,
        CrmError,
        NotFound,
        InvalidInput,
        Forbidden,
        Conflict,
    )
}


def call_data(call: LiveCall | None) -> dict[str, Any] | None:
    """The call on screen as JSON-able data (every field, dates as ISO strings)."""
    if call is None:
        return None
    data = dataclasses.asdict(call)
    for name in _CALL_DATES:
        moment = data[name]
        data[name] = moment.isoformat() if moment is not None else None
    return data


def call_from(data: dict[str, Any] | None) -> LiveCall | None:
    """The call `call_data` described."""
    if data is None:
        return None
    fields = dict(data)
    for name in _CALL_DATES:
        text = fields.get(name)
        fields[name] = datetime.fromisoformat(text) if text is not None else None
    return LiveCall(**fields)


def card_data(found: PopCard) -> dict[str, Any]:
    """A pop card as JSON-able data."""
    return {
        "card": found.card.model_dump(mode="json"),
        "html": found.html,
        "pop_html": found.pop_html,
        "offered_ticket": found.offered_ticket,
        "linked": sorted(found.linked),
    }


def card_from(data: dict[str, Any]) -> PopCard:
    """The pop card `card_data` described."""
    return PopCard(
        card=LookupCard.model_validate(data["card"]),
        html=data["html"],
        pop_html=data["pop_html"],
        offered_ticket=data.get("offered_ticket"),
        linked=frozenset(data.get("linked") or ()),
    )


def error_kind(exc: BaseException) -> tuple[str, str]:
    """What the consoles' side reports of a failure: the class name and the sentence."""
    return type(exc).__name__, str(exc)


def rebuilt_error(kind: str, message: str) -> Exception:
    """The error `error_kind` reported, as its own class with its sentence (and so its
    status); an unknown kind becomes a RemoteConsoleFailure naming it."""
    cls = KNOWN_ERRORS.get(kind)
    if cls is None:
        return RemoteConsoleFailure(f"{kind}: {message}")
    # Some classes build their sentence from parts: keep the sentence exactly as it was.
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    if isinstance(error, InvalidInput):
        error.field, _, error.message = message.partition(": ")
    elif isinstance(error, NotFound):
        error.kind, _, key = message.removesuffix(" not found").rpartition(" ")
        error.key = key
    return error
