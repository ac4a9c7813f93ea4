"""The console websocket: authenticated by the session, numbered frames out, acks in."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, cast

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from agent_ui.hub import Attachment, HubUnavailable
from agent_ui.origin import same_origin
from agent_ui.runtime import ConsoleRuntime
from callcenter.deps import SignedInUser, identify
from callcenter.users.auth import SESSION_COOKIE, can_see_agent
from callcenter.users.models import User

if TYPE_CHECKING:
    from callcenter.state import AppState

log = logging.getLogger(__name__)

router = APIRouter()

# Close codes a console understands: sign in again, or not allowed to watch that agent.
CLOSE_SIGN_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
# The server cannot serve the tab now (closing down, too slow, its Redis out of reach): reconnect.
CLOSE_TRY_AGAIN = 1013


def _authorize(
    state: AppState, cookie: str | None, authorization: str | None, agent_name: str | None
) -> tuple[SignedInUser | None, SignedInUser | None, int]:
    """(viewer, agent watched, close code or 0)."""
    signer = state.session_keys.signer()
    with state.sessions() as session:
        viewer = identify(session, signer, cookie, authorization)
        session.commit()  # a token's last use
        if viewer is None:
            return None, None, CLOSE_SIGN_IN
        if not agent_name or agent_name == viewer.username:
            return viewer, viewer, 0
        agent = session.scalar(select(User).where(User.username == agent_name))
        me = session.get(User, viewer.id)
        if agent is None or me is None or not can_see_agent(me, agent):
            return viewer, None, CLOSE_FORBIDDEN
        return viewer, SignedInUser.of(session, agent), 0


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    """One console tab: `since` = the last sequence it showed, `agent` = whom it watches."""
    state = cast("AppState", websocket.app.state.callcenter)
    console = state.console
    if not same_origin(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    since_text = websocket.query_params.get("since")
    try:
        since = int(since_text) if since_text not in (None, "") else None
    except ValueError:
        await websocket.close(code=CLOSE_BAD_REQUEST)
        return
    cookie = websocket.cookies.get(SESSION_COOKIE)
    authorization = websocket.headers.get("authorization")
    viewer, agent, refused = await asyncio.to_thread(
        _authorize, state, cookie, authorization, websocket.query_params.get("agent")
    )
    if refused or agent is None or viewer is None:
        await websocket.close(code=refused or CLOSE_FORBIDDEN)
        return
    await websocket.accept()
    try:
        attachment = await console.hub.attach(agent.id, since)
    except HubUnavailable as exc:
        log.warning("console of user %s refused for now: %s", agent.id, exc)
        await websocket.close(code=CLOSE_TRY_AGAIN)
        return
    signed_out = asyncio.create_task(
        state.console.sockets.until_signed_out(viewer, cookie, authorization)
    )
    signed_out.add_done_callback(lambda _: attachment.tab.close())  # wakes the writer
    try:
        await _serve(websocket, console, attachment, signed_out, watching=viewer.id != agent.id)
    finally:
        signed_out.cancel()
        console.hub.detach(attachment.tab)
        with contextlib.suppress(asyncio.CancelledError):
            await signed_out


async def _serve(
    websocket: WebSocket,
    console: ConsoleRuntime,
    attachment: Attachment,
    signed_out: asyncio.Task[None],
    *,
    watching: bool,
) -> None:
    hello: dict[str, object] = {"type": "hello", "seq": attachment.seq, "resync": attachment.resync}
    if attachment.resync:
        hello["snapshot"] = await console.ops.snapshot(attachment.tab.user_id)
    await websocket.send_text(json.dumps(hello, default=str))
    for frame in attachment.replay:
        await websocket.send_text(frame.text)
    reader = asyncio.create_task(_read_acks(websocket, console, attachment, watching=watching))
    try:
        while True:
            live = await attachment.tab.queue.get()
            if live is None:  # the tab closed (signed out, console gone, too slow, shutdown)
                if signed_out.done() and not signed_out.cancelled():
                    await websocket.close(code=CLOSE_SIGN_IN)
                elif not reader.done():
                    await websocket.close(code=CLOSE_TRY_AGAIN)
                return
            await websocket.send_text(live.text)
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader


async def _read_acks(
    websocket: WebSocket, console: ConsoleRuntime, attachment: Attachment, *, watching: bool
) -> None:
    """Acks from the console: `{"ack": seq}`. A supervisor watching does not ack for the agent."""
    while True:
        try:
            text = await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            attachment.tab.close()  # wakes the writer, which then ends
            return
        try:
            message = json.loads(text)
            seq = int(message["ack"])
        except (ValueError, KeyError, TypeError):
            log.info("console sent something that is not an ack: %.80r", text)
            continue
        if not watching:
            console.hub.ack(attachment.tab, seq)
