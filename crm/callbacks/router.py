"""HTTP routes for callbacks: list, request, move, record attempts, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from callcenter.deps import ActorDep, SessionDep, SettingsDep
from crm.callbacks import service as callbacks
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.schemas import (
    CallbackAttempt,
    CallbackCancel,
    CallbackCreate,
    CallbackOut,
    CallbackUpdate,
)
from crm.enums import CallbackStatus
from crm.phones import candidates
from crm.routing import ERRORS, PagingDep, PathId, QueryId
from crm.schemas import Page

router = APIRouter(responses=ERRORS)


@router.get("/callbacks", tags=["callbacks"], response_model=Page[CallbackOut])
def list_callbacks(
    session: SessionDep,
    settings: SettingsDep,
    page: PagingDep,
    status: CallbackStatus | None = None,
    number: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    customer_id: QueryId = None,
) -> Page[CallbackOut]:
    """Callbacks, soonest due first."""
    e164: str | None = None
    if number is not None:
        readings = candidates(number, settings.default_region)
        e164 = readings[0] if readings else number
    rows, total = callbacks.list_callbacks(
        session,
        status=None if status is None else str(status),
        number=e164,
        customer_id=customer_id,
        limit=page.limit,
        offset=page.offset,
    )
    items = [CallbackOut.model_validate(c) for c in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/callbacks",
    tags=["callbacks"],
    response_model=CallbackOut,
    status_code=status.HTTP_201_CREATED,
)
def request_callback(
    session: SessionDep, settings: SettingsDep, body: CallbackCreate
) -> CallbackOut:
    """Promise a call back (due on business hours unless `due_at` is given)."""
    callback = callbacks.request_callback(session, body, CallbackRules.of(settings))
    return CallbackOut.model_validate(callback)


@router.get("/callbacks/{callback_id}", tags=["callbacks"], response_model=CallbackOut)
def get_callback(session: SessionDep, callback_id: PathId) -> CallbackOut:
    """One callback."""
    return CallbackOut.model_validate(callbacks.get_callback(session, callback_id))


@router.patch("/callbacks/{callback_id}", tags=["callbacks"], response_model=CallbackOut)
def update_callback(session: SessionDep, callback_id: PathId, body: CallbackUpdate) -> CallbackOut:
    """Move the due time or change the note."""
    return CallbackOut.model_validate(callbacks.update_callback(session, callback_id, body))


@router.post("/callbacks/{callback_id}/attempts", tags=["callbacks"], response_model=CallbackOut)
def callback_attempt(
    session: SessionDep, actor: ActorDep, callback_id: PathId, body: CallbackAttempt
) -> CallbackOut:
    """Record one try; `reached` closes the callback."""
    return CallbackOut.model_validate(callbacks.record_attempt(session, callback_id, body, actor))


@router.post("/callbacks/{callback_id}/cancel", tags=["callbacks"], response_model=CallbackOut)
def cancel_callback(
    session: SessionDep, actor: ActorDep, callback_id: PathId, body: CallbackCancel
) -> CallbackOut:
    """Drop a callback that is no longer owed."""
    callback = callbacks.cancel_callback(session, callback_id, actor, body.note)
    return CallbackOut.model_validate(callback)
