"""`/api/routing`: the admins' routing rules (CRUD) and "what would happen to this caller now"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import AwareDatetime, BaseModel, BeforeValidator, StringConstraints
from sqlalchemy.orm import Session

from callcenter.db import utc_now
from callcenter.deps import ADMIN_ONLY, SessionDep
from callcenter.errors import HTTP_ERRORS, ErrorOut
from callcenter.queues.routing.decision import RouteDecision
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.live import NoLive
from callcenter.queues.routing.schemas import RuleIn, RuleOut
from callcenter.queues.routing.service import Router
from callcenter.queues.routing.store import (
    RuleNameTaken,
    RuleNotFound,
    delete_rule,
    get_rule,
    list_rules,
    save_rule,
)
from callcenter.routing_wiring import build_router
from crm.routing import PathId
from crm.schemas import Input, iso_text

T = TypeVar("T")
ERRORS: dict[int | str, dict[str, Any]] = {
    **HTTP_ERRORS,
    404: {"model": ErrorOut, "description": "no routing rule with that id"},
    409: {"model": ErrorOut, "description": "another rule has that name"},
}
router = APIRouter(
    prefix="/api/routing", tags=["routing"], responses=ERRORS, dependencies=[ADMIN_ONLY]
)

Presented = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class TryIn(Input):
    """A caller to try: their number as the PBX presents it, the number they dialled, the
    IVR's digits, and when (default: now)."""

    caller: Presented
    did: Presented
    digits: Annotated[str, StringConstraints(max_length=64)] = ""
    at: Annotated[AwareDatetime, BeforeValidator(iso_text)] | None = None


class DecisionOut(BaseModel):
    """What the routing server would answer: its variables, the reason, the admin rule that
    matched (null: none), and in words what each rule looked at."""

    variables: dict[str, str]
    reason: str
    rule: str | None
    steps: list[str]


def routing_of(request: Request) -> Iterator[Router]:
    """The app's router (live agent state from its Presence), else one for this request."""
    shared: Router | None = getattr(request.app.state.callcenter, "routing", None)
    if shared is not None:
        yield shared
        return
    state = request.app.state.callcenter
    built = build_router(state.sessions, state.settings, NoLive())
    try:
        yield built
    finally:
        built.close()


RouterDep = Annotated[Router, Depends(routing_of)]


@router.get("/rules", response_model=list[RuleOut])
def rules(session: SessionDep) -> list[RuleOut]:
    """Every rule in the order they are tried (position, then name); the first match applies."""
    return list_rules(session)


@router.post("/rules", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(session: SessionDep, routing: RouterDep, body: RuleIn) -> RuleOut:
    """A new rule."""
    return _saved(session, routing, body, None)


@router.get("/rules/{rule_id}", response_model=RuleOut)
def one_rule(session: SessionDep, rule_id: PathId) -> RuleOut:
    """One rule."""
    return _found(lambda: get_rule(session, rule_id))


@router.put("/rules/{rule_id}", response_model=RuleOut)
def replace_rule(session: SessionDep, routing: RouterDep, rule_id: PathId, body: RuleIn) -> RuleOut:
    """Replace a rule (its name, position, conditions and actions)."""
    return _saved(session, routing, body, rule_id)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_rule(session: SessionDep, routing: RouterDep, rule_id: PathId) -> Response:
    """Delete a rule."""
    _found(lambda: delete_rule(session, rule_id))
    routing.rules_changed()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/try", response_model=DecisionOut)
def try_caller(routing: RouterDep, body: TryIn) -> DecisionOut:
    """What would happen to this caller now (or `at`), on the stored rules and queues."""
    request = RouteRequest(
        caller=body.caller, dialed=body.did, digits=body.digits, at=body.at or utc_now()
    )
    return decision_out(routing.decide_now(request))


def decision_out(decision: RouteDecision) -> DecisionOut:
    """The decision as the API and the admin page show it."""
    return DecisionOut(
        variables=decision.variables(),
        reason=str(decision.reason),
        rule=decision.rule,
        steps=list(decision.steps),
    )


def _saved(session: Session, routing: Router, body: RuleIn, rule_id: int | None) -> RuleOut:
    try:
        saved = save_rule(session, body, rule_id)
    except RuleNameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except RuleNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    session.commit()
    routing.rules_changed()
    return saved


def _found(action: Callable[[], T]) -> T:
    try:
        return action()
    except RuleNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
