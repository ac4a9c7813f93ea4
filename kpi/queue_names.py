"""Which queues a report may name: the queues seen in the call records, listed by a PBX
(`pbx_queues`), with a queue record, given agents as members, or configured in the settings.
A report asking for any other queue is refused with the known names, never answered with
zeros."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from callcenter.calls.models import QueueVisit
from callcenter.queues.models import PbxQueue, QueueMembership, ServiceQueue
from callcenter.settings import Settings

# How many known names a message lists before "and N more".
LISTED = 20


class UnknownQueue(ValueError):
    """A report named a queue nobody knows."""


def _configured(settings: Settings) -> set[str]:
    return set(settings.queue_thresholds) | set(settings.console_queue_extensions)


def known_queues(session: Session) -> list[str]:
    """Every queue in the call records, the PBX's list, the queue records or the memberships,
    sorted."""
    names = union(
        select(QueueVisit.queue).distinct(),
        select(PbxQueue.queue),
        select(ServiceQueue.name),
        select(QueueMembership.queue),
    )
    return sorted(session.scalars(select(names.subquery().c[0])))


def check_queues(session: Session, asked: Sequence[str] | None, settings: Settings) -> None:
    """Refuse (UnknownQueue, one sentence naming it and the known queues) a queue that is
    neither in the records nor configured; nothing asked is every queue."""
    if not asked:
        return
    wanted = set(asked) - _configured(settings)
    if not wanted:
        return
    found = set(
        session.scalars(
            union(
                select(QueueVisit.queue).where(QueueVisit.queue.in_(wanted)).distinct(),
                select(PbxQueue.queue).where(PbxQueue.queue.in_(wanted)),
                select(ServiceQueue.name).where(ServiceQueue.name.in_(wanted)),
                select(QueueMembership.queue).where(QueueMembership.queue.in_(wanted)),
            )
        )
    )
    unknown = sorted(wanted - found)
    if not unknown:
        return
    known = sorted(set(known_queues(session)) | _configured(settings))
    named = ", ".join(repr(name) for name in unknown)
    what = f"no queue named {named}" if len(unknown) == 1 else f"no queues named {named}"
    if not known:
        raise UnknownQueue(f"{what}: no queue has had a call or been configured yet")
    listed = ", ".join(known[:LISTED])
    more = f" and {len(known) - LISTED} more" if len(known) > LISTED else ""
    raise UnknownQueue(f"{what}: the known queues are {listed}{more}")
