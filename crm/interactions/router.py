"""HTTP routes for a customer's contact history: read it, write into it."""

from __future__ import annotations

from fastapi import APIRouter, status

from callcenter.deps import ActorDep, SessionDep, SettingsDep
from crm.interactions.schemas import InteractionCreate, InteractionOut
from crm.interactions.service import add_interaction, list_interactions
from crm.routing import ERRORS, PagingDep, PathId
from crm.schemas import Page

router = APIRouter(responses=ERRORS)


@router.get(
    "/customers/{customer_id}/interactions",
    tags=["history"],
    response_model=Page[InteractionOut],
)
def customer_history(
    session: SessionDep, customer_id: PathId, page: PagingDep
) -> Page[InteractionOut]:
    """A customer's contact history, newest first."""
    rows, total = list_interactions(session, customer_id, limit=page.limit, offset=page.offset)
    items = [InteractionOut.model_validate(i) for i in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/customers/{customer_id}/interactions",
    tags=["history"],
    response_model=InteractionOut,
    status_code=status.HTTP_201_CREATED,
)
def add_history_entry(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    customer_id: PathId,
    body: InteractionCreate,
) -> InteractionOut:
    """Write a note, an e-mail, a visit into a customer's history."""
    entry = add_interaction(session, customer_id, body, actor, region=settings.default_region)
    return InteractionOut.model_validate(entry)
