"""KPI API: interval reports (JSON or CSV), KPI explanations, staffing. Supervisors and
admins only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import PlainTextResponse

from callcenter.deps import CurrentUser, SessionDep, SettingsDep, SignedInUser
from callcenter.users.service import Role
from kpi.agent_reports import agent_totals, team_totals
from kpi.cli import QUERY_NAMES, report_query
from kpi.explain import explain
from kpi.export import report_csv
from kpi.intervals import parse_instant
from kpi.reports import queue_report
from kpi.scope import team_of, visible_agents
from kpi.staffing import StaffingQuestion, parse_target, staffing_table
from kpi.thresholds import thresholds_from_settings

SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})


def supervisor(user: CurrentUser) -> SignedInUser:
    """The acting user, who must be a supervisor or an admin (403 otherwise)."""
    if user.role not in SUPERVISING:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "supervisors and admins only")
    return user


SupervisorDep = Annotated[SignedInUser, Depends(supervisor)]
router = APIRouter(prefix="/api/kpi", tags=["kpi"])


def _bad(exc: ValueError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


@router.get("/report", response_model=None)
def get_report(
    _user: SupervisorDep,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    queue: Annotated[list[str] | None, Query()] = None,
    interval: str = "15m",
    format: str = "json",
) -> Any:
    """KPIs by queue for [from, to) and per interval; `format=csv` for the CSV export."""
    if format not in ("json", "csv"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "format must be json or csv")
    try:
        query = report_query(start, end, queue, interval, names=QUERY_NAMES)
        report = queue_report(session, query, thresholds_from_settings(settings))
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
        begin, finish = parse_instant(start), parse_instant(end)
        if finish <= begin:
            raise ValueError(f"{QUERY_NAMES[1]} must be after {QUERY_NAMES[0]}")
        thresholds = thresholds_from_settings(settings).for_queue(queue)
        # A supervisor sees the visits their team's agents took (and unanswered ones).
        visible = visible_agents(session, user)
        return explain(session, kpi, queue, begin, finish, thresholds, visible=visible)
    except ValueError as exc:
        raise _bad(exc) from None


@router.get("/staff")
def get_staffing(
    _user: SupervisorDep,
    calls_per_hour: float,
    aht: float,
    target: str = "0.8/20",
    patience: float | None = None,
) -> dict[str, Any]:
    """Agents needed by Erlang C (and Erlang A with a patience) for a target like 0.8/20."""
    try:
        share, threshold = parse_target(target)
        question = StaffingQuestion(calls_per_hour, aht, share, threshold, patience)
    except ValueError as exc:
        raise _bad(exc) from None
    return staffing_table(question)


@router.get("/agents")
def get_agent_report(
    user: SupervisorDep,
    session: SessionDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    by: Literal["agent", "team"] = "agent",
) -> dict[str, Any]:
    """Agent (or team) KPIs for [from, to): AHT, occupancy, utilisation, calls per agent-hour,
    transfer rate. A supervisor sees their own team only; an admin everyone."""
    try:
        query = report_query(start, end, None, "day", names=QUERY_NAMES)
    except ValueError as exc:
        raise _bad(exc) from None
    agents = agent_totals(session, query.start, query.end)
    visible = visible_agents(session, user)
    if visible is not None:
        agents = {n: t for n, t in agents.items() if n in visible}
    rows = agents if by == "agent" else team_totals(agents, team_of(session))
    key = "agents" if by == "agent" else "teams"
    return {
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        key: {name: rows[name].as_json() for name in sorted(rows)},
    }
