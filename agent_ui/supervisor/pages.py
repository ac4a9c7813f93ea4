"""The reports page (table, charts, CSV, explain links) and the staffing page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from agent_ui.supervisor.access import SupervisorPage
from agent_ui.supervisor.render import templates
from callcenter.deps import SessionDep, SettingsDep
from kpi.cli import QUERY_NAMES, report_query
from kpi.reports import QueueReport, queue_report
from kpi.staffing import StaffingQuestion, parse_target, staffing_table
from kpi.thresholds import thresholds_from_settings

router = APIRouter(include_in_schema=False)

INTERVAL_CHOICES = ("15m", "30m", "60m", "day", "week")
EXPLAINABLE = ("service_level", "service_level_asterisk", "service_level_asterisk2", "abandon_rate")


def _chart_data(report: QueueReport) -> dict[str, dict[str, list[float | int | None]]]:
    """Per queue: interval starts (epoch s), offered, and service level (null = no data)."""
    series: dict[str, dict[str, list[float | int | None]]] = {}
    for start, summary in report.intervals:
        row = series.setdefault(summary.queue, {"t": [], "offered": [], "service_level": []})
        row["t"].append(start.timestamp())
        row["offered"].append(summary.offered)
        row["service_level"].append(summary.service_level)
    return series


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
) -> HTMLResponse:
    error = None
    report = None
    try:
        query = report_query(
            start or None, end or None, [queue] if queue else None, interval, names=QUERY_NAMES
        )
        report = queue_report(session, query, thresholds_from_settings(settings))
    except ValueError as exc:
        error = str(exc)
    params = {"interval": interval}
    if report is not None:
        params.update(from_=report.query.start.isoformat(), to=report.query.end.isoformat())
    args = {("from" if k == "from_" else k): v for k, v in params.items()}
    if queue:
        args["queue"] = queue
    return templates.TemplateResponse(
        request,
        "reports.html",
        {
            "user": user,
            "report": report,
            "error": error,
            "form": {
                "from": start or "",
                "to": end or "",
                "queue": queue or "",
                "interval": interval,
            },
            "intervals": INTERVAL_CHOICES,
            "explainable": EXPLAINABLE,
            "csv_url": "/api/kpi/report?" + urlencode({**args, "format": "csv"}),
            "explain_base": urlencode({k: v for k, v in args.items() if k in ("from", "to")}),
            "chart_data": _chart_data(report) if report else {},
        },
        status_code=400 if error else 200,
    )


@router.get("/supervisor/staffing", response_class=HTMLResponse)
def staffing_page(
    request: Request,
    user: SupervisorPage,
    calls_per_hour: float | None = None,
    aht: float | None = None,
    target: str = "0.8/20",
    patience: float | None = None,
) -> HTMLResponse:
    table, error = None, None
    if calls_per_hour is not None and aht is not None:
        try:
            share, threshold = parse_target(target)
            table = staffing_table(
                StaffingQuestion(calls_per_hour, aht, share, threshold, patience)
            )
        except ValueError as exc:
            error = str(exc)
    return templates.TemplateResponse(
        request,
        "staffing.html",
        {
            "user": user,
            "table": table,
            "error": error,
            "form": {
                "calls_per_hour": calls_per_hour or "",
                "aht": aht or "",
                "target": target,
                "patience": patience or "",
            },
        },
        status_code=400 if error else 200,
    )
