"""Routing in the database: the admins' rules (CRUD, replace all) and decisions per call."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from callcenter.queues.routing.decision import RouteDecision
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.models import RouteDecisionRow, RoutingRule
from callcenter.queues.routing.rules import Rule
from callcenter.queues.routing.schemas import RuleIn, RuleOut, engine_rule


class RuleNotFound(LookupError):
    """No rule has that id."""


class RuleNameTaken(ValueError):
    """Another rule has that name."""


def list_rules(session: Session) -> list[RuleOut]:
    """Every rule in the order they are tried."""
    rows = session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.name))
    return [_out(row) for row in rows]


def engine_rules(session: Session) -> list[Rule]:
    """Every rule, as the engine tries them."""
    return [engine_rule(rule) for rule in list_rules(session)]


def get_rule(session: Session, rule_id: int) -> RuleOut:
    """One rule; RuleNotFound when there is none with that id."""
    return _out(_row(session, rule_id))


def save_rule(session: Session, rule: RuleIn, rule_id: int | None = None) -> RuleOut:
    """Create (`rule_id` None) or replace a rule; flushes. RuleNameTaken, RuleNotFound."""
    clash = session.scalar(select(RoutingRule).where(RoutingRule.name == rule.name))
    if clash is not None and clash.id != rule_id:
        raise RuleNameTaken(f"a rule named {rule.name!r} exists already")
    row = RoutingRule() if rule_id is None else _row(session, rule_id)
    _fill(row, rule)
    session.add(row)
    session.flush()
    return _out(row)


def delete_rule(session: Session, rule_id: int) -> None:
    """Remove a rule; RuleNotFound when there is none."""
    session.delete(_row(session, rule_id))
    session.flush()


def replace_rules(session: Session, rules: Sequence[RuleIn]) -> None:
    """Make `rules` the whole rule set (an import); flushes. Names must be unique."""
    names = [rule.name for rule in rules]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise RuleNameTaken(f"two rules are named {duplicate!r}")
    session.execute(delete(RoutingRule))
    for rule in rules:
        row = RoutingRule()
        _fill(row, rule)
        session.add(row)
    session.flush()


def _fill(row: RoutingRule, rule: RuleIn) -> None:
    row.name = rule.name
    row.position = rule.position
    row.enabled = rule.enabled
    row.conditions = rule.when.model_dump(mode="json", exclude_defaults=True)
    row.actions = rule.then.model_dump(mode="json", exclude_defaults=True)


def _row(session: Session, rule_id: int) -> RoutingRule:
    row = session.get(RoutingRule, rule_id)
    if row is None:
        raise RuleNotFound(f"no routing rule {rule_id}")
    return row


def _out(row: RoutingRule) -> RuleOut:
    return RuleOut.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "position": row.position,
            "enabled": row.enabled,
            "when": row.conditions,
            "then": row.actions,
        }
    )


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A call's routing decision as stored."""

    uniqueid: str
    decided_at: datetime
    dialed: str
    caller: str
    queue: str
    priority: int
    customer_id: int | None
    preferred_member: str | None
    preferred_username: str | None
    reason: str
    rule: str | None
    ticket_id: int | None
    elapsed_ms: float


def store_decisions(
    session: Session, decided: Sequence[tuple[RouteRequest, RouteDecision, float]]
) -> None:
    """Store decisions (request, decision, milliseconds it took): one INSERT for the batch."""
    rows = [
        {
            "uniqueid": request.uniqueid[:64],
            "channel": request.channel[:128],
            "decided_at": request.at,
            "dialed": request.dialed[:64],
            "caller": request.caller[:64],
            "queue": decision.queue,
            "priority": decision.priority,
            "customer_id": decision.customer_id,
            "preferred_member": decision.preferred_member,
            "preferred_username": decision.preferred_username,
            "reason": str(decision.reason),
            "rule": decision.rule_name,
            "ticket_id": decision.ticket_id,
            "elapsed_ms": round(elapsed_ms, 3),
        }
        for request, decision, elapsed_ms in decided
    ]
    if rows:
        session.execute(insert(RouteDecisionRow), rows)


# The screen pop asks for one call's decision at every ring: a prepared Core statement (no
# ORM objects) on the session's connection.
_DECISIONS = RouteDecisionRow.__table__
_DECISION_OF_CALL = (
    select(*(_DECISIONS.c[name] for name in StoredDecision.__dataclass_fields__))
    .where(_DECISIONS.c.uniqueid == bindparam("linkedid"))
    .order_by(_DECISIONS.c.decided_at.desc(), _DECISIONS.c.id.desc())
    .limit(1)
)


def decision_for_call(session: Session, linkedid: str) -> StoredDecision | None:
    """The latest routing decision of the call `linkedid` (its caller's channel's uniqueid,
    which is the linkedid of a call from a trunk), None when it was not routed."""
    if session.autoflush:
        session.flush()  # what the session added is seen, as an ORM query would
    row = session.connection().execute(_DECISION_OF_CALL, {"linkedid": linkedid}).first()
    return None if row is None else StoredDecision(*row)


def decisions_for_calls(session: Session, linkedids: Collection[str]) -> dict[str, StoredDecision]:
    """The latest routing decision of each of `linkedids` that was routed (one query per
    500 calls)."""
    found: dict[str, StoredDecision] = {}
    wanted = sorted(linkedids)
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(RouteDecisionRow)
            .where(RouteDecisionRow.uniqueid.in_(wanted[start : start + 500]))
            .order_by(RouteDecisionRow.decided_at, RouteDecisionRow.id)
        )
        found.update((row.uniqueid, _stored(row)) for row in rows)  # the latest wins
    return found


def _stored(row: RouteDecisionRow) -> StoredDecision:
    return StoredDecision(
        uniqueid=row.uniqueid,
        decided_at=row.decided_at,
        dialed=row.dialed,
        caller=row.caller,
        queue=row.queue,
        priority=row.priority,
        customer_id=row.customer_id,
        preferred_member=row.preferred_member,
        preferred_username=row.preferred_username,
        reason=row.reason,
        rule=row.rule,
        ticket_id=row.ticket_id,
        elapsed_ms=row.elapsed_ms,
    )
