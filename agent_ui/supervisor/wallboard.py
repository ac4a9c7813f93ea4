"""The wallboard page and its websocket: the live board's snapshots, scoped to the viewer."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_ui.origin import same_origin
from agent_ui.supervisor.access import SupervisorPage, visible_agents
from agent_ui.supervisor.render import templates
from callcenter.deps import SessionDep, SignedInUser, identify
from callcenter.users.auth import SESSION_COOKIE
from callcenter.users.models import Team, User
from callcenter.users.service import Role
from crm.customers.models import Customer

if TYPE_CHECKING:
    from callcenter.state import AppState

router = APIRouter()

CLOSE_SIGN_IN = 4401
CLOSE_FORBIDDEN = 4403


@router.get("/supervisor", include_in_schema=False)
def supervisor_home(user: SupervisorPage) -> RedirectResponse:
    del user
    return RedirectResponse("/supervisor/wallboard", status_code=303)


@router.get("/supervisor/wallboard", response_class=HTMLResponse, include_in_schema=False)
def wallboard_page(request: Request, user: SupervisorPage, session: SessionDep) -> HTMLResponse:
    context = {"user": user, "grid_scope": grid_scope(session, user)}
    return templates.TemplateResponse(request, "wallboard.html", context)


def grid_scope(session: Session, user: SignedInUser) -> str:
    """Which agents the grid lists (queue tiles always cover whole queues)."""
    if user.role == Role.ADMIN:
        return "All agents."
    team = session.get(Team, user.team_id) if user.team_id is not None else None
    if team is None:
        return "No agents: you lead no team. Queue figures cover every agent."
    return f"Team {team.name} only. Queue figures cover every agent."


def scoped(snapshot: dict[str, Any], agents: frozenset[str] | None) -> dict[str, Any]:
    """The snapshot with only the agents the viewer may see (queue tiles are for all)."""
    if agents is None:
        return snapshot
    return {
        **snapshot,
        "agents": [a for a in snapshot["agents"] if a["agent"] in agents],
        "alerts": [
            a for a in snapshot["alerts"] if a["kind"] != "long_pause" or a["subject"] in agents
        ],
    }


@dataclass(frozen=True, slots=True)
class BoardName:
    """Who a PBX name on the board is: the display name, the user name, the user's id."""

    display: str
    username: str
    user_id: int


def display_names(session: Session) -> dict[str, BoardName]:
    """Each user under every name the PBX may give them (member name, interface, user
    name): one name per person on the board."""
    names: dict[str, BoardName] = {}
    for user in session.scalars(select(User)):
        for alias in (user.username, user.interface, user.member_name):
            if alias:
                names[alias] = BoardName(user.display_name, user.username, user.id)
    return names


def named(snapshot: dict[str, Any], names: dict[str, BoardName]) -> dict[str, Any]:
    """The snapshot with each agent's display name (`name`; the PBX's name when unknown)
    and user name (`username`, null when no user has that name)."""
    agents = []
    for row in snapshot["agents"]:
        known = names.get(row["agent"])
        agents.append(
            {
                **row,
                "name": known.display if known else row["agent"],
                "username": known.username if known else None,
            }
        )
    return {**snapshot, "agents": agents}


# States in which an agent's row names the caller and the queue.
ON_A_CALL = frozenset({"ringing", "on_call"})
# How often a board with calls on it looks again for the callers' customers.
CALL_REFRESH_S = 1.0


async def with_calls(
    snapshot: dict[str, Any], names: dict[str, BoardName], state: AppState
) -> dict[str, Any]:
    """The snapshot with each ringing or talking agent's caller (`call`: number, name,
    customer, queue), as their console shows it."""
    on_calls: dict[str, int] = {}
    for row in snapshot["agents"]:
        known = names.get(row["agent"])
        if known is not None and row["state"] in ON_A_CALL:
            on_calls[row["agent"]] = known.user_id
    # One question for every agent on a call (one round trip when the consoles run elsewhere).
    consoles = await state.console.ops.snapshots(on_calls.values()) if on_calls else {}
    calls: dict[str, dict[str, Any]] = {}
    for agent, user_id in on_calls.items():
        call = consoles[user_id].get("call")
        if call is not None and call.get("ended_at") is None:
            calls[agent] = call
    if not calls:
        return snapshot
    ids = {c["customer_id"] for c in calls.values() if c.get("customer_id") is not None}
    customers = await asyncio.to_thread(customer_names, state, ids) if ids else {}
    agents = []
    for row in snapshot["agents"]:
        call = calls.get(row["agent"])
        if call is not None:
            row = {
                **row,
                "call": {
                    "number": call.get("caller_number"),
                    "name": call.get("caller_name"),
                    "customer": customers.get(call.get("customer_id") or 0),
                    "queue": call.get("queue"),
                },
            }
        agents.append(row)
    return {**snapshot, "agents": agents}


def customer_names(state: AppState, ids: set[int]) -> dict[int, str]:
    """The names of the customers on calls now."""
    with state.sessions() as session:
        rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
        return {customer_id: name for customer_id, name in rows}


def _viewer(
    state: AppState, cookie: str | None, authorization: str | None
) -> tuple[SignedInUser | None, Any, dict[str, BoardName]]:
    signer = state.session_keys.signer()
    with state.sessions() as session:
        viewer = identify(session, signer, cookie, authorization)
        agents = visible_agents(session, viewer) if viewer is not None else frozenset()
        names = display_names(session) if viewer is not None else {}
        session.commit()
    return viewer, agents, names


@router.websocket("/ws/wallboard")
async def wallboard_socket(websocket: WebSocket) -> None:
    """Pushes `{"type": "snapshot", ...}` when the board changes, at most once a second."""
    state = cast("AppState", websocket.app.state.callcenter)
    board = state.kpi_board
    if not same_origin(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    cookie = websocket.cookies.get(SESSION_COOKIE)
    authorization = websocket.headers.get("authorization")
    viewer, agents, names = await asyncio.to_thread(_viewer, state, cookie, authorization)
    if viewer is None:
        await websocket.close(code=CLOSE_SIGN_IN)
        return
    if viewer.role not in (Role.SUPERVISOR, Role.ADMIN):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    await websocket.accept()
    queue = board.attach()
    closed = asyncio.create_task(_until_closed(websocket))
    signed_out = asyncio.create_task(
        state.console.sockets.until_signed_out(viewer, cookie, authorization)
    )
    board_says: dict[str, Any] | None = None
    sent: dict[str, Any] | None = None
    getter = asyncio.create_task(queue.get())
    try:
        while True:
            # While someone is on a call, the caller's customer may be found after the
            # board's last push: look again every second and send what changed.
            on_calls = sent is not None and any(a["state"] in ON_A_CALL for a in sent["agents"])
            done, _ = await asyncio.wait(
                {getter, closed, signed_out},
                timeout=CALL_REFRESH_S if on_calls else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if closed in done or signed_out in done:
                getter.cancel()
                if signed_out in done:
                    await websocket.close(code=CLOSE_SIGN_IN)
                return
            if getter in done:
                board_says = named(scoped(getter.result(), agents), names)
                getter = asyncio.create_task(queue.get())
            assert board_says is not None
            snapshot = await with_calls(board_says, names, state)
            if snapshot != sent:
                await websocket.send_text(json.dumps({"type": "snapshot", **snapshot}))
                sent = snapshot
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        board.detach(queue)
        getter.cancel()
        closed.cancel()
        signed_out.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await closed
        with contextlib.suppress(asyncio.CancelledError):
            await signed_out


async def _until_closed(websocket: WebSocket) -> None:
    """The board only talks; this notices the screen going away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
