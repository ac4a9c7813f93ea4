"""HTTP routes for SLA policies and business hours (changing them is for admins)."""

from __future__ import annotations

from fastapi import APIRouter, status

from callcenter.deps import ADMIN_ONLY, SessionDep
from crm.enums import TicketPriority
from crm.routing import ERRORS, PathId
from crm.sla import service as sla
from crm.sla.schemas import BusinessHoursIn, BusinessHoursOut, SLAPolicyIn, SLAPolicyOut

router = APIRouter(responses=ERRORS)


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
