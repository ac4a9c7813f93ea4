"""HTTP routes for the knowledge base, callbacks, SLA policies and business hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from callcenter.deps import ADMIN_ONLY, SUPERVISOR_OR_ADMIN, ActorDep, SessionDep, SettingsDep
from crm import service_callbacks as callbacks
from crm import service_kb as kb
from crm import service_sla as sla
from crm.enums import CallbackStatus, TicketPriority
from crm.phones import candidates
from crm.routes_common import ERRORS, PagingDep, PathId, QueryId
from crm.schemas import Page
from crm.schemas_service import (
    BusinessHoursIn,
    BusinessHoursOut,
    CallbackAttempt,
    CallbackCancel,
    CallbackCreate,
    CallbackOut,
    CallbackUpdate,
    KBArticleIn,
    KBArticleOut,
    KBArticleUpdate,
    SLAPolicyIn,
    SLAPolicyOut,
)
from crm.service_search import search_kb

router = APIRouter(responses=ERRORS)


@router.get("/kb", tags=["knowledge base"], response_model=Page[KBArticleOut])
def list_articles(
    session: SessionDep,
    page: PagingDep,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="search")] = None,
) -> Page[KBArticleOut]:
    """Articles, newest first; `q` searches title, problem, solution and tags (best first)."""
    if q is None:
        rows, total = kb.list_articles(session, limit=page.limit, offset=page.offset)
    else:
        found = search_kb(session, q, limit=page.offset + page.limit)
        rows, total = found[page.offset :], len(found)
    items = [KBArticleOut.model_validate(a) for a in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/kb", tags=["knowledge base"], response_model=KBArticleOut, status_code=status.HTTP_201_CREATED
)
def create_article(session: SessionDep, body: KBArticleIn) -> KBArticleOut:
    """A new article."""
    return KBArticleOut.model_validate(kb.create_article(session, body))


@router.get("/kb/{article_id}", tags=["knowledge base"], response_model=KBArticleOut)
def get_article(session: SessionDep, article_id: PathId) -> KBArticleOut:
    """One article."""
    return KBArticleOut.model_validate(kb.get_article(session, article_id))


@router.patch("/kb/{article_id}", tags=["knowledge base"], response_model=KBArticleOut)
def update_article(session: SessionDep, article_id: PathId, body: KBArticleUpdate) -> KBArticleOut:
    """Change the fields sent."""
    return KBArticleOut.model_validate(kb.update_article(session, article_id, body))


@router.delete(
    "/kb/{article_id}",
    tags=["knowledge base"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def delete_article(session: SessionDep, article_id: PathId) -> None:
    """Remove an article."""
    kb.delete_article(session, article_id)


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
    callback = callbacks.request_callback(
        session, body, settings.default_region, settings.callback_due_minutes
    )
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


@router.get("/sla-policies", tags=["SLA"], response_model=list[SLAPolicyOut])
def list_policies(session: SessionDep) -> list[SLAPolicyOut]:
    """The SLA policy of each priority that has one."""
    return [SLAPolicyOut.model_validate(p) for p in sla.list_policies(session)]


@router.put(
    "/sla-policies/{priority}",
    tags=["SLA"],
    response_model=SLAPolicyOut,
    dependencies=[ADMIN_ONLY],
)
def put_policy(session: SessionDep, priority: TicketPriority, body: SLAPolicyIn) -> SLAPolicyOut:
    """Set the targets of one priority (new tickets follow them)."""
    return SLAPolicyOut.model_validate(sla.put_policy(session, priority, body))


@router.get("/business-hours", tags=["SLA"], response_model=list[BusinessHoursOut])
def list_business_hours(session: SessionDep) -> list[BusinessHoursOut]:
    """Every business-hours calendar."""
    return [BusinessHoursOut.model_validate(h) for h in sla.list_business_hours(session)]


@router.post(
    "/business-hours",
    tags=["SLA"],
    response_model=BusinessHoursOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[ADMIN_ONLY],
)
def create_business_hours(session: SessionDep, body: BusinessHoursIn) -> BusinessHoursOut:
    """A new calendar (weekly slots in a time zone, holidays)."""
    return BusinessHoursOut.model_validate(sla.save_business_hours(session, body))


@router.get("/business-hours/{hours_id}", tags=["SLA"], response_model=BusinessHoursOut)
def get_business_hours(session: SessionDep, hours_id: PathId) -> BusinessHoursOut:
    """One calendar."""
    return BusinessHoursOut.model_validate(sla.get_business_hours(session, hours_id))


@router.put(
    "/business-hours/{hours_id}",
    tags=["SLA"],
    response_model=BusinessHoursOut,
    dependencies=[ADMIN_ONLY],
)
def replace_business_hours(
    session: SessionDep, hours_id: PathId, body: BusinessHoursIn
) -> BusinessHoursOut:
    """Replace a calendar (tickets already open keep their due times)."""
    return BusinessHoursOut.model_validate(sla.save_business_hours(session, body, hours_id))
