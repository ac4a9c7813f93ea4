"""Keeping the queue interval rollups right, in the transaction that writes the visits.

- new visits are added to their rows (an upsert: INSERT ... ON CONFLICT DO UPDATE);
- an interval whose row was counted with other thresholds than the writer's, and every
  interval that lost a visit (a call stored again replaces its old visits), is counted again
  from the visits themselves, so nothing is counted twice and a maximum never goes stale;
- wrap-up seconds that reach a visit later are added to its row.

`rollup_listener(book)` is what a writer hands to `store_calls` and `store_wrap_ups`
(`after_store`); `rebuild_rollups` counts everything again (`callcenter kpi rollup rebuild`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from callcenter.calls.models import QueueIntervalRollup, QueueVisit
from callcenter.calls.service import chunks
from callcenter.calls.store_listeners import StoredVisits, WrapUpAdded
from kpi.definitions import ANSWERED_OUTCOMES
from kpi.rollups.counting import (
    ROLLUP,
    SUM_FIELDS,
    IntervalKey,
    RollupThresholds,
    counting,
    dialect_of,
    insert_rows,
    interval_of,
    rollups_table,
)
from kpi.thresholds import ThresholdBook, stored_pbx_levels, stored_record_thresholds


@dataclass(frozen=True, slots=True)
class RollupListener:
    """Keeps the rollups as calls and late wrap-ups are stored (a `StoreListener`); a frozen
    dataclass, so a writer process can be handed it.

    `book` holds the settings' thresholds; each batch adds the PBX's thresholds and the
    queue records' as stored in its transaction, so a threshold the PBX reported or an admin
    set meanwhile counts from that batch on (rows counted before with another are counted
    again when a report or batch meets them)."""

    book: ThresholdBook

    def thresholds(self, session: Session) -> RollupThresholds:
        """What this transaction counts with: the settings', the PBX's and the records'."""
        book = self.book.with_pbx(stored_pbx_levels(session))
        return RollupThresholds.of(book.with_records(stored_record_thresholds(session)))

    def calls_stored(self, session: Session, stored: StoredVisits) -> None:
        """Count the new visits; count again the intervals that lost replaced visits."""
        thresholds = self.thresholds(session)
        if stored.call_ids:
            touched = {(queue, interval_of(entered)) for queue, entered in stored.written}
            add_visits(session, stored.call_ids, touched, thresholds)
        recount(
            session,
            {(queue, interval_of(entered)) for queue, entered in stored.replaced},
            thresholds,
        )

    def wrap_ups_stored(self, session: Session, added: Sequence[WrapUpAdded]) -> None:
        """Add the wrap-up seconds of answered visits to their rows."""
        by_interval: dict[IntervalKey, float] = defaultdict(float)
        for change in added:
            if change.outcome in ANSWERED_OUTCOMES:
                by_interval[(change.queue, interval_of(change.entered_at))] += change.seconds
        add_wrap_up(session, by_interval, self.thresholds(session))


def rollup_listener(book: ThresholdBook) -> RollupListener:
    """The listener that keeps the rollups, counting with the thresholds of `book` (the
    deployment's settings: `kpi.thresholds.thresholds_from_settings`) and the PBX's as
    stored."""
    return RollupListener(book)


def rebuild_rollups(session: Session, book: ThresholdBook) -> int:
    """Count every rollup row again from the stored visits, judged by `book` (the PBX's
    thresholds in it included: `kpi.thresholds.stored_thresholds`); flushes.

    Returns how many (queue, interval) rows there are now."""
    thresholds = RollupThresholds.of(book)
    dialect = dialect_of(session)
    session.execute(delete(QueueIntervalRollup))
    names, statement = counting(dialect, thresholds, true())
    session.execute(insert_rows(dialect).from_select(names, statement))
    session.flush()
    return session.scalar(select(func.count()).select_from(QueueIntervalRollup)) or 0


def add_visits(
    session: Session,
    call_ids: Sequence[int],
    touched: Iterable[IntervalKey],
    thresholds: RollupThresholds,
) -> None:
    """Count the visits of `call_ids` (written in this transaction, not counted before) in
    their rows. `touched` are their (queue, interval) keys; a row among them that was
    counted with other thresholds is counted again from its visits, with `thresholds`."""
    if not call_ids:
        return
    stale = [key for key, stored in _stored_thresholds(session, touched).items()
             if stored != thresholds.for_queue(key[0])]  # fmt: skip
    adding = _adding(
        dialect_of(session),
        thresholds.service_level_s,
        thresholds.short_abandon_s,
        tuple(sorted(thresholds.overrides.items())),
    )
    for chunk in chunks(call_ids, 400):
        session.execute(adding, {"call_ids": list(chunk)})
    recount(session, stale, thresholds)


