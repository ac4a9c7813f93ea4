"""HTTP route of the screen pop: the card for a number as the PBX presents it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from callcenter.deps import SessionDep, SettingsDep
from crm.lookup.schemas import LookupCard
from crm.lookup.service import lookup
from crm.routing import ERRORS

router = APIRouter(responses=ERRORS)


@router.get("/lookup", tags=["screen pop"], response_model=LookupCard)
def lookup_number(
    session: SessionDep,
    settings: SettingsDep,
    number: Annotated[str, Query(min_length=1, max_length=64, description="as the PBX shows it")],
) -> LookupCard:
    """Every customer and contact owning the number, with open tickets and last interactions."""
    return lookup(session, number, settings.default_region)
