"""Wrap-up seconds (after-call work time) set on stored visits: they follow the call, so they
often arrive after its record was written (see `WrapUpRecord`); flushes, never commits.

(What an agent recorded about a call, disposition and notes, is `calls.dispositions`.)"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from callcenter.calls.models import Call, QueueVisit
from callcenter.calls.records import WrapUpRecord
from callcenter.calls.service import chunks
from callcenter.calls.store_listeners import StoreListener, WrapUpAdded

log = logging.getLogger(__name__)


def store_wrap_ups(
    session: Session,
    records: Sequence[WrapUpRecord],
    *,
    after_store: Sequence[StoreListener],
) -> int:
    """Set wrap-up seconds on stored visits and their calls' totals; each listener of
    `after_store` is told what was added, in this transaction.

    Each record carries the visit's total, so storing one twice changes nothing. A record
    whose visit is not stored (its call never reached this database) is skipped. Returns
    how many visits changed."""
    if not records:
        return 0
    latest = {(r.server, r.linkedid, r.seq): r for r in records}
    changes, call_ids, added = _changes(session, latest)
    unplaced = [key for key, r in latest.items() if r.wrap_up_s is not None]
    if unplaced:
        log.debug("wrap-ups of %d visits not stored here, skipped", len(unplaced))
    if not changes:
        return 0
    session.execute(update(QueueVisit), changes)
    _set_call_totals(session, call_ids)
    for listener in after_store:
        listener.wrap_ups_stored(session, added)
    session.flush()
    return len(changes)


def _changes(
    session: Session, latest: dict[tuple[str, str, int], WrapUpRecord]
) -> tuple[list[dict[str, Any]], set[int], list[WrapUpAdded]]:
    """The visit rows to change (id, new wrap-up), their calls, and what each one adds.

    The records found are taken out of `latest`; what is left has no stored visit."""
    changes: list[dict[str, Any]] = []
    call_ids: set[int] = set()
    added: list[WrapUpAdded] = []
    for chunk in chunks(list({(server, linkedid) for server, linkedid, _ in latest}), 400):
        found = session.execute(
            select(
                QueueVisit.id,
                QueueVisit.call_id,
                Call.server,
                Call.linkedid,
                QueueVisit.seq,
                QueueVisit.uniqueid,
                QueueVisit.queue,
                QueueVisit.entered_at,
                QueueVisit.outcome,
                QueueVisit.wrap_up_s,
            )
            .join(Call, QueueVisit.call_id == Call.id)
            .where(tuple_(Call.server, Call.linkedid).in_(chunk))
        )
        for (
            visit_id,
            call_id,
            server,
            linkedid,
            seq,
            uniqueid,
            queue,
            entered,
            outcome,
            old,
        ) in found:
            record = latest.pop((server, linkedid, seq), None)
            if record is None or record.wrap_up_s == old:
                continue
            if (record.uniqueid, record.queue) != (uniqueid, queue):
                log.warning("wrap-up of %s visit %d: not the visit stored, skipped", linkedid, seq)
                continue
            changes.append({"id": visit_id, "wrap_up_s": record.wrap_up_s})
            call_ids.add(call_id)
            seconds = record.wrap_up_s - (old or 0.0)
            added.append(WrapUpAdded(queue, entered, outcome, seconds))
    return changes, call_ids, added


def _set_call_totals(session: Session, call_ids: set[int]) -> None:
    """Each call's total: the sum of its visits' wrap-ups (None while none has one)."""
    sums: dict[int, float | None] = dict.fromkeys(call_ids)
    for chunk in chunks(sorted(call_ids), 400):
        wrapped = session.execute(
            select(QueueVisit.call_id, QueueVisit.wrap_up_s).where(
                QueueVisit.call_id.in_(chunk), QueueVisit.wrap_up_s.is_not(None)
            )
        )
        for call_id, seconds in wrapped:
            sums[call_id] = (sums[call_id] or 0.0) + (seconds or 0.0)
    session.execute(
        update(Call),
        [
            {"id": call_id, "wrap_up_s": None if total is None else round(total, 3)}
            for call_id, total in sums.items()
        ],
    )