@lru_cache(maxsize=16)
def _adding(
    dialect: str,
    service_level_s: float,
    short_abandon_s: float,
    overrides: tuple[tuple[str, tuple[float, float]], ...],
) -> Any:
    """The upsert that adds the visits of the calls `:call_ids` to their rows. Built once
    per dialect and thresholds (the arguments, hashable): it runs for every batch written."""
    thresholds = RollupThresholds(service_level_s, short_abandon_s, dict(overrides))
    names, statement = counting(
        dialect, thresholds, QueueVisit.call_id.in_(bindparam("call_ids", expanding=True))
    )
    insert = insert_rows(dialect).from_select(names, statement)
    table, new = rollups_table(), insert.excluded
    added: dict[str, Any] = {name: table.c[name] + new[name] for name in SUM_FIELDS}
    added["longest_wait_s"] = case(
        (new.longest_wait_s > table.c.longest_wait_s, new.longest_wait_s),
        else_=table.c.longest_wait_s,
    )
    return insert.on_conflict_do_update(index_elements=["queue", "interval_start"], set_=added)


def recount(session: Session, keys: Iterable[IntervalKey], thresholds: RollupThresholds) -> None:
    """Count the rows of `keys` again from their visits (a row with no visit left goes)."""
    ranges = _merged([(queue, start, start + ROLLUP) for queue, start in set(keys)])
    if not ranges:
        return
    dialect = dialect_of(session)
    for chunk in chunks(ranges, 100):
        rows = or_(
            *(
                and_(
                    QueueIntervalRollup.queue == queue,
                    QueueIntervalRollup.interval_start >= start,
                    QueueIntervalRollup.interval_start < end,
                )
                for queue, start, end in chunk
            )
        )
        visits = or_(
            *(
                and_(
                    QueueVisit.queue == queue,
                    QueueVisit.entered_at >= start,
                    QueueVisit.entered_at < end,
                )
                for queue, start, end in chunk
            )
        )
        session.execute(delete(QueueIntervalRollup).where(rows))
        names, statement = counting(dialect, thresholds, visits)
        session.execute(insert_rows(dialect).from_select(names, statement))


def add_wrap_up(
    session: Session, added: Mapping[IntervalKey, float], thresholds: RollupThresholds
) -> None:
    """Add wrap-up seconds of answered visits to their rows (a missing row is counted)."""
    added = {key: seconds for key, seconds in added.items() if seconds}
    if not added:
        return
    present = _stored_thresholds(session, added)
    table = rollups_table()
    changes = [
        {"key_queue": queue, "key_start": start, "seconds": seconds}
        for (queue, start), seconds in added.items()
        if (queue, start) in present
    ]
    if changes:
        session.execute(  # a Core statement: executemany with its own WHERE per row
            update(table)
            .where(
                table.c.queue == bindparam("key_queue"),
                table.c.interval_start == bindparam("key_start"),
            )
            .values(wrap_up_s=table.c.wrap_up_s + bindparam("seconds")),
            changes,
        )
    recount(session, [key for key in added if key not in present], thresholds)


def _stored_thresholds(
    session: Session, keys: Iterable[IntervalKey]
) -> dict[IntervalKey, tuple[float, float]]:
    """The thresholds stored on the existing rows among `keys`."""
    by_queue: dict[str, list[datetime]] = {}
    for queue, start in set(keys):
        by_queue.setdefault(queue, []).append(start)
    wanted = {(queue, start) for queue, starts in by_queue.items() for start in starts}
    found: dict[IntervalKey, tuple[float, float]] = {}
    for queue, starts in by_queue.items():
        rows = session.execute(
            select(
                QueueIntervalRollup.interval_start,
                QueueIntervalRollup.service_level_s,
                QueueIntervalRollup.short_abandon_s,
            ).where(
                QueueIntervalRollup.queue == queue,
                QueueIntervalRollup.interval_start >= min(starts),
                QueueIntervalRollup.interval_start <= max(starts),
            )
        )
        for start, level, short in rows:
            if (queue, start) in wanted:
                found[(queue, start)] = (level, short)
    return found


def _merged(
    ranges: Sequence[tuple[str, datetime, datetime]],
) -> list[tuple[str, datetime, datetime]]:
    """Adjacent intervals of one queue joined into one range (fewer, larger index reads)."""
    merged: list[tuple[str, datetime, datetime]] = []
    for queue, start, end in sorted(ranges):
        if merged and merged[-1][0] == queue and merged[-1][2] == start:
            merged[-1] = (queue, merged[-1][1], end)
        else:
            merged.append((queue, start, end))
    return merged
