"""The console page, the agent list in scope, and the agent's state and call controls."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from agent_ui import console_members
from agent_ui.campaign_view import campaign_context
from agent_ui.nav import landing
from agent_ui.pbx import ConsoleError
from agent_ui.render import fragment, templates
from agent_ui.runtime import ConsoleDep
from callcenter.cti.agent_leg import dialable_extension
from callcenter.deps import CurrentUser, PageUser, SessionDep, SignedInUser
from callcenter.errors import HTTP_ERRORS
from callcenter.queues.directory import queue_info
from callcenter.queues.members import queue_served
from callcenter.queues.supervision import latest_action
from callcenter.settings import Settings
from callcenter.users.auth import can_see_agent
from callcenter.users.models import User
from crm.exceptions import InvalidInput
from crm.phones import normalize

router = APIRouter()

Reason = Annotated[str, Form(min_length=1, max_length=64)]
Number = Annotated[str, Form(min_length=1, max_length=64)]
# An extension or feature code is dialled as typed; a longer number is read as a phone number.
_EXTENSION = re.compile(r"^(?:[0-9*#]{1,6}|[0-9]*[*#][0-9*#]*)$")
_SEPARATORS = re.compile(r"[\s\-.()/]")
# How long before the state began a supervisor's action may be logged and still explain it.
SUPERVISED_SLACK_S = 5


def dialable(number: str, region: str) -> str:
    """What to dial for what the agent typed: `+1 555 123 0003` and `(555) 123-0003` both
    become +15551230003 (national numbers read in the site's region); an extension such as
    1002 or a feature code stays as typed. Anything else: 422 saying why."""
    compact = _SEPARATORS.sub("", number.strip())
    if _EXTENSION.match(compact):
        return compact
    try:
        return normalize(number, region)
    except InvalidInput as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.message) from None


def notice(message: str, kind: str = "ok") -> HTMLResponse:
    """A one-line answer shown in the console's notice area."""
    return HTMLResponse(fragment("_notice.html", message=message, kind=kind))


def agents_in_scope(session: Session, viewer: SignedInUser) -> list[User]:
    """The agents `viewer` may see: themself, their team, or everyone (admin)."""
    me = session.get(User, viewer.id)
    if me is None:
        return []
    query = select(User).where(User.interface.is_not(None)).order_by(User.username)
    return [agent for agent in session.scalars(query) if can_see_agent(me, agent)]


def agent_in_scope(session: Session, viewer: SignedInUser, username: str) -> User:
    """The agent called `username` if `viewer` may see them, else 404.

    Unknown and out-of-scope names get the same answer: a 403 would tell an agent which
    user names exist (the first step of guessing passwords).
    """
    agent = session.scalar(select(User).where(User.username == username))
    me = session.get(User, viewer.id)
    if agent is None or me is None or not can_see_agent(me, agent):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such agent you may watch")
    return agent


def _agent_console(user: SignedInUser) -> str:
    if not user.interface:
        raise ConsoleError("you have no phone (PBX interface); ask an admin to set one")
    return user.interface


async def _call_on_screen(console: ConsoleDep, user: SignedInUser) -> str | None:
    """The Linkedid of the call the agent's console shows, if any: the call to act on."""
    return await console.ops.call_on_screen(user.id)


@router.get("/", include_in_schema=False)
def home(user: PageUser) -> RedirectResponse:
    """Where the user works: agents the console, supervisors and admins the wallboard."""
    return RedirectResponse(landing(user.role), status_code=status.HTTP_303_SEE_OTHER)


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
def console_page(
    request: Request, user: PageUser, session: SessionDep, console: ConsoleDep
) -> Response:
    """An agent's own console; supervisors and admins get the agents they can watch."""
    if user.interface is None:
        agents = agents_in_scope(session, user)
        # A sync route runs in a worker thread; the consoles are asked on the event loop.
        snapshots = from_thread.run(console.ops.snapshots, [a.id for a in agents])
        states = {a.id: snapshots[a.id]["state"] for a in agents}
        return templates.TemplateResponse(
            request, "agents.html", {"user": user, "agents": agents, "states": states}
        )
    snapshot = from_thread.run(console.ops.snapshot, user.id)
    return _render_console(
        request,
        user,
        user,
        console,
        snapshot,
        readonly=False,
        supervised=_supervised(session, user, snapshot),
        campaign=campaign_context(session, user.username, snapshot),
    )


def _supervised(session: Session, agent: SignedInUser, snapshot: dict[str, Any]) -> str | None:
    """What a supervisor last did to the agent in their current state, as the console says it."""
    since = snapshot["since"]
    if since is None:
        return None
    # The action is logged once the PBX confirmed it, a moment after the state began.
    started = datetime.fromisoformat(since) - timedelta(seconds=SUPERVISED_SLACK_S)
    action = latest_action(session, agent.username, started)
    if action is None:
        return None
    supervisor = session.scalar(select(User).where(User.username == action.supervisor))
    return action.told(supervisor.display_name if supervisor else action.supervisor)


@router.get("/console/agents/{username}", response_class=HTMLResponse, include_in_schema=False)
def watch_agent(
    request: Request, username: str, user: PageUser, session: SessionDep, console: ConsoleDep
) -> Response:
    """Another agent's console, read-only, for a supervisor of their team or an admin."""
    agent = SignedInUser.of(session, agent_in_scope(session, user, username))
    snapshot = from_thread.run(console.ops.snapshot, agent.id)
    return _render_console(
        request,
        user,
        agent,
        console,
        snapshot,
        readonly=agent.id != user.id,
        supervised=_supervised(session, agent, snapshot),
        campaign=campaign_context(session, agent.username, snapshot),
    )


def _render_console(
    request: Request,
    user: SignedInUser,
    agent: SignedInUser,
    console: ConsoleDep,
    snapshot: dict[str, Any],
    *,
    readonly: bool,
    supervised: str | None = None,
    campaign: dict[str, Any] | None = None,
) -> Response:
    context: dict[str, Any] = {
        **(campaign or {"campaigns": [], "campaign_html": None}),
        "supervised": supervised,
        "user": user,
        "agent": agent,
        "viewing": agent.username if readonly else "",
        "readonly": readonly,
        "settings": console.settings,
        "snapshot": snapshot,
    }
    return templates.TemplateResponse(request, "console.html", context)


@router.get("/api/agents", tags=["console"], responses=HTTP_ERRORS)
def list_agents(
    user: CurrentUser, session: SessionDep, console: ConsoleDep
) -> list[dict[str, Any]]:
    """The agents in the caller's scope with their live state."""
    agents = agents_in_scope(session, user)
    snapshots = from_thread.run(console.ops.snapshots, [agent.id for agent in agents])
    return [
        {
            "username": agent.username,
            "display_name": agent.display_name,
            "interface": agent.interface,
            "team": agent.team.name if agent.team else None,
            **{
                k: v
                for k, v in snapshots[agent.id].items()
                if k in ("state", "reason", "since", "queues")
            },
        }
        for agent in agents
    ]


@router.post("/console/queues/signin", response_class=HTMLResponse, include_in_schema=False)
async def queue_sign_in(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """QueueAdd the agent to every queue they are a member of."""
    interface = _agent_console(user)
    joined = await console_members.sign_in(console.pbx, interface, user.member_name, user.queues)
    return notice(f"Signed in to {', '.join(joined)}.")


@router.post("/console/queues/signout", response_class=HTMLResponse, include_in_schema=False)
async def queue_sign_out(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """QueueRemove the agent from their queues."""
    interface = _agent_console(user)
    await console_members.sign_out(console.pbx, interface, [queue for queue, _ in user.queues])
    return notice("Signed out of your queues.")


@router.post("/console/available", response_class=HTMLResponse, include_in_schema=False)
async def available(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """Unpause the agent (ends a wrap-up too)."""
    interface = _agent_console(user)
    if await console.ops.in_wrap_up(user.id):
        await console.ops.finish_wrap_up(user.id)
    else:
        await console_members.available(console.pbx, interface)
    return notice("Available.")


@router.post("/console/pause", response_class=HTMLResponse, include_in_schema=False)
async def pause(user: CurrentUser, console: ConsoleDep, reason: Reason) -> HTMLResponse:
    """Pause the agent with one of the configured reasons."""
    if reason not in console.settings.console_pause_reasons:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown reason {reason!r}")
    await console_members.pause(console.pbx, _agent_console(user), reason)
    return notice(f"Paused: {reason}.")


@router.post("/console/wrapup/done", response_class=HTMLResponse, include_in_schema=False)
async def wrap_up_done(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """After-call work finished: available again."""
    _agent_console(user)
    await console.ops.finish_wrap_up(user.id)
    return notice("Wrap-up done.")


@router.post("/console/call/hangup", response_class=HTMLResponse, include_in_schema=False)
async def hang_up(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """Hang up the agent's call."""
    await console.pbx.hangup(_agent_console(user), await _call_on_screen(console, user))
    return notice("Hung up.")


class TransferKind(StrEnum):
    """Blind: the caller goes at once. Attended: the agent talks to the target first."""

    BLIND = "blind"
    ATTENDED = "attended"


class TargetType(StrEnum):
    """What the transfer target names."""

    NUMBER = "number"
    QUEUE = "queue"
    AGENT = "agent"


def transfer_extension(
    session: Session, settings: Settings, target_type: TargetType, target: str
) -> str:
    """The dialplan extension a transfer target stands for, or 422 naming what is unknown.

    A queue must be one the console knows: mapped in the settings, one with a queue record,
    or one some user is a member of. Any other text would be dialled as an extension,
    wherever that leads.
    """
    if target_type is TargetType.QUEUE:
        if target in settings.console_queue_extensions:
            return settings.queue_extension(target)
        if queue_info(session, target) is None and not queue_served(session, target):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no queue {target!r}")
        return settings.queue_extension(target)
    if target_type is TargetType.AGENT:
        other = session.scalar(select(User).where(User.username == target))
        if other is None or not other.interface:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no agent {target!r}")
        exten = dialable_extension(other.interface)
        if exten is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"agent {target!r} has no extension to dial (phone {other.interface})",
            )
        return exten
    digits = target.removeprefix("+")
    # ASCII digits only: str.isdigit() also passes "²", which no dialplan knows.
    if not (digits.isascii() and digits.isdecimal()):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a number has only digits")
    return target


@router.post("/console/call/transfer", response_class=HTMLResponse, include_in_schema=False)
async def transfer(
    user: CurrentUser,
    session: SessionDep,
    console: ConsoleDep,
    kind: Annotated[TransferKind, Form()],
    target_type: Annotated[TargetType, Form()],
    target: Annotated[str, Form(min_length=1, max_length=64)],
) -> HTMLResponse:
    """Blind or attended transfer to a number, a queue or another agent."""
    interface = _agent_console(user)
    target = target.strip()
    # The lookups are blocking database work: off the event loop, which serves every console.
    exten = await run_in_threadpool(
        transfer_extension, session, console.settings, target_type, target
    )
    if kind is TransferKind.BLIND:
        if await console.pbx.blind_transfer(interface, exten, await _call_on_screen(console, user)):
            return notice(f"Transferred to {target}.")
        return notice(
            f"Transfer to {target} sent; the PBX has not yet confirmed the caller got there.",
            kind="warn",
        )
    await console.pbx.attended_transfer(interface, exten, await _call_on_screen(console, user))
    await console.ops.consulting(user.id, target)
    return notice(f"Consulting {target}: complete the transfer or cancel it.")


@router.post(
    "/console/call/transfer/complete", response_class=HTMLResponse, include_in_schema=False
)
async def complete_transfer(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """Leave the consultation: the caller and the consulted party stay together."""
    await console.pbx.complete_transfer(_agent_console(user), await _call_on_screen(console, user))
    return notice("Transferred.")


@router.post("/console/call/transfer/cancel", response_class=HTMLResponse, include_in_schema=False)
async def cancel_transfer(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """End the consultation and take the caller back."""
    await console.pbx.cancel_transfer(_agent_console(user), await _call_on_screen(console, user))
    await console.ops.consulting(user.id, None)
    return notice("Transfer cancelled: you are back with the caller.")


@router.post("/console/call/hold", response_class=HTMLResponse, include_in_schema=False)
async def hold(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """Put the caller on hold (music)."""
    await console.pbx.hold(_agent_console(user), await _call_on_screen(console, user))
    return notice("The caller is on hold.")


@router.post("/console/call/resume", response_class=HTMLResponse, include_in_schema=False)
async def resume(user: CurrentUser, console: ConsoleDep) -> HTMLResponse:
    """Take the caller back from hold."""
    await console.pbx.resume(_agent_console(user), await _call_on_screen(console, user))
    return notice("The caller is back.")


@router.post("/console/dial", response_class=HTMLResponse, include_in_schema=False)
async def dial(user: CurrentUser, console: ConsoleDep, number: Number) -> HTMLResponse:
    """Click-to-dial: ring the agent's phone, then the number."""
    interface = _agent_console(user)
    target = dialable(number, console.settings.default_region)
    await console.pbx.dial(interface, target)
    return notice(f"Calling {target}…")
