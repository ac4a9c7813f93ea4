"""What the supervisor's agent page shows: state, call, today's figures, queues, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_ui.member_watch import Membership, memberships
from agent_ui.pbx import ConsoleError, PbxControl
from callcenter.calls.models import AgentStateInterval
from callcenter.db import utc_now
from callcenter.deps import SignedInUser
from callcenter.queues.members import memberships_of
from callcenter.queues.supervision import SupervisorAction, recent_actions
from callcenter.users.models import User
from crm.customers.models import Customer
from kpi.team_roster import agent_names, visible_agents

HISTORY_ROWS = 15
ACTION_ROWS = 20


class AgentNotInScope(LookupError):
    """No such agent, or one outside the viewer's team."""


@dataclass
class AgentFacts:
    """What the database says about the agent: who, their queues, history, actions."""

    user: SignedInUser
    team: str | None
    configured: list[tuple[str, int]]
    history: list[AgentStateInterval]
    actions: list[SupervisorAction]
    customer: str | None = None


@dataclass
class AgentLive:
    """What the running app and the PBX say now."""

    state: str
    reason: str | None
    since: datetime | None
    call: dict[str, Any] | None
    figures: dict[str, Any] | None
    queues: list[Membership] = field(default_factory=list)
    queues_error: str | None = None


def agent_facts(session: Session, viewer: SignedInUser, username: str) -> AgentFacts:
    """The agent `username` as `viewer` may see them (their team only for a supervisor)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.interface is None:
        raise AgentNotInScope(username)
    visible = visible_agents(session, viewer)
    if visible is not None and user.username not in visible:
        raise AgentNotInScope(username)
    names = agent_names(user)
    history = session.scalars(
        select(AgentStateInterval)
        .where(AgentStateInterval.agent.in_(names))
        .order_by(AgentStateInterval.started_at.desc())
        .limit(HISTORY_ROWS)
    )
    return AgentFacts(
        user=SignedInUser.of(session, user),
        team=user.team.name if user.team else None,
        configured=sorted((m.queue, m.penalty) for m in memberships_of(session, user.id)),
        history=list(history),
        actions=recent_actions(session, user.username, ACTION_ROWS),
    )


def customer_name(session: Session, customer_id: int) -> str | None:
    """The name of the customer on the agent's call."""
    customer = session.get(Customer, customer_id)
    return customer.name if customer is not None else None


def agent_row(snapshot: dict[str, Any], agent: SignedInUser) -> dict[str, Any] | None:
    """The agent's row of the live board (today's calls, AHT), under any of their names."""
    names = {agent.username, agent.interface, agent.member_name} - {None}
    return next((row for row in snapshot["agents"] if row["agent"] in names), None)


async def agent_live(
    console_snapshot: dict[str, Any],
    board_snapshot: dict[str, Any],
    pbx: PbxControl,
    agent: SignedInUser,
) -> AgentLive:
    """The agent now: the console's view of state and call, the board's figures, and the
    PBX's own list of their queues (penalty, paused) when it can be asked."""
    since = console_snapshot.get("since")
    live = AgentLive(
        state=console_snapshot["state"],
        reason=console_snapshot.get("reason"),
        since=datetime.fromisoformat(since) if since else None,
        call=console_snapshot.get("call"),
        figures=agent_row(board_snapshot, agent),
    )
    assert agent.interface is not None
    try:
        live.queues = await memberships(pbx, agent.interface)
    except ConsoleError as exc:
        live.queues_error = str(exc)
    return live


def seconds_since(moment: datetime | None) -> float | None:
    """How long ago `moment` was, for "in state for m:ss"."""
    return (utc_now() - moment).total_seconds() if moment else None
