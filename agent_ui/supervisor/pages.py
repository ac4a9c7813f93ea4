"""The reports page (by queue, agent or team: table, charts, CSV, explain links) and the
staffing page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from agent_ui.supervisor.access import SupervisorPage
from agent_ui.supervisor.render import templates
from callcenter.db import utc_now
from callcenter.deps import SessionDep, SettingsDep
from kpi.agent_reports import AgentReport, agent_report
from kpi.intervals import buckets
from kpi.periods import QUERY_NAMES, agent_query, report_query
from kpi.queue_names import UnknownQueue, check_queues
from kpi.reports import QueueReport, ReportQuery, queue_report
from kpi.staffing import StaffingQuestion, parse_target
from kpi.staffing_worker import StaffingBusy, staffing_worker
from kpi.thresholds import stored_thresholds

router = APIRouter(include_in_schema=False)

INTERVAL_CHOICES = ("15m", "30m", "60m", "day", "week")
BY_CHOICES = ("queue", "agent", "team")
# A chart's axis holds every interval of the period up to this many (a month of quarters).
CHART_POINTS = 3000
# The agent-hours chart: its bands and the report fields each adds up.
CHART_STATES = {
    "available": ("available_s",),
    "ringing and on call": ("ringing_s", "on_call_s"),
    "wrap-up": ("wrap_up_s",),
    "paused": ("paused_s",),
}
EXPLAINABLE = ("service_level", "service_level_asterisk", "service_level_asterisk2", "abandon_rate")


def _axis(query: ReportQuery, with_data: Iterable[datetime]) -> list[float]:
    """A chart's time axis (epoch s): every interval of the period up to now (today's
    chart spans today's hours so far), cut in the site's time zone, so an empty interval
    shows as such; past CHART_POINTS intervals, only the intervals with data."""
    axis: list[float] = []
    until = min(query.end, utc_now())
    for at in buckets(query.start, until, query.interval_s or 0, query.zone):
        axis.append(at.timestamp())
        if len(axis) > CHART_POINTS:
            break
    data = {t.timestamp() for t in with_data}
    if len(axis) > CHART_POINTS:
        return sorted(data)
    # Calls stamped ahead of this server's clock still get their point.
    return sorted(data.union(axis))


def _chart_data(report: QueueReport) -> dict[str, dict[str, list[float | int | None]]]:
    """Per queue over every interval of the period: offered (0 when none came) and service
    level (null when there is nothing to measure it on)."""
    step = report.query.interval_s
    if not step or not report.intervals:
        return {}
    axis = _axis(report.query, (t for t, _ in report.intervals))
    where = {t: i for i, t in enumerate(axis)}
    series: dict[str, dict[str, list[float | int | None]]] = {}
    for start, summary in report.intervals:
        row = series.setdefault(
            summary.queue,
            {"t": list(axis), "offered": [0] * len(axis), "service_level": [None] * len(axis)},
        )
        i = where[start.timestamp()]
        row["offered"][i] = summary.offered
        row["service_level"][i] = summary.service_level
    return series


def _agent_chart_data(report: AgentReport) -> dict[str, Any]:
    """Per agent (or team) over the intervals: answered, AHT and occupancy (null = no data),
    and everyone's hours by state. The axis holds every interval of the period, so a gap
    shows as a gap (or, past CHART_POINTS intervals, only the intervals with data)."""
    step = report.query.interval_s
    if not step or not report.totals:
        return {}
    axis = _axis(report.query, (start for start, _, _ in report.intervals))
    where = {t: i for i, t in enumerate(axis)}
    answered = {name: [0] * len(axis) for name in report.totals}
    aht: dict[str, list[float | None]] = {name: [None] * len(axis) for name in report.totals}
    occupancy: dict[str, list[float | None]] = {name: [None] * len(axis) for name in aht}
    hours = {state: [0.0] * len(axis) for state in CHART_STATES}
    for start, name, totals in report.intervals:
        i, row = where[start.timestamp()], totals.kpis()
        answered[name][i] = row["answered"]
        aht[name][i] = row["aht_s"]
        occupancy[name][i] = row["occupancy"]
        for state, fields in CHART_STATES.items():
            hours[state][i] += sum(row[f] for f in fields) / 3600
    series = [
        {
            "name": _label(report, name),
            "answered": answered[name],
            "aht_s": aht[name],
            "occupancy": occupancy[name],
        }
        for name in report.totals
    ]
    # A list, not an object: the bands stack in this order (JSON objects get sorted keys).
    by_state = [{"state": state, "hours": hours[state]} for state in CHART_STATES]
    return {"by": report.by, "t": axis, "series": series, "hours": by_state}


def _label(report: AgentReport, name: str) -> str:
    return report.people[name].display_name if report.by == "agent" else name


def _agent_rows(report: AgentReport) -> list[dict[str, Any]]:
    """The period's rows for the table: label, team (or agent count), then the KPIs."""
    return [
        {
            "name": _label(report, name),
            "page": _agent_page(report, name),
            **report.head(name, totals),
            **totals.kpis(),
        }
        for name, totals in report.totals.items()
    ]


