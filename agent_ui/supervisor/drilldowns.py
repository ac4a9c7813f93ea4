"""Drill-downs as pages: the calls behind a report's figure, with what was counted and what
the viewer's scope hides. `Accept: application/json` or `?format=json` gives the JSON."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from agent_ui.supervisor.access import SupervisorPage
from agent_ui.supervisor.render import templates
from callcenter.deps import SessionDep, SettingsDep
from callcenter.users.service import Role
from crm.tickets.service import call_links_of_tickets_opened
from kpi.explain import explain
from kpi.intervals import parse_instant
from kpi.periods import QUERY_NAMES, report_query
from kpi.quality import DEFAULT_REPEAT_DAYS
from kpi.quality_report import opening_calls, quality_report
from kpi.team_roster import visible_agents
from kpi.thresholds import stored_thresholds

router = APIRouter(include_in_schema=False)


def wants_json(request: Request, format: str | None) -> bool:
    """`?format=json`, or a client that asks for JSON rather than a page."""
    if format is not None:
        return format == "json"
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def scope_sentence(hidden: int, role: str) -> str:
    """Why some counted calls are not listed: they were taken outside the viewer's team."""
    if not hidden:
        return ""
    where = "outside your team" if role == Role.SUPERVISOR else "outside your scope"
    return f"{_calls(hidden)} {where}: counted in the figure, not listed here."


@router.get("/supervisor/explain", response_model=None)
def explain_page(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    kpi: str,
    queue: str,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
    format: str | None = None,
) -> Response:
    """A KPI of one queue and period: its formula, counts, and the calls in its numerator
    and denominator, each linked; calls outside the supervisor's team are only counted."""
    error, answer = None, None
    try:
        begin, finish = parse_instant(start, settings.zone), parse_instant(end, settings.zone)
        if finish <= begin:
            raise ValueError(f"{QUERY_NAMES[1]} must be after {QUERY_NAMES[0]}")
        thresholds = stored_thresholds(session, settings).for_queue(queue)
        visible = visible_agents(session, user)
        answer = explain(session, kpi, queue, begin, finish, thresholds, visible=visible)
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
        hidden = answer["hidden"]
        context["hidden_sentence"] = scope_sentence(hidden["denominator"], user.role)
        context["counted"] = (
            f"{_calls(answer['denominator_count'])} counted in the denominator, "
            f"{answer['numerator_count']} of them in the numerator."
        )
    return templates.TemplateResponse(
        request, "explain.html", context, status_code=400 if error else 200
    )


@router.get("/supervisor/quality", response_model=None)
def quality_page(
    request: Request,
    user: SupervisorPage,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    days: Annotated[int, Query(ge=1, le=90)] = DEFAULT_REPEAT_DAYS,
    format: str | None = None,
) -> Response:
    """FCR, repeat callers and complaints of a period, with the tickets opened from calls
    that they count, each linked."""
    error, answer, tickets = None, None, []
    try:
        query = report_query(start, end, None, "day", names=QUERY_NAMES, zone=settings.zone)
        links = list(call_links_of_tickets_opened(session, query.start, query.end))
        answer = quality_report(session, query.start, query.end, days, links)
        tickets = opening_calls(session, links)
    except ValueError as exc:
        error = str(exc)
    if wants_json(request, format):
        if error is not None:
            return JSONResponse({"detail": error, "errors": []}, status_code=400)
        return JSONResponse(answer)
    context: dict[str, Any] = {"user": user, "error": error, "q": answer, "tickets": tickets}
    return templates.TemplateResponse(
        request, "quality.html", context, status_code=400 if error else 200
    )
