"""KPI API: interval reports (JSON or CSV), KPI explanations, staffing. Supervisors and
admins only, but for the agent report, where an agent sees their own figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import PlainTextResponse

from callcenter.deps import CurrentUser, SessionDep, SettingsDep, SignedInUser
from callcenter.errors import HTTP_ERRORS, ErrorOut
from callcenter.users.service import Role
from kpi.agent_reports import agent_report
from kpi.explain import explain
from kpi.export import agent_report_csv, report_csv
from kpi.intervals import parse_instant
from kpi.periods import QUERY_NAMES, agent_query, report_query
from kpi.queue_names import UnknownQueue, check_queues
from kpi.reports import queue_report
from kpi.staffing import (
    MAX_AHT_S,
    MAX_CALLS_PER_HOUR,
    MAX_PATIENCE_S,
    MIN_AHT_S,
    MIN_CALLS_PER_HOUR,
    MIN_PATIENCE_S,
    StaffingQuestion,
    parse_target,
)
from kpi.staffing_worker import StaffingBusy, staffing_worker
from kpi.team_roster import visible_agents
from kpi.thresholds import stored_thresholds

SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})


def supervisor(user: CurrentUser) -> SignedInUser:
    """The acting user, who must be a supervisor or an admin (403 otherwise)."""
    if user.role not in SUPERVISING:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "supervisors and admins only")
    return user


SupervisorDep = Annotated[SignedInUser, Depends(supervisor)]
# A list, never null: `?queue=false` is the queue named "false".
QueueNames = Annotated[list[str], Query(description="queues to report; all when left out")]
router = APIRouter(prefix="/api/kpi", tags=["kpi"], responses=HTTP_ERRORS)


def _bad(exc: ValueError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


@router.get(
    "/report",
    response_model=None,
    responses={
        422: {"model": ErrorOut, "description": "a queue nobody knows (named, with the known ones)"}
    },
)
def get_report(
    _user: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    queue: QueueNames = [],  # noqa: B006 (FastAPI copies a default per request)
    interval: str = "15m",
    format: str = "json",
) -> Any:
    """KPIs by queue for [from, to) and per interval; `format=csv` for the CSV export."""
    if format not in ("json", "csv"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "format must be json or csv")
    try:
        query = report_query(
            start, end, queue or None, interval, names=QUERY_NAMES, zone=settings.zone
        )
        check_queues(session, query.queues, settings)
        report = queue_report(session, query, stored_thresholds(session, settings))
    except UnknownQueue as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    except ValueError as exc:
        raise _bad(exc) from None
    if format == "csv":
        return PlainTextResponse(
            report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="kpi-report.csv"'},
        )
    return report.as_json()


@router.get("/explain")
def get_explanation(
    user: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    kpi: str,
    queue: str,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
) -> dict[str, Any]:
    """The calls in a KPI's numerator and denominator for one queue and period."""
    try:
        begin, finish = parse_instant(start, settings.zone), parse_instant(end, settings.zone)
        if finish <= begin:
            raise ValueError(f"{QUERY_NAMES[1]} must be after {QUERY_NAMES[0]}")
        thresholds = stored_thresholds(session, settings).for_queue(queue)
        # A supervisor sees the visits their team's agents took (and unanswered ones).
        visible = visible_agents(session, user)
        return explain(session, kpi, queue, begin, finish, thresholds, visible=visible)
    except ValueError as exc:
        raise _bad(exc) from None


@router.get(
    "/staff",
    responses={
        422: {"model": ErrorOut, "description": "a figure out of what a call center can mean"},
        503: {"model": ErrorOut, "description": "staffing is busy; try again shortly"},
    },
)
async def get_staffing(
    _user: SupervisorDep,
    calls_per_hour: Annotated[
        float,
        Query(
            ge=MIN_CALLS_PER_HOUR, le=MAX_CALLS_PER_HOUR, allow_inf_nan=False, description="offered"
        ),
    ],
    aht: Annotated[
        float,
        Query(ge=MIN_AHT_S, le=MAX_AHT_S, allow_inf_nan=False, description="mean handle time, s"),
    ],
    target: Annotated[str, Query(max_length=32, description="share/seconds, e.g. 0.8/20")] = (
        "0.8/20"
    ),
    patience: Annotated[
        float | None,
        Query(ge=MIN_PATIENCE_S, le=MAX_PATIENCE_S, allow_inf_nan=False, description="mean, s"),
    ] = None,
) -> dict[str, Any]:
    """Agents needed by Erlang C (and Erlang A with a patience) for a target like 0.8/20.

    The offered load is bounded (at most 2,000 erlangs); the tables are computed in a worker
    process, so a large question never slows the screen pops."""
    try:
        share, threshold = parse_target(target)
        question = StaffingQuestion(calls_per_hour, aht, share, threshold, patience)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    try:
        return await staffing_worker().table(question)
    except StaffingBusy as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "5"}
        ) from None


@router.get("/agents", response_model=None)
def get_agent_report(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    interval: str = "none",
    by: str = "agent",
    format: str = "json",
) -> Any:
    """Agent (or team, `by=team`) KPIs for [from, to) and, with `interval=` 15m, 30m, 60m,
    day or week, per interval (`none`: the period only): answered, transferred, AHT, average
    talk, hold and wrap-up, occupancy, utilisation, calls per agent-hour, transfer rate and
    time by state. `format=csv` for the CSV export. An admin sees every agent, a supervisor
    their team, an agent only themself (and no team rows)."""
    if format not in ("json", "csv"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "format must be json or csv")
    if by not in ("agent", "team"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "by must be agent or team")
    if by == "team" and user.role not in SUPERVISING:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "agents see their own figures only: ask by=agent"
        )
    try:
        query = agent_query(start, end, interval, names=QUERY_NAMES, zone=settings.zone)
    except ValueError as exc:
        raise _bad(exc) from None
    report = agent_report(session, query, "team" if by == "team" else "agent", viewer=user)
    if format == "csv":
        return PlainTextResponse(
            agent_report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="kpi-{by}s.csv"'},
        )
    return report.as_json()
