"""Outbound report API: figures per campaign and interval (JSON or CSV), and the attempts
behind a rate. Supervisors and admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import PlainTextResponse

from callcenter.deps import SessionDep, SettingsDep
from callcenter.errors import HTTP_ERRORS, ErrorOut
from kpi.intervals import parse_instant
from kpi.outbound import UnknownCampaign, outbound_report
from kpi.outbound_explain import explain_outbound
from kpi.outbound_export import outbound_csv
from kpi.periods import QUERY_NAMES, report_query
from kpi.router import SupervisorDep
from kpi.team_roster import visible_agents

# A list, never null: `?campaign=false` is the campaign named "false".
CampaignNames = Annotated[list[str], Query(description="campaigns to report; all when left out")]
router = APIRouter(prefix="/api/reports", tags=["kpi"], responses=HTTP_ERRORS)


@router.get(
    "/outbound",
    response_model=None,
    responses={422: {"model": ErrorOut, "description": "a campaign nobody knows (named)"}},
)
def get_outbound_report(
    _user: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    campaign: CampaignNames = [],  # noqa: B006 (FastAPI copies a default per request)
    interval: str = "60m",
    format: str = "json",
) -> Any:
    """Outbound figures by campaign for [from, to) (default: today so far) and per interval
    (15m, 30m, 60m, day, week): dials, connects, contact rate, abandons and abandon rate
    (per interval, and over the rolling 24 hours, against the campaign's cap), talk time,
    dispositions, conversions, leads left and list penetration. `format=csv` for CSV."""
    if format not in ("json", "csv"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "format must be json or csv")
    try:
        query = report_query(start, end, None, interval, names=QUERY_NAMES, zone=settings.zone)
        report = outbound_report(session, query, campaign or None)
    except UnknownCampaign as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if format == "csv":
        return PlainTextResponse(
            outbound_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="outbound-report.csv"'},
        )
    return report.as_json()


@router.get(
    "/outbound/explain",
    responses={422: {"model": ErrorOut, "description": "a campaign nobody knows (named)"}},
)
def get_outbound_explanation(
    user: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    kpi: str,
    campaign: str,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
) -> dict[str, Any]:
    """The attempts in a rate's numerator and denominator (contact_rate, abandon_rate,
    conversion_rate) for one campaign and period, each naming its lead and call."""
    try:
        begin, finish = parse_instant(start, settings.zone), parse_instant(end, settings.zone)
        if finish <= begin:
            raise ValueError(f"{QUERY_NAMES[1]} must be after {QUERY_NAMES[0]}")
        visible = visible_agents(session, user)
        return explain_outbound(session, kpi, campaign, begin, finish, visible=visible)
    except UnknownCampaign as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
