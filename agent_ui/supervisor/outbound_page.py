"""The outbound reports page (per campaign and interval: table, charts, CSV, the attempts
behind each rate) and its drill-down page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from agent_ui.supervisor.access import SupervisorPage
from agent_ui.supervisor.drilldowns import scope_sentence, wants_json
from agent_ui.supervisor.pages import INTERVAL_CHOICES, _axis
from agent_ui.supervisor.render import templates
from callcenter.deps import SessionDep, SettingsDep
from kpi.intervals import parse_instant
from kpi.outbound import OutboundReport, UnknownCampaign, outbound_report
from kpi.outbound_explain import EXPLAINED, explain_outbound
from kpi.periods import QUERY_NAMES, report_query
from kpi.team_roster import visible_agents

router = APIRouter(include_in_schema=False)
# The rates a report cell links to the attempts behind.
EXPLAINABLE = tuple(EXPLAINED)


def chart_data(report: OutboundReport) -> dict[str, dict[str, list[Any]]]:
    """Per campaign over every interval of the period: dials and connects (0 when none),
    contact and abandon rates (null when nothing to measure them on), the cap."""
    if not report.query.interval_s or not report.intervals:
        return {}
    axis = _axis(report.query, (start for start, _, _ in report.intervals))
    where = {t: i for i, t in enumerate(axis)}
    series: dict[str, dict[str, list[Any]]] = {}
    for start, cid, values in report.intervals:
        info = report.campaigns[cid]
        row = series.setdefault(
            info.name,
            {
                "t": list(axis),
                "dials": [0] * len(axis),
                "connects": [0] * len(axis),
                "contact_rate": [None] * len(axis),
                "abandon_rate": [None] * len(axis),
                "abandon_cap": [info.abandon_cap] * len(axis),
            },
        )
        i = where[start.timestamp()]
        for name in ("dials", "connects", "contact_rate", "abandon_rate"):
            row[name][i] = values[name]
    return series


@router.get("/supervisor/reports/outbound", response_class=HTMLResponse)
def outbound_page(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    campaign: Annotated[str | None, Query()] = None,
    interval: str = "60m",
) -> HTMLResponse:
    """Outbound figures by campaign for a period and per interval, with charts."""
    error = None
    field_errors: dict[str, str] = {}
    report = None
    try:
        query = report_query(
            start or None, end or None, None, interval, names=QUERY_NAMES, zone=settings.zone
        )
        report = outbound_report(session, query, [campaign] if campaign else None)
    except UnknownCampaign as exc:
        field_errors["campaign"] = str(exc)
    except ValueError as exc:
        error = str(exc)
    args: dict[str, str] = {"interval": interval}
    if report is not None:
        shown = report.query
        args.update({"from": shown.shown(shown.start), "to": shown.shown(shown.end)})
    if campaign:
        args["campaign"] = campaign
    period = {k: v for k, v in args.items() if k in ("from", "to")}
    return templates.TemplateResponse(
        request,
        "outbound_reports.html",
        {
            "user": user,
            "report": report,
            "error": error,
            "field_errors": field_errors,
            "form": {
                "from": start or "",
                "to": end or "",
                "campaign": campaign or "",
                "interval": interval,
            },
            "intervals": INTERVAL_CHOICES,
            "csv_url": "/api/reports/outbound?" + urlencode({**args, "format": "csv"}),
            "explain_base": urlencode(period),
            "chart_data": chart_data(report) if report else {},
            "time_zone": settings.time_zone,
        },
        status_code=422 if field_errors else 400 if error else 200,
    )


@router.get("/supervisor/outbound/explain", response_model=None)
def outbound_explain_page(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    kpi: str,
    campaign: str,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
    format: str | None = None,
) -> Response:
    """A rate of one campaign and period: its formula, counts, and the attempts in its
    numerator and denominator, each with its lead and call."""
    error, answer = None, None
    try:
        begin, finish = parse_instant(start, settings.zone), parse_instant(end, settings.zone)
        if finish <= begin:
            raise ValueError(f"{QUERY_NAMES[1]} must be after {QUERY_NAMES[0]}")
        visible = visible_agents(session, user)
        answer = explain_outbound(session, kpi, campaign, begin, finish, visible=visible)
    except ValueError as exc:
        error = str(exc)
    if wants_json(request, format):
        if error is not None:
            return JSONResponse({"detail": error, "errors": []}, status_code=400)
        return JSONResponse(answer)
    json_query = urlencode([*request.query_params.multi_items(), ("format", "json")])
    context: dict[str, Any] = {
        "user": user,
        "error": error,
        "x": answer,
        "json_url": f"{request.url.path}?{json_query}",
    }
    if answer is not None:
        context["hidden_sentence"] = scope_sentence(answer["hidden"]["denominator"], user.role)
    return templates.TemplateResponse(
        request, "outbound_explain.html", context, status_code=400 if error else 200
    )
