"""The supervisor's page of one agent, and the actions on them (force pause, unpause,
sign out of queues), each with the reason the supervisor typed, logged and told to the agent."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from agent_ui.runtime import ConsoleDep, ConsoleRuntime
from agent_ui.supervisor import member_control
from agent_ui.supervisor.access import SupervisorPage
from agent_ui.supervisor.agent_view import (
    AgentFacts,
    AgentNotInScope,
    agent_facts,
    agent_live,
    customer_name,
    seconds_since,
)
from agent_ui.supervisor.render import templates
from callcenter.deps import SessionDep, SignedInUser, require_role
from callcenter.queues.supervision import SupervisorMove, record_action
from callcenter.users.service import Role
from crm.exceptions import InvalidInput

router = APIRouter(include_in_schema=False)

SupervisorAct = Annotated[SignedInUser, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))]
Note = Annotated[str, Form(min_length=3, max_length=255)]
PauseReason = Annotated[str, Form(min_length=1, max_length=64)]
Queues = Annotated[list[str], Form(default_factory=list)]
# Polled by the page; the actions' answers ask for it at once.
CHANGED = "agent-changed"


def _facts(session: Session, viewer: SignedInUser, username: str) -> AgentFacts:
    """The agent's facts, 404 for a name the viewer may not see (unknown or another team)."""
    try:
        return agent_facts(session, viewer, username)
    except AgentNotInScope:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no agent {username!r} in the teams you lead"
        ) from None


async def _context(
    request: Request, session: Session, viewer: SignedInUser, username: str, console: ConsoleDep
) -> dict[str, Any]:
    facts = await run_in_threadpool(_facts, session, viewer, username)
    board = request.app.state.callcenter.kpi_board
    live = await agent_live(
        await console.ops.snapshot(facts.user.id), board.kpis.snapshot(), console.pbx, facts.user
    )
    customer_id = live.call.get("customer_id") if live.call else None
    if customer_id is not None:
        facts.customer = await run_in_threadpool(customer_name, session, customer_id)
    return {
        "user": viewer,
        "agent": facts.user,
        "facts": facts,
        "live": live,
        "in_state_s": seconds_since(live.since),
        "pause_reasons": console.settings.console_pause_reasons,
        "signout_queues": sorted({q.queue for q in live.queues} | {q for q, _ in facts.configured}),
    }


@router.get("/supervisor/agents/{username}", response_class=HTMLResponse)
async def agent_page(
    request: Request, username: str, user: SupervisorPage, session: SessionDep, console: ConsoleDep
) -> HTMLResponse:
    context = await _context(request, session, user, username, console)
    return templates.TemplateResponse(request, "agent.html", context)


@router.get("/supervisor/agents/{username}/live", response_class=HTMLResponse)
async def agent_live_panel(
    request: Request, username: str, user: SupervisorPage, session: SessionDep, console: ConsoleDep
) -> HTMLResponse:
    """The page's live part (state, call, figures, queues, history, log), polled."""
    context = await _context(request, session, user, username, console)
    return templates.TemplateResponse(request, "_agent_live.html", context)


@router.post("/supervisor/agents/{username}/pause", response_class=HTMLResponse)
async def force_pause(
    username: str,
    user: SupervisorAct,
    session: SessionDep,
    console: ConsoleDep,
    reason: PauseReason,
    note: Note,
) -> HTMLResponse:
    """Pause the agent in all their queues with a configured reason."""
    if reason not in console.settings.console_pause_reasons:
        raise _invalid("reason", f"{reason!r} is not one of the pause reasons")
    facts = await run_in_threadpool(_facts, session, user, username)
    interface = cast(str, facts.user.interface)
    queues = await member_control.pause(console.pbx, interface, reason)
    detail = f"paused ({reason}) in {', '.join(queues)}"
    return await _done(session, console, user, facts, SupervisorMove.PAUSE, detail, note)


@router.post("/supervisor/agents/{username}/unpause", response_class=HTMLResponse)
async def force_unpause(
    username: str, user: SupervisorAct, session: SessionDep, console: ConsoleDep, note: Note
) -> HTMLResponse:
    """Make the agent available again in every queue they are paused in."""
    facts = await run_in_threadpool(_facts, session, user, username)
    queues = await member_control.unpause(console.pbx, cast(str, facts.user.interface))
    detail = f"unpaused in {', '.join(queues)}"
    return await _done(session, console, user, facts, SupervisorMove.UNPAUSE, detail, note)


@router.post("/supervisor/agents/{username}/signout", response_class=HTMLResponse)
async def sign_out(
    username: str,
    user: SupervisorAct,
    session: SessionDep,
    console: ConsoleDep,
    note: Note,
    queues: Queues,
) -> HTMLResponse:
    """QueueRemove the agent from the chosen queues."""
    if not queues:
        raise _invalid("queues", "choose at least one queue")
    facts = await run_in_threadpool(_facts, session, user, username)
    left = await member_control.sign_out(console.pbx, cast(str, facts.user.interface), queues)
    detail = f"signed out of {', '.join(left)}"
    return await _done(session, console, user, facts, SupervisorMove.SIGN_OUT, detail, note)


def _invalid(field: str, message: str) -> InvalidInput:
    """A 422 naming the form field (the page marks it)."""
    return InvalidInput(field, message)


async def _done(
    session: Session,
    console: ConsoleRuntime,
    supervisor: SignedInUser,
    facts: AgentFacts,
    move: SupervisorMove,
    detail: str,
    note: str,
) -> HTMLResponse:
    """Log the confirmed action, tell the agent's console, answer the supervisor."""

    def log_it() -> str:
        action = record_action(
            session,
            supervisor=supervisor.username,
            agent=facts.user.username,
            move=move,
            detail=detail,
            note=note,
        )
        told = action.told(supervisor.display_name)
        session.commit()
        return told

    told = await run_in_threadpool(log_it)
    await console.ops.tell(facts.user.id, "supervised", {"message": told, "action": move.value})
    html = templates.get_template("_notice.html").render(
        message=f"Done: {facts.user.display_name} {detail}. The PBX confirmed it.", kind="ok"
    )
    return HTMLResponse(html, headers={"HX-Trigger": CHANGED})
