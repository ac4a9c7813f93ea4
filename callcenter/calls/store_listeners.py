"""What else changes with stored call records: listeners the caller hands to `store_calls` and
`store_wrap_ups` (kpi's queue interval rollups, in the same transaction) and to a writer process
(the CRM's history of ended calls, after it), filled in by the composition root, so this package
never knows what is derived from the calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from callcenter.calls.records import CallRecord

# (queue, entered_at) of one queue visit: where a figure kept per queue and time counts it.
VisitPlace = tuple[str, datetime]


@dataclass(frozen=True, slots=True)
class StoredVisits:
    """What one `store_calls` wrote: the calls (by id) whose visits are new rows, where
    those visits are, and where the visits were that a call stored again replaced."""

    call_ids: Sequence[int]
    written: Sequence[VisitPlace]
    replaced: Sequence[VisitPlace]


@dataclass(frozen=True, slots=True)
class WrapUpAdded:
    """Wrap-up seconds added to one stored visit (negative when a total went down)."""

    queue: str
    entered_at: datetime
    outcome: str
    seconds: float


class StoreListener(Protocol):
    """Keeps what is derived from stored visits, in the transaction that stores them.

    A listener is handed to a writer process too: a picklable object (a frozen dataclass)."""

    def calls_stored(self, session: Session, stored: StoredVisits) -> None: ...

    def wrap_ups_stored(self, session: Session, added: Sequence[WrapUpAdded]) -> None: ...


class EndedCallsListener(Protocol):
    """Writes what else ended calls leave (their customers' history), in a transaction of its
    own right after the one that stored them: never about a call not stored yet.

    Handed to a writer process: a picklable object (a frozen dataclass)."""

    def calls_ended(self, session: Session, records: Sequence[CallRecord]) -> None: ...
