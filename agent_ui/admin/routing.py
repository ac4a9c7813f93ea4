"""The admin's routing page: the rules in the order they are tried, edited as one TOML
document (all or nothing, as `callcenter routing import`), and "try a caller"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from agent_ui.admin.routing_api import routing_of
from callcenter.db import utc_now
from callcenter.deps import SessionDep, SignedInUser
from callcenter.queues.routing.decision import RouteDecision
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.schemas import RuleIn
from callcenter.queues.routing.service import Router
from callcenter.queues.routing.store import RuleNameTaken, list_rules, replace_rules
from callcenter.queues.routing.toml_io import EXAMPLE, BadRules, read_rules, write_rules

router = APIRouter(prefix="/admin", include_in_schema=False)

Typed = Annotated[str, Query(max_length=64)]
RouterDep = Annotated[Router, Depends(routing_of)]


@router.get("/routing", response_class=HTMLResponse)
def routing_page(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    routing: RouterDep,
    caller: Typed = "",
    did: Typed = "",
    digits: Typed = "",
) -> Response:
    """The rules, their TOML, and the answer for the caller tried (if any)."""
    tried = None
    if caller.strip() or did.strip():
        question = RouteRequest(
            caller=caller.strip(), dialed=did.strip(), digits=digits, at=utc_now()
        )
        tried = routing.decide_now(question)
    asked = {"caller": caller, "did": did, "digits": digits}
    return _render(request, user, session, tried=tried, asked=asked)


@router.post("/routing", response_class=HTMLResponse)
def save_rules(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    routing: RouterDep,
    csrf_token: Token = "",
    rules: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Replace every rule with the document's; a bad document changes nothing."""
    check_csrf(user, csrf_token)
    try:
        parsed = read_rules(rules)
        replace_rules(session, parsed)
    except (BadRules, RuleNameTaken) as exc:
        session.rollback()
        return _render(request, user, session, error=FieldError("rules", str(exc)), typed=rules)
    session.commit()
    routing.rules_changed()
    return redirect("/admin/routing")


def summary(rule: RuleIn) -> tuple[str, str]:
    """A rule's conditions and actions in a line each."""
    return _line(rule.when.model_dump(exclude_defaults=True), "always"), _line(
        rule.then.model_dump(exclude_defaults=True), "nothing"
    )


def _line(data: dict[str, Any], empty: str) -> str:
    parts = []
    for name, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{name.replace('_', ' ')} {shown}")
    return "; ".join(parts) or empty


def _render(
    request: Request,
    user: SignedInUser,
    session: Session,
    *,
    error: FieldError | None = None,
    typed: str | None = None,
    tried: RouteDecision | None = None,
    asked: dict[str, str] | None = None,
) -> Response:
    stored = list_rules(session)
    context: dict[str, Any] = {
        "user": user,
        "rules": [(rule, *summary(rule)) for rule in stored],
        "document": typed if typed is not None else write_rules(list(stored)),
        "example": EXAMPLE,
        "error": error.as_context() if error else {},
        "tried": tried,
        "asked": asked or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_routing.html", context, status_code=code)
