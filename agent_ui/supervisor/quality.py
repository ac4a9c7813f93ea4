"""`GET /api/kpi/quality`: the quality KPIs of a period (computed by `kpi.quality_report`
from the call records and the CRM's ticket links)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from callcenter.deps import SessionDep, SettingsDep
from callcenter.errors import HTTP_ERRORS
from crm.tickets.service import call_links_of_tickets_opened
from kpi.periods import QUERY_NAMES, report_query
from kpi.quality import DEFAULT_REPEAT_DAYS
from kpi.quality_report import quality_report
from kpi.router import SupervisorDep

router = APIRouter(prefix="/api/kpi", tags=["kpi"], responses=HTTP_ERRORS)


@router.get("/quality")
def get_quality(
    _user: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    days: Annotated[int, Query(ge=1, le=90)] = DEFAULT_REPEAT_DAYS,
) -> dict[str, Any]:
    """First-contact resolution, repeat-caller rate and complaint rate for [from, to)."""
    try:
        query = report_query(start, end, None, "day", names=QUERY_NAMES, zone=settings.zone)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    links = call_links_of_tickets_opened(session, query.start, query.end)
    return quality_report(session, query.start, query.end, days, links)
