"""Shapes of /api/queues: a queue record in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from callcenter.queues.directory import QueueMember
from callcenter.queues.models import ServiceQueue
from callcenter.queues.records import (
    DISPLAY_NAME_LENGTH,
    MAX_NUMBERS,
    MAX_SERVICE_LEVEL_S,
    MAX_SHORT_ABANDON_S,
    QueueFields,
)

QUEUE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
MAX_ID = 2**63 - 1
QueueName = Annotated[str, StringConstraints(pattern=QUEUE_NAME_PATTERN)]
Seconds = Annotated[float, Field(strict=True, gt=0, le=MAX_SERVICE_LEVEL_S)]
AbandonSeconds = Annotated[float, Field(strict=True, ge=0, le=MAX_SHORT_ABANDON_S)]
Share = Annotated[float, Field(strict=True, gt=0, le=1)]
Number = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class QueueSettingsIn(BaseModel):
    """What an admin sets on a queue; a field left out is empty (PUT replaces them all)."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str, StringConstraints(max_length=DISPLAY_NAME_LENGTH)] = Field(
        "", description="how people name the queue; empty: its PBX name"
    )
    service_level_s: Seconds | None = Field(
        None, description="service-level threshold T in seconds; null: the PBX's servicelevel"
    )
    service_level_target: Share | None = Field(
        None, description="share of calls to answer within T (0.8 = 80 %); null: the default"
    )
    short_abandon_s: AbandonSeconds | None = Field(
        None, description="an abandon before this many seconds is short; null: the default"
    )
    business_hours_id: Annotated[int, Field(strict=True, ge=1, le=MAX_ID)] | None = Field(
        None, description="the CRM business-hours calendar; null: always open"
    )
    overflow: QueueName | None = Field(None, description="the queue callers overflow into")
    open: bool = Field(True, strict=True, description="false: closed whatever the hours")
    numbers: Annotated[list[Number], Field(max_length=MAX_NUMBERS)] = Field(
        [], description="dialled numbers (DIDs) leading here: digits, maybe a leading +"
    )

    def fields(self) -> QueueFields:
        """As the queues service takes them."""
        return QueueFields(
            display_name=self.display_name,
            service_level_s=self.service_level_s,
            service_level_target=self.service_level_target,
            short_abandon_s=self.short_abandon_s,
            business_hours_id=self.business_hours_id,
            overflow=self.overflow,
            open=self.open,
            numbers=tuple(self.numbers),
        )


class QueueIn(QueueSettingsIn):
    """A new queue record: its name as the PBX names it (queues.conf) and its settings."""

    name: QueueName


class MemberOut(BaseModel):
    """An active agent serving the queue (memberships are set on the user)."""

    username: str
    penalty: int


class QueueOut(BaseModel):
    """A queue record, its numbers and who serves it."""

    name: str
    display_name: str
    service_level_s: float | None
    service_level_target: float | None
    short_abandon_s: float | None
    business_hours_id: int | None
    overflow: str | None
    open: bool
    numbers: list[str]
    members: list[MemberOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, queue: ServiceQueue, members: list[QueueMember]) -> QueueOut:
        """The record `queue` with its `members`."""
        return cls(
            name=queue.name,
            display_name=queue.display_name,
            service_level_s=queue.service_level_s,
            service_level_target=queue.service_level_target,
            short_abandon_s=queue.short_abandon_s,
            business_hours_id=queue.business_hours_id,
            overflow=queue.overflow,
            open=queue.open,
            numbers=[n.number for n in queue.numbers],
            members=[MemberOut(username=m.username, penalty=m.penalty) for m in members],
            created_at=queue.created_at,
            updated_at=queue.updated_at,
        )
