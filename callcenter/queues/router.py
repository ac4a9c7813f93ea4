"""HTTP routes for queue records under /api/queues: everyone signed in reads, admins write."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from callcenter.deps import ADMIN_ONLY, SessionDep
from callcenter.errors import HTTP_ERRORS, ErrorOut
from callcenter.queues import records
from callcenter.queues.directory import queue_members
from callcenter.queues.models import ServiceQueue
from callcenter.queues.schemas import QUEUE_NAME_PATTERN, QueueIn, QueueOut, QueueSettingsIn

ERRORS: dict[int | str, dict[str, Any]] = {
    **HTTP_ERRORS,
    403: {"model": ErrorOut, "description": "changing queues is for admins"},
    404: {"model": ErrorOut, "description": "no queue record of that name"},
    409: {"model": ErrorOut, "description": "the name or a number is taken"},
}
QueuePath = Annotated[str, Path(pattern=QUEUE_NAME_PATTERN, description="the PBX's name")]
router = APIRouter(prefix="/api/queues", tags=["queues"], responses=ERRORS)


def _out(session: SessionDep, queue: ServiceQueue) -> QueueOut:
    return QueueOut.of(queue, queue_members(session, queue.name))


@router.get("", response_model=list[QueueOut])
def list_queues(session: SessionDep) -> list[QueueOut]:
    """Every queue record, by name."""
    return [_out(session, q) for q in records.list_queues(session)]


@router.get("/{name}", response_model=QueueOut)
def get_queue(session: SessionDep, name: QueuePath) -> QueueOut:
    """One queue record."""
    return _out(session, records.get_queue(session, name))


@router.post(
    "",
    response_model=QueueOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[ADMIN_ONLY],
)
def create_queue(session: SessionDep, body: QueueIn) -> QueueOut:
    """A new queue record, named as the PBX names the queue."""
    return _out(session, records.create_queue(session, body.name, body.fields()))


@router.put("/{name}", response_model=QueueOut, dependencies=[ADMIN_ONLY])
def replace_queue(session: SessionDep, name: QueuePath, body: QueueSettingsIn) -> QueueOut:
    """Replace a queue's settings and numbers (fields left out are emptied)."""
    queue = records.get_queue(session, name)
    records.update_queue(session, queue, body.fields())
    return _out(session, queue)


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[ADMIN_ONLY],
)
def delete_queue(session: SessionDep, name: QueuePath) -> Response:
    """Remove a queue record and its numbers (refused while another overflows into it)."""
    records.delete_queue(session, records.get_queue(session, name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