def _agent_page(report: AgentReport, name: str) -> str | None:
    """The supervisor's page of a row's agent (a user; not a team, nor a PBX-only name)."""
    person = report.people[name] if report.by == "agent" else None
    return f"/supervisor/agents/{person.key}" if person and person.user_id else None


def _agent_interval_rows(report: AgentReport) -> list[dict[str, Any]]:
    return [
        {"start": start, "name": _label(report, name), **totals.kpis()}
        for start, name, totals in report.intervals
    ]


@router.get("/supervisor/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    queue: Annotated[str | None, Query()] = None,
    interval: str = "60m",
    by: str = "queue",
) -> HTMLResponse:
    """KPIs by queue (the default), agent or team: table, charts, CSV link. Agent and team
    rows cover the supervisor's team (an admin: everyone) and every queue."""
    error = None
    field_errors: dict[str, str] = {}
    report = None
    agents = None
    try:
        if by not in BY_CHOICES:
            raise ValueError("by must be queue, agent or team")
        if by == "queue":
            queues = [queue] if queue else None
            query = report_query(
                start or None, end or None, queues, interval, names=QUERY_NAMES, zone=settings.zone
            )
            check_queues(session, query.queues, settings)
            report = queue_report(session, query, stored_thresholds(session, settings))
        else:
            query = agent_query(
                start or None, end or None, interval, names=QUERY_NAMES, zone=settings.zone
            )
            agents = agent_report(session, query, "team" if by == "team" else "agent", user)
    except UnknownQueue as exc:
        field_errors["queue"] = str(exc)
    except ValueError as exc:
        error = str(exc)
    shown = report.query if report is not None else agents.query if agents is not None else None
    args, csv_url = _report_links(shown, interval, queue, by)
    return templates.TemplateResponse(
        request,
        "reports.html",
        {
            "user": user,
            "report": report,
            "agents": agents,
            "agent_rows": _agent_rows(agents) if agents else [],
            "agent_intervals": _agent_interval_rows(agents) if agents else [],
            "error": error,
            "field_errors": field_errors,
            "form": {
                "from": start or "",
                "to": end or "",
                "queue": queue or "",
                "interval": interval,
                "by": by,
            },
            "intervals": INTERVAL_CHOICES,
            "by_choices": BY_CHOICES,
            "explainable": EXPLAINABLE,
            "csv_url": csv_url,
            "explain_base": urlencode({k: v for k, v in args.items() if k in ("from", "to")}),
            "chart_data": _chart_data(report) if report else {},
            "agent_chart_data": _agent_chart_data(agents) if agents else {},
            "time_zone": settings.time_zone,
        },
        status_code=422 if field_errors else 400 if error else 200,
    )


def _report_links(
    shown: ReportQuery | None, interval: str, queue: str | None, by: str
) -> tuple[dict[str, str], str]:
    """The query arguments of the report shown (its resolved period), and its CSV link."""
    args = {"interval": interval}
    if shown is not None:
        args.update({"from": shown.shown(shown.start), "to": shown.shown(shown.end)})
    if queue and by == "queue":
        args["queue"] = queue
    if by == "queue":
        return args, "/api/kpi/report?" + urlencode({**args, "format": "csv"})
    return args, "/api/kpi/agents?" + urlencode({**args, "by": by, "format": "csv"})


def _numbers(form: dict[str, str], names: Iterable[str]) -> tuple[dict[str, float], dict[str, str]]:
    """The form's filled-in number fields, and per field what is wrong with it."""
    numbers: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name in names:
        text = form[name].strip()
        if not text:
            continue
        try:
            numbers[name] = float(text)
        except ValueError:
            errors[name] = f"{text!r} is not a number"
    return numbers, errors


@router.get("/supervisor/staffing", response_class=HTMLResponse)
async def staffing_page(
    request: Request,
    user: SupervisorPage,
    calls_per_hour: str = "",
    aht: str = "",
    target: str = "0.8/20",
    patience: str = "",
) -> HTMLResponse:
    """Agents needed for a load; a field that is not a number is marked on the form (422)."""
    form = {"calls_per_hour": calls_per_hour, "aht": aht, "target": target, "patience": patience}
    numbers, field_errors = _numbers(form, ("calls_per_hour", "aht", "patience"))
    table, error = None, None
    if not field_errors and "calls_per_hour" in numbers and "aht" in numbers:
        try:
            share, threshold = parse_target(target)
        except ValueError as exc:
            field_errors["target"] = str(exc)
        else:
            try:
                question = StaffingQuestion(
                    numbers["calls_per_hour"],
                    numbers["aht"],
                    share,
                    threshold,
                    numbers.get("patience"),
                )
                table = await staffing_worker().table(question)
            except (ValueError, StaffingBusy) as exc:
                error = str(exc)
    code = 422 if field_errors else 400 if error else 200
    return templates.TemplateResponse(
        request,
        "staffing.html",
        {
            "user": user,
            "table": table,
            "error": error,
            "field_errors": field_errors,
            "form": form,
        },
        status_code=code,
    )
